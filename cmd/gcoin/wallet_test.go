package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sketchwork/sketchwork/ledger/api"
	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/node"
)

type walletEnv struct {
	t   *testing.T
	n   *node.Node
	srv *httptest.Server
	rnd *rand.ChaCha8
}

// newWalletEnv starts an in-process node on the dev-fast network with a
// miner address but mining off, served by an httptest server.
func newWalletEnv(t *testing.T) *walletEnv {
	t.Helper()
	g, err := node.FastDevGenesis()
	if err != nil {
		t.Fatal(err)
	}
	n, err := node.Open(node.Config{InMemory: true, Genesis: g, MinerAddr: keys.Address{0x4d},
		Logger: slog.New(slog.DiscardHandler), API: api.Options{Rate: -1}})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(n.Handler())
	t.Cleanup(func() {
		srv.Close()
		if err := n.Close(); err != nil {
			t.Error(err)
		}
	})
	return &walletEnv{t: t, n: n, srv: srv, rnd: rand.NewChaCha8([32]byte{1})}
}

// run executes one gcoin command line in-process against the node.
func (e *walletEnv) run(args ...string) (string, string, error) {
	cmd := newRootCmd(deps{HTTP: e.srv.Client(), Getenv: func(string) string { return "" }, Rand: e.rnd, Poll: 10 * time.Millisecond})
	var out, errb bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetArgs(append([]string{"--node", e.srv.URL}, args...))
	err := cmd.ExecuteContext(context.Background())
	return out.String(), errb.String(), err
}

