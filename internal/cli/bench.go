package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sketchwork/sketchwork/experiment"
	"github.com/sketchwork/sketchwork/internal/report"
)

func newBenchCmd(deps Deps) *cobra.Command {
	var (
		quick bool
		write string
		out   string
		seed  uint64
	)
	cmd := &cobra.Command{
		Use:   "bench [SUITE...]",
		Short: "Measure Sketchwork against its baselines and anchors in the same run",
		Long: `Runs benchmark suites at benchmark size (--quick for a smoke-sized run),
prints each suite's tables (ratios = anchor time / Sketchwork time, with the
accuracy each reached) and, with --write FILE, replaces the suite's section
of that Markdown file (BENCHMARKS.md) with the command, machine and date.
Without arguments it lists the suites. Exits 1 if a suite misses a target.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			reg, err := deps.Registry()
			if err != nil {
				return err
			}
			suites := reg.Benchmarks()
			if len(args) == 0 {
				for _, s := range suites {
					fmt.Fprintf(cmd.OutOrStdout(), "%-16s %s\n", s.Name, s.Title)
				}
				return nil
			}
			sel, err := experiment.Select(suites, args)
			if err != nil {
				return badInput(err)
			}
			now := time.Now()
			runs, err := runAll(cmd, sel, experiment.Config{Full: !quick, Seed: seed})
			if err != nil {
				return err
			}
			command := "sketchwork " + strings.Join(os.Args[1:], " ")
			missed := 0
			for _, r := range runs {
				sec := report.BenchSection(r, command, now)
				fmt.Fprintln(cmd.OutOrStdout())
				fmt.Fprint(cmd.OutOrStdout(), sec)
				if write != "" {
					if err := report.UpdateBenchFile(write, r.Experiment.Name, sec); err != nil {
						return err
					}
				}
				if !r.Pass() {
					missed++
				}
			}
			if out != "" {
				meta := report.Meta{Title: "Sketchwork benchmark report", Command: command, Seed: seed, Full: !quick, Started: now}
				if err := report.Write(out, meta, runs); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "report: %s\n", filepath.Join(out, "REPORT.md"))
			}
			if missed > 0 {
				return notMet(fmt.Errorf("%d of %d suites missed a target", missed, len(runs)))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&quick, "quick", false, "smoke-sized instances (for CI), not the benchmark sizes")
	f.StringVar(&write, "write", "", "update this Markdown file's section for each suite (e.g. BENCHMARKS.md)")
	f.StringVar(&out, "out", "", "also write a report folder with the figures")
	f.Uint64Var(&seed, "seed", 1, "root seed")
	return cmd
}
