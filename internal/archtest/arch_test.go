package archtest

import (
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/sketchwork/sketchwork"

// pkg is one package of the module with its non-test imports.
type pkg struct {
	rel     string // path relative to the module root, e.g. "solve/lsq"
	dir     string
	imports []string
	files   []string // non-test Go files
}

func moduleRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}

func loadPackages(t *testing.T) []pkg {
	root := moduleRoot(t)
	var out []pkg
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || strings.HasPrefix(name, "_")) {
			return filepath.SkipDir
		}
		bp, err := build.Default.ImportDir(path, 0)
		if err != nil {
			if _, ok := err.(*build.NoGoError); ok {
				return nil
			}
			return nil // directories with only ignored files
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		var files []string
		for _, f := range bp.GoFiles {
			files = append(files, filepath.Join(path, f))
		}
		out = append(out, pkg{rel: rel, dir: path, imports: bp.Imports, files: files})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 5 {
		t.Fatalf("found only %d packages; is the walk broken?", len(out))
	}
	return out
}

// level returns the layer of a module package (DESIGN.md "Layers"); a
// package may import module packages of a strictly lower level, or of its
// own level when sameLevelOK allows it.
func level(rel string) int {
	switch {
	case rel == "internal/rng", rel == "internal/par", rel == "internal/fileutil":
		return 0
	case rel == "linalg":
		return 1
	case strings.HasPrefix(rel, "linalg/"):
		return 2
	case rel == "dataio":
		return 3
	case rel == "sketch":
		return 4
	case rel == "solve":
		return 5
	case strings.HasPrefix(rel, "solve/"):
		return 6
	case strings.HasPrefix(rel, "problems/"):
		return 7
	case rel == "experiment":
		return 8
	case rel == "internal/report":
		return 9
	case strings.HasPrefix(rel, "ledger"):
		return 10
	case rel == "internal/cli":
		return 11
	case strings.HasPrefix(rel, "cmd/"):
		return 12
	case strings.HasPrefix(rel, "internal/"):
		return 0 // other internal helpers are bottom-layer utilities
	}
	return -1
}

// sameLevelOK lists the same-level imports that are allowed.
func sameLevelOK(from, to string) bool {
	switch {
	case strings.HasPrefix(from, "solve/") && strings.HasPrefix(to, "solve/"):
		return true // e.g. newton may use lsq
	case strings.HasPrefix(from, "internal/") && strings.HasPrefix(to, "internal/") && level(from) == 0:
		return true
	}
	return false
}

func TestLayering(t *testing.T) {
	for _, p := range loadPackages(t) {
		lp := level(p.rel)
		if lp < 0 {
			t.Errorf("package %s has no layer: add it to level() in this test and to DESIGN.md", p.rel)
			continue
		}
		for _, imp := range p.imports {
			rel, ok := strings.CutPrefix(imp, module+"/")
			if !ok {
				continue
			}
			if strings.HasPrefix(p.rel, "ledger/") && strings.HasPrefix(rel, "ledger/") {
				lf, lt := ledgerLevel(p.rel), ledgerLevel(rel)
				if lf < 0 || lt < 0 {
					t.Errorf("ledger package %s or %s has no ledger layer: add it to ledgerLevel", p.rel, rel)
				} else if lt >= lf {
					t.Errorf("%s (ledger layer %d) imports %s (ledger layer %d, not below it)", p.rel, lf, rel, lt)
				}
				continue
			}
			li := level(rel)
			switch {
			case li > lp:
				t.Errorf("%s (layer %d) imports %s (layer %d, above it)", p.rel, lp, rel, li)
			case li == lp && rel != p.rel && !sameLevelOK(p.rel, rel):
				t.Errorf("%s imports %s of the same layer", p.rel, rel)
			}
			if strings.HasPrefix(p.rel, "problems/") && strings.HasPrefix(rel, "problems/") {
				t.Errorf("problem family %s imports problem family %s: move the shared piece down", p.rel, rel)
			}
			if p.rel == "experiment" && strings.HasPrefix(rel, "ledger") {
				t.Errorf("experiment imports %s: the ledger registers its experiments from its own side", rel)
			}
		}
	}
}

