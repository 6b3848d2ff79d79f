package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// usageError marks bad flags or arguments (exit 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }

// notMetError marks failed scenario checks (exit 1).
type notMetError struct{ msg string }

func (e *notMetError) Error() string { return e.msg }

// common flags of up and run.
type common struct {
	dir, bin, evilBin, gcoinBin string
	seed                        uint64
}

func (c *common) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&c.dir, "dir", "", "working directory for data directories, logs and binaries (default: a new temporary directory)")
	f.StringVar(&c.bin, "bin", "", "gcoind binary (default: built from this module into DIR/bin)")
	f.StringVar(&c.evilBin, "evil-bin", "", "gcoind built with -tags evil (default: built when a scenario needs it)")
	f.StringVar(&c.gcoinBin, "gcoin-bin", "", "gcoin binary (default: built when a scenario needs it)")
	f.Uint64Var(&c.seed, "seed", 1, "seed of the harness's random choices and keys")
}

// prepare resolves the working directory and builds missing binaries.
func (c *common) prepare(ctx context.Context, cmd *cobra.Command, evil, gcoin bool) (string, Binaries, error) {
	dir := c.dir
	if dir == "" {
		d, err := os.MkdirTemp("", "gcnet-")
		if err != nil {
			return "", Binaries{}, err
		}
		dir = d
	}
	dir, _ = filepath.Abs(dir)
	b := Binaries{Gcoind: c.bin, Evil: c.evilBin, Gcoin: c.gcoinBin}
	needBuild := b.Gcoind == "" || (evil && b.Evil == "") || (gcoin && b.Gcoin == "")
	if needBuild {
		wd, _ := os.Getwd()
		root, err := ModuleRoot(wd)
		if err != nil {
			return "", b, &usageError{fmt.Errorf("%v: run gcnet inside the module or pass --bin", err)}
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "gcnet: building binaries into %s\n", filepath.Join(dir, "bin"))
		built, err := Build(ctx, root, filepath.Join(dir, "bin"), evil && b.Evil == "", gcoin && b.Gcoin == "", cmd.ErrOrStderr())
		if err != nil {
			return "", b, err
		}
		if b.Gcoind == "" {
			b.Gcoind = built.Gcoind
		}
		if b.Evil == "" {
			b.Evil = built.Evil
		}
		if b.Gcoin == "" {
			b.Gcoin = built.Gcoin
		}
	}
	return dir, b, nil
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "gcnet",
		Short:         "Local multi-node GradientCoin networks: start one, run scenarios, write metrics",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	root.AddCommand(newUpCmd(), newRunCmd())
	return root
}

