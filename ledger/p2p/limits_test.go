package p2p

import (
	"bufio"
	"context"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	mocknet "github.com/libp2p/go-libp2p/p2p/net/mock"

	"github.com/sketchwork/sketchwork/ledger/chaintest"
	"github.com/sketchwork/sketchwork/ledger/store"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// newBare returns a started node and a bare mocknet host linked and
// connected to it; the host speaks the protocols by hand.
func newBare(t *testing.T, cfg func(c *Config)) (*Node, mocknet.Mocknet, host.Host) {
	return newBareWith(t, cfg, bareOpts{})
}

// newBareGenesis is newBare whose bare host reports another genesis when
// otherGenesis is set.
func newBareGenesis(t *testing.T, cfg func(c *Config), otherGenesis bool) (*Node, mocknet.Mocknet, host.Host) {
	return newBareWith(t, cfg, bareOpts{otherGenesis: otherGenesis})
}

// bareOpts shape the bare host's behaviour.
type bareOpts struct {
	otherGenesis bool
	// headers, if set, builds the headers the bare host serves (instead
	// of stalling).
	headers func(t *testing.T, g *chaintest.Generator) []types.Header
}

func newBareWith(t *testing.T, cfg func(c *Config), o bareOpts) (*Node, mocknet.Mocknet, host.Host) {
	otherGenesis := o.otherGenesis
	t.Helper()
	gen, err := chaintest.NewGenerator(chaintest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mn := mocknet.New()
	t.Cleanup(func() { _ = mn.Close() })
	h1, err := mn.GenPeer()
	if err != nil {
		t.Fatal(err)
	}
	h2, err := mn.GenPeer()
	if err != nil {
		t.Fatal(err)
	}
	ch, err := gen.OpenChain(store.NewMemory(), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := Config{Chain: ch, StatusInterval: 200 * time.Millisecond, StallTimeout: time.Second, StreamTimeout: 500 * time.Millisecond}
	if cfg != nil {
		cfg(&c)
	}
	n, err := New(c, h1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Close() })
	if err := mn.LinkAll(); err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	// The bare host claims a heavier chain and never answers headers.
	big1 := new(big.Int).Lsh(big.NewInt(1), 250)
	st := &Status{GenesisHash: ch.GenesisHash(), ProtoVersion: ProtoVersion, BestHash: [32]byte{9}, BestHeight: 99, ChainWork: big1}
	if otherGenesis {
		st.GenesisHash[0] ^= 1
	}
	h2.SetStreamHandler(n.proto.Status, func(s network.Stream) {
		defer s.Close()
		if _, err := readFrame(bufio.NewReader(s), MaxRequestSize); err != nil {
			_ = s.Reset()
			return
		}
		_ = writeFrame(s, st.encode())
	})
	var served []types.Header
	if o.headers != nil {
		served = o.headers(t, gen)
	}
	h2.SetStreamHandler(n.proto.Headers, func(s network.Stream) {
		if served == nil {
			time.Sleep(2 * time.Second) // stall
			_ = s.Reset()
			return
		}
		defer s.Close()
		if _, err := readFrame(bufio.NewReader(s), MaxRequestSize); err != nil {
			_ = s.Reset()
			return
		}
		_ = writeFrame(s, encodeHeaders(served))
	})
	if _, err := mn.ConnectPeers(h1.ID(), h2.ID()); err != nil {
		t.Fatal(err)
	}
	return n, mn, h2
}

// A peer that claims more work but never delivers is disconnected after
// StallTimeout.
func TestStalledPeerDisconnected(t *testing.T) {
	n, _, bare := newBare(t, nil)
	waitFor(t, 10*time.Second, "stalled peer disconnected", func() bool { return n.Stats().Stalls > 0 })
	waitFor(t, 5*time.Second, "connection closed", func() bool {
		return n.h.Network().Connectedness(bare.ID()) != network.Connected
	})
}

// Inbound requests beyond the per-peer token bucket are refused.
func TestRequestRateLimit(t *testing.T) {
	n, _, bare := newBare(t, func(c *Config) { c.StatusInterval = time.Hour })
	ok, refused := 0, 0
	for i := 0; i < 3*DefaultRequestRate; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		s, err := bare.NewStream(ctx, n.h.ID(), n.proto.Status)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if err := writeFrame(s, []byte{ProtoVersion}); err != nil {
			refused++
			_ = s.Reset()
			continue
		}
		_ = s.CloseWrite()
		if _, err := readFrame(bufio.NewReader(s), MaxStatusSize); err != nil {
			refused++
			_ = s.Reset()
		} else {
			ok++
			_ = s.Close()
		}
	}
	// A burst of DefaultRequestRate passes; the rest of a burst three
	// times that size (sent well within a second) mostly does not.
	if ok < DefaultRequestRate || ok > DefaultRequestRate+10 || refused == 0 {
		t.Fatalf("%d answered, %d refused; want about %d answered", ok, refused, DefaultRequestRate)
	}
	if n.Stats().RequestsRefused == 0 {
		t.Fatal("no refusal counted")
	}
}

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

// A peer on another genesis is disconnected after its first status.
func TestOtherGenesisDisconnected(t *testing.T) {
	n, _, bare := newBareGenesis(t, func(c *Config) { c.StallTimeout = time.Hour }, true)
	waitFor(t, 5*time.Second, "disconnect", func() bool {
		return n.h.Network().Connectedness(bare.ID()) != network.Connected
	})
	if n.Stats().Stalls != 0 {
		t.Fatal("disconnected as stalled, not for the genesis")
	}
}

// A peer that serves time-warped headers during headers-first sync (valid
// PoW, time not after the median time past) is banned.
func TestTimeWarpedHeadersBanned(t *testing.T) {
	warped := func(t *testing.T, g *chaintest.Generator) []types.Header {
		good, err := g.NextBlock("g1", "genesis")
		if err != nil {
			t.Fatal(err)
		}
		bad, err := g.NextBlock("w2", "g1", chaintest.WithTime(g.Genesis.Time))
		if err != nil {
			t.Fatal(err)
		}
		return []types.Header{good.Header, bad.Header}
	}
	n, _, bare := newBareWith(t, func(c *Config) { c.StallTimeout = time.Hour }, bareOpts{headers: warped})
	waitFor(t, 5*time.Second, "ban", func() bool { return n.Banned(bare.ID().String()) })
	found := false
	for _, b := range n.Bans() {
		found = found || (b.Peer == bare.ID().String() && strings.Contains(b.Reason, "ErrTimeTooOld"))
	}
	if !found {
		t.Fatalf("ban reason: %+v", n.Bans())
	}
}
