package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/dataio"
)

// badFiles writes one malformed input file per case of the table and
// returns name -> path, plus a good matrix and right-hand side.
func badFiles(t *testing.T, dir string) (map[string]string, string, string) {
	t.Helper()
	good := filepath.Join(dir, "A.npy")
	a := mat.NewDense(50, 3, nil)
	for i := 0; i < 50; i++ {
		for j := 0; j < 3; j++ {
			a.Set(i, j, float64((i*7+j*3)%11)+float64(i*j)/100)
		}
	}
	if err := dataio.WriteMatrix(good, a); err != nil {
		t.Fatal(err)
	}
	goodB := filepath.Join(dir, "b.npy")
	b := make([]float64, 50)
	for i := range b {
		b[i] = float64(i % 5)
	}
	if err := dataio.WriteVector(goodB, b); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	nan := mat.DenseCopyOf(a)
	nan.Set(17, 1, 0)
	nanPath := filepath.Join(dir, "nan.csv")
	var sb strings.Builder
	for i := 0; i < 50; i++ {
		if i == 17 {
			sb.WriteString("1,NaN,2\n")
			continue
		}
		sb.WriteString("1,2,3\n")
	}
	write("nan.csv", []byte(sb.String()))
	bad := map[string]string{
		"truncated npy":       write("trunc.npy", raw[:len(raw)-40]),
		"wrong magic":         write("magic.npy", append([]byte("XNUMPY"), raw[6:]...)),
		"unsupported dtype":   write("dtype.npy", []byte(strings.Replace(string(raw), "<f8", "<c16", 1))),
		"NaN in csv":          nanPath,
		"Inf in mtx":          write("inf.mtx", []byte("%%MatrixMarket matrix coordinate real general\n3 2 2\n1 1 1.0\n2 2 inf\n")),
		"ragged csv":          write("ragged.csv", []byte("1,2,3\n4,5\n6,7,8\n")),
		"header/data size":    write("size.mtx", []byte("%%MatrixMarket matrix coordinate real general\n3 2 3\n1 1 1.0\n2 2 2.0\n")),
		"empty file":          write("empty.npy", nil),
		"unknown extension":   write("a.txt", []byte("1 2\n")),
		"missing file":        filepath.Join(dir, "does-not-exist.npy"),
		"mtx index too large": write("idx.mtx", []byte("%%MatrixMarket matrix coordinate real general\n3 2 1\n4 1 1.0\n")),
	}
	return bad, good, goodB
}

// TestBadInputExitCode2 runs sketch, lsq and gen on every malformed input:
// each must exit with code 2, name the file in its message, and leave no
// output file (and an existing output file untouched).
func TestBadInputExitCode2(t *testing.T) {
	dir := t.TempDir()
	bad, good, goodB := badFiles(t, dir)
	for name, path := range bad {
		for _, cmd := range []string{"sketch", "lsq-A", "lsq-b", "lsq-stream"} {
			out := filepath.Join(dir, "out-"+strings.ReplaceAll(name, " ", "_")+"-"+cmd+".npy")
			var args []string
			switch cmd {
			case "sketch":
				args = []string{"sketch", "--in", path, "--kind", "sparse-sign", "--rows", "10", "--out", out}
			case "lsq-A":
				args = []string{"lsq", "-A", path, "-b", goodB, "--out", out}
			case "lsq-b":
				args = []string{"lsq", "-A", good, "-b", path, "--out", out}
			case "lsq-stream":
				if !strings.HasSuffix(path, ".npy") && !strings.HasSuffix(path, ".mtx") {
					continue
				}
				args = []string{"lsq", "-A", path, "-b", goodB, "--stream", "--out", out}
			}
			_, errOut, code := runCLI(t, Deps{}, args...)
			if code != 2 {
				t.Errorf("%s / %s: exit %d, want 2 (stderr %q)", name, cmd, code, errOut)
			}
			if !strings.Contains(errOut, filepath.Base(path)) {
				t.Errorf("%s / %s: message does not name the file: %q", name, cmd, errOut)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("%s / %s: output file exists after a failure", name, cmd)
			}
		}
	}
	// An existing output file survives a failed run untouched.
	out := filepath.Join(dir, "keep.npy")
	if err := os.WriteFile(out, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, code := runCLI(t, Deps{}, "sketch", "--in", bad["truncated npy"], "--rows", "5", "--out", out); code != 2 {
		t.Fatalf("exit %d", code)
	}
	if got, _ := os.ReadFile(out); string(got) != "precious" {
		t.Fatalf("existing output overwritten: %q", got)
	}
}

func TestBadUsageExitCode2(t *testing.T) {
	dir := t.TempDir()
	_, good, goodB := badFiles(t, dir)
	cases := [][]string{
		{"sketch", "--in", good, "--kind", "nope", "--rows", "5", "--out", filepath.Join(dir, "x.npy")},
		{"sketch", "--in", good, "--rows", "0", "--out", filepath.Join(dir, "x.npy")},
		{"sketch", "--in", good, "--kind", "sparse-sign", "--rows", "4", "--nnz", "9", "--out", filepath.Join(dir, "x.npy")},
		{"lsq", "-A", good, "-b", goodB, "--method", "magic"},
		{"lsq", "-A", good, "-b", goodB, "--lambda", "-1"},
		{"lsq", "-A", good},
		{"lsq", "-A", good, "-b", filepath.Join(dir, "A.npy")},
		{"gen", "nope", "--out", dir},
		{"gen", "kappa", "--out", filepath.Join(dir, "g"), "--kappa", "0.5"},
		{"gen", "sparse", "--out", filepath.Join(dir, "g"), "--kappa", "10"},
	}
	for _, args := range cases {
		if _, errOut, code := runCLI(t, Deps{}, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errOut)
		}
	}
}

