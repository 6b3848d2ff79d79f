package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sketchwork/sketchwork/ledger/api"
	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/node"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// usageError marks bad flags or arguments (exit code 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return &usageError{fmt.Errorf(format, args...)} }

// deps are the command tree's dependencies; zero fields take the real ones.
type deps struct {
	// HTTP is the client for the node (nil = 30 s timeout client).
	HTTP *http.Client
	// Getenv reads GCOIN_NODE and GCOIN_KEY (nil = os.Getenv).
	Getenv func(string) string
	// Rand is the source of new keys and generation seeds (nil =
	// crypto/rand.Reader).
	Rand io.Reader
	// Poll is the interval of send's confirmation polling (0 = 1 s).
	Poll time.Duration
}

// globals are the persistent flags, bound per tree.
type globals struct {
	nodeURL string
	keyFile string
	json    bool
	d       deps
}

func defaultKeyFile(getenv func(string) string) string {
	if k := getenv("GCOIN_KEY"); k != "" {
		return k
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".gcoin", "key.json")
	}
	return "gcoin-key.json"
}

func (g *globals) client() (*api.Client, error) {
	c, err := api.NewClient(g.nodeURL, g.d.HTTP)
	if err != nil {
		return nil, usagef("--node: %v", err)
	}
	return c, nil
}

func (g *globals) loadKey() (*keys.PrivateKey, error) {
	k, err := keys.ReadKeyFile(g.keyFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no key at %s: create one with `gcoin key new` (or pass --key FILE)", g.keyFile)
	}
	return k, err
}

// print writes v as JSON with --json, otherwise the human text.
func (g *globals) print(cmd *cobra.Command, v any, human func(w io.Writer)) error {
	w := cmd.OutOrStdout()
	if g.json {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	human(w)
	return nil
}

// newRootCmd builds the gcoin command tree (no package globals).
func newRootCmd(d deps) *cobra.Command {
	if d.Getenv == nil {
		d.Getenv = os.Getenv
	}
	if d.Rand == nil {
		d.Rand = rand.Reader
	}
	if d.Poll <= 0 {
		d.Poll = time.Second
	}
	g := &globals{d: d}
	root := &cobra.Command{
		Use:           "gcoin",
		Short:         "GradientCoin wallet and client: keys, balances, transfers, mining control, text from the chain's model",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	defNode := "http://" + node.DefaultHTTPAddr
	if v := d.Getenv("GCOIN_NODE"); v != "" {
		defNode = v
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.nodeURL, "node", defNode, "node API URL (or $GCOIN_NODE)")
	pf.StringVar(&g.keyFile, "key", defaultKeyFile(d.Getenv), "key file (or $GCOIN_KEY)")
	pf.BoolVar(&g.json, "json", false, "print JSON")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	root.AddCommand(newKeyCmd(g), newAddrCmd(g), newBalanceCmd(g), newSendCmd(g), newStatusCmd(g),
		newTxCmd(g), newMineCmd(g), newGenerateCmd(g), newChatCmd(g))
	for _, c := range root.Commands() {
		c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
		for _, s := range c.Commands() {
			s.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
		}
	}
	return root
}

func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("%s takes %d argument(s), got %d", cmd.CommandPath(), n, len(args))
		}
		return nil
	}
}

func maxArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > n {
			return usagef("%s takes at most %d argument(s), got %d", cmd.CommandPath(), n, len(args))
		}
		return nil
	}
}

func writeKey(cmd *cobra.Command, g *globals, path string, k *keys.PrivateKey, what string) error {
	if path == "" {
		path = g.keyFile
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	if err := keys.WriteKeyFile(path, k); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s already exists; keys are never overwritten (choose another --out)", path)
		}
		return err
	}
	return g.print(cmd, map[string]string{"address": k.Address().String(), "file": path}, func(w io.Writer) {
		fmt.Fprintf(w, "%s\naddress %s\nfile    %s (mode 0600)\n", what, k.Address(), path)
	})
}

