//go:build e2e

// Package e2e is GradientCoin's multi-process test suite
// (papers/gradientcoin.md section 10.4): each test runs one scenario of
// cmd/gcnet, which starts a fresh local network of gcoind processes,
// drives it and writes a JSON report whose checks the test asserts. The
// Short tests are the CI-sized versions (about 70 s in all on two cores):
//
//	go test -tags e2e ./e2e -run Short -v
//
// The full-size versions run with GCNET_FULL=1 (or through
// `go run ./cmd/gcnet run all`). GCNET_REPORT_DIR keeps the reports.
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"testing"
	"time"
)

// bin holds the binaries built once by TestMain.
var bin struct{ gcnet, gcoind, evil, gcoin string }

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

func TestMain(m *testing.M) {
	code := func() int {
		dir, err := os.MkdirTemp("", "gcnet-e2e-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		bin.gcnet = filepath.Join(dir, "gcnet")
		bin.gcoind = filepath.Join(dir, "gcoind")
		bin.evil = filepath.Join(dir, "gcoind-evil")
		bin.gcoin = filepath.Join(dir, "gcoin")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		for _, args := range [][]string{
			{"build", "-o", bin.gcnet, "../cmd/gcnet"},
			{"build", "-o", bin.gcoind, "../cmd/gcoind"},
			{"build", "-tags", "evil", "-o", bin.evil, "../cmd/gcoind"},
			{"build", "-o", bin.gcoin, "../cmd/gcoin"},
		} {
			if out, err := exec.CommandContext(ctx, goTool(), args...).CombinedOutput(); err != nil {
				fmt.Fprintf(os.Stderr, "go %v: %v\n%s", args, err, out)
				return 1
			}
		}
		return m.Run()
	}()
	os.Exit(code)
}

// report mirrors the JSON report gcnet writes.
type report struct {
	Scenario string `json:"scenario"`
	Checks   []struct {
		Name   string `json:"name"`
		Pass   bool   `json:"pass"`
		Detail string `json:"detail"`
	} `json:"checks"`
	Metrics map[string]float64 `json:"metrics"`
	Notes   []string           `json:"notes"`
}

// run runs one gcnet scenario and fails t unless every check passed.
func run(t *testing.T, name string, short bool) {
	t.Helper()
	dir, err := os.MkdirTemp("", "gcnet-e2e-"+name+"-")
	if err != nil {
		t.Fatal(err)
	}
	// Keep the data directories and logs of a failed scenario.
	defer func() {
		if !t.Failed() {
			os.RemoveAll(dir)
		}
	}()
	out := filepath.Join(dir, "report")
	if d := os.Getenv("GCNET_REPORT_DIR"); d != "" {
		out = d
	}
	args := []string{"run", name, "--dir", dir, "--out", out, "--bin", bin.gcoind, "--evil-bin", bin.evil, "--gcoin-bin", bin.gcoin}
	if short {
		args = append(args, "--short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin.gcnet, args...)
	output, runErr := cmd.CombinedOutput()
	t.Logf("gcnet %v\n%s", args, output)
	b, err := os.ReadFile(filepath.Join(out, name+".json"))
	if err != nil {
		t.Fatalf("no report (%v); gcnet: %v (logs in %s)", err, runErr, dir)
	}
	var r report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Checks) == 0 {
		t.Fatalf("%s: the report has no checks", name)
	}
	keys := make([]string, 0, len(r.Metrics))
	for k := range r.Metrics {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("metric %-28s %g", k, r.Metrics[k])
	}
	for _, c := range r.Checks {
		if !c.Pass {
			t.Errorf("check failed: %s: %s", c.Name, c.Detail)
		}
	}
	if runErr != nil && !t.Failed() {
		t.Errorf("gcnet exited with %v although every check passed", runErr)
	}
	if t.Failed() {
		t.Logf("logs in %s", dir)
	}
}

func full(t *testing.T) {
	if os.Getenv("GCNET_FULL") == "" {
		t.Skip("full-size scenario: set GCNET_FULL=1")
	}
}

func TestShortConvergence(t *testing.T) { run(t, "convergence", true) }
func TestShortPartition(t *testing.T)   { run(t, "partition", true) }
func TestShortCrash(t *testing.T)       { run(t, "crash", true) }
func TestShortMalicious(t *testing.T)   { run(t, "malicious", true) }
func TestShortWallet(t *testing.T)      { run(t, "wallet", true) }
func TestShortServing(t *testing.T)     { run(t, "serving", true) }

func TestFullConvergence(t *testing.T) { full(t); run(t, "convergence", false) }
func TestFullPartition(t *testing.T)   { full(t); run(t, "partition", false) }
func TestFullCrash(t *testing.T)       { full(t); run(t, "crash", false) }
func TestFullMalicious(t *testing.T)   { full(t); run(t, "malicious", false) }
func TestFullWallet(t *testing.T)      { full(t); run(t, "wallet", false) }
func TestFullServing(t *testing.T)     { full(t); run(t, "serving", false) }
func TestFullTxRate(t *testing.T)      { full(t); run(t, "txrate", false) }
func TestFullSync(t *testing.T)        { full(t); run(t, "sync", false) }
