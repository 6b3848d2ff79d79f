package p2p

import (
	"context"
	"errors"
	"sync"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/sketchwork/sketchwork/ledger/chain"
	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/store"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// Origins of a block's first arrival (Arrival.Source).
const (
	SourceGossip = "gossip"
	SourceSync   = "sync"
	SourceLocal  = "local"
)

// validateBlock is the block topic's validator (section 7): decode, the
// chain's full validation through ProcessBlock (context-free checks and
// PoW first, then the state transition and the training update when the
// block extends the best chain), and a verdict: Accept only for blocks the
// chain accepted, so only valid blocks are relayed; Ignore for duplicates,
// orphans (and a sync with the sender) and internal failures; Reject, with
// a ban score for the sender, for invalid data.
func (n *Node) validateBlock(ctx context.Context, from peer.ID, m *pubsub.Message) pubsub.ValidationResult {
	if from == n.h.ID() {
		// Our own publications were validated before they were published.
		return pubsub.ValidationAccept
	}
	if n.bans.banned(from) {
		// In flight from a peer banned (or cut off) meanwhile.
		return pubsub.ValidationIgnore
	}
	received := n.cfg.Now()
	b, err := decodeBlockMsg(m.GetData())
	if err != nil {
		n.stats.gossipBlocksRejected.Add(1)
		n.penalize(from, PenaltyMalformed, "undecodable block: "+err.Error())
		return pubsub.ValidationReject
	}
	hash := b.Hash()
	if n.known(hash) {
		n.stats.gossipBlocksIgnored.Add(1)
		return pubsub.ValidationIgnore
	}
	n.fromNet.add(hash)
	start := time.Now()
	err = n.checkSideUpdate(b)
	var res chain.Result
	if err == nil {
		res, err = n.submitBlock(b)
	}
	verify := time.Since(start)
	switch {
	case err == nil && res.Status == chain.Accepted:
		n.arrivals.record(hash, b.Header.Height, received, verify, SourceGossip, from)
		for _, h := range res.Accepted[1:] {
			n.fromNet.add(h)
		}
		// Orphans this block unlocked count as accepted too.
		n.stats.gossipBlocksAccepted.Add(int64(len(res.Accepted)))
		return pubsub.ValidationAccept
	case err == nil && res.Status == chain.Orphan:
		// Never relay what we cannot validate; fetch the ancestors.
		n.stats.gossipBlocksIgnored.Add(1)
		n.stats.orphans.Add(1)
		n.trigger(from)
		return pubsub.ValidationIgnore
	case err == nil:
		n.stats.gossipBlocksIgnored.Add(1)
		return pubsub.ValidationIgnore
	}
	n.fromNet.remove(hash)
	code, ok := consensus.CodeOf(err)
	if !ok {
		n.log.Error("p2p: processing a gossiped block failed", "hash", hash, "err", err)
		n.stats.gossipBlocksIgnored.Add(1)
		return pubsub.ValidationIgnore
	}
	n.stats.gossipBlocksRejected.Add(1)
	n.penalize(from, blockPenalty(code), "invalid block "+hash.String()[:16]+": "+err.Error())
	return pubsub.ValidationReject
}

// known reports whether the chain has the block (indexed with its body,
// or waiting in the orphan pool). It is chain.IsKnown built from
// BlockInfo, which copies the index entry under the index lock
// (chain.IsKnown reads the entry's status after releasing it, a data race
// with a concurrent connect).
func (n *Node) known(hash hashx.Hash) bool {
	if info, ok := n.cfg.Chain.BlockInfo(hash); ok && info.Status.Has(store.StatusBody) {
		return true
	}
	return n.cfg.Chain.OrphanRoot(hash) != hash
}

// sideCheckDepth is how far below the tip a side-branch block's parent may
// be for checkSideUpdate to verify it before relaying.
const sideCheckDepth = 6

// checkSideUpdate checks what it can of a block that forks off the main
// chain just below the tip. The chain stores such a side-branch block
// after the context-free and header checks only (its state transition and
// training update are verified if the branch ever gets more work), but a
// relay must not spread an update copied from another miner's block or
// re-based from another parent, nor an overpaying coinbase: so the PoW is
// checked, the coinbase amount against subsidy plus the block's fees
// (which needs no account state), and the update is recomputed from the
// parent's weights. The StateRoot of such a block stays unchecked until
// its branch is connected. Blocks that extend the tip are fully validated
// by ProcessBlock anyway.
func (n *Node) checkSideUpdate(b *types.Block) error {
	ch := n.cfg.Chain
	snap := ch.Snapshot()
	if b.Header.PrevHash == snap.Hash {
		return nil
	}
	info, ok := ch.BlockInfo(b.Header.PrevHash)
	if !ok || !info.MainChain || info.Height+sideCheckDepth < snap.Height {
		return nil
	}
	p := ch.Params()
	if err := consensus.CheckHeaderSanity(&p, &b.Header); err != nil {
		return err
	}
	if err := checkCoinbaseAmount(&p, b); err != nil {
		return err
	}
	w, err := ch.WeightsAt(info.Hash)
	if err != nil {
		return nil // a race with a reorg: ProcessBlock decides
	}
	_, err = ch.Engine().VerifyUpdate(w, &b.Header)
	return err
}

// checkCoinbaseAmount checks that the coinbase pays exactly Subsidy(h) plus
// the fees of the block's transfers (section 3.2), without account state.
func checkCoinbaseAmount(p *consensus.Params, b *types.Block) error {
	if len(b.Txs) == 0 || !b.Txs[0].IsCoinbase() {
		return consensus.Errorf(consensus.ErrBadCoinbase, "block %s has no coinbase", b.Hash())
	}
	want := consensus.Subsidy(p, b.Header.Height)
	for _, tx := range b.Txs[1:] {
		if want+tx.Fee < want {
			return consensus.Errorf(consensus.ErrOverflow, "fee total overflows")
		}
		want += tx.Fee
	}
	if got := b.Txs[0].Amount; got != want {
		return consensus.Errorf(consensus.ErrBadCoinbaseAmount, "coinbase pays %d, subsidy plus fees is %d", got, want)
	}
	return nil
}

// validateTx is the transaction topic's validator: decode and context-free
// checks (the sender pays for malformed or badly signed transactions),
// then the pool's admission against the tip state (Accept if admitted,
// Ignore otherwise: nonces and balances may differ between honest nodes).
func (n *Node) validateTx(ctx context.Context, from peer.ID, m *pubsub.Message) pubsub.ValidationResult {
	if from == n.h.ID() {
		return pubsub.ValidationAccept
	}
	if n.bans.banned(from) {
		return pubsub.ValidationIgnore
	}
	tx, err := decodeTxMsg(m.GetData())
	if err != nil {
		n.stats.gossipTxsRejected.Add(1)
		n.penalize(from, PenaltyMalformed, "undecodable transaction: "+err.Error())
		return pubsub.ValidationReject
	}
	params := n.cfg.Chain.Params()
	if tx.IsCoinbase() {
		n.stats.gossipTxsRejected.Add(1)
		n.penalize(from, PenaltyBadSig, "coinbase relayed as a transaction")
		return pubsub.ValidationReject
	}
	if err := consensus.CheckTxSanity(&params, tx); err != nil {
		code, _ := consensus.CodeOf(err)
		if pen := txPenalty(code); pen > 0 {
			n.stats.gossipTxsRejected.Add(1)
			n.penalize(from, pen, "invalid transaction: "+err.Error())
			return pubsub.ValidationReject
		}
		n.stats.gossipTxsIgnored.Add(1)
		return pubsub.ValidationIgnore
	}
	id := tx.ID()
	n.txFromNet.add(id)
	var err2 error
	switch {
	case n.cfg.SubmitTx != nil:
		_, err2 = n.cfg.SubmitTx(tx)
	case n.cfg.Pool != nil:
		_, err2 = n.cfg.Pool.Add(tx, n.cfg.Chain.Snapshot().State)
	default:
		err2 = errors.New("no pool")
	}
	if err2 != nil {
		n.txFromNet.remove(id)
		n.stats.gossipTxsIgnored.Add(1)
		return pubsub.ValidationIgnore
	}
	n.stats.gossipTxsAccepted.Add(1)
	return pubsub.ValidationAccept
}

// publishTimeout bounds how long a publication waits for a topic peer.
const publishTimeout = 3 * time.Second

// publish sends data on t, waiting (up to publishTimeout) for at least
// one topic peer: the mesh forms only at heartbeats, and a message
// published into an empty mesh is lost (section 7). After the wait it
// publishes anyway; the status poll is the backstop.
func (n *Node) publish(t *pubsub.Topic, data []byte) error {
	err := n.publishReady(t, data)
	if err != nil && n.ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		err = t.Publish(n.ctx, data)
	}
	return err
}