func newUpCmd() *cobra.Command {
	var (
		c         common
		n, miners int
		spacing   time.Duration
		exit      bool
		timeout   time.Duration
		height    uint64
	)
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Start N gcoind nodes on 127.0.0.x and print their status until they converge",
		Long: `up builds gcoind (unless --bin is given), writes a genesis for a fresh local
network, starts N nodes on 127.0.0.1..127.0.0.N (127.0.0.1 with different ports
outside Linux), each with its own data directory and kernel-chosen ports, the
first --miners of them mining, and prints one status line per second until all
nodes report the same tip at height >= --height. Without --exit it keeps the
network running until interrupted (Ctrl-C stops every node).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if n < 1 || miners < 0 || miners > n {
				return &usageError{fmt.Errorf("need -n >= 1 and 0 <= --miners <= n")}
			}
			ctx := cmd.Context()
			dir, bins, err := c.prepare(ctx, cmd, false, false)
			if err != nil {
				return err
			}
			g, err := NewGenesis(GenesisOptions{Spacing: spacing})
			if err != nil {
				return err
			}
			cl, err := NewCluster(Config{Dir: filepath.Join(dir, "up"), Bin: bins, Genesis: g, Log: cmd.ErrOrStderr()})
			if err != nil {
				return err
			}
			defer cl.Close()
			for i := 0; i < n; i++ {
				cl.Add(i < miners)
			}
			for _, p := range cl.Procs {
				if err := cl.Start(ctx, p); err != nil {
					return err
				}
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "network %s: %d nodes in %s (logs nodeN.log)\n", g.Params.Name, n, filepath.Join(dir, "up"))
			for _, p := range cl.Procs {
				fmt.Fprintf(out, "  node %d  http %s  p2p %s\n", p.I, p.Client.Base(), p.Addr)
			}
			start := time.Now()
			converged := false
			for {
				// One line a second until converged, then one every 10 s.
				wait := time.Second
				if converged {
					wait = 10 * time.Second
				}
				select {
				case <-ctx.Done():
					fmt.Fprintln(out, "stopping")
					return nil
				case <-time.After(wait):
				}
				tips, err := cl.Tips(ctx, cl.Procs)
				if err != nil {
					fmt.Fprintf(out, "%6.1fs  %v\n", time.Since(start).Seconds(), err)
					continue
				}
				var parts []string
				same := true
				for i, t := range tips {
					st, _ := cl.Procs[i].Client.Status(ctx)
					peers := 0
					if st != nil {
						peers = st.Peers
					}
					parts = append(parts, fmt.Sprintf("n%d h=%d %s p=%d", i, t.Height, t.Hash.String()[:8], peers))
					same = same && t == tips[0]
				}
				mark := ""
				if same && tips[0].Height >= height {
					mark = "  converged"
				}
				fmt.Fprintf(out, "%6.1fs  %s%s\n", time.Since(start).Seconds(), strings.Join(parts, " | "), mark)
				if mark != "" && !converged {
					converged = true
					fmt.Fprintf(out, "converged: %d nodes at height %d, tip %s, state root %s, model root %s\n",
						n, tips[0].Height, tips[0].Hash, tips[0].StateRoot, tips[0].ModelRoot)
					if exit {
						return nil
					}
				}
				if timeout > 0 && time.Since(start) > timeout {
					if !converged {
						return &notMetError{fmt.Sprintf("not converged after %v", timeout)}
					}
					return nil
				}
			}
		},
	}
	c.add(cmd)
	cmd.Flags().IntVarP(&n, "nodes", "n", 3, "number of nodes")
	cmd.Flags().IntVar(&miners, "miners", 2, "how many of the nodes mine")
	cmd.Flags().DurationVar(&spacing, "spacing", time.Second, "target block interval")
	cmd.Flags().Uint64Var(&height, "height", 10, "height at which agreement counts as converged")
	cmd.Flags().BoolVar(&exit, "exit", false, "stop the network and exit once converged")
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "give up (exit 1) if not converged by then (0 = never)")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	return cmd
}

func newRunCmd() *cobra.Command {
	var (
		c       common
		short   bool
		out     string
		nodes   int
		spacing time.Duration
		modes   []string
	)
	cmd := &cobra.Command{
		Use:   "run SCENARIO... | all",
		Short: "Run scenarios (" + strings.Join(Scenarios, ", ") + ") and write JSON + CSV reports",
		Long: `run drives each named scenario on a fresh local network and writes
OUT/<scenario>.json, OUT/<scenario>-metrics.csv (and -loss.csv, -blocks.csv
where the scenario has series) plus OUT/summary.csv. --short runs the CI-sized
versions. The exit code is 1 if any check failed.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			names := args
			if len(args) == 1 && args[0] == "all" {
				names = Scenarios
			}
			evil, gcoin := false, false
			for _, nm := range names {
				known := false
				for _, s := range Scenarios {
					known = known || s == nm
				}
				if !known {
					return &usageError{fmt.Errorf("unknown scenario %q (scenarios: %s)", nm, strings.Join(Scenarios, ", "))}
				}
				evil = evil || nm == "malicious"
				gcoin = gcoin || nm == "wallet"
			}
			ctx := cmd.Context()
			dir, bins, err := c.prepare(ctx, cmd, evil, gcoin)
			if err != nil {
				return err
			}
			if out == "" {
				out = filepath.Join(dir, "report")
			}
			var failed []string
			var summary [][]string
			for _, nm := range names {
				fmt.Fprintf(cmd.ErrOrStderr(), "gcnet: scenario %s (short=%v) in %s\n", nm, short, dir)
				r, err := Run(ctx, nm, Options{Dir: dir, Bin: bins, Short: short, Seed: c.seed,
					Log: cmd.ErrOrStderr(), Nodes: nodes, Spacing: spacing, EvilModes: modes})
				if err != nil {
					failed = append(failed, nm)
					fmt.Fprintf(cmd.OutOrStdout(), "%-12s ERROR %v\n", nm, err)
					if r == nil {
						continue
					}
					r.Check("scenario ran", false, "%v", err)
				}
				if werr := r.Write(out); werr != nil {
					return werr
				}
				printReport(cmd.OutOrStdout(), r)
				if !r.Pass() && err == nil {
					failed = append(failed, nm)
				}
				keys := make([]string, 0, len(r.Metrics))
				for k := range r.Metrics {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					summary = append(summary, []string{nm, k, fmt.Sprintf("%g", r.Metrics[k])})
				}
			}
			if err := writeSummary(filepath.Join(out, "summary.csv"), summary); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "reports in %s\n", out)
			if len(failed) > 0 {
				return &notMetError{"scenarios failed: " + strings.Join(failed, ", ")}
			}
			return nil
		},
	}
	c.add(cmd)
	cmd.Flags().BoolVar(&short, "short", false, "CI-sized scenarios")
	cmd.Flags().StringVar(&out, "out", "", "report directory (default DIR/report)")
	cmd.Flags().IntVar(&nodes, "nodes", 0, "override the node count of scenarios that allow it")
	cmd.Flags().DurationVar(&spacing, "spacing", 0, "target block interval (default 1 s, 250 ms with --short)")
	cmd.Flags().StringSliceVar(&modes, "evil-modes", nil, "misbehaviour modes of the malicious scenario (default: all, or three with --short)")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	return cmd
}

func printReport(w io.Writer, r *Report) {
	status := "PASS"
	if !r.Pass() {
		status = "FAIL"
	}
	fmt.Fprintf(w, "%-12s %s  (%.1f s)\n", r.Scenario, status, r.Seconds)
	for _, c := range r.Checks {
		mark := "ok  "
		if !c.Pass {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "  %s %s: %s\n", mark, c.Name, c.Detail)
	}
	keys := make([]string, 0, len(r.Metrics))
	for k := range r.Metrics {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %-28s %g\n", k, r.Metrics[k])
	}
	b, _ := json.Marshal(r.Notes)
	if len(r.Notes) > 0 {
		fmt.Fprintf(w, "  notes: %s\n", b)
	}
}

func writeSummary(path string, rows [][]string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	var sb strings.Builder
	sb.WriteString("scenario,metric,value\n")
	for _, r := range rows {
		sb.WriteString(strings.Join(r, ",") + "\n")
	}
	return os.WriteFile(path, []byte(sb.String()), 0o644)
}
