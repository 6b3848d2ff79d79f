package corpus

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

// The guard rail of gradientcoin.md section 4.2, applied to the corpus
// package too because batch selection is consensus: non-test Go files must
// not mention hardware floating-point types or the math package, and may
// import only the standard library and ledger/hashx.

var forbiddenWords = []string{"float" + "32", "float" + "64", "math" + "."}

// violations lists the forbidden words in src and its non-standard imports
// (import paths whose first element contains a dot, or module paths not in
// allowed).
func violations(name string, src []byte, allowed map[string]bool) []string {
	var out []string
	for _, w := range forbiddenWords {
		if i := bytes.Index(src, []byte(w)); i >= 0 {
			line := 1 + bytes.Count(src[:i], []byte("\n"))
			out = append(out, name+":"+strconv.Itoa(line)+": mentions "+w)
		}
	}
	f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.ImportsOnly)
	if err != nil {
		return append(out, name+": "+err.Error())
	}
	for _, im := range f.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		first, _, _ := strings.Cut(p, "/")
		if strings.Contains(first, ".") && !allowed[p] {
			out = append(out, name+": imports "+p)
		}
	}
	return out
}

var allowedImports = map[string]bool{"github.com/sketchwork/sketchwork/ledger/hashx": true}

func isGenerator(src []byte) bool {
	return bytes.HasPrefix(src, []byte("//go:build ignore")) || bytes.HasPrefix(src, []byte("//go:build gen"))
}

func TestGuardRail(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if isGenerator(src) {
			continue
		}
		checked++
		for _, v := range violations(name, src, allowedImports) {
			t.Error(v)
		}
	}
	if checked < 4 {
		t.Fatalf("checked only %d files", checked)
	}
}

// TestGuardRailCatches feeds the checker deliberately broken sources.
func TestGuardRailCatches(t *testing.T) {
	bad := map[string]string{
		"float":  "package corpus\nvar x " + "float" + "64\n",
		"math":   "package corpus\nimport \"math\"\nvar x = " + "math" + ".Pi\n",
		"module": "package corpus\nimport _ \"gonum.org/v1/gonum/mat\"\n",
	}
	for name, src := range bad {
		if len(violations(name, []byte(src), nil)) == 0 {
			t.Errorf("%s: violation not detected", name)
		}
	}
	if v := violations("ok", []byte("package corpus\nimport \"math/bits\"\nvar _ = bits.Len\n"), nil); len(v) != 0 {
		t.Errorf("false positive: %v", v)
	}
}
