package chaintest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/sketchwork/sketchwork/ledger/chain"
	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/store"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// Node is what the vectors drive: a single chain in unit tests, or one
// node of a network in multi-node tests (submit to one node, read another
// after propagation).
type Node interface {
	// SubmitBlock hands a block to the node, as chain.ProcessBlock does.
	SubmitBlock(b *types.Block) (chain.Result, error)
	// Tip returns the node's best tip.
	Tip() (hashx.Hash, uint64)
	// Account returns an account at the node's tip.
	Account(addr keys.Address) types.Account
}

// ChainNode adapts a *chain.Chain to Node.
type ChainNode struct{ *chain.Chain }

// SubmitBlock implements Node.
func (n ChainNode) SubmitBlock(b *types.Block) (chain.Result, error) { return n.ProcessBlock(b) }

// Tip implements Node.
func (n ChainNode) Tip() (hashx.Hash, uint64) {
	s := n.Snapshot()
	return s.Hash, s.Height
}

// Account implements Node.
func (n ChainNode) Account(addr keys.Address) types.Account { return n.Snapshot().State.Account(addr) }

// OpenChain opens a chain for g's network over st with g's clock.
func (g *Generator) OpenChain(st store.Store, pool chain.TxPool) (*chain.Chain, error) {
	return chain.Open(chain.Config{Genesis: g.Genesis, Corpus: g.Engine.Corpus(), Store: st,
		Now: func() int64 { return g.Now }, Pool: pool})
}

// Step applies one instance to node and returns a description of the
// mismatch, or nil.
func Step(node Node, inst Instance) error {
	switch i := inst.(type) {
	case AcceptedBlock:
		res, err := node.SubmitBlock(i.Block)
		if err != nil || res.Status != chain.Accepted {
			return fmt.Errorf("got %v (%v), want accepted", res.Status, err)
		}
		if res.MainChain != i.MainChain {
			return fmt.Errorf("main chain %v, want %v", res.MainChain, i.MainChain)
		}
	case RejectedBlock:
		res, err := node.SubmitBlock(i.Block)
		code, ok := consensus.CodeOf(err)
		if res.Status != chain.Rejected || !ok || code != i.Code {
			return fmt.Errorf("got %v (%v), want rejected with %s", res.Status, err, i.Code)
		}
	case OrphanBlock:
		res, err := node.SubmitBlock(i.Block)
		if err != nil || res.Status != chain.Orphan {
			return fmt.Errorf("got %v (%v), want orphan", res.Status, err)
		}
	case DuplicateBlock:
		res, err := node.SubmitBlock(i.Block)
		if err != nil || res.Status != chain.Duplicate {
			return fmt.Errorf("got %v (%v), want duplicate", res.Status, err)
		}
	case RejectedBytes:
		if _, err := types.DecodeBlock(i.Bytes); err == nil {
			return errors.New("bytes decode")
		}
	case ExpectedTip:
		h, height := node.Tip()
		if h != i.Hash || height != i.Height {
			return fmt.Errorf("tip %s at %d, want %s at %d", h, height, i.Hash, i.Height)
		}
	case ExpectedAccount:
		if got := node.Account(i.Addr); got != i.Account {
			return fmt.Errorf("account %+v, want %+v", got, i.Account)
		}
	default:
		return fmt.Errorf("unknown instance type %T", inst)
	}
	return nil
}

// Run drives one Test on node, failing t at the first mismatch.
func Run(t testing.TB, node Node, test Test) {
	t.Helper()
	for k, inst := range test.Instances {
		if err := Step(node, inst); err != nil {
			t.Fatalf("%s: step %d (%s): %v", test.Name, k, inst.Label(), err)
		}
	}
}
