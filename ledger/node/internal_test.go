package node

import (
	"context"
	"log/slog"
	"testing"

	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/pogw"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// TestAdmissionBetweenHookAndPublish: the chain tells the pool about a new
// block before it publishes the snapshot. In that window a transaction the
// block consumed must not be admitted against the old snapshot. The test
// calls the pool hook by hand, which leaves the node exactly in that
// window.
func TestAdmissionBetweenHookAndPublish(t *testing.T) {
	g, err := FastDevGenesis()
	if err != nil {
		t.Fatal(err)
	}
	n, err := Open(Config{InMemory: true, Genesis: g, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	f := consensus.DevFaucetKey()
	tx := &types.Tx{Version: 1, ChainID: g.Params.ChainID, From: f.Address(), To: keys.Address{1}, Amount: 5, Fee: 1}
	if err := tx.Sign(f); err != nil {
		t.Fatal(err)
	}
	snap := n.chain.Snapshot()
	m, err := n.chain.Engine().Mine(context.Background(), snap.Template(keys.Address{2}, []*types.Tx{tx}), pogw.MineOptions{})
	if err != nil {
		t.Fatal(err)
	}
	poolHook{n}.BlockConnected(m.Block, m.State) // committed, not yet published
	if n.chain.Snapshot() != snap {
		t.Fatal("the snapshot moved")
	}
	if _, err := n.SubmitTx(tx); !consensus.IsCode(err, consensus.ErrStaleNonce) {
		t.Errorf("transaction consumed by the just-connected block: %v, want ErrStaleNonce", err)
	}
	if got := n.PendingNonce(f.Address()); got != 1 {
		t.Errorf("PendingNonce = %d in the window, want 1", got)
	}
	// Once the chain publishes (here: the block really arrives), the
	// snapshot is used again.
	if res, err := n.SubmitBlock(m.Block); err != nil || !res.MainChain {
		t.Fatalf("%+v %v", res, err)
	}
	n.txMu.Lock()
	v := n.txView()
	n.txMu.Unlock()
	if v != n.chain.Snapshot().State {
		t.Error("admission view is not the published snapshot's state after the publish")
	}
}
