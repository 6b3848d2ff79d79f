package p2p

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/sketchwork/sketchwork/ledger/chain"
	"github.com/sketchwork/sketchwork/ledger/hashx"
)

// errRefused reports an inbound request refused by the per-peer limits.
var errRefused = errors.New("p2p: request refused (rate or stream limit)")

// admit applies the per-peer limits to an inbound request: at most
// DefaultMaxStreamsPerPeer concurrent streams and a token bucket of
// DefaultRequestRate requests per second (burst of the same size).
func (n *Node) admit(p peer.ID) bool {
	now := n.cfg.Now()
	n.mu.Lock()
	defer n.mu.Unlock()
	st := n.peerLocked(p)
	if st.streams >= DefaultMaxStreamsPerPeer {
		return false
	}
	if st.tokensAt.IsZero() {
		st.tokens = DefaultRequestRate
	} else {
		st.tokens = min(DefaultRequestRate, st.tokens+now.Sub(st.tokensAt).Seconds()*DefaultRequestRate)
	}
	st.tokensAt = now
	if st.tokens < 1 {
		return false
	}
	st.tokens--
	st.streams++
	return true
}

func (n *Node) release(p peer.ID) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if st := n.peers[p]; st != nil && st.streams > 0 {
		st.streams--
	}
}

func (n *Node) peerLocked(p peer.ID) *peerState {
	st := n.peers[p]
	if st == nil {
		st = &peerState{}
		n.peers[p] = st
	}
	return st
}

// wrapHandler turns a request handler into a stream handler: limits,
// the stream deadline, the bounded request read, and closing (or, on any
// failure, resetting) the stream. Malformed and oversize requests cost the
// sender PenaltyMalformed.
func (n *Node) wrapHandler(h func(p peer.ID, req []byte) ([]byte, error)) network.StreamHandler {
	return func(s network.Stream) {
		p := s.Conn().RemotePeer()
		if n.bans.banned(p) || !n.admit(p) {
			n.stats.requestsRefused.Add(1)
			_ = s.Reset()
			return
		}
		defer n.release(p)
		ctx, cancel := context.WithTimeout(n.ctx, n.cfg.StreamTimeout)
		defer cancel()
		_ = s.SetDeadline(time.Now().Add(n.cfg.StreamTimeout))
		stop := context.AfterFunc(ctx, func() { _ = s.Reset() })
		defer stop()
		req, err := readFrame(bufio.NewReader(s), MaxRequestSize)
		if err != nil {
			if errors.Is(err, ErrFrameTooLarge) {
				n.penalize(p, PenaltyMalformed, "oversize request: "+err.Error())
			}
			_ = s.Reset()
			return
		}
		resp, err := h(p, req)
		if err != nil {
			n.penalize(p, PenaltyMalformed, "malformed request: "+err.Error())
			_ = s.Reset()
			return
		}
		if err := writeFrame(s, resp); err != nil {
			_ = s.Reset()
			return
		}
		n.stats.requestsServed.Add(1)
		_ = s.Close()
	}
}

// request sends one request to p on protocol pid and reads one response of
// at most max bytes. The stream is closed on success and reset on any
// failure; the deadline is StreamTimeout (also enforced by resetting the
// stream, for transports without deadlines).
func (n *Node) request(ctx context.Context, p peer.ID, pid protocol.ID, req []byte, max int) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.StreamTimeout)
	defer cancel()
	s, err := n.h.NewStream(network.WithNoDial(ctx, "sync"), p, pid)
	if err != nil {
		return nil, err
	}
	_ = s.SetDeadline(time.Now().Add(n.cfg.StreamTimeout))
	stop := context.AfterFunc(ctx, func() { _ = s.Reset() })
	defer stop()
	if err := writeFrame(s, req); err != nil {
		_ = s.Reset()
		return nil, err
	}
	if err := s.CloseWrite(); err != nil {
		_ = s.Reset()
		return nil, err
	}
	resp, err := readFrame(bufio.NewReader(s), max)
	if err != nil {
		_ = s.Reset()
		if errors.Is(err, ErrFrameTooLarge) {
			n.penalize(p, PenaltyMalformed, "oversize response: "+err.Error())
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("p2p: request %s to %s: %w", pid, p, ctx.Err())
		}
		return nil, err
	}
	_ = s.Close()
	return resp, nil
}

