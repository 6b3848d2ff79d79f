//go:build evil

package evil

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sketchwork/sketchwork/ledger/chain"
	"github.com/sketchwork/sketchwork/ledger/chaintest"
	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/p2p"
	"github.com/sketchwork/sketchwork/ledger/p2p/p2ptest"
)

// setup builds two honest nodes and an attacker node, with a short chain
// that every node has.
func setup(t *testing.T) (*p2ptest.Net, *Attacker) {
	tn := p2ptest.New(t, 3, p2ptest.Options{})
	for i := 0; i < 3; i++ {
		tn.Peers[0].Mine(t)
	}
	p2ptest.WaitFor(t, 10*time.Second, "initial convergence", func() bool { return p2ptest.Converged(tn.Peers...) })
	ev := tn.Peers[2]
	a := &Attacker{Chain: ev.Chain, Node: ev.Node, Miner: chaintest.Key("evil").Address(), Key: chaintest.Key("evil"),
		// The test chains run on the generator's clock.
		Now: func() int64 { return tn.Gen.Now }}
	return tn, a
}

// craft returns a mode's messages, advancing the chain once for modes
// that need a tip mined by someone else.
func craft(t *testing.T, tn *p2ptest.Net, a *Attacker, mode Mode) []Message {
	ctx := context.Background()
	msgs, err := a.Craft(ctx, mode)
	if errors.Is(err, ErrNotReady) {
		tn.Peers[0].Mine(t)
		p2ptest.WaitFor(t, 10*time.Second, "convergence", func() bool { return p2ptest.Converged(tn.Peers...) })
		msgs, err = a.Craft(ctx, mode)
	}
	if err != nil {
		t.Fatalf("%s: %v", mode, err)
	}
	return msgs
}

// Every crafted block breaks exactly the rule its mode names when handed to
// an honest chain directly (or is a harmless duplicate for the replay).
func TestCraftedBlocksBreakTheirRule(t *testing.T) {
	tn, a := setup(t)
	h := tn.Peers[1]
	for _, mode := range AllModes {
		for _, m := range craft(t, tn, a, mode) {
			if m.Block == nil {
				continue
			}
			// What goes on the wire is the block checked here.
			if !bytes.Equal(m.Data, p2p.EncodeBlockMsg(m.Block)) {
				t.Errorf("%s: message bytes differ from the crafted block", mode)
			}
			if mode == CopyUpdate {
				// A sibling of the tip: the chain stores side branches after
				// the cheap checks, so check the update as the relay does.
				w, err := h.Chain.WeightsAt(m.Block.Header.PrevHash)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := h.Chain.Engine().VerifyUpdate(w, &m.Block.Header); !consensus.IsCode(err, m.Expect) {
					t.Errorf("%s: update check: %v, want %v", mode, err, m.Expect)
				}
				continue
			}
			res, err := h.Chain.ProcessBlock(m.Block)
			if m.Expect == consensus.ErrDuplicateBlock {
				if err != nil || res.Status != chain.Duplicate {
					t.Errorf("%s: replay: %v %v", mode, res.Status, err)
				}
				continue
			}
			if code, _ := consensus.CodeOf(err); code != m.Expect {
				t.Errorf("%s: got %v (%v), want %v", mode, res.Status, err, m.Expect)
			}
		}
	}
}

// Each mode, on a fresh network: the honest nodes never put an attacker
// block on their main chain, ban the attacker, and keep converging.
func TestModesAreBanned(t *testing.T) {
	modes := AllModes
	if testing.Short() {
		modes = []Mode{BadModel, CopyUpdate, Garbage}
	}
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			tn, a := setup(t)
			h0, h1 := tn.Peers[0], tn.Peers[1]
			tn.MeshReady(5 * time.Second)
			evilID := a.Node.ID()
			var sent []Message
			banned := func() bool { return h0.Node.Banned(evilID) && h1.Node.Banned(evilID) }
			for round := 0; round < 6 && !banned(); round++ {
				msgs := craft(t, tn, a, mode)
				for _, m := range msgs {
					_ = a.Send(context.Background(), m)
					sent = append(sent, m)
				}
				deadline := time.Now().Add(2 * time.Second)
				for !banned() && time.Now().Before(deadline) {
					time.Sleep(20 * time.Millisecond)
				}
			}
			if !banned() {
				t.Fatalf("attacker not banned by both honest nodes (h0 %v, h1 %v)",
					h0.Node.Banned(evilID), h1.Node.Banned(evilID))
			}
			for _, m := range sent {
				if m.Block == nil {
					continue
				}
				for _, h := range []*p2ptest.Peer{h0, h1} {
					if info, ok := h.Chain.BlockInfo(m.Block.Hash()); ok && info.MainChain && m.Punishable {
						t.Fatalf("%s put an attacker block on its main chain", h.Name)
					}
				}
			}
			blk := h1.Mine(t)
			p2ptest.WaitFor(t, 10*time.Second, "honest convergence", func() bool { return p2ptest.AllAt(blk.Hash(), h0, h1) })
			if h0.Chain.Snapshot().Header.Miner == a.Miner {
				t.Fatal("attacker block at the honest tip")
			}
		})
	}
}

// Attack blocks that arrive after the honest tip moved on fork off the
// main chain one block below the tip: the chain would store them as a side
// branch after the cheap checks, so the relay's own check must catch the
// overpaying coinbase and the bad updates (and ban the sender).
func TestStaleAttackBlocksBanned(t *testing.T) {
	for _, mode := range []Mode{Overpay, BadModel, BadLoss, Saturate} {
		t.Run(string(mode), func(t *testing.T) {
			tn, a := setup(t)
			h0, h1 := tn.Peers[0], tn.Peers[1]
			tn.MeshReady(5 * time.Second)
			msgs := craft(t, tn, a, mode)
			blk := h0.Mine(t)
			p2ptest.WaitFor(t, 10*time.Second, "honest block everywhere", func() bool {
				return p2ptest.AllAt(blk.Hash(), tn.Peers...)
			})
			for _, m := range msgs {
				if err := a.Send(context.Background(), m); err != nil {
					t.Fatal(err)
				}
			}
			evilID := a.Node.ID()
			p2ptest.WaitFor(t, 5*time.Second, "ban of the stale attacker", func() bool {
				return h0.Node.Banned(evilID) && h1.Node.Banned(evilID)
			})
			if h0.Tip() != blk.Hash() || h1.Tip() != blk.Hash() {
				t.Fatal("honest tip moved")
			}
		})
	}
}