func newKeyCmd(g *globals) *cobra.Command {
	key := &cobra.Command{Use: "key", Short: "Create or import keys"}
	var out string
	newCmd := &cobra.Command{
		Use:   "new",
		Short: "Create a new key file (never overwrites an existing one)",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			k, err := keys.Generate(g.d.Rand)
			if err != nil {
				return err
			}
			return writeKey(cmd, g, out, k, "new key")
		},
	}
	newCmd.Flags().StringVar(&out, "out", "", "key file to create (default: --key)")
	var fout string
	faucet := &cobra.Command{
		Use:   "import-dev-faucet",
		Short: "Write the dev network's public faucet key (1,000,000 GC at genesis; dev networks only)",
		Long: `The dev networks' faucet key has a public seed (SHA-256 of "gradientcoin dev
faucet"): anyone can spend its coins, which is the point on a development chain
and makes it worthless anywhere else. Import it to fund your own keys.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return writeKey(cmd, g, fout, consensus.DevFaucetKey(), "dev faucet key")
		},
	}
	faucet.Flags().StringVar(&fout, "out", "", "key file to create (default: --key)")
	key.AddCommand(newCmd, faucet)
	return key
}

func newAddrCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "addr",
		Short: "Print the address of the key file",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			k, err := g.loadKey()
			if err != nil {
				return err
			}
			return g.print(cmd, map[string]string{"address": k.Address().String()}, func(w io.Writer) {
				fmt.Fprintln(w, k.Address())
			})
		},
	}
}

func newBalanceCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "balance [ADDR]",
		Short: "Show the balance and nonce of an address (default: the key's)",
		Args:  maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var addr keys.Address
			if len(args) == 1 {
				a, err := keys.ParseAddress(args[0])
				if err != nil {
					return usagef("address: %v", err)
				}
				addr = a
			} else {
				k, err := g.loadKey()
				if err != nil {
					return err
				}
				addr = k.Address()
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			a, err := c.Account(cmd.Context(), addr)
			if err != nil {
				return err
			}
			return g.print(cmd, a, func(w io.Writer) {
				fmt.Fprintf(w, "address  %s\nbalance  %s GC (%d units)\nnonce    %d (next %d, %d pending)\nheight   %d\n",
					a.Address, a.BalanceGC, a.Balance, a.Nonce, a.PendingNonce, a.Pending, a.Height)
			})
		},
	}
}

func newSendCmd(g *globals) *cobra.Command {
	var (
		to, amountS, feeS, memo string
		noWait                  bool
		timeout                 time.Duration
		confs                   uint64
	)
	cmd := &cobra.Command{
		Use:   "send --to ADDR --amount AMOUNT [--fee FEE]",
		Short: "Sign a transfer locally, submit it, and wait until it is confirmed",
		Long: `send fetches the key's pending nonce from the node, signs the transfer
locally, submits it and polls until it has --confirmations confirmations,
resubmitting it if the node lost it (for example after a restart). Amounts are
GC decimals (1.5, 0.001) or base units with the suffix u (1500u); 1 GC = 10^8 units.
The fee defaults to the network's minimum.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if to == "" || amountS == "" {
				return usagef("send needs --to ADDR and --amount AMOUNT")
			}
			toAddr, err := keys.ParseAddress(to)
			if err != nil {
				return usagef("--to: %v", err)
			}
			amount, err := api.ParseAmount(amountS)
			if err != nil {
				return usagef("--amount: %v", err)
			}
			if len(memo) > types.MaxMemo {
				return usagef("--memo: %d bytes, at most %d", len(memo), types.MaxMemo)
			}
			k, err := g.loadKey()
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			st, err := c.Status(ctx)
			if err != nil {
				return err
			}
			fee := st.MinFee
			if feeS != "" {
				if fee, err = api.ParseAmount(feeS); err != nil {
					return usagef("--fee: %v", err)
				}
			}
			acct, err := c.Account(ctx, k.Address())
			if err != nil {
				return err
			}
			tx := &types.Tx{Version: 1, ChainID: st.ChainID, From: k.Address(), To: toAddr, Amount: amount, Fee: fee,
				Nonce: acct.PendingNonce, Memo: []byte(memo)}
			if len(tx.Memo) == 0 {
				tx.Memo = nil
			}
			if err := tx.Sign(k); err != nil {
				return err
			}
			id, err := submit(ctx, c, tx)
			if err != nil {
				return err
			}
			errw := cmd.ErrOrStderr()
			if !g.json {
				fmt.Fprintf(cmd.OutOrStdout(), "sent %s GC to %s (fee %s GC, nonce %d)\ntxid %s\n",
					api.FormatGC(amount), toAddr, api.FormatGC(fee), tx.Nonce, id)
			}
			if noWait {
				if g.json {
					return g.print(cmd, map[string]any{"txid": id, "status": api.TxPending, "nonce": tx.Nonce}, nil)
				}
				return nil
			}
			if !g.json {
				fmt.Fprintf(errw, "waiting for %d confirmation(s) ...\n", confs)
			}
			res, err := waitConfirmed(ctx, c, tx, confs, timeout, g.d.Poll)
			if err != nil {
				return err
			}
			return g.print(cmd, res, func(w io.Writer) {
				fmt.Fprintf(w, "confirmed in block %d %s (%d confirmation(s))\n", res.Height, *res.Block, res.Confirmations)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&to, "to", "", "recipient address (64 hex digits)")
	f.StringVar(&amountS, "amount", "", "amount: GC (1.5) or base units (150000000u)")
	f.StringVar(&feeS, "fee", "", "fee: GC or base units (default: the network's minimum)")
	f.StringVar(&memo, "memo", "", "memo (at most 64 bytes)")
	f.BoolVar(&noWait, "no-wait", false, "submit and return without waiting for a confirmation")
	f.DurationVar(&timeout, "timeout", 5*time.Minute, "how long to wait for the confirmations")
	f.Uint64Var(&confs, "confirmations", 1, "confirmations to wait for (blocks on top, the containing one included)")
	return cmd
}