// ledgerLevel orders the GradientCoin packages (gradientcoin.md section 11,
// build order): a ledger package imports only ledger packages of a lower
// level, so the consensus core never reaches the node, the network or the
// store's bbolt implementation.
func ledgerLevel(rel string) int {
	switch rel {
	case "ledger/codec", "ledger/hashx", "ledger/fixed":
		return 0
	case "ledger/keys", "ledger/corpus":
		return 1
	case "ledger/types", "ledger/model":
		return 2
	case "ledger/consensus":
		return 3
	case "ledger/state":
		return 4
	case "ledger/pogw", "ledger/mempool":
		return 5
	case "ledger/store":
		return 6
	case "ledger/chain", "ledger/store/boltstore":
		return 7
	case "ledger/chaintest", "ledger/miner":
		return 8
	case "ledger/api", "ledger/p2p":
		return 9
	case "ledger/node", "ledger/p2p/p2ptest":
		return 10
	case "ledger/lab", "ledger/evil":
		return 11
	}
	return -1
}

// allowedImporters lists external import prefixes that only some packages
// may use.
var allowedImporters = []struct {
	prefix  string
	allowed func(rel string) bool
}{
	{"github.com/spf13/cobra", isCommandLayer},
	{"github.com/spf13/pflag", isCommandLayer},
	{"github.com/vbauerster/mpb", isCommandLayer},
	{"github.com/schollz/progressbar", isCommandLayer},
	{"golang.org/x/term", isCommandLayer},
	{"gonum.org/v1/plot", func(rel string) bool { return rel == "internal/report" }},
	{"github.com/libp2p/", func(rel string) bool { return rel == "ledger/p2p" || strings.HasPrefix(rel, "ledger/p2p/") }},
	{"go.etcd.io/bbolt", func(rel string) bool { return rel == "ledger/store" || strings.HasPrefix(rel, "ledger/store/") }},
}

func isCommandLayer(rel string) bool { return rel == "internal/cli" || strings.HasPrefix(rel, "cmd/") }

func TestRestrictedImports(t *testing.T) {
	for _, p := range loadPackages(t) {
		for _, imp := range p.imports {
			for _, a := range allowedImporters {
				if strings.HasPrefix(imp, a.prefix) && !a.allowed(p.rel) {
					t.Errorf("%s imports %s, which only its designated packages may import", p.rel, imp)
				}
			}
		}
	}
}

// consensusPath lists the ledger packages whose results every node must
// compute bit for bit (DESIGN.md): they and everything they import,
// transitively, must be standard library or this module's stdlib-only
// packages, so no gonum (or any other outside code) can reach consensus.
var consensusPath = []string{"ledger/codec", "ledger/hashx", "ledger/types", "ledger/keys", "ledger/consensus",
	"ledger/fixed", "ledger/corpus", "ledger/model", "ledger/pogw", "ledger/state", "ledger/chain"}

func TestConsensusPathIsStdlibOnly(t *testing.T) {
	byRel := map[string]pkg{}
	for _, p := range loadPackages(t) {
		byRel[p.rel] = p
	}
	for _, rel := range consensusPath {
		if _, ok := byRel[rel]; !ok {
			continue // not built yet
		}
		// Depth-first over module-internal imports, remembering the path.
		seen := map[string]bool{}
		var walk func(r string, path []string)
		walk = func(r string, path []string) {
			if seen[r] {
				return
			}
			seen[r] = true
			p, ok := byRel[r]
			if !ok {
				t.Errorf("%s: imported package %s not found", rel, r)
				return
			}
			for _, imp := range p.imports {
				if sub, ok := strings.CutPrefix(imp, module+"/"); ok {
					walk(sub, append(path, sub))
					continue
				}
				if strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") {
					t.Errorf("consensus package %s reaches non-standard package %s via %s", rel, imp, strings.Join(path, " -> "))
				}
			}
		}
		walk(rel, []string{rel})
	}
}

// globalRandFuncs are math/rand and math/rand/v2 functions that draw from
// the global source. Constructors (New, NewPCG, NewChaCha8, NewSource,
// NewZipf) are allowed.
var globalRandFuncs = map[string]bool{
	"Float32": true, "Float64": true, "Int": true, "Int31": true, "Int31n": true, "Int32": true, "Int32N": true,
	"Int63": true, "Int63n": true, "Int64": true, "Int64N": true, "IntN": true, "Intn": true, "N": true,
	"NormFloat64": true, "ExpFloat64": true, "Perm": true, "Shuffle": true, "Seed": true, "Read": true,
	"Uint32": true, "Uint32N": true, "Uint64": true, "Uint64N": true, "Uint": true, "UintN": true,
}