// RawRequest sends raw bytes as one request frame on the named protocol
// ("status", "headers" or "blocks") to the peer id and returns the raw
// response: for package evil and tests.
func (n *Node) RawRequest(ctx context.Context, id, proto string, frame []byte) ([]byte, error) {
	p, err := peer.Decode(id)
	if err != nil {
		return nil, err
	}
	pid := n.proto.Status
	switch proto {
	case "headers":
		pid = n.proto.Headers
	case "blocks":
		pid = n.proto.Blocks
	}
	return n.request(ctx, p, pid, frame, MaxBlocksRespSize)
}

// RawStream opens a stream to peer id on the named protocol and writes w
// to it unframed, then closes it: for oversize and garbage tests.
func (n *Node) RawStream(ctx context.Context, id, proto string, w []byte) error {
	p, err := peer.Decode(id)
	if err != nil {
		return err
	}
	pid := n.proto.Status
	switch proto {
	case "headers":
		pid = n.proto.Headers
	case "blocks":
		pid = n.proto.Blocks
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.StreamTimeout)
	defer cancel()
	s, err := n.h.NewStream(ctx, p, pid)
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { _ = s.Reset() })
	defer stop()
	if _, err := s.Write(w); err != nil {
		_ = s.Reset()
		return err
	}
	_ = s.CloseWrite()
	buf := make([]byte, 1)
	_, _ = s.Read(buf)
	return s.Close()
}

// localStatus is this node's status message: the fully validated tip.
func (n *Node) localStatus() *Status {
	snap := n.cfg.Chain.Snapshot()
	return &Status{
		GenesisHash:  n.cfg.Chain.GenesisHash(),
		ProtoVersion: ProtoVersion,
		BestHash:     snap.Hash,
		BestHeight:   snap.Height,
		ChainWork:    snap.ChainWork,
	}
}

func (n *Node) handleStatus(_ peer.ID, req []byte) ([]byte, error) {
	if len(req) != 1 || req[0] != ProtoVersion {
		return nil, errors.New("status request must be the version byte")
	}
	return n.localStatus().encode(), nil
}

func (n *Node) handleHeaders(_ peer.ID, req []byte) ([]byte, error) {
	q, err := decodeHeadersReq(req)
	if err != nil {
		return nil, err
	}
	hs := n.cfg.Chain.HeadersAfter(q.Locator, q.Stop, int(min(q.Max, chain.MaxHeaders)))
	return encodeHeaders(hs), nil
}

func (n *Node) handleBlocks(_ peer.ID, req []byte) ([]byte, error) {
	hs, err := decodeHashes(req, MaxBlocksPerMsg)
	if err != nil {
		return nil, err
	}
	var raw [][]byte
	size := 0
	for _, h := range hs {
		b, err := n.cfg.Chain.BlockByHash(h)
		if err != nil {
			continue // missing ones are omitted
		}
		enc := b.Encode()
		if size+len(enc)+8 > MaxBlocksRespSize-16 {
			break
		}
		size += len(enc) + 8
		raw = append(raw, enc)
	}
	return encodeBlocks(raw), nil
}

// requestStatus asks p for its status.
func (n *Node) requestStatus(ctx context.Context, p peer.ID) (*Status, error) {
	resp, err := n.request(ctx, p, n.proto.Status, []byte{ProtoVersion}, MaxStatusSize)
	if err != nil {
		return nil, err
	}
	st, err := decodeStatus(resp)
	if err != nil {
		n.penalize(p, PenaltyMalformed, "malformed status: "+err.Error())
		return nil, err
	}
	return st, nil
}

// requestBlocksRaw fetches blocks by hash and returns them.
func (n *Node) requestBlocksRaw(ctx context.Context, p peer.ID, hs []hashx.Hash) ([]byte, error) {
	return n.request(ctx, p, n.proto.Blocks, encodeHashes(hs), MaxBlocksRespSize)
}
