package p2p

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/sketchwork/sketchwork/ledger/chain"
	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// Sync parameters (section 7).
const (
	// syncBatches is how many MaxBlocksPerMsg-block requests are in flight
	// during body download.
	syncBatches = 4
	// maxSyncHelpers is how many other peers with at least the sync peer's
	// work share the body download (section 7: up to 3 peers).
	maxSyncHelpers = 2
	// maxSyncRounds bounds one sync session (each round fetches up to
	// syncBatches*MaxBlocksPerMsg bodies or MaxHeadersPerMsg headers).
	maxSyncRounds = 1 << 12
)

// syncLoop polls peers' status on connect, on demand (an orphan from a
// peer) and every StatusInterval, and syncs from the peer with the most
// work when it has more than our tip: the backstop that makes gossip
// unnecessary for correctness.
func (n *Node) syncLoop() {
	t := time.NewTicker(n.cfg.StatusInterval)
	defer t.Stop()
	for {
		var ps []peer.ID
		select {
		case <-n.ctx.Done():
			return
		case p := <-n.syncTrigger:
			ps = append(ps, p)
		drain:
			for {
				select {
				case q := <-n.syncTrigger:
					ps = append(ps, q)
				default:
					break drain
				}
			}
		case <-t.C:
			ps = n.h.Network().Peers()
		}
		n.pollAndSync(ps)
	}
}

// pollAndSync asks each peer for its status and syncs from the one with
// the most work if it has more than our tip.
func (n *Node) pollAndSync(ps []peer.ID) {
	seen := map[peer.ID]bool{}
	var wg sync.WaitGroup
	var mu sync.Mutex
	type res struct {
		p  peer.ID
		st *Status
	}
	var got []res
	for _, p := range ps {
		if seen[p] || p == n.h.ID() || n.bans.banned(p) || n.h.Network().Connectedness(p) != network.Connected {
			continue
		}
		seen[p] = true
		wg.Add(1)
		go func(p peer.ID) {
			defer wg.Done()
			st, err := n.requestStatus(n.ctx, p)
			if err != nil {
				return
			}
			if st.GenesisHash != n.cfg.Chain.GenesisHash() {
				n.log.Info("p2p: peer on another genesis, disconnecting", "peer", p)
				_ = n.h.Network().ClosePeer(p)
				return
			}
			mu.Lock()
			got = append(got, res{p, st})
			mu.Unlock()
		}(p)
	}
	wg.Wait()
	now := n.cfg.Now()
	tipWork := n.cfg.Chain.Snapshot().ChainWork
	n.mu.Lock()
	for _, r := range got {
		st := n.peerLocked(r.p)
		st.status, st.statusAt = r.st, now
		if r.st.ChainWork.Cmp(tipWork) <= 0 {
			st.lastUseful = now // nothing to deliver: not stalling
		} else if st.lastUseful.IsZero() {
			st.lastUseful = now
		}
	}
	n.mu.Unlock()
	sort.Slice(got, func(i, j int) bool { return got[i].st.ChainWork.Cmp(got[j].st.ChainWork) > 0 })
	for _, r := range got {
		if n.ctx.Err() != nil {
			return
		}
		if r.st.ChainWork.Cmp(n.cfg.Chain.Snapshot().ChainWork) <= 0 {
			break
		}
		var helpers []peer.ID
		for _, o := range got {
			if o.p != r.p && o.st.ChainWork.Cmp(r.st.ChainWork) >= 0 {
				helpers = append(helpers, o.p)
			}
		}
		n.syncFrom(r.p, r.st, helpers)
	}
	n.checkStalls()
}

// useful records that p delivered something that advanced our chain.
func (n *Node) useful(p peer.ID) {
	now := n.cfg.Now()
	n.mu.Lock()
	n.peerLocked(p).lastUseful = now
	n.mu.Unlock()
}

// checkStalls disconnects peers that claim more work than our tip but
// have delivered nothing useful for StallTimeout (section 7).
func (n *Node) checkStalls() {
	now := n.cfg.Now()
	tipWork := n.cfg.Chain.Snapshot().ChainWork
	var stalled []peer.ID
	n.mu.Lock()
	for p, st := range n.peers {
		if st.status == nil || st.status.ChainWork.Cmp(tipWork) <= 0 || st.lastUseful.IsZero() {
			continue
		}
		if now.Sub(st.lastUseful) > n.cfg.StallTimeout {
			stalled = append(stalled, p)
			st.lastUseful = now
		}
	}
	n.mu.Unlock()
	for _, p := range stalled {
		n.stats.stalls.Add(1)
		n.log.Info("p2p: disconnecting stalled peer", "peer", p)
		_ = n.h.Network().ClosePeer(p)
	}
}

// syncFrom runs headers-first sync against p (section 7): headers from a
// locator until p's best chain is indexed, then the missing bodies in
// height order, syncBatches requests in flight (shared with helpers, peers
// that reported at least p's work), each block through ProcessBlock.
// Invalid headers or blocks cost the peer that sent them its ban score.
func (n *Node) syncFrom(p peer.ID, st *Status, helpers []peer.ID) {
	ch := n.cfg.Chain
	n.syncing.Store(true)
	defer n.syncing.Store(false)
	for round := 0; round < maxSyncRounds; round++ {
		if n.ctx.Err() != nil || n.bans.banned(p) {
			return
		}
		if st.ChainWork.Cmp(ch.Snapshot().ChainWork) <= 0 {
			return
		}
		progress := false
		best := ch.BestHeader()
		if _, known := ch.BlockInfo(st.BestHash); !known && best.ChainWork.Cmp(st.ChainWork) < 0 {
			added, ok := n.syncHeaders(p, best.Hash)
			if !ok {
				return
			}
			progress = added > 0
		}
		fetched, ok := n.syncBodies(p, helpers)
		if !ok {
			return
		}
		if fetched == 0 && !progress {
			return
		}
	}
}