// publishReady publishes only if a topic peer appears within
// publishTimeout (context.DeadlineExceeded otherwise).
func (n *Node) publishReady(t *pubsub.Topic, data []byte) error {
	if t == nil {
		return errors.New("p2p: node not started")
	}
	ctx, cancel := context.WithTimeout(n.ctx, publishTimeout)
	defer cancel()
	return t.Publish(ctx, data, pubsub.WithReadiness(pubsub.MinTopicSize(1)))
}

// submitBlock hands a block from a peer to the node.
func (n *Node) submitBlock(b *types.Block) (chain.Result, error) {
	if n.cfg.SubmitBlock != nil {
		return n.cfg.SubmitBlock(b)
	}
	return n.cfg.Chain.ProcessBlock(b)
}

// AnnounceBlock gossips a block the node accepted from outside the network
// (its miner, the API); blocks that came from peers are skipped, since
// gossip relays them already and sync serves them (node.Network).
func (n *Node) AnnounceBlock(b *types.Block) {
	h := b.Hash()
	if n.fromNet.has(h) || n.ctx.Err() != nil {
		return
	}
	n.fromNet.add(h)
	n.arrivals.record(h, b.Header.Height, n.cfg.Now(), 0, SourceLocal, "")
	n.goPublishBlock(b.Header.Height, EncodeBlockMsg(b))
}

