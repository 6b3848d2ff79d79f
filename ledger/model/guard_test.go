package model

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

// The guard rail of gradientcoin.md section 4.2: non-test Go files of the
// model must not mention hardware floating-point types or the math package,
// and may import only the standard library and the ledger packages hashx,
// fixed and corpus. TestImportClosure extends the import rule to everything
// the model reaches.

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

const modulePath = "github.com/sketchwork/sketchwork/"

var allowedImports = map[string]bool{
	modulePath + "ledger/hashx":  true,
	modulePath + "ledger/fixed":  true,
	modulePath + "ledger/corpus": true,
}

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
		"float":  "package model\nvar x " + "float" + "64\n",
		"math":   "package model\nimport \"math\"\nvar x = " + "math" + ".Pi\n",
		"module": "package model\nimport _ \"gonum.org/v1/gonum/mat\"\n",
	}
	for name, src := range bad {
		if len(violations(name, []byte(src), nil)) == 0 {
			t.Errorf("%s: violation not detected", name)
		}
	}
	if v := violations("ok", []byte("package model\nimport \"math/bits\"\nvar _ = bits.Len\n"), nil); len(v) != 0 {
		t.Errorf("false positive: %v", v)
	}
}

// TestImportClosure walks the non-test imports of this package and of every
// module package it reaches (by directory) and fails if any of them imports
// a package outside the standard library and the allowed ledger packages,
// so gonum or any other module cannot creep in indirectly.
func TestImportClosure(t *testing.T) {
	seen := map[string]bool{}
	queue := []string{"."}
	for len(queue) > 0 {
		dir := queue[0]
		queue = queue[1:]
		if seen[dir] {
			continue
		}
		seen[dir] = true
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no Go files (%v)", dir, err)
		}
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
			f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, im := range f.Imports {
				p, _ := strconv.Unquote(im.Path.Value)
				first, _, _ := strings.Cut(p, "/")
				if !strings.Contains(first, ".") {
					continue // standard library
				}
				if !allowedImports[p] {
					t.Errorf("%s imports %s", name, p)
					continue
				}
				queue = append(queue, filepath.Join("..", strings.TrimPrefix(p, modulePath+"ledger/")))
			}
		}
	}
	for _, want := range []string{"../hashx", "../fixed", "../corpus"} {
		if !seen[want] {
			t.Errorf("closure did not reach %s", want)
		}
	}
}
