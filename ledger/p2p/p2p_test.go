package p2p_test

import (
	"context"
	"testing"
	"time"

	"github.com/sketchwork/sketchwork/ledger/chain"
	"github.com/sketchwork/sketchwork/ledger/chaintest"
	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/p2p"
	"github.com/sketchwork/sketchwork/ledger/p2p/p2ptest"
	"github.com/sketchwork/sketchwork/ledger/pogw"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// Four nodes, two of them mining in turns: every block reaches every node
// by gossip (not only through the status backstop), and all end on one
// tip with the same state and model roots.
func TestConverge(t *testing.T) {
	tn := p2ptest.New(t, 4, p2ptest.Options{Config: func(i int, c *p2p.Config) { c.StatusInterval = time.Hour }})
	a, b := tn.Peers[0], tn.Peers[2]
	tn.MeshReady(5 * time.Second)
	for i := 0; i < 6; i++ {
		m := a
		if i%2 == 1 {
			m = b
		}
		blk := m.Mine(t)
		p2ptest.WaitFor(t, 10*time.Second, "block propagation", func() bool {
			for _, x := range tn.Peers {
				if x.Tip() != blk.Hash() {
					return false
				}
			}
			return true
		})
	}
	s0 := tn.Peers[0].Chain.Snapshot()
	if s0.Height != 6 {
		t.Fatalf("height %d, want 6", s0.Height)
	}
	for _, x := range tn.Peers {
		s := x.Chain.Snapshot()
		if s.Header.StateRoot != s0.Header.StateRoot || s.Header.ModelRoot != s0.Header.ModelRoot {
			t.Fatalf("%s: roots differ", x.Name)
		}
		if err := x.Chain.CheckConsistency(); err != nil {
			t.Fatalf("%s: %v", x.Name, err)
		}
	}
	var gossiped int64
	for _, x := range tn.Peers {
		gossiped += x.Node.Stats().GossipBlocksAccepted
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
	tn := p2ptest.New(t, 1, p2ptest.Options{})
	a := tn.Peers[0]
	for i := 0; i < 150; i++ {
		a.Mine(t)
	}
	late := tn.Add("late", p2ptest.Options{})
	tn.Join(late, a)
	p2ptest.WaitFor(t, 20*time.Second, "late joiner sync", func() bool { return p2ptest.Converged(a, late) })
	st := late.Node.Stats()
	// The newest few blocks may also arrive by gossip: the miner's node
	// publishes its last blocks once a topic peer appears.
	if st.SyncedHeaders < 140 || st.SyncedBlocks < 140 || st.SyncedBlocks+st.GossipBlocksAccepted != 150 {
		t.Fatalf("synced %d headers, %d blocks, %d by gossip; want >= 140, >= 140, sum 150",
			st.SyncedHeaders, st.SyncedBlocks, st.GossipBlocksAccepted)
	}
	if err := late.Chain.CheckConsistency(); err != nil {
		t.Fatal(err)
	}
}

// Partition 2+2 with a miner on each side and the same sender nonce spent
// differently on each side; the side with more work wins after the heal,
// exactly one conflicting transaction survives and the losing side's other
// transaction returns to the pools and is mined again.
func TestPartitionHealReorg(t *testing.T) {
	tn := p2ptest.New(t, 4, p2ptest.Options{})
	g := tn.Gen
	n0, n1, n2, n3 := tn.Peers[0], tn.Peers[1], tn.Peers[2], tn.Peers[3]
	faucet := g.Faucet
	carol := chaintest.Key("carol")
	fund := g.Tx(faucet, carol.Address(), 100*consensus.Coin, 10, 0)
	if _, err := n0.Pool.Add(fund, n0.Chain.Snapshot().State); err != nil {
		t.Fatal(err)
	}
	n0.Mine(t)
	p2ptest.WaitFor(t, 10*time.Second, "initial convergence", func() bool { return p2ptest.Converged(tn.Peers...) })

	if err := n0.Node.Partition(tn.IDs(2, 3)); err != nil {
		t.Fatal(err)
	}
	_ = n1.Node.Partition(tn.IDs(2, 3))
	_ = n2.Node.Partition(tn.IDs(0, 1))
	_ = n3.Node.Partition(tn.IDs(0, 1))
	p2ptest.WaitFor(t, 5*time.Second, "partition", func() bool {
		return n0.Node.PeerCount() == 1 && n2.Node.PeerCount() == 1
	})

	nonce := n0.Chain.Snapshot().State.Account(faucet.Address()).Nonce
	alice, bob, dave := chaintest.Key("alice").Address(), chaintest.Key("bob").Address(), chaintest.Key("dave").Address()
	txA := g.Tx(faucet, alice, 5*consensus.Coin, 10, nonce)
	txB := g.Tx(faucet, bob, 7*consensus.Coin, 10, nonce)
	// A non-conflicting transfer on the losing side, from another sender.
	txC := g.Tx(carol, dave, 3*consensus.Coin, 10, 0)
	for _, tx := range []*types.Tx{txA, txC} {
		if _, err := n0.Pool.Add(tx, n0.Chain.Snapshot().State); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := n2.Pool.Add(txB, n2.Chain.Snapshot().State); err != nil {
		t.Fatal(err)
	}
	sideA := n0.Mine(t)
	if len(sideA.Txs) != 3 {
		t.Fatalf("side A block has %d txs, want coinbase + txA + txC", len(sideA.Txs))
	}
	for i := 0; i < 3; i++ {
		n2.Mine(t)
	}
	p2ptest.WaitFor(t, 10*time.Second, "sides converge internally", func() bool {
		return p2ptest.Converged(n0, n1) && p2ptest.Converged(n2, n3)
	})
	if n0.Tip() == n2.Tip() {
		t.Fatal("partition did not separate the sides")
	}
	winner := n2.Tip()

	for _, x := range tn.Peers {
		x.Node.Heal()
	}
	p2ptest.WaitFor(t, 15*time.Second, "convergence after heal", func() bool { return p2ptest.Converged(tn.Peers...) })
	if tn.Peers[0].Tip() != winner {
		t.Fatal("nodes converged on the lighter side")
	}
	p2ptest.WaitFor(t, 5*time.Second, "reorg counted", func() bool {
		st := n0.Node.Stats()
		return st.Reorgs >= 1 && st.MaxReorgDepth == 1
	})
	// Exactly one of the conflicting spends survives: txB is on the main
	// chain, txA is neither on it nor minable any more.
	for _, x := range tn.Peers {
		if _, ok, _ := x.Chain.TxLocation(txB.ID()); !ok {
			t.Fatalf("%s: txB not on the main chain", x.Name)
		}
		if _, ok, _ := x.Chain.TxLocation(txA.ID()); ok {
			t.Fatalf("%s: txA on the main chain", x.Name)
		}
	}
	if n0.Pool.Has(txA.ID()) {
		t.Fatal("conflicting txA still pending after the reorg")
	}
	if got := n0.Chain.Snapshot().State.Account(bob).Balance; got != 7*consensus.Coin {
		t.Fatalf("bob has %d", got)
	}
	// The losing side's non-conflicting transfer is pending again and is
	// mined on the winning chain.
	if !n0.Pool.Has(txC.ID()) {
		t.Fatal("txC did not return to the pool")
	}
	blk := n0.Mine(t)
	p2ptest.WaitFor(t, 10*time.Second, "re-mined block propagates", func() bool {
		for _, x := range tn.Peers {
			if x.Tip() != blk.Hash() {
				return false
			}
		}
		return true
	})
	for _, x := range tn.Peers {
		if _, ok, _ := x.Chain.TxLocation(txC.ID()); !ok {
			t.Fatalf("%s: txC not re-mined", x.Name)
		}
		if got := x.Chain.Snapshot().State.Account(dave).Balance; got != 3*consensus.Coin {
			t.Fatalf("%s: dave has %d", x.Name, got)
		}
	}
}

// A peer that gossips a block with valid proof of work but a wrong model
// root, and one that gossips garbage, is rejected and banned; honest nodes
// keep their tip and keep converging.
func TestInvalidBlockBansSender(t *testing.T) {
	tn := p2ptest.New(t, 3, p2ptest.Options{})
	h0, h1, evil := tn.Peers[0], tn.Peers[1], tn.Peers[2]
	h0.Mine(t)
	p2ptest.WaitFor(t, 10*time.Second, "initial convergence", func() bool { return p2ptest.Converged(tn.Peers...) })
	before := h0.Tip()

	// Build a block on the tip with a wrong ModelRoot and solve its PoW.
	snap := evil.Chain.Snapshot()
	now := func() int64 { return snap.Header.Time + 1000 }
	m, err := evil.Chain.Engine().Mine(context.Background(), snap.Template(evil.Miner, nil), pogw.MineOptions{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	bad := chaintest.Clone(m.Block)
	bad.Header.ModelRoot[0] ^= 1
	if _, err := pogw.Grind(context.Background(), &bad.Header, now, snap.MTP, 0); err != nil {
		t.Fatal(err)
	}
	p2ptest.WaitFor(t, 5*time.Second, "gossip mesh", func() bool {
		return evil.Node.TopicPeers() >= 2
	})
	if err := evil.Node.PublishRaw("blocks", p2p.EncodeBlockMsg(bad)); err != nil {
		t.Fatal(err)
	}
	p2ptest.WaitFor(t, 5*time.Second, "ban", func() bool {
		return h0.Node.Banned(evil.Node.ID()) && h1.Node.Banned(evil.Node.ID())
	})
	if h0.Tip() != before || h1.Tip() != before {
		t.Fatal("an honest node moved to the invalid block")
	}
	// Gossipsub's own score of the sender went negative as well.
	p2ptest.WaitFor(t, 5*time.Second, "negative gossip score", func() bool {
		s, ok := h0.Node.GossipScores()[evil.Node.ID()]
		return ok && s < 0
	})
	if info, ok := h0.Chain.BlockInfo(bad.Hash()); ok && info.MainChain {
		t.Fatal("invalid block on the main chain")
	}
	p2ptest.WaitFor(t, 5*time.Second, "evil disconnected", func() bool { return h0.Node.PeerCount() == 1 })
	// Honest nodes keep converging.
	blk := h1.Mine(t)
	p2ptest.WaitFor(t, 10*time.Second, "honest convergence", func() bool { return h0.Tip() == blk.Hash() })
	if h0.Node.Stats().GossipBlocksRejected == 0 {
		t.Fatal("no rejection counted")
	}
	_ = types.Header{}
	_ = keys.Address{}
	_ = chain.Accepted
}

// A late joiner connected to three synced peers downloads bodies from
// more than one of them (up to 3 peers share the download).
func TestSyncFromSeveralPeers(t *testing.T) {
	tn := p2ptest.New(t, 3, p2ptest.Options{})
	for i := 0; i < 200; i++ {
		tn.Peers[0].Mine(t)
	}
	p2ptest.WaitFor(t, 20*time.Second, "seed nodes converge", func() bool { return p2ptest.Converged(tn.Peers...) })
	seeds := append([]*p2ptest.Peer(nil), tn.Peers...)
	late := tn.Add("late", p2ptest.Options{})
	tn.Join(late, seeds...)
	p2ptest.WaitFor(t, 20*time.Second, "late joiner sync", func() bool { return p2ptest.Converged(tn.Peers...) })
	st := late.Node.Stats()
	if st.HelperBatches == 0 {
		t.Fatalf("no batch came from a helper peer: %+v", st)
	}
	if err := late.Chain.CheckConsistency(); err != nil {
		t.Fatal(err)
	}
}