func TestNoGlobalRandomness(t *testing.T) {
	fset := token.NewFileSet()
	for _, p := range loadPackages(t) {
		for _, file := range p.files {
			f, err := parser.ParseFile(fset, file, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			names := map[string]bool{}
			for _, im := range f.Imports {
				path := strings.Trim(im.Path.Value, `"`)
				if path != "math/rand" && path != "math/rand/v2" {
					continue
				}
				name := "rand"
				if im.Name != nil {
					name = im.Name.Name
				}
				names[name] = true
			}
			if len(names) == 0 {
				continue
			}
			ast.Inspect(f, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if id, ok := sel.X.(*ast.Ident); ok && names[id.Name] && globalRandFuncs[sel.Sel.Name] {
					t.Errorf("%s: %s.%s draws from the global random source; take a seed or *rand.Rand",
						fset.Position(sel.Pos()), id.Name, sel.Sel.Name)
				}
				return true
			})
		}
	}
}

// integerOnlyViolations lists what makes a consensus source file depend on
// floating point (gradientcoin.md section 4.2: FMA contraction and
// per-architecture math routines can change the last bits): float and
// complex types, floating literals, and any use of package math other than
// its integer limits (math/bits and math/big are integer packages and fine).
func integerOnlyViolations(fset *token.FileSet, f *ast.File) []string {
	mathName := ""
	for _, im := range f.Imports {
		if strings.Trim(im.Path.Value, `"`) == "math" {
			mathName = "math"
			if im.Name != nil {
				mathName = im.Name.Name
			}
		}
	}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.Ident:
			switch x.Name {
			case "float32", "float64", "complex64", "complex128":
				out = append(out, fmt.Sprintf("%s: floating-point type %s", fset.Position(x.Pos()), x.Name))
			}
		case *ast.BasicLit:
			if x.Kind == token.FLOAT || x.Kind == token.IMAG {
				out = append(out, fmt.Sprintf("%s: floating-point literal %s", fset.Position(x.Pos()), x.Value))
			}
		case *ast.SelectorExpr:
			if id, ok := x.X.(*ast.Ident); ok && mathName != "" && id.Name == mathName && !integerLimit(x.Sel.Name) {
				out = append(out, fmt.Sprintf("%s: math.%s", fset.Position(x.Pos()), x.Sel.Name))
			}
		}
		return true
	})
	return out
}

// integerLimit reports whether math.name is one of the integer limits
// (MaxInt64, MinInt32, MaxUint16, ...).
func integerLimit(name string) bool {
	for _, p := range []string{"MaxInt", "MinInt", "MaxUint"} {
		if rest, ok := strings.CutPrefix(name, p); ok {
			return rest == "" || rest == "8" || rest == "16" || rest == "32" || rest == "64"
		}
	}
	return false
}

func TestConsensusPathIntegerOnly(t *testing.T) {
	byRel := map[string]pkg{}
	for _, p := range loadPackages(t) {
		byRel[p.rel] = p
	}
	fset := token.NewFileSet()
	checked := 0
	for _, rel := range consensusPath {
		p, ok := byRel[rel]
		if !ok {
			continue
		}
		for _, file := range p.files {
			f, err := parser.ParseFile(fset, file, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			checked++
			for _, v := range integerOnlyViolations(fset, f) {
				t.Errorf("consensus code depends on floating point: %s", v)
			}
		}
	}
	if checked < 20 {
		t.Fatalf("checked only %d consensus files; is the package list stale?", checked)
	}
}

// TestIntegerCheckerCatches feeds the checker sources that must fail and
// one that must pass.
func TestIntegerCheckerCatches(t *testing.T) {
	bad := map[string]string{
		"type":    "package p\nvar x float64\n",
		"literal": "package p\nvar x = 1.5\n",
		"math":    "package p\nimport \"math\"\nvar x = math.Exp(1)\n",
		"alias":   "package p\nimport m \"math\"\nvar x = m.Sqrt(2)\n",
		"complex": "package p\nvar x complex128\n",
	}
	fset := token.NewFileSet()
	for name, src := range bad {
		f, err := parser.ParseFile(fset, name+".go", src, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(integerOnlyViolations(fset, f)) == 0 {
			t.Errorf("%s: violation not detected", name)
		}
	}
	good := "package p\nimport (\n\"math\"\n\"math/bits\"\n)\nvar x = bits.Len(7) + math.MaxInt32\nconst y = math.MinInt64\n"
	f, err := parser.ParseFile(fset, "good.go", good, 0)
	if err != nil {
		t.Fatal(err)
	}
	if v := integerOnlyViolations(fset, f); len(v) != 0 {
		t.Errorf("false positives: %v", v)
	}
}
