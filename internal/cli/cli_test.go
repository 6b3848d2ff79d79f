package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sketchwork/sketchwork/experiment"
)

// runCLI builds a fresh command tree, runs args in-process and returns
// stdout, stderr and the exit code.
func runCLI(t *testing.T, deps Deps, args ...string) (string, string, int) {
	t.Helper()
	if deps.Registry == nil {
		deps.Registry = DefaultRegistry
	}
	cmd := NewRootCmd(deps)
	var out, errb bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetContext(context.Background())
	code := Execute(cmd, args)
	return out.String(), errb.String(), code
}

func fakeRegistry(pass bool) func() (*experiment.Registry, error) {
	return func() (*experiment.Registry, error) {
		r := experiment.NewRegistry()
		mk := func(name string, ok bool) experiment.Experiment {
			return experiment.Experiment{Name: name, Title: "Title " + name, Run: func(ctx context.Context, cfg experiment.Config) (*experiment.Outcome, error) {
				o := &experiment.Outcome{}
				o.Check("claim", ok, "measured %v", ok)
				o.Figures = append(o.Figures, experiment.Figure{Name: "f", Title: "t", LogY: true,
					Series: []experiment.Series{{Label: "s", X: []float64{1, 2, 3}, Y: []float64{1, 0.1, 0}}}})
				return o, nil
			}}
		}
		if err := r.Add(mk("good", true), mk("other", pass)); err != nil {
			return nil, err
		}
		if err := r.AddBenchmark(mk("suite", pass)); err != nil {
			return nil, err
		}
		r.Add(experiment.Experiment{Name: "boom", Title: "Boom", Run: func(context.Context, experiment.Config) (*experiment.Outcome, error) {
			return nil, errors.New("exploded")
		}})
		return r, nil
	}
}

func TestReproduceWritesReportAndExitCodes(t *testing.T) {
	dir := t.TempDir()
	out, _, code := runCLI(t, Deps{Registry: fakeRegistry(true)}, "reproduce", "--only", "good,other", "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d, output %s", code, out)
	}
	if !strings.Contains(out, "PASS good") || !strings.Contains(out, "PASS other") {
		t.Fatalf("missing PASS lines:\n%s", out)
	}
	rep, err := os.ReadFile(filepath.Join(dir, "REPORT.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(rep), "## Title good") {
		t.Fatalf("report lacks the section:\n%s", rep)
	}
	if _, err := os.Stat(filepath.Join(dir, "good-f.png")); err != nil {
		t.Fatalf("figure not written: %v", err)
	}

	out, _, code = runCLI(t, Deps{Registry: fakeRegistry(false)}, "reproduce", "--only", "other", "--out", t.TempDir())
	if code != 1 || !strings.Contains(out, "FAIL other") {
		t.Fatalf("failing check: exit %d, output %s", code, out)
	}
	out, _, code = runCLI(t, Deps{Registry: fakeRegistry(true)}, "reproduce", "--only", "boom", "--out", t.TempDir())
	if code != 1 || !strings.Contains(out, "exploded") {
		t.Fatalf("erroring experiment: exit %d, output %s", code, out)
	}
	_, errOut, code := runCLI(t, Deps{Registry: fakeRegistry(true)}, "reproduce", "--only", "nope")
	if code != 2 || !strings.Contains(errOut, "unknown name") {
		t.Fatalf("unknown experiment: exit %d, stderr %s", code, errOut)
	}
	_, _, code = runCLI(t, Deps{Registry: fakeRegistry(true)}, "reproduce", "--no-such-flag")
	if code != 2 {
		t.Fatalf("bad flag: exit %d", code)
	}
}

func TestBenchUpdatesSection(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "BENCHMARKS.md")
	if err := os.WriteFile(file, []byte("# Benchmarks\n\nintro\n\n<!-- bench:keep:begin -->\nkeep me\n<!-- bench:keep:end -->\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // twice: the second run replaces, not appends
		_, errOut, code := runCLI(t, Deps{Registry: fakeRegistry(true)}, "bench", "suite", "--quick", "--write", file)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
	}
	b, _ := os.ReadFile(file)
	s := string(b)
	if strings.Count(s, "<!-- bench:suite:begin -->") != 1 || !strings.Contains(s, "keep me") || !strings.Contains(s, "- machine: ") {
		t.Fatalf("bad BENCHMARKS.md:\n%s", s)
	}
	out, _, code := runCLI(t, Deps{Registry: fakeRegistry(true)}, "bench")
	if code != 0 || !strings.Contains(out, "suite") {
		t.Fatalf("listing: exit %d, %s", code, out)
	}
	_, _, code = runCLI(t, Deps{Registry: fakeRegistry(false)}, "bench", "suite", "--quick")
	if code != 1 {
		t.Fatalf("missed target: exit %d", code)
	}
}

func TestVersion(t *testing.T) {
	out, _, code := runCLI(t, Deps{Version: "v9.9.9"}, "version")
	if code != 0 || !strings.HasPrefix(out, "sketchwork v9.9.9") {
		t.Fatalf("exit %d, %q", code, out)
	}
}