// AnnounceTx gossips a transaction the node admitted from outside the
// network (node.Network); transactions from peers are skipped.
func (n *Node) AnnounceTx(tx *types.Tx) {
	if n.txFromNet.has(tx.ID()) || n.ctx.Err() != nil {
		return
	}
	n.stats.publishedTxs.Add(1)
	go func(data []byte) {
		if err := n.publishReady(n.tt, data); err != nil && n.ctx.Err() == nil {
			n.log.Debug("p2p: publish tx", "err", err)
		}
	}(EncodeTxMsg(tx))
}

// goPublishBlock publishes a block once a topic peer is there. Without a
// topic peer within publishTimeout, or once the block has fallen behind
// the tip, it is not gossiped at all: peers that connect later fetch it by
// sync.
func (n *Node) goPublishBlock(height uint64, data []byte) {
	go func() {
		deadline := time.Now().Add(publishTimeout)
		for len(n.bt.ListPeers()) == 0 {
			if time.Now().After(deadline) || n.ctx.Err() != nil {
				return
			}
			time.Sleep(25 * time.Millisecond)
		}
		if height+8 < n.cfg.Chain.Snapshot().Height {
			return
		}
		n.stats.published.Add(1)
		if err := n.bt.Publish(n.ctx, data); err != nil && n.ctx.Err() == nil {
			n.log.Debug("p2p: publish block", "err", err)
		}
	}()
}

// PublishBlock gossips a block this node has accepted (the node publishes
// the blocks its own chain accepts from outside the network on its own;
// this is for callers that want it at once).
func (n *Node) PublishBlock(b *types.Block) error {
	n.fromNet.add(b.Hash())
	n.stats.published.Add(1)
	return n.publish(n.bt, EncodeBlockMsg(b))
}

// PublishTx gossips a transaction (after the local pool admitted it).
func (n *Node) PublishTx(tx *types.Tx) error {
	n.stats.publishedTxs.Add(1)
	return n.publish(n.tt, EncodeTxMsg(tx))
}

// PublishRaw gossips arbitrary bytes on the block ("blocks") or
// transaction ("txs") topic, bypassing every local check: for the
// misbehaviour modes of package evil and for tests.
func (n *Node) PublishRaw(topic string, data []byte) error {
	t := n.tt
	if topic == "blocks" {
		t = n.bt
	}
	return n.publish(t, data)
}