// TestSketchAndLsqEndToEnd runs the commands on generated files and checks
// their JSON and outputs.
func TestSketchAndLsqEndToEnd(t *testing.T) {
	dir := t.TempDir()
	out, errOut, code := runCLI(t, Deps{}, "gen", "kappa-exact", "--out", dir, "--n", "3000", "--d", "10", "--kappa", "1e6", "--seed", "3")
	if code != 0 {
		t.Fatalf("gen: exit %d: %s %s", code, out, errOut)
	}
	sa := filepath.Join(dir, "SA.npy")
	out, _, code = runCLI(t, Deps{}, "sketch", "--in", filepath.Join(dir, "A.npy"), "--kind", "gaussian", "--rows", "40", "--seed", "7", "--out", sa, "--json")
	if code != 0 || !strings.Contains(out, `"status":"ok"`) || !strings.Contains(out, `"rows":40`) {
		t.Fatalf("sketch: exit %d: %s", code, out)
	}
	m, err := dataio.ReadMatrix(sa)
	if err != nil {
		t.Fatal(err)
	}
	if r, c := m.Dims(); r != 40 || c != 10 {
		t.Fatalf("SA is %dx%d", r, c)
	}
	x := filepath.Join(dir, "x.npy")
	out, _, code = runCLI(t, Deps{}, "lsq", "-A", filepath.Join(dir, "A.npy"), "-b", filepath.Join(dir, "b.npy"), "--method", "precond", "--json", "--out", x)
	if code != 0 {
		t.Fatalf("lsq: exit %d: %s", code, out)
	}
	for _, key := range []string{`"status":"converged"`, `"method":"precond"`, `"iterations":`, `"residual_norm":`, `"objective":`, `"seconds":`, `"sketch_rows":40`, `"passes":`} {
		if !strings.Contains(out, key) {
			t.Errorf("lsq --json lacks %s: %s", key, out)
		}
	}
	got, err := dataio.ReadVector(x)
	if err != nil {
		t.Fatal(err)
	}
	want, err := dataio.ReadVector(filepath.Join(dir, "x_star.npy"))
	if err != nil {
		t.Fatal(err)
	}
	var e float64
	for i := range got {
		e += (got[i] - want[i]) * (got[i] - want[i])
	}
	// κ = 1e6, OPT = 0.01: forward error ~ u·κ²·OPT ≈ 1e-6.
	if e > 1e-10 {
		t.Errorf("||x − x*||² = %g", e)
	}
	// A tolerance that cannot be met in one iteration exits 1.
	_, _, code = runCLI(t, Deps{}, "lsq", "-A", filepath.Join(dir, "A.npy"), "-b", filepath.Join(dir, "b.npy"), "--method", "precond", "--max-iter", "1")
	if code != 1 {
		t.Errorf("unmet tolerance: exit %d, want 1", code)
	}
}
