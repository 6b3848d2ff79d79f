package node_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/sketchwork/sketchwork/ledger/api"
	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/node"
	"github.com/sketchwork/sketchwork/ledger/store"
	"github.com/sketchwork/sketchwork/ledger/types"
)

func fastGenesis(t testing.TB) *consensus.Genesis {
	t.Helper()
	g, err := node.FastDevGenesis()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func quietLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.DiscardHandler)
}

// checkNoGoroutineLeak waits until the goroutine count is back to base
// and dumps the stacks if it is not (a leaktest-style check).
func checkNoGoroutineLeak(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			var buf bytes.Buffer
			_ = pprof.Lookup("goroutine").WriteTo(&buf, 1)
			t.Fatalf("%d goroutines left, %d before the node:\n%s", runtime.NumGoroutine(), base, buf.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func waitHeight(t *testing.T, n *node.Node, h uint64, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for n.Chain().Snapshot().Height < h {
		if time.Now().After(deadline) {
			t.Fatalf("height %d after %v, want >= %d", n.Chain().Snapshot().Height, d, h)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestLifecycleNoLeak: a mining node on bbolt with an HTTP server on a
// free port starts, mines, serves, writes http.addr and a 0600 miner key,
// and after Close leaves no goroutine, no http.addr and a store that
// reopens at the same tip and passes the consistency check.
func TestLifecycleNoLeak(t *testing.T) {
	base := runtime.NumGoroutine()
	dir := t.TempDir()
	cfg := node.Config{DataDir: dir, Genesis: fastGenesis(t), HTTPAddr: "127.0.0.1:0", Mine: true, Logger: quietLogger(t)}
	n, err := node.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	addr := n.HTTPAddr()
	if addr == "" || strings.HasSuffix(addr, ":0") {
		t.Fatalf("bound address %q", addr)
	}
	b, err := os.ReadFile(filepath.Join(dir, node.HTTPAddrFile))
	if err != nil || strings.TrimSpace(string(b)) != addr {
		t.Fatalf("http.addr = %q (%v), want %q", b, err, addr)
	}
	fi, err := os.Stat(filepath.Join(dir, node.MinerKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("miner key mode %v, want 0600", fi.Mode().Perm())
	}
	cl, err := api.NewClient("http://"+addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitHeight(t, n, 3, 60*time.Second)
	st, err := cl.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Height < 3 || !st.Mining || st.Network != "dev-fast" {
		t.Errorf("status %+v", st)
	}
	minerAddr := n.Miner().Address()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil { // idempotent
		t.Fatal(err)
	}
	height := n.Chain().Snapshot().Height
	tip := n.Chain().Snapshot().Hash
	if _, err := os.Stat(filepath.Join(dir, node.HTTPAddrFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("http.addr left behind: %v", err)
	}
	if _, err := cl.Status(context.Background()); err == nil {
		t.Error("API still answers after Close")
	}
	cl = nil
	checkNoGoroutineLeak(t, base)

	// Restart: same tip, same miner key, consistent store. The data
	// directory remembers its network, so no genesis is given now.
	n2, err := node.Open(node.Config{DataDir: dir, Logger: quietLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer n2.Close()
	if s := n2.Chain().Snapshot(); s.Height != height || s.Hash != tip {
		t.Errorf("reopened at %d %s, closed at %d %s", s.Height, s.Hash, height, tip)
	}
	if m := n2.Miner(); m == nil || m.Address() != minerAddr {
		t.Error("miner key not reloaded")
	}
	if err := n2.Chain().CheckConsistency(); err != nil {
		t.Fatal(err)
	}
}

// TestDataDirGuards: a data directory refuses another network, and a
// second node on it fails fast with store.ErrLocked.
func TestDataDirGuards(t *testing.T) {
	dir := t.TempDir()
	n, err := node.Open(node.Config{DataDir: dir, Genesis: fastGenesis(t), Logger: quietLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = node.Open(node.Config{DataDir: dir, Logger: quietLogger(t)})
	if !errors.Is(err, store.ErrLocked) {
		t.Errorf("second node on the same directory: %v, want store.ErrLocked", err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	dev, err := node.DevGenesis()
	if err != nil {
		t.Fatal(err)
	}
	_, err = node.Open(node.Config{DataDir: dir, Genesis: dev, Logger: quietLogger(t)})
	if err == nil || !strings.Contains(err.Error(), "belongs to network") {
		t.Errorf("dev genesis on a dev-fast directory: %v", err)
	}
	if _, err := node.Open(node.Config{Logger: quietLogger(t)}); err == nil {
		t.Error("no data directory and not in memory: accepted")
	}
	if _, err := node.Open(node.Config{InMemory: true, Mine: true, Logger: quietLogger(t)}); err == nil {
		t.Error("mining without any address or key directory: accepted")
	}
}

// TestStartContextStopsNode: cancelling Start's context ends the node
// (Done), and Close then returns promptly without leaks.
func TestStartContextStopsNode(t *testing.T) {
	base := runtime.NumGoroutine()
	n, err := node.Open(node.Config{InMemory: true, Genesis: fastGenesis(t), MinerAddr: keys.Address{9}, Mine: true,
		HTTPAddr: "127.0.0.1:0", Logger: quietLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitHeight(t, n, 1, 60*time.Second)
	cancel()
	select {
	case <-n.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed after the start context ended")
	}
	if err := n.Err(); err != nil {
		t.Errorf("Err = %v after a normal stop", err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	checkNoGoroutineLeak(t, base)
}

// TestTxAdmission: SubmitTx admits a signed transfer and rejects a replay
// of it once a block consumed it (stale nonce), and PendingNonce counts
// the pending transfers.
func TestTxAdmission(t *testing.T) {
	g := fastGenesis(t)
	n, err := node.Open(node.Config{InMemory: true, Genesis: g, Logger: quietLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	f := consensus.DevFaucetKey()
	mk := func(nonce uint64) *types.Tx {
		tx := &types.Tx{Version: 1, ChainID: g.Params.ChainID, From: f.Address(), To: keys.Address{1}, Amount: 5, Fee: 1, Nonce: nonce}
		if err := tx.Sign(f); err != nil {
			t.Fatal(err)
		}
		return tx
	}
	tx0, tx1 := mk(0), mk(1)
	for _, tx := range []*types.Tx{tx0, tx1} {
		if _, err := n.SubmitTx(tx); err != nil {
			t.Fatal(err)
		}
	}
	if got := n.PendingNonce(f.Address()); got != 2 {
		t.Errorf("PendingNonce = %d, want 2", got)
	}
	if _, err := n.SubmitTx(tx0); !consensus.IsCode(err, consensus.ErrAlreadyKnown) {
		t.Errorf("resubmission: %v, want ErrAlreadyKnown", err)
	}
	b, res, err := n.GenerateBlock(context.Background(), keys.Address{2})
	if err != nil || !res.MainChain {
		t.Fatalf("GenerateBlock: %+v %v", res, err)
	}
	if len(b.Txs) != 3 {
		t.Fatalf("block has %d transactions, want coinbase + 2", len(b.Txs))
	}
	if n.Pool().Len() != 0 {
		t.Errorf("pool holds %d after the block", n.Pool().Len())
	}
	if _, err := n.SubmitTx(tx0); !consensus.IsCode(err, consensus.ErrStaleNonce) {
		t.Errorf("replay of a confirmed transfer: %v, want ErrStaleNonce", err)
	}
	if got := n.PendingNonce(f.Address()); got != 2 {
		t.Errorf("PendingNonce after the block = %d, want 2", got)
	}
}

// TestLossHistoryReplay: after a restart the node has evaluated only the
// tip, so the loss history of earlier heights is rebuilt by replay; it must
// equal the values the first node computed block by block.
func TestLossHistoryReplay(t *testing.T) {
	dir := t.TempDir()
	g := fastGenesis(t)
	n, err := node.Open(node.Config{DataDir: dir, Genesis: g, Logger: quietLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	const blocks = 40 // beyond two store snapshots (every 16 heights)
	want := []int64{n.EvalLoss(n.Chain().Snapshot())}
	for i := 0; i < blocks; i++ {
		if _, _, err := n.GenerateBlock(context.Background(), keys.Address{3}); err != nil {
			t.Fatal(err)
		}
		want = append(want, n.EvalLoss(n.Chain().Snapshot()))
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	n2, err := node.Open(node.Config{DataDir: dir, Logger: quietLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer n2.Close()
	got, err := n2.LossHistory(context.Background(), 0, blocks)
	if err != nil {
		t.Fatal(err)
	}
	for h := uint64(0); h <= blocks; h++ {
		hash, _ := n2.Chain().HashAtHeight(h)
		v, ok := got[hash]
		if !ok {
			t.Errorf("height %d: no eval loss", h)
			continue
		}
		if v != want[h] {
			t.Errorf("height %d: replayed eval loss %d, computed live %d", h, v, want[h])
		}
	}
	if want[blocks] >= want[0] {
		t.Errorf("eval loss did not fall over %d blocks: %d -> %d (Q8.24)", blocks, want[0], want[blocks])
	}
}
