package cli

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/dataio"
	"github.com/sketchwork/sketchwork/problems/softmax"
)

// newtonFiles writes a planted G1 softmax instance (A, b) and returns paths.
func newtonFiles(t *testing.T, dir string) (string, string) {
	t.Helper()
	in, err := softmax.NewInstance(softmax.GenSpec{Kind: "G1", N: 400, D: 6, Seed: 2}, softmax.Model{Kind: "softmax"}, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	ap, bp := filepath.Join(dir, "A.npy"), filepath.Join(dir, "b.npy")
	if err := dataio.WriteMatrix(ap, in.A); err != nil {
		t.Fatal(err)
	}
	if err := dataio.WriteVector(bp, in.B); err != nil {
		t.Fatal(err)
	}
	return ap, bp
}

// End to end: every loss from files converges, prints the JSON fields of the
// contract and writes x; the written x has a small gradient.
func TestNewtonCommand(t *testing.T) {
	dir := t.TempDir()
	ap, bp := newtonFiles(t, dir)
	for _, args := range [][]string{
		{"--loss", "softmax", "--reg-gamma", "0.5"},
		{"--loss", "resnet-softmax", "--reg-gamma", "0.5", "--hessian", "exact"},
		{"--loss", "two-layer", "--activation", "square", "--reg-gamma", "0.5", "--mode", "unit"},
		{"--loss", "softmax", "--reg-gamma", "0.5", "--method", "lbfgs", "--tol", "1e-6"},
	} {
		out := filepath.Join(dir, "x.npy")
		os.Remove(out)
		full := append([]string{"newton", "-A", ap, "-b", bp, "--json", "--out", out}, args...)
		stdout, stderr, code := runCLI(t, Deps{}, full...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s %s", args, code, stdout, stderr)
		}
		var j map[string]any
		if err := json.Unmarshal([]byte(stdout), &j); err != nil {
			t.Fatalf("%v: %v: %s", args, err, stdout)
		}
		for _, k := range []string{"status", "iterations", "objective", "grad_norm", "seconds", "hessian_samples", "stop_rule"} {
			if _, ok := j[k]; !ok {
				t.Errorf("%v: JSON lacks %q", args, k)
			}
		}
		if j["status"] != "converged" || j["stop_rule"] != "gradient" {
			t.Errorf("%v: %v/%v", args, j["status"], j["stop_rule"])
		}
		x, err := dataio.ReadVector(out)
		if err != nil || len(x) != 6 {
			t.Fatalf("%v: output %v (%v)", args, x, err)
		}
		if rel := j["grad_norm_rel"].(float64); !(rel <= 1e-6) {
			t.Errorf("%v: relative gradient %v", args, rel)
		}
	}
	// Generated instance.
	stdout, _, code := runCLI(t, Deps{}, "newton", "--gen", "G2", "--n", "3000", "--d", "10", "--loss", "two-layer", "--json")
	if code != 0 || !strings.Contains(stdout, "reading R1") {
		t.Errorf("--gen G2 two-layer: exit %d, %s", code, stdout)
	}
	// Tolerance not met: exit 1, and no partial x over a good file.
	_, _, code = runCLI(t, Deps{}, "newton", "-A", ap, "-b", bp, "--reg-gamma", "0.5", "--max-iter", "1", "--tol", "1e-14")
	if code != 1 {
		t.Errorf("--max-iter 1: exit %d, want 1", code)
	}
}

// The bad-input table: exit 2 and nothing written.
func TestNewtonBadInput(t *testing.T) {
	dir := t.TempDir()
	ap, bp := newtonFiles(t, dir)
	write := func(name string, v []float64) string {
		p := filepath.Join(dir, name)
		if err := dataio.WriteVector(p, v); err != nil {
			t.Fatal(err)
		}
		return p
	}
	short := write("short.npy", make([]float64, 10))
	nanB := make([]float64, 400)
	nanB[7] = math.NaN()
	nanBp := write("nanb.npy", nanB)
	nanX := write("nanx.npy", []float64{0, 0, math.NaN(), 0, 0, 0})
	badX := write("x5.npy", make([]float64, 5))
	nanA := mat.NewDense(400, 6, nil)
	nanA.Set(3, 2, math.Inf(1))
	nanAp := filepath.Join(dir, "nanA.npy")
	if err := dataio.WriteMatrix(nanAp, nanA); err != nil {
		t.Fatal(err)
	}
	// A start where the ResNet normalizer is ≤ 0: x0 = −5·e_0 on A with a
	// large first column.
	big := mat.NewDense(400, 6, nil)
	for i := 0; i < 400; i++ {
		big.Set(i, 0, 1)
		big.Set(i, 1, float64(i%3))
	}
	bigp := filepath.Join(dir, "big.npy")
	if err := dataio.WriteMatrix(bigp, big); err != nil {
		t.Fatal(err)
	}
	resnetX := write("resnet_x0.npy", []float64{-5, 0, 0, 0, 0, 0})
	out := filepath.Join(dir, "never.npy")
	cases := map[string][]string{
		"unknown loss":          {"-A", ap, "-b", bp, "--loss", "logistic"},
		"b shape mismatch":      {"-A", ap, "-b", short},
		"w shape mismatch":      {"-A", ap, "-b", bp, "--reg-weights", short},
		"x0 shape mismatch":     {"-A", ap, "-b", bp, "--x0", badX},
		"NaN in b":              {"-A", ap, "-b", nanBp},
		"Inf in A":              {"-A", nanAp, "-b", bp},
		"NaN in x0":             {"-A", ap, "-b", bp, "--x0", nanX},
		"ResNet alpha <= 0":     {"-A", bigp, "-b", bp, "--loss", "resnet-softmax", "--x0", resnetX},
		"both regularizers":     {"-A", ap, "-b", bp, "--reg-gamma", "1", "--reg-weights", short},
		"negative gamma":        {"-A", ap, "-b", bp, "--reg-gamma", "-1"},
		"eps0 out of range":     {"-A", ap, "-b", bp, "--eps0", "1.5"},
		"activation on softmax": {"-A", ap, "-b", bp, "--activation", "relu"},
		"unknown activation":    {"-A", ap, "-b", bp, "--loss", "two-layer", "--activation", "tanh"},
		"unknown method":        {"-A", ap, "-b", bp, "--method", "bfgs"},
		"missing file":          {"-A", filepath.Join(dir, "none.npy"), "-b", bp},
		"no input":              {},
		"unknown generator":     {"--gen", "G7"},
	}
	for name, args := range cases {
		full := append([]string{"newton", "--out", out}, args...)
		_, stderr, code := runCLI(t, Deps{}, full...)
		if code != 2 {
			t.Errorf("%s: exit %d, want 2 (%s)", name, code, stderr)
		}
		t.Logf("%s: %s", name, strings.TrimSpace(stderr))
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: wrote %s", name, out)
		}
	}
}
