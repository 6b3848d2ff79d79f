package p2p

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	mocknet "github.com/libp2p/go-libp2p/p2p/net/mock"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/sketchwork/sketchwork/ledger/chain"
	"github.com/sketchwork/sketchwork/ledger/chaintest"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/mempool"
	"github.com/sketchwork/sketchwork/ledger/pogw"
	"github.com/sketchwork/sketchwork/ledger/state"
	"github.com/sketchwork/sketchwork/ledger/store"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// seedReader is an endless deterministic byte stream: SHA-256 in counter
// mode over a label (deterministic peer keys, tests only).
type seedReader struct {
	label string
	ctr   int
	buf   []byte
}

func (r *seedReader) Read(p []byte) (int, error) {
	for i := range p {
		if len(r.buf) == 0 {
			s := sha256.Sum256([]byte(fmt.Sprintf("%s/%d", r.label, r.ctr)))
			r.ctr++
			r.buf = s[:]
		}
		p[i], r.buf = r.buf[0], r.buf[1:]
	}
	return len(p), nil
}

// tnode is one node of an in-process test network.
type tnode struct {
	name  string
	chain *chain.Chain
	pool  *mempool.Pool
	node  *Node
	miner keys.Address
}

// testNet is a mocknet network of nodes with their own chains (in-memory
// stores) on one genesis.
type testNet struct {
	t     *testing.T
	mn    mocknet.Mocknet
	gen   *chaintest.Generator
	nodes []*tnode
}

// newTestNet builds n linked and connected nodes and starts them.
func newTestNet(t *testing.T, n int, cfg func(i int, c *Config)) *testNet {
	t.Helper()
	gen, err := chaintest.NewGenerator(chaintest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tn := &testNet{t: t, mn: mocknet.New(), gen: gen}
	t.Cleanup(func() {
		for _, x := range tn.nodes {
			_ = x.node.Close()
		}
		_ = tn.mn.Close()
	})
	for i := 0; i < n; i++ {
		tn.addNode(fmt.Sprintf("n%d", i), cfg)
	}
	if err := tn.mn.LinkAll(); err != nil {
		t.Fatal(err)
	}
	if err := tn.mn.ConnectAllButSelf(); err != nil {
		t.Fatal(err)
	}
	for _, x := range tn.nodes {
		if err := x.node.Start(); err != nil {
			t.Fatal(err)
		}
	}
	return tn
}

// addNode creates a node (not linked, not started).
func (tn *testNet) addNode(name string, cfg func(i int, c *Config)) *tnode {
	t := tn.t
	key, err := IdentityFromSeed(&seedReader{label: "p2p test peer " + name})
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := ma.NewMultiaddr(fmt.Sprintf("/ip4/100.64.0.%d/tcp/4001", len(tn.nodes)+1))
	h, err := tn.mn.AddPeer(key, addr)
	if err != nil {
		t.Fatal(err)
	}
	p := tn.gen.Params
	pool := mempool.New(&p, mempool.Config{})
	ch, err := tn.gen.OpenChain(store.NewMemory(), mempoolHook{pool})
	if err != nil {
		t.Fatal(err)
	}
	c := Config{Chain: ch, Pool: pool, StatusInterval: 300 * time.Millisecond, StallTimeout: 3 * time.Second,
		StreamTimeout: 3 * time.Second}
	if cfg != nil {
		cfg(len(tn.nodes), &c)
	}
	nd, err := New(c, h)
	if err != nil {
		t.Fatal(err)
	}
	x := &tnode{name: name, chain: ch, pool: pool, node: nd, miner: chaintest.Key("miner " + name).Address()}
	tn.nodes = append(tn.nodes, x)
	return x
}

// mempoolHook keeps a pool in step with a chain.
type mempoolHook struct{ p *mempool.Pool }

func (h mempoolHook) BlockConnected(b *types.Block, v state.Reader) { h.p.RemoveBlock(b, v) }
func (h mempoolHook) BlocksDisconnected(txs []*types.Tx, v state.Reader) {
	h.p.Readd(txs, v)
}

// mine mines one block on x's tip with x's pool transactions, as a miner
// would, and hands it to x's chain (the node then gossips it).
func (x *tnode) mine(t *testing.T) *types.Block {
	t.Helper()
	snap := x.chain.Snapshot()
	txs := x.pool.Template(snap.State, 100, 64<<10)
	now := func() int64 { return snap.Header.Time + 1000 }
	m, err := x.chain.Engine().Mine(context.Background(), snap.Template(x.miner, txs), pogw.MineOptions{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	res, err := x.chain.ProcessBlock(m.Block)
	if err != nil || res.Status != chain.Accepted {
		t.Fatalf("%s: own block: %v %v", x.name, res.Status, err)
	}
	return m.Block
}

func (x *tnode) tip() hashx.Hash { return x.chain.Snapshot().Hash }

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// converged reports whether all the given nodes share one tip.
func converged(xs ...*tnode) bool {
	for _, x := range xs[1:] {
		if x.tip() != xs[0].tip() {
			return false
		}
	}
	return true
}

func (tn *testNet) ids(idx ...int) []string {
	var out []string
	for _, i := range idx {
		out = append(out, tn.nodes[i].node.ID())
	}
	return out
}
