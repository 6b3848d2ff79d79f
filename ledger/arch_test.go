package ledger

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const module = "github.com/sketchwork/sketchwork"

// consensusCore lists the consensus-path packages of the transactional core
// (hashx, codec, keys, types, consensus, state). They may import only the
// standard library and each other.
var consensusCore = []string{"hashx", "codec", "keys", "types", "consensus", "state"}

func goTool(t *testing.T) string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err != nil {
		t.Skip("go tool not found")
	}
	return p
}

// TestConsensusCoreImports: the transitive (non-test) imports of the
// consensus core are standard library or core packages only: no gonum, no
// other package of this module, no third-party module.
func TestConsensusCoreImports(t *testing.T) {
	allowed := map[string]bool{}
	var pkgs []string
	for _, p := range consensusCore {
		allowed[module+"/ledger/"+p] = true
		pkgs = append(pkgs, module+"/ledger/"+p)
	}
	args := append([]string{"list", "-deps", "-f", "{{.ImportPath}} {{.Standard}}"}, pkgs...)
	out, err := exec.Command(goTool(t), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, std, _ := strings.Cut(line, " ")
		if std == "true" || allowed[path] {
			continue
		}
		t.Errorf("consensus core depends on %s (only the standard library and ledger/{%s} are allowed)",
			path, strings.Join(consensusCore, ","))
	}
}

// TestConsensusCoreNoFloat: no float32/float64/complex type and no floating
// literal in the non-test sources of the consensus core (section 4.2: every
// consensus computation is integer-only).
func TestConsensusCoreNoFloat(t *testing.T) {
	banned := map[string]bool{"float32": true, "float64": true, "complex64": true, "complex128": true}
	fset := token.NewFileSet()
	for _, p := range consensusCore {
		files, err := filepath.Glob(filepath.Join(p, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == 0 {
			t.Fatalf("no sources found for %s", p)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			file, err := parser.ParseFile(fset, f, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(file, func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.Ident:
					if banned[x.Name] {
						t.Errorf("%s: floating-point type %s in consensus code", fset.Position(x.Pos()), x.Name)
					}
				case *ast.BasicLit:
					if x.Kind == token.FLOAT || x.Kind == token.IMAG {
						t.Errorf("%s: floating-point literal %s in consensus code", fset.Position(x.Pos()), x.Value)
					}
				}
				return true
			})
		}
	}
}