func (e *walletEnv) must(args ...string) string {
	e.t.Helper()
	out, errOut, err := e.run(args...)
	if err != nil {
		e.t.Fatalf("gcoin %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return out
}

func (e *walletEnv) balance(keyFile string) api.Account {
	e.t.Helper()
	var a api.Account
	if err := json.Unmarshal([]byte(e.must("--key", keyFile, "balance", "--json")), &a); err != nil {
		e.t.Fatal(err)
	}
	return a
}

// TestWalletSendBetweenWallets: create two wallets, fund one from the dev
// faucet, send coins from it to the other while the node mines, and see
// both balances change by exactly the amounts and the fee.
func TestWalletSendBetweenWallets(t *testing.T) {
	e := newWalletEnv(t)
	dir := t.TempDir()
	ka, kb, kf := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json"), filepath.Join(dir, "faucet.json")
	e.must("--key", ka, "key", "new")
	e.must("key", "new", "--out", kb)
	out := e.must("--key", kf, "key", "import-dev-faucet")
	if !strings.Contains(out, consensus.DevFaucetKey().Address().String()) {
		t.Errorf("import-dev-faucet printed %q", out)
	}
	addrA := strings.TrimSpace(e.must("--key", ka, "addr"))
	addrB := strings.TrimSpace(e.must("--key", kb, "addr"))
	if addrA == addrB || len(addrA) != 64 {
		t.Fatalf("addresses %q %q", addrA, addrB)
	}
	if _, _, err := e.run("--key", ka, "key", "new"); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("key new over an existing file: %v", err)
	}

	// Fund A from the faucet without waiting, then mine one block by hand.
	out = e.must("--key", kf, "send", "--to", addrA, "--amount", "10", "--no-wait")
	if !strings.Contains(out, "sent 10 GC to "+addrA) || !strings.Contains(out, "txid ") {
		t.Errorf("send output %q", out)
	}
	if a := e.balance(ka); a.Balance != 0 {
		t.Errorf("A has %d before the block", a.Balance)
	}
	if _, _, err := e.n.GenerateBlock(context.Background(), keys.Address{0x4d}); err != nil {
		t.Fatal(err)
	}
	if a := e.balance(ka); a.Balance != 10*consensus.Coin {
		t.Fatalf("A has %d after the block, want 10 GC", a.Balance)
	}
	if out := e.must("--key", ka, "balance"); !strings.Contains(out, "balance  10 GC (1000000000 units)") {
		t.Errorf("balance output %q", out)
	}

	// A pays B with the miner running; send waits for the confirmation.
	if out := e.must("mine", "start"); !strings.Contains(out, "mining") {
		t.Errorf("mine start: %q", out)
	}
	out = e.must("--key", ka, "send", "--to", addrB, "--amount", "2.5", "--fee", "10000u")
	if !strings.Contains(out, "confirmed in block") {
		t.Errorf("send output %q", out)
	}
	if out := e.must("mine", "stop"); !strings.Contains(out, "stopped") {
		t.Errorf("mine stop: %q", out)
	}
	a, b := e.balance(ka), e.balance(kb)
	if want := uint64(10*consensus.Coin - 250_000_000 - 10_000); a.Balance != want || a.Nonce != 1 {
		t.Errorf("A: %d nonce %d, want %d nonce 1", a.Balance, a.Nonce, want)
	}
	if b.Balance != 250_000_000 || b.BalanceGC != "2.5" {
		t.Errorf("B: %+v, want 2.5 GC", b)
	}
	// A second transfer without an explicit fee pays the network minimum.
	out = e.must("--key", kb, "send", "--to", addrA, "--amount", "1u", "--no-wait", "--json")
	var sent map[string]any
	if err := json.Unmarshal([]byte(out), &sent); err != nil || sent["status"] != "pending" {
		t.Errorf("send --json: %q %v", out, err)
	}
	txOut := e.must("tx", sent["txid"].(string))
	if !strings.Contains(txOut, "status  pending") || !strings.Contains(txOut, "fee     0.00000001 GC") {
		t.Errorf("tx output %q", txOut)
	}
}

func TestWalletReadCommands(t *testing.T) {
	e := newWalletEnv(t)
	for i := 0; i < 3; i++ {
		if _, _, err := e.n.GenerateBlock(context.Background(), keys.Address{0x4d}); err != nil {
			t.Fatal(err)
		}
	}
	st := e.must("status")
	for _, want := range []string{"network    dev-fast", "height     3", "mining     no, rewards to 4d00"} {
		if !strings.Contains(st, want) {
			t.Errorf("status lacks %q:\n%s", want, st)
		}
	}
	g1 := e.must("generate", "The river", "--seed", "7", "--max-tokens", "40")
	g2 := e.must("generate", "The river", "--seed", "7", "--max-tokens", "40")
	if g1 != g2 || !strings.HasPrefix(g1, "The river") || len(strings.TrimSuffix(g1, "\n")) != len("The river")+40 {
		t.Errorf("generate: %q vs %q", g1, g2)
	}
	_, errOut, err := e.run("generate", "The river", "--max-tokens", "5")
	if err != nil || !strings.HasPrefix(errOut, "seed ") {
		t.Errorf("generate without --seed must print the seed it used: %q %v", errOut, err)
	}
	if out := e.must("chat", "Hello", "--seed", "1", "--max-tokens", "30"); strings.Count(out, "\n") != 1 {
		t.Errorf("chat reply spans lines: %q", out)
	}
	addr := keys.Address{0x4d}.String()
	if out := e.must("balance", addr); !strings.Contains(out, "balance  150 GC") {
		t.Errorf("miner balance: %q", out)
	}
}

func TestWalletErrors(t *testing.T) {
	e := newWalletEnv(t)
	dir := t.TempDir()
	missing := filepath.Join(dir, "none.json")
	_, _, err := e.run("--key", missing, "balance")
	if err == nil || !strings.Contains(err.Error(), "gcoin key new") {
		t.Errorf("missing key: %v", err)
	}
	for _, args := range [][]string{
		{"--key", missing, "send", "--to", "xyz", "--amount", "1"},
		{"--key", missing, "send", "--to", keys.Address{1}.String(), "--amount", "1.000000001"},
		{"send", "--amount", "1"},
		{"balance", "nothex"},
		{"generate"},
		{"status", "--bogus"},
		{"--node", "ftp://x", "status"},
	} {
		_, _, err := e.run(args...)
		var ue *usageError
		if !errors.As(err, &ue) {
			t.Errorf("gcoin %v: %v, want a usage error (exit 2)", args, err)
		}
	}
	// A rule rejection from the node is reported with its code.
	kf := filepath.Join(dir, "f.json")
	e.must("--key", kf, "key", "import-dev-faucet")
	_, _, err = e.run("--key", kf, "send", "--to", consensus.DevFaucetKey().Address().String(), "--amount", "1", "--no-wait")
	if err == nil || !strings.Contains(err.Error(), "ErrSelfTransfer") {
		t.Errorf("self transfer: %v", err)
	}
}