// submit posts tx; a node that already has it is fine.
func submit(ctx context.Context, c *api.Client, tx *types.Tx) (hashx.Hash, error) {
	id, err := c.SubmitTx(ctx, tx)
	var ae *api.Error
	if errors.As(err, &ae) && ae.Code == consensus.ErrAlreadyKnown.String() {
		return tx.ID(), nil
	}
	return id, err
}

// waitConfirmed polls the transaction until it has confs confirmations,
// resubmitting it whenever the node does not know it.
func waitConfirmed(ctx context.Context, c *api.Client, tx *types.Tx, confs uint64, timeout, poll time.Duration) (*api.Tx, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	id := tx.ID()
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		got, err := c.Tx(ctx, id)
		var ae *api.Error
		switch {
		case err == nil && got.Status == api.TxConfirmed && got.Confirmations >= max(confs, 1):
			return got, nil
		case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
			// Lost (node restart, reorg that invalidated it): rebroadcast.
			if _, err := submit(ctx, c, tx); err != nil {
				var re *api.Error
				if errors.As(err, &re) && (re.Code == consensus.ErrStaleNonce.String() || re.Code == consensus.ErrNonceMismatch.String()) {
					return nil, fmt.Errorf("transaction %s can no longer confirm: nonce %d was used by another transaction", id, tx.Nonce)
				}
				if ctx.Err() == nil {
					return nil, fmt.Errorf("rebroadcasting %s: %w", id, err)
				}
			}
		case err != nil && ctx.Err() == nil:
			return nil, err
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, fmt.Errorf("transaction %s not confirmed after %v (it may still confirm; check with `gcoin tx %s`)", id, timeout, id)
			}
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

func newStatusCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show the node's chain, model and mining status",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			s, err := c.Status(cmd.Context())
			if err != nil {
				return err
			}
			return g.print(cmd, s, func(w io.Writer) {
				miner := "no"
				if s.Mining {
					miner = "yes"
				}
				if s.MinerAddress != nil {
					miner += ", rewards to " + s.MinerAddress.String()
				}
				fmt.Fprintf(w, "network    %s (chain id %d)\nheight     %d\ntip        %s\nchainwork  %s\nmodel      %s\n"+
					"loss       %.4f nats on the tip's verification batch, %.4f on the eval set (uniform: 4.5643)\n"+
					"mempool    %d transactions\npeers      %d\nmining     %s\n",
					s.Network, s.ChainID, s.Height, s.Tip, s.ChainWork, s.ModelRoot, s.LossAfter, s.EvalLoss, s.Mempool, s.Peers, miner)
			})
		},
	}
}

func newTxCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "tx TXID",
		Short: "Show a transaction's status",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := hashx.ParseHash(args[0])
			if err != nil {
				return usagef("txid: %v", err)
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			t, err := c.Tx(cmd.Context(), id)
			if err != nil {
				return err
			}
			return g.print(cmd, t, func(w io.Writer) {
				fmt.Fprintf(w, "txid    %s\nstatus  %s\nfrom    %s\nto      %s\namount  %s GC\nfee     %s GC\nnonce   %d\n",
					t.TxID, t.Status, t.From, t.To, api.FormatGC(t.Amount), api.FormatGC(t.Fee), t.Nonce)
				if t.Block != nil {
					fmt.Fprintf(w, "block   %d %s (%d confirmations)\n", t.Height, *t.Block, t.Confirmations)
				}
			})
		},
	}
}

