package p2p

import (
	"context"
	"testing"
	"time"

	"github.com/sketchwork/sketchwork/ledger/chain"
	"github.com/sketchwork/sketchwork/ledger/chaintest"
	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/pogw"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// Four nodes, two of them mining in turns: every block reaches every node
// by gossip (not only through the status backstop), and all end on one
// tip with the same state and model roots.
func TestConverge(t *testing.T) {
	tn := newTestNet(t, 4, func(i int, c *Config) { c.StatusInterval = time.Hour })
	a, b := tn.nodes[0], tn.nodes[2]
	waitFor(t, 5*time.Second, "gossip mesh", func() bool {
		for _, x := range tn.nodes {
			if len(x.node.ps.ListPeers(x.node.proto.BlockTopic)) == 0 {
				return false
			}
		}
		return true
	})
	for i := 0; i < 6; i++ {
		m := a
		if i%2 == 1 {
			m = b
		}
		blk := m.mine(t)
		waitFor(t, 10*time.Second, "block propagation", func() bool {
			for _, x := range tn.nodes {
				if x.tip() != blk.Hash() {
					return false
				}
			}
			return true
		})
	}
	s0 := tn.nodes[0].chain.Snapshot()
	if s0.Height != 6 {
		t.Fatalf("height %d, want 6", s0.Height)
	}
	for _, x := range tn.nodes {
		s := x.chain.Snapshot()
		if s.Header.StateRoot != s0.Header.StateRoot || s.Header.ModelRoot != s0.Header.ModelRoot {
			t.Fatalf("%s: roots differ", x.name)
		}
		if err := x.chain.CheckConsistency(); err != nil {
			t.Fatalf("%s: %v", x.name, err)
		}
	}
	var gossiped int64
	for _, x := range tn.nodes {
		gossiped += x.node.Stats().GossipBlocksAccepted
	}
	// 6 blocks reach 3 other nodes each; with the status poll off, gossip
	// alone must have carried them.
	if gossiped != 18 {
		t.Fatalf("gossip accepted %d blocks in total, want 18", gossiped)
	}
}

// A node that joins late syncs a 150-block chain headers-first from the
// status poll (no gossip of old blocks).
func TestLateJoinerSyncs(t *testing.T) {
	tn := newTestNet(t, 1, nil)
	a := tn.nodes[0]
	for i := 0; i < 150; i++ {
		a.mine(t)
	}
	late := tn.addNode("late", nil)
	if err := tn.mn.LinkAll(); err != nil {
		t.Fatal(err)
	}
	if err := late.node.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := tn.mn.ConnectPeers(late.node.h.ID(), a.node.h.ID()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "late joiner sync", func() bool { return converged(a, late) })
	st := late.node.Stats()
	// The newest few blocks may also arrive by gossip: the miner's node
	// publishes its last blocks once a topic peer appears.
	if st.SyncedHeaders < 140 || st.SyncedBlocks < 140 || st.SyncedBlocks+st.GossipBlocksAccepted != 150 {
		t.Fatalf("synced %d headers, %d blocks, %d by gossip; want >= 140, >= 140, sum 150",
			st.SyncedHeaders, st.SyncedBlocks, st.GossipBlocksAccepted)
	}
	if err := late.chain.CheckConsistency(); err != nil {
		t.Fatal(err)
	}
}

// Partition 2+2 with a miner on each side and the same sender nonce spent
// differently on each side; the side with more work wins after the heal,
// exactly one conflicting transaction survives and the losing side's other
// transaction returns to the pools and is mined again.
func TestPartitionHealReorg(t *testing.T) {
	tn := newTestNet(t, 4, nil)
	g := tn.gen
	n0, n1, n2, n3 := tn.nodes[0], tn.nodes[1], tn.nodes[2], tn.nodes[3]
	faucet := g.Faucet
	carol := chaintest.Key("carol")
	fund := g.Tx(faucet, carol.Address(), 100*consensus.Coin, 10, 0)
	if _, err := n0.pool.Add(fund, n0.chain.Snapshot().State); err != nil {
		t.Fatal(err)
	}
	n0.mine(t)
	waitFor(t, 10*time.Second, "initial convergence", func() bool { return converged(tn.nodes...) })

	if err := n0.node.Partition(tn.ids(2, 3)); err != nil {
		t.Fatal(err)
	}
	_ = n1.node.Partition(tn.ids(2, 3))
	_ = n2.node.Partition(tn.ids(0, 1))
	_ = n3.node.Partition(tn.ids(0, 1))
	waitFor(t, 5*time.Second, "partition", func() bool {
		return n0.node.PeerCount() == 1 && n2.node.PeerCount() == 1
	})

	nonce := n0.chain.Snapshot().State.Account(faucet.Address()).Nonce
	alice, bob, dave := chaintest.Key("alice").Address(), chaintest.Key("bob").Address(), chaintest.Key("dave").Address()
	txA := g.Tx(faucet, alice, 5*consensus.Coin, 10, nonce)
	txB := g.Tx(faucet, bob, 7*consensus.Coin, 10, nonce)
	// A non-conflicting transfer on the losing side, from another sender.
	txC := g.Tx(carol, dave, 3*consensus.Coin, 10, 0)
	for _, tx := range []*types.Tx{txA, txC} {
		if _, err := n0.pool.Add(tx, n0.chain.Snapshot().State); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := n2.pool.Add(txB, n2.chain.Snapshot().State); err != nil {
		t.Fatal(err)
	}
	sideA := n0.mine(t)
	if len(sideA.Txs) != 3 {
		t.Fatalf("side A block has %d txs, want coinbase + txA + txC", len(sideA.Txs))
	}
	for i := 0; i < 3; i++ {
		n2.mine(t)
	}
	waitFor(t, 10*time.Second, "sides converge internally", func() bool {
		return converged(n0, n1) && converged(n2, n3)
	})
	if n0.tip() == n2.tip() {
		t.Fatal("partition did not separate the sides")
	}
	winner := n2.tip()

	for _, x := range tn.nodes {
		x.node.Heal()
	}
	waitFor(t, 15*time.Second, "convergence after heal", func() bool { return converged(tn.nodes...) })
	if tn.nodes[0].tip() != winner {
		t.Fatal("nodes converged on the lighter side")
	}
	// Exactly one of the conflicting spends survives: txB is on the main
	// chain, txA is neither on it nor minable any more.
	for _, x := range tn.nodes {
		if _, ok, _ := x.chain.TxLocation(txB.ID()); !ok {
			t.Fatalf("%s: txB not on the main chain", x.name)
		}
		if _, ok, _ := x.chain.TxLocation(txA.ID()); ok {
			t.Fatalf("%s: txA on the main chain", x.name)
		}
	}
	if n0.pool.Has(txA.ID()) {
		t.Fatal("conflicting txA still pending after the reorg")
	}
	if got := n0.chain.Snapshot().State.Account(bob).Balance; got != 7*consensus.Coin {
		t.Fatalf("bob has %d", got)
	}
	// The losing side's non-conflicting transfer is pending again and is
	// mined on the winning chain.
	if !n0.pool.Has(txC.ID()) {
		t.Fatal("txC did not return to the pool")
	}
	blk := n0.mine(t)
	waitFor(t, 10*time.Second, "re-mined block propagates", func() bool {
		for _, x := range tn.nodes {
			if x.tip() != blk.Hash() {
				return false
			}
		}
		return true
	})
	for _, x := range tn.nodes {
		if _, ok, _ := x.chain.TxLocation(txC.ID()); !ok {
			t.Fatalf("%s: txC not re-mined", x.name)
		}
		if got := x.chain.Snapshot().State.Account(dave).Balance; got != 3*consensus.Coin {
			t.Fatalf("%s: dave has %d", x.name, got)
		}
	}
}

// A peer that gossips a block with valid proof of work but a wrong model
// root, and one that gossips garbage, is rejected and banned; honest nodes
// keep their tip and keep converging.
func TestInvalidBlockBansSender(t *testing.T) {
	tn := newTestNet(t, 3, nil)
	h0, h1, evil := tn.nodes[0], tn.nodes[1], tn.nodes[2]
	h0.mine(t)
	waitFor(t, 10*time.Second, "initial convergence", func() bool { return converged(tn.nodes...) })
	before := h0.tip()

	// Build a block on the tip with a wrong ModelRoot and solve its PoW.
	snap := evil.chain.Snapshot()
	now := func() int64 { return snap.Header.Time + 1000 }
	m, err := evil.chain.Engine().Mine(context.Background(), snap.Template(evil.miner, nil), pogw.MineOptions{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	bad := chaintest.Clone(m.Block)
	bad.Header.ModelRoot[0] ^= 1
	if _, err := pogw.Grind(context.Background(), &bad.Header, now, snap.MTP, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "gossip mesh", func() bool {
		return len(evil.node.ps.ListPeers(evil.node.proto.BlockTopic)) >= 2
	})
	if err := evil.node.PublishRaw("blocks", EncodeBlockMsg(bad)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "ban", func() bool {
		return h0.node.Banned(evil.node.ID()) && h1.node.Banned(evil.node.ID())
	})
	if h0.tip() != before || h1.tip() != before {
		t.Fatal("an honest node moved to the invalid block")
	}
	if info, ok := h0.chain.BlockInfo(bad.Hash()); ok && info.MainChain {
		t.Fatal("invalid block on the main chain")
	}
	waitFor(t, 5*time.Second, "evil disconnected", func() bool { return h0.node.PeerCount() == 1 })
	// Honest nodes keep converging.
	blk := h1.mine(t)
	waitFor(t, 10*time.Second, "honest convergence", func() bool { return h0.tip() == blk.Hash() })
	if h0.node.Stats().GossipBlocksRejected == 0 {
		t.Fatal("no rejection counted")
	}
	_ = types.Header{}
	_ = keys.Address{}
	_ = chain.Accepted
}