// tipLoop watches the chain's tip and gossips blocks that joined the best
// chain without coming from the network (mined locally or submitted
// through the API), and records their arrival.
func (n *Node) tipLoop() {
	sub := n.cfg.Chain.Subscribe(64)
	defer sub.Close()
	for {
		select {
		case <-n.ctx.Done():
			return
		case ev := <-sub.C:
			if d := int64(len(ev.Disconnected)); d > 0 {
				n.stats.reorgs.Add(1)
				for {
					old := n.stats.maxReorgDepth.Load()
					if d <= old || n.stats.maxReorgDepth.CompareAndSwap(old, d) {
						break
					}
				}
			}
			for _, h := range ev.Connected {
				if n.fromNet.has(h) {
					continue
				}
				b, err := n.cfg.Chain.BlockByHash(h)
				if err != nil {
					continue
				}
				n.fromNet.add(h)
				n.arrivals.record(h, b.Header.Height, n.cfg.Now(), 0, SourceLocal, "")
				// Only the newest blocks are worth gossiping; older ones
				// reach peers through sync.
				if ev.Snapshot != nil && b.Header.Height+8 < ev.Snapshot.Height {
					continue
				}
				n.goPublishBlock(b.Header.Height, EncodeBlockMsg(b))
			}
		}
	}
}

// hashSet is a bounded set of hashes (oldest forgotten first).
type hashSet struct {
	mu   sync.Mutex
	m    map[hashx.Hash]struct{}
	ring []hashx.Hash
	next int
}

func newHashSet(n int) *hashSet {
	return &hashSet{m: make(map[hashx.Hash]struct{}, n), ring: make([]hashx.Hash, n)}
}

func (s *hashSet) add(h hashx.Hash) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[h]; ok {
		return
	}
	old := s.ring[s.next]
	delete(s.m, old)
	s.ring[s.next] = h
	s.next = (s.next + 1) % len(s.ring)
	s.m[h] = struct{}{}
}

func (s *hashSet) has(h hashx.Hash) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.m[h]
	return ok
}

func (s *hashSet) remove(h hashx.Hash) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, h)
}

// Arrival records when a block first reached this node and how.
type Arrival struct {
	Hash   string `json:"hash"`
	Height uint64 `json:"height"`
	// At is the arrival time in unix milliseconds (receipt of the gossip
	// message, or acceptance of a synced or local block).
	At int64 `json:"at_ms"`
	// VerifyMicros is the time ProcessBlock took (0 for local blocks).
	VerifyMicros int64  `json:"verify_us"`
	Source       string `json:"source"`
	From         string `json:"from,omitempty"`
}

type arrivalLog struct {
	mu   sync.Mutex
	seen map[hashx.Hash]bool
	buf  []Arrival
	max  int
}

func newArrivalLog(max int) *arrivalLog {
	return &arrivalLog{seen: map[hashx.Hash]bool{}, max: max}
}

func (l *arrivalLog) record(h hashx.Hash, height uint64, at time.Time, verify time.Duration, src string, from peer.ID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen[h] {
		return
	}
	l.seen[h] = true
	a := Arrival{Hash: h.String(), Height: height, At: at.UnixMilli(), VerifyMicros: verify.Microseconds(), Source: src}
	if from != "" {
		a.From = from.String()
	}
	l.buf = append(l.buf, a)
	if len(l.buf) > l.max {
		drop := len(l.buf) - l.max
		for _, old := range l.buf[:drop] {
			if hh, err := hashx.ParseHash(old.Hash); err == nil {
				delete(l.seen, hh)
			}
		}
		l.buf = append(l.buf[:0:0], l.buf[drop:]...)
	}
}

func (l *arrivalLog) since(height uint64) []Arrival {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Arrival
	for _, a := range l.buf {
		if a.Height >= height {
			out = append(out, a)
		}
	}
	return out
}

// Arrivals returns the recorded first arrivals of blocks at or above
// height (at most the last 4096 blocks).
func (n *Node) Arrivals(height uint64) []Arrival { return n.arrivals.since(height) }
