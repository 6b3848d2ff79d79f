package cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sketchwork/sketchwork/experiment"
	"github.com/sketchwork/sketchwork/internal/report"
)

func newReproduceCmd(deps Deps) *cobra.Command {
	var (
		full bool
		only []string
		out  string
		seed uint64
		list bool
	)
	cmd := &cobra.Command{
		Use:   "reproduce",
		Short: "Run every paper's experiment and write a report folder",
		Long: `Runs the registered experiments (quick sizes unless --full), shows a progress
bar on a terminal, writes OUT/REPORT.md with tables and PNG plots, and prints
one PASS/FAIL line per experiment. Exits 1 if any check fails.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			reg, err := deps.Registry()
			if err != nil {
				return err
			}
			all := reg.Experiments()
			if list {
				for _, e := range all {
					fmt.Fprintf(cmd.OutOrStdout(), "%-28s %s\n", e.Name, e.Title)
				}
				return nil
			}
			var names []string
			for _, o := range only {
				for _, n := range strings.Split(o, ",") {
					if n = strings.TrimSpace(n); n != "" {
						names = append(names, n)
					}
				}
			}
			sel, err := experiment.Select(all, names)
			if err != nil {
				return badInput(err)
			}
			if len(sel) == 0 {
				return badInputf("no experiments registered")
			}
			started := time.Now()
			runs, err := runAll(cmd, sel, experiment.Config{Full: full, Seed: seed})
			if err != nil {
				return err
			}
			meta := report.Meta{
				Title:   "Sketchwork reproduce report",
				Command: "sketchwork " + strings.Join(os.Args[1:], " "),
				Seed:    seed,
				Full:    full,
				Started: started,
			}
			if err := report.Write(out, meta, runs); err != nil {
				return fmt.Errorf("writing report: %w", err)
			}
			failed := 0
			for _, r := range runs {
				if !r.Pass() {
					failed++
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "report: %s/REPORT.md (%d of %d passed)\n", out, len(runs)-failed, len(runs))
			if failed > 0 {
				return notMet(fmt.Errorf("%d of %d experiments failed", failed, len(runs)))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&full, "full", false, "run the benchmark-sized instances instead of the quick ones")
	f.StringSliceVar(&only, "only", nil, "run only these experiments (comma-separated names; see --list)")
	f.StringVar(&out, "out", "report", "report folder")
	f.Uint64Var(&seed, "seed", 1, "root seed of every experiment")
	f.BoolVar(&list, "list", false, "list the experiments and exit")
	return cmd
}

// runAll runs experiments in order with a progress bar each, printing one
// result line per experiment on stdout. It stops early only on cancellation.
func runAll(cmd *cobra.Command, sel []experiment.Experiment, cfg experiment.Config) ([]report.Run, error) {
	ctx := cmd.Context()
	prog := newProgress(cmd.ErrOrStderr())
	defer prog.Wait()
	var runs []report.Run
	for _, e := range sel {
		if err := ctx.Err(); err != nil {
			return runs, err
		}
		b := prog.Bar(e.Name)
		c := cfg
		c.Progress = b.Set
		start := time.Now()
		out, err := safeRun(e, ctx, c)
		b.Done()
		r := report.Run{Experiment: e, Outcome: out, Err: err, Duration: time.Since(start)}
		runs = append(runs, r)
		status := "PASS"
		switch {
		case err != nil:
			status = "FAIL"
		case !out.Pass():
			status = "FAIL"
		}
		line := fmt.Sprintf("%s %-28s %6.1fs", status, e.Name, r.Duration.Seconds())
		if err != nil {
			line += "  error: " + err.Error()
		} else {
			for _, c := range out.Checks {
				if !c.Pass {
					line += fmt.Sprintf("  [%s: %s]", c.Name, c.Detail)
				}
			}
		}
		fmt.Fprintln(cmd.OutOrStdout(), line)
	}
	return runs, nil
}

// safeRun runs e, turning a panic inside an experiment into an error so one
// broken experiment does not lose the others' report.
func safeRun(e experiment.Experiment, ctx context.Context, cfg experiment.Config) (out *experiment.Outcome, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return e.Run(ctx, cfg)
}