// syncHeaders requests one run of headers after the locator of from and
// indexes them; it returns how many were new, and false when p failed or
// sent invalid headers.
func (n *Node) syncHeaders(p peer.ID, from hashx.Hash) (int, bool) {
	ch := n.cfg.Chain
	q := &headersReq{Locator: ch.LocatorFrom(from), Max: MaxHeadersPerMsg}
	resp, err := n.request(n.ctx, p, n.proto.Headers, q.encode(), MaxHeadersRespSize)
	if err != nil {
		return 0, false
	}
	hs, err := decodeHeaders(resp)
	if err != nil {
		n.penalize(p, PenaltyMalformed, "malformed headers: "+err.Error())
		return 0, false
	}
	if len(hs) == 0 {
		return 0, true
	}
	res, err := ch.ProcessHeaders(hs)
	if res.Added > 0 {
		n.stats.syncedHeaders.Add(int64(res.Added))
		n.useful(p)
	}
	if err != nil {
		code, ok := consensus.CodeOf(err)
		if !ok {
			n.log.Error("p2p: processing headers failed", "err", err)
			return res.Added, false
		}
		pen := blockPenalty(code)
		if code == consensus.ErrUnknownParent {
			pen = PenaltyMinor // headers that do not connect to the locator
		}
		n.penalize(p, pen, "invalid headers: "+err.Error())
		return res.Added, false
	}
	return res.Added, true
}

// syncBodies downloads the bodies the best header chain lacks, from p,
// and hands them to the chain in height order. It returns how many blocks
// it obtained, and false when p failed or sent invalid blocks.
func (n *Node) syncBodies(p peer.ID, helpers []peer.ID) (int, bool) {
	ch := n.cfg.Chain
	missing := ch.MissingBlocks(syncBatches * MaxBlocksPerMsg)
	if len(missing) == 0 {
		return 0, true
	}
	type batch struct {
		want []hashx.Hash
		got  []*types.Block
		from peer.ID // the peer whose answer got is
		err  error
		done chan struct{}
	}
	// Batches go round-robin to the sync peer and up to two helpers that
	// reported at least as much work; whatever a helper does not deliver
	// is asked of the sync peer.
	sources := append([]peer.ID{p}, helpers[:min(len(helpers), maxSyncHelpers)]...)
	fetch := func(src peer.ID, want []hashx.Hash) ([]*types.Block, error) {
		resp, err := n.requestBlocksRaw(n.ctx, src, want)
		if err != nil {
			return nil, err
		}
		got, err := decodeBlocks(resp)
		if err != nil {
			n.penalize(src, PenaltyMalformed, "malformed blocks: "+err.Error())
		}
		return got, err
	}
	var batches []*batch
	for i := 0; i < len(missing); i += MaxBlocksPerMsg {
		b := &batch{want: missing[i:min(i+MaxBlocksPerMsg, len(missing))], done: make(chan struct{})}
		b.from = sources[len(batches)%len(sources)]
		batches = append(batches, b)
		go func() {
			defer close(b.done)
			b.got, b.err = fetch(b.from, b.want)
			if b.from != p && (b.err != nil || len(b.got) < len(b.want)) {
				b.from = p
				b.got, b.err = fetch(p, b.want)
			} else if b.from != p {
				n.stats.helperBatches.Add(1)
			}
		}()
	}
	fetched := 0
	ok := true
	for _, b := range batches {
		<-b.done
		if !ok || b.err != nil {
			ok = false
			continue
		}
		want := map[hashx.Hash]bool{}
		for _, h := range b.want {
			want[h] = true
		}
		for _, blk := range b.got {
			if !ok {
				break
			}
			h := blk.Hash()
			if !want[h] {
				n.penalize(b.from, PenaltyMinor, "unrequested block")
				ok = false
				break
			}
			n.fromNet.add(h)
			start := time.Now()
			res, err := n.submitBlock(blk)
			verify := time.Since(start)
			if err != nil {
				n.fromNet.remove(h)
				if code, isRule := consensus.CodeOf(err); isRule {
					n.penalize(b.from, blockPenalty(code), "invalid synced block: "+err.Error())
				} else {
					n.log.Error("p2p: processing a synced block failed", "err", err)
				}
				ok = false
				break
			}
			if res.Status == chain.Accepted {
				n.arrivals.record(h, blk.Header.Height, n.cfg.Now(), verify, SourceSync, b.from)
				// Orphans this block unlocked count as synced too.
				n.stats.syncedBlocks.Add(int64(len(res.Accepted)))
				for _, h := range res.Accepted[1:] {
					n.fromNet.add(h)
				}
				fetched++
				n.useful(b.from)
			}
		}
		if len(b.got) < len(b.want) {
			ok = ok && len(b.got) > 0
		}
	}
	return fetched, ok
}

// RequestStatus asks the peer id for its status (tests, admin).
func (n *Node) RequestStatus(ctx context.Context, id string) (*Status, error) {
	p, err := peer.Decode(id)
	if err != nil {
		return nil, err
	}
	return n.requestStatus(ctx, p)
}
