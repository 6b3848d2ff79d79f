package pogw

import (
	"bytes"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The guard rail of gradientcoin.md section 4.2 for pogw: non-test files
// mention no hardware floating-point type and not the math package, and the
// transitive non-test imports stay inside the standard library and the
// ledger's consensus packages.

const modulePath = "github.com/sketchwork/sketchwork/"

var forbiddenWords = []string{"float" + "32", "float" + "64", "math" + "."}

// consensusPkgs are the ledger packages pogw may reach.
var consensusPkgs = map[string]bool{}

func init() {
	for _, p := range []string{"codec", "hashx", "keys", "types", "consensus", "state", "fixed", "corpus", "model"} {
		consensusPkgs[modulePath+"ledger/"+p] = true
	}
}

// fileViolations lists forbidden words and non-allowed module imports of
// one source file and returns the allowed module imports.
func fileViolations(name string, src []byte) (bad []string, next []string) {
	for _, w := range forbiddenWords {
		if i := bytes.Index(src, []byte(w)); i >= 0 {
			bad = append(bad, name+":"+strconv.Itoa(1+bytes.Count(src[:i], []byte("\n")))+": mentions "+w)
		}
	}
	f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.ImportsOnly)
	if err != nil {
		return append(bad, name+": "+err.Error()), nil
	}
	for _, im := range f.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		first, _, _ := strings.Cut(p, "/")
		if !strings.Contains(first, ".") {
			continue
		}
		if !consensusPkgs[p] {
			bad = append(bad, name+": imports "+p)
			continue
		}
		next = append(next, p)
	}
	return bad, next
}

func TestGuardRail(t *testing.T) {
	seen := map[string]bool{}
	queue := []string{"."}
	checked := 0
	for len(queue) > 0 {
		dir := queue[0]
		queue = queue[1:]
		if seen[dir] {
			continue
		}
		seen[dir] = true
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.HasPrefix(src, []byte("//go:build ignore")) || bytes.HasPrefix(src, []byte("//go:build gen")) {
				continue
			}
			bad, next := fileViolations(name, src)
			if dir != "." {
				// Other packages are checked for imports only: fixed's
				// table generator and tests are their own guard's business.
				bad = slicesFilter(bad, func(s string) bool { return strings.Contains(s, ": imports ") })
			}
			for _, b := range bad {
				t.Error(b)
			}
			for _, p := range next {
				queue = append(queue, filepath.Join("..", strings.TrimPrefix(p, modulePath+"ledger/")))
			}
			checked++
		}
	}
	if checked < 10 || !seen["../model"] || !seen["../state"] {
		t.Fatalf("guard walked only %d files", checked)
	}
}

func slicesFilter(s []string, keep func(string) bool) []string {
	var out []string
	for _, x := range s {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}

func TestGuardRailCatches(t *testing.T) {
	for name, src := range map[string]string{
		"float":  "package pogw\nvar x " + "float" + "64\n",
		"math":   "package pogw\nimport \"math\"\nvar x = " + "math" + ".Pi\n",
		"gonum":  "package pogw\nimport _ \"gonum.org/v1/gonum/mat\"\n",
		"ledger": "package pogw\nimport _ \"" + modulePath + "ledger/mempool\"\n",
	} {
		if bad, _ := fileViolations(name, []byte(src)); len(bad) == 0 {
			t.Errorf("%s: violation not detected", name)
		}
	}
	if bad, _ := fileViolations("ok", []byte("package pogw\nimport \"math/bits\"\nvar _ = bits.Len\n")); len(bad) != 0 {
		t.Errorf("false positive: %v", bad)
	}
}
