//go:build e2e

// Package e2e is GradientCoin's multi-process test suite
// (papers/gradientcoin.md section 10.4): each test starts a fresh local
// network of gcoind processes through cmd/gcnet's harness and runs one
// scenario. The Short tests are the CI-sized versions (a few minutes in
// all on two cores):
//
//	go test -tags e2e ./e2e -run Short -v
//
// The full-size versions run with GCNET_FULL=1 (or through
// `go run ./cmd/gcnet run all`).
package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sketchwork/sketchwork/cmd/gcnet/harness"
)

var bins harness.Binaries

func TestMain(m *testing.M) {
	code := func() int {
		dir, err := os.MkdirTemp("", "gcnet-e2e-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		wd, _ := os.Getwd()
		root, err := harness.ModuleRoot(wd)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		bins, err = harness.Build(ctx, root, dir, true, true, os.Stderr)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return m.Run()
	}()
	os.Exit(code)
}

// run runs one scenario and fails t on any failed check, printing the
// report either way.
func run(t *testing.T, name string, short bool) *harness.Report {
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
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	r, err := harness.Run(ctx, name, harness.Options{Dir: dir, Bin: bins, Short: short, Seed: 1, Log: testWriter{t}})
	if r != nil {
		for _, c := range r.Checks {
			t.Logf("check %-45s pass=%v  %s", c.Name, c.Pass, c.Detail)
		}
		for k, v := range r.Metrics {
			t.Logf("metric %-28s %g", k, v)
		}
		for _, n := range r.Notes {
			t.Logf("note %s", n)
		}
		if out := os.Getenv("GCNET_REPORT_DIR"); out != "" {
			if err := r.Write(out); err != nil {
				t.Error(err)
			}
		}
	}
	if err != nil {
		t.Fatalf("%s: %v (logs in %s)", name, err, filepath.Join(dir, name))
	}
	if !r.Pass() {
		t.Fatalf("%s: checks failed (logs in %s)", name, filepath.Join(dir, name))
	}
	return r
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p[:len(p)-1]))
	return len(p), nil
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
