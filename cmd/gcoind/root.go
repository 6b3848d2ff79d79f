package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sketchwork/sketchwork/internal/fileutil"
	"github.com/sketchwork/sketchwork/ledger/api"
	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/node"
)

// usageError marks bad flags or arguments (exit code 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return &usageError{fmt.Errorf(format, args...)} }

// noArgs rejects positional arguments as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("unknown command or argument %q for %q", args[0], cmd.CommandPath())
	}
	return nil
}

// defaultDataDir is $HOME/.gcoind (or ./gcoind-data without a home).
func defaultDataDir() string {
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".gcoind")
	}
	return "gcoind-data"
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, usagef("--log-level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

func newLogger(w io.Writer, level slog.Level, format string) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usagef("--log-format %q: want text or json", format)
}

// newRootCmd builds the gcoind command tree; nothing is kept in package
// globals, so tests build a fresh tree each time.
func newRootCmd() *cobra.Command {
	var (
		dataDir, genesisFile, httpAddr, minerAddr string
		logLevel, logFormat                       string
		mine, reindex, noHTTP                     bool
		minerTries                                int
		pf                                        p2pFlags
	)
	root := &cobra.Command{
		Use:   "gcoind",
		Short: "GradientCoin node: chain, proof of gradient work, model, storage and HTTP API",
		Long: `gcoind runs a GradientCoin node. Without --genesis it joins the network its
data directory belongs to, or the built-in dev network on a new directory.
With --mine it mines by training the chain's model; without --miner-addr the
rewards go to a key it creates in the data directory (miner.key, mode 0600).
The HTTP API listens on 127.0.0.1 by default; the bound address is logged and
written to DATADIR/http.addr (use --http 127.0.0.1:0 for a free port).`,
		Args:          noArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			level, err := parseLevel(logLevel)
			if err != nil {
				return err
			}
			log, err := newLogger(cmd.ErrOrStderr(), level, logFormat)
			if err != nil {
				return err
			}
			cfg := node.Config{DataDir: dataDir, GenesisFile: genesisFile, HTTPAddr: httpAddr, Mine: mine,
				Reindex: reindex, MinerTries: minerTries, Logger: log}
			if noHTTP {
				cfg.HTTPAddr = ""
			}
			if minerAddr != "" {
				a, err := keys.ParseAddress(minerAddr)
				if err != nil {
					return usagef("--miner-addr: %v", err)
				}
				cfg.MinerAddr = a
			}
			var n *node.Node
			pf.configure(&cfg, &n)
			n, err = node.Open(cfg)
			if err != nil {
				return err
			}
			net, err := pf.start(n, dataDir)
			if err != nil {
				_ = n.Close()
				return err
			}
			ctx := cmd.Context()
			if err := n.Start(ctx); err != nil {
				if net != nil {
					_ = net.Close()
				}
				_ = n.Close()
				return err
			}
			pf.extra.run(ctx, n, net)
			<-n.Done()
			if ctx.Err() != nil {
				log.Info("shutting down on signal")
			}
			if net != nil {
				_ = net.Close()
			}
			closeErr := n.Close()
			if err := n.Err(); err != nil {
				return err
			}
			return closeErr
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	f := root.Flags()
	f.StringVar(&dataDir, "datadir", defaultDataDir(), "data directory (chain.db, genesis.json, miner.key, http.addr)")
	f.StringVar(&genesisFile, "genesis", "", "genesis file (default: the data directory's network, or the built-in dev network)")
	f.StringVar(&httpAddr, "http", node.DefaultHTTPAddr, "HTTP API listen address (host:port; port 0 picks a free one)")
	f.BoolVar(&noHTTP, "no-http", false, "do not serve the HTTP API")
	f.BoolVar(&mine, "mine", false, "mine blocks")
	f.StringVar(&minerAddr, "miner-addr", "", "reward address (64 hex digits; default: DATADIR/miner.key, created if needed)")
	f.IntVar(&minerTries, "miner-tries", 0, "training nonces per seed-search round (0 = 64)")
	f.BoolVar(&reindex, "reindex", false, "rebuild accounts, undo records and snapshots from the stored blocks")
	f.StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn or error")
	f.StringVar(&logFormat, "log-format", "text", "log format: text or json")
	pf.register(f)
	root.AddCommand(newGenesisCmd(), newVerifyCmd())
	return root
}

func newGenesisCmd() *cobra.Command {
	var (
		out    string
		fast   bool
		allocs []string
	)
	cmd := &cobra.Command{
		Use:   "genesis",
		Short: "Write a genesis file for a new network based on the dev parameters",
		Long: `genesis prints (or writes with --out) the built-in dev genesis, optionally with
the trivial proof of work of the dev-fast network (--fast) and extra initial
balances (--alloc ADDR=AMOUNT, amounts in GC like 1.5 or base units like 100u).
Nodes started with --genesis FILE form that network.`,
		Args:         noArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var g *consensus.Genesis
			var err error
			if fast {
				g, err = node.FastDevGenesis()
			} else {
				g, err = node.DevGenesis()
			}
			if err != nil {
				return err
			}
			for _, a := range allocs {
				addrS, amtS, ok := strings.Cut(a, "=")
				if !ok {
					return usagef("--alloc %q: want ADDR=AMOUNT", a)
				}
				addr, err := keys.ParseAddress(addrS)
				if err != nil {
					return usagef("--alloc %q: %v", a, err)
				}
				amt, err := api.ParseAmount(amtS)
				if err != nil {
					return usagef("--alloc %q: %v", a, err)
				}
				g.Alloc = append(g.Alloc, consensus.Allocation{Address: addr, Amount: amt})
			}
			if err := g.Validate(); err != nil {
				return usagef("%v", err)
			}
			b, err := g.MarshalIndent()
			if err != nil {
				return err
			}
			b = append(b, '\n')
			if out == "" {
				_, err = cmd.OutOrStdout().Write(b)
				return err
			}
			if err := fileutil.WriteFileAtomic(out, b, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s (network %s, genesis %s)\n", out, g.Params.Name, g.Hash())
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "output file (default: standard output)")
	cmd.Flags().BoolVar(&fast, "fast", false, "trivial fixed proof-of-work target (network dev-fast)")
	cmd.Flags().StringArrayVar(&allocs, "alloc", nil, "extra initial balance ADDR=AMOUNT (repeatable)")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	return cmd
}

func newVerifyCmd() *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check a stopped node's data directory: store pages, index, accounts and model against the tip",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
			n, err := node.Open(node.Config{DataDir: dataDir, Logger: log})
			if err != nil {
				return err
			}
			defer n.Close()
			if err := n.Verify(); err != nil {
				return err
			}
			s := n.Chain().Snapshot()
			fmt.Fprintf(cmd.OutOrStdout(), "ok: network %s, height %d, tip %s, state root %s, model root %s\n",
				n.Genesis().Params.Name, s.Height, s.Hash, s.Header.StateRoot, s.Header.ModelRoot)
			return nil
		},
	}
	cmd.Flags().StringVar(&dataDir, "datadir", defaultDataDir(), "data directory")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	cmd.SilenceUsage = true
	return cmd
}