func newMineCmd(g *globals) *cobra.Command {
	mk := func(on bool) *cobra.Command {
		use, short := "stop", "Stop mining"
		if on {
			use, short = "start", "Start mining (the node creates its miner key if it has none)"
		}
		return &cobra.Command{
			Use:   use,
			Short: short,
			Args:  exactArgs(0),
			RunE: func(cmd *cobra.Command, _ []string) error {
				c, err := g.client()
				if err != nil {
					return err
				}
				m, err := c.Mine(cmd.Context(), on)
				if err != nil {
					return err
				}
				return g.print(cmd, m, func(w io.Writer) {
					state := "stopped"
					if m.Mining {
						state = "mining"
					}
					if m.Address != nil {
						state += ", rewards to " + m.Address.String()
					}
					fmt.Fprintln(w, state)
				})
			},
		}
	}
	mine := &cobra.Command{Use: "mine", Short: "Start or stop the node's miner"}
	mine.AddCommand(mk(true), mk(false))
	return mine
}

// genFlags are the generation parameters shared by generate and chat.
type genFlags struct {
	seed      uint64
	temp      int64
	maxTokens int
	topK      int
}

func (f *genFlags) bind(cmd *cobra.Command, defTokens int) {
	cmd.Flags().Uint64Var(&f.seed, "seed", 0, "sampling seed (default: a random seed, printed)")
	cmd.Flags().Int64Var(&f.temp, "temp", 700, "temperature in thousandths (0 = greedy)")
	cmd.Flags().IntVar(&f.maxTokens, "max-tokens", defTokens, "symbols to generate (at most 512)")
	cmd.Flags().IntVar(&f.topK, "top-k", 8, "sample among the k most likely symbols (0 = all)")
}

// resolveSeed returns the --seed value, or a random one reported on
// stderr so the output can be reproduced.
func (f *genFlags) resolveSeed(cmd *cobra.Command, r io.Reader) (uint64, error) {
	if cmd.Flags().Changed("seed") {
		return f.seed, nil
	}
	var b [8]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return 0, err
	}
	s := binary.LittleEndian.Uint64(b[:]) & (1<<53 - 1) // exact in JSON numbers
	fmt.Fprintf(cmd.ErrOrStderr(), "seed %d\n", s)
	return s, nil
}

func newGenerateCmd(g *globals) *cobra.Command {
	var f genFlags
	cmd := &cobra.Command{
		Use:   `generate "PROMPT"`,
		Short: "Continue a prompt with the chain's model (same model, prompt, parameters and seed give the same text on every node)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			seed, err := f.resolveSeed(cmd, g.d.Rand)
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			n := f.maxTokens
			r, err := c.Generate(cmd.Context(), api.Generate{Prompt: args[0], MaxTokens: &n, TemperatureMilli: f.temp, TopK: f.topK, Seed: seed})
			if err != nil {
				return err
			}
			return g.print(cmd, r, func(w io.Writer) {
				fmt.Fprintf(w, "%s%s\n", args[0], r.Text)
				fmt.Fprintf(cmd.ErrOrStderr(), "(model at height %d, root %s)\n", r.Height, r.ModelRoot)
			})
		},
	}
	f.bind(cmd, 200)
	return cmd
}

func newChatCmd(g *globals) *cobra.Command {
	var f genFlags
	cmd := &cobra.Command{
		Use:   `chat "MESSAGE"`,
		Short: "Ask the chain's model one question (renders \"User: MESSAGE\\nBot: \" and generates)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			seed, err := f.resolveSeed(cmd, g.d.Rand)
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			n := f.maxTokens
			r, err := c.Chat(cmd.Context(), api.Chat{Messages: []api.ChatMessage{{Role: "user", Content: args[0]}},
				MaxTokens: &n, TemperatureMilli: f.temp, TopK: f.topK, Seed: seed})
			if err != nil {
				return err
			}
			return g.print(cmd, r, func(w io.Writer) { fmt.Fprintln(w, strings.TrimSpace(r.Reply)) })
		},
	}
	f.bind(cmd, 120)
	return cmd
}
