// Package p2ptest builds in-process GradientCoin networks on libp2p's
// mocknet for tests (papers/gradientcoin.md section 10.3): nodes with
// their own chains (in-memory stores) and mempools on one genesis, linked
// and connected in a full mesh, with deterministic peer keys (tests only,
// as in go-libp2p's examples/echo). Other packages' tests use it without
// importing libp2p themselves.
package p2ptest

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
	"github.com/sketchwork/sketchwork/ledger/p2p"
	"github.com/sketchwork/sketchwork/ledger/pogw"
	"github.com/sketchwork/sketchwork/ledger/state"
	"github.com/sketchwork/sketchwork/ledger/store"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// SeedReader is an endless deterministic byte stream (SHA-256 in counter
// mode over a label), for deterministic peer keys in tests.
type SeedReader struct {
	Label string
	ctr   int
	buf   []byte
}

// Read implements io.Reader.
func (r *SeedReader) Read(p []byte) (int, error) {
	for i := range p {
		if len(r.buf) == 0 {
			s := sha256.Sum256([]byte(fmt.Sprintf("%s/%d", r.Label, r.ctr)))
			r.ctr++
			r.buf = s[:]
		}
		p[i], r.buf = r.buf[0], r.buf[1:]
	}
	return len(p), nil
}

// Peer is one node of a test network.
type Peer struct {
	Name  string
	Chain *chain.Chain
	Pool  *mempool.Pool
	Node  *p2p.Node
	Miner keys.Address
}

// Net is a mocknet network of Peers on one genesis.
type Net struct {
	T     testing.TB
	MN    mocknet.Mocknet
	Gen   *chaintest.Generator
	Peers []*Peer
}

// Options configure New.
type Options struct {
	// Config adjusts node i's p2p configuration before it is built.
	Config func(i int, c *p2p.Config)
}

// New builds n nodes on a chaintest genesis (FastParams), links and
// connects them in a full mesh, and starts them. Cleanup closes them.
// Status polls run every 300 ms, stalls are detected after 3 s and
// streams time out after 3 s, to keep tests short.
func New(t testing.TB, n int, opts Options) *Net {
	t.Helper()
	gen, err := chaintest.NewGenerator(chaintest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tn := &Net{T: t, MN: mocknet.New(), Gen: gen}
	t.Cleanup(func() {
		for _, x := range tn.Peers {
			_ = x.Node.Close()
		}
		_ = tn.MN.Close()
	})
	for i := 0; i < n; i++ {
		tn.Add(fmt.Sprintf("n%d", i), opts)
	}
	if err := tn.MN.LinkAll(); err != nil {
		t.Fatal(err)
	}
	if err := tn.MN.ConnectAllButSelf(); err != nil {
		t.Fatal(err)
	}
	for _, x := range tn.Peers {
		if err := x.Node.Start(); err != nil {
			t.Fatal(err)
		}
	}
	return tn
}

// Add creates a node named name (not linked, not started: call Join).
func (tn *Net) Add(name string, opts Options) *Peer {
	t := tn.T
	t.Helper()
	key, err := p2p.IdentityFromSeed(&SeedReader{Label: "p2p test peer " + name})
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := ma.NewMultiaddr(fmt.Sprintf("/ip4/100.64.0.%d/tcp/4001", len(tn.Peers)+1))
	h, err := tn.MN.AddPeer(key, addr)
	if err != nil {
		t.Fatal(err)
	}
	p := tn.Gen.Params
	pool := mempool.New(&p, mempool.Config{})
	ch, err := tn.Gen.OpenChain(store.NewMemory(), poolHook{pool})
	if err != nil {
		t.Fatal(err)
	}
	c := p2p.Config{Chain: ch, Pool: pool, StatusInterval: 300 * time.Millisecond, StallTimeout: 3 * time.Second,
		StreamTimeout: 3 * time.Second}
	if opts.Config != nil {
		opts.Config(len(tn.Peers), &c)
	}
	nd, err := p2p.New(c, h)
	if err != nil {
		t.Fatal(err)
	}
	x := &Peer{Name: name, Chain: ch, Pool: pool, Node: nd, Miner: chaintest.Key("miner " + name).Address()}
	tn.Peers = append(tn.Peers, x)
	return x
}

// Join links x to every node, starts it and connects it to the given
// nodes.
func (tn *Net) Join(x *Peer, to ...*Peer) {
	t := tn.T
	t.Helper()
	if err := tn.MN.LinkAll(); err != nil {
		t.Fatal(err)
	}
	if err := x.Node.Start(); err != nil {
		t.Fatal(err)
	}
	for _, y := range to {
		if _, err := tn.MN.ConnectPeers(x.Node.Host().ID(), y.Node.Host().ID()); err != nil {
			t.Fatal(err)
		}
	}
}

// poolHook keeps a pool in step with a chain.
type poolHook struct{ p *mempool.Pool }

func (h poolHook) BlockConnected(b *types.Block, v state.Reader)      { h.p.RemoveBlock(b, v) }
func (h poolHook) BlocksDisconnected(txs []*types.Tx, v state.Reader) { h.p.Readd(txs, v) }

// Mine mines one block on x's tip with x's pool transactions, as a miner
// would, and hands it to x's chain (the node then gossips it).
func (x *Peer) Mine(t testing.TB) *types.Block {
	t.Helper()
	snap := x.Chain.Snapshot()
	txs := x.Pool.Template(snap.State, 100, 64<<10)
	now := func() int64 { return snap.Header.Time + 1000 }
	m, err := x.Chain.Engine().Mine(context.Background(), snap.Template(x.Miner, txs), pogw.MineOptions{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	res, err := x.Chain.ProcessBlock(m.Block)
	if err != nil || res.Status != chain.Accepted {
		t.Fatalf("%s: own block: %v %v", x.Name, res.Status, err)
	}
	return m.Block
}

// Tip returns x's best tip hash.
func (x *Peer) Tip() hashx.Hash { return x.Chain.Snapshot().Hash }

// WaitFor polls cond every 20 ms until it holds, failing t after timeout.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Converged reports whether all the given nodes share one tip.
func Converged(xs ...*Peer) bool {
	for _, x := range xs[1:] {
		if x.Tip() != xs[0].Tip() {
			return false
		}
	}
	return true
}

// AllAt reports whether every node's tip is h.
func AllAt(h hashx.Hash, xs ...*Peer) bool {
	for _, x := range xs {
		if x.Tip() != h {
			return false
		}
	}
	return true
}

// IDs returns the peer IDs of the nodes with the given indices.
func (tn *Net) IDs(idx ...int) []string {
	var out []string
	for _, i := range idx {
		out = append(out, tn.Peers[i].Node.ID())
	}
	return out
}

// MeshReady waits until every node has a block-topic peer.
func (tn *Net) MeshReady(timeout time.Duration) {
	WaitFor(tn.T, timeout, "gossip mesh", func() bool {
		for _, x := range tn.Peers {
			if x.Node.TopicPeers() == 0 {
				return false
			}
		}
		return true
	})
}
