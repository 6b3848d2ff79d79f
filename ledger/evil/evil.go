//go:build evil

// Package evil holds GradientCoin's misbehaviour modes for tests
// (papers/gradientcoin.md sections 6 and 10.4, scenario 4): a node built
// with the build tag `evil` crafts invalid blocks, transactions and frames
// on its current tip and sends them to its peers through package p2p.
// Production binaries are built without the tag and lack this code.
//
// # Modes
//
//	bad-pow      a block whose hash misses its target
//	bad-model    valid PoW, wrong ModelRoot
//	bad-loss     an honest but loss-raising update (LossAfter > LossBefore)
//	copy-update  another miner's update (training fields) under our Miner
//	saturate     a saturated weight update (every weight at 2^31-1)
//	overpay      a coinbase paying one unit more than subsidy + fees
//	bad-sig      a transaction and a block with a broken signature
//	replay       an old known block (ignored, not punished) and the tip's
//	             update re-based onto the tip
//	oversize     a 300 KiB block message and a request announcing 1 MiB
//	garbage      random bytes on both topics and on a request stream
//	timewarp     block times at the median time past and an hour ahead
//
// Every block is solved (unless the mode is about PoW) so that honest
// nodes pay for the full check, and carries the attacker's Miner address.
package evil

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/sketchwork/sketchwork/ledger/chain"
	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/model"
	"github.com/sketchwork/sketchwork/ledger/p2p"
	"github.com/sketchwork/sketchwork/ledger/pogw"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// Mode is one misbehaviour.
type Mode string

// The modes (see the package documentation).
const (
	BadPoW     Mode = "bad-pow"
	BadModel   Mode = "bad-model"
	BadLoss    Mode = "bad-loss"
	CopyUpdate Mode = "copy-update"
	Saturate   Mode = "saturate"
	Overpay    Mode = "overpay"
	BadSig     Mode = "bad-sig"
	Replay     Mode = "replay"
	Oversize   Mode = "oversize"
	Garbage    Mode = "garbage"
	Timewarp   Mode = "timewarp"
)

// AllModes lists every mode in a fixed order.
var AllModes = []Mode{BadPoW, BadModel, BadLoss, CopyUpdate, Saturate, Overpay, BadSig, Replay, Oversize, Garbage, Timewarp}

// ParseModes parses a comma-separated list of modes ("all" = AllModes).
func ParseModes(s string) ([]Mode, error) {
	if s == "all" {
		return append([]Mode(nil), AllModes...), nil
	}
	var out []Mode
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		ok := false
		for _, m := range AllModes {
			if Mode(f) == m {
				out = append(out, m)
				ok = true
			}
		}
		if !ok {
			return nil, fmt.Errorf("evil: unknown mode %q (modes: %v)", f, AllModes)
		}
	}
	return out, nil
}

// Message is one crafted piece of bad data and where it goes.
type Message struct {
	// Kind is "blocks" or "txs" (gossip topics), or "stream" (raw bytes
	// on the request protocol Proto of every connected peer).
	Kind  string
	Proto string
	Data  []byte
	// Block is the crafted block, if any (for tests to inspect).
	Block *types.Block
	// Expect is the rule the block or transaction breaks (0: not a rule
	// error, e.g. undecodable bytes, or a harmless replay).
	Expect consensus.ErrorCode
	// Punishable is false for data honest nodes must ignore without a ban
	// (a replay of a known block).
	Punishable bool
}

// Attacker crafts bad data on the tip of its own chain.
type Attacker struct {
	Chain *chain.Chain
	Node  *p2p.Node
	// Miner is the attacker's reward address (bound into its blocks).
	Miner keys.Address
	// Key signs the attacker's transactions (before they are broken).
	Key *keys.PrivateKey
	Log *slog.Logger
	// Now is the clock for block times in unix milliseconds (nil = the
	// system clock); a block's time is at least the median time past + 1.
	Now func() int64

	prev *chain.Snapshot // the previous tip, for copy-update
}

// ErrNotReady reports that a mode needs a chain state the attacker has not
// seen yet (copy-update needs a tip mined by someone else).
var ErrNotReady = errors.New("evil: mode not ready on this tip")

// clock returns the attacker's wall clock in unix milliseconds.
func (a *Attacker) clock() int64 {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now().UnixMilli()
}

// now is the attacker's block-time function on snapshot s.
func (a *Attacker) now(s *chain.Snapshot) func() int64 {
	return func() int64 { return max(a.clock(), s.MTP+1) }
}

// build assembles an honest block on s (training update, coinbase, roots)
// without its proof of work: the starting point of most modes, which
// change it and then solve it once.
func (a *Attacker) build(ctx context.Context, s *chain.Snapshot) (*types.Block, error) {
	var upd *pogw.Update
	var err error
	e := a.Chain.Engine()
	for round := uint64(0); round < 8; round++ {
		upd, err = e.SearchUpdate(ctx, s.Hash, s.Weights, a.Miner, pogw.SearchOptions{FirstNonce: round * pogw.MaxTrainTries})
		if !errors.Is(err, pogw.ErrNoUpdate) {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	b, _, _, err := e.BuildBlock(s.Template(a.Miner, nil), upd, a.now(s)())
	return b, err
}

// solve grinds b's proof of work (after any change to its header or body).
func solve(ctx context.Context, b *types.Block, s *chain.Snapshot) error {
	_, err := pogw.Grind(ctx, &b.Header, func() int64 { return b.Header.Time }, b.Header.Time, 0)
	return err
}

func blockMsg(b *types.Block, code consensus.ErrorCode) Message {
	return Message{Kind: "blocks", Data: p2p.EncodeBlockMsg(b), Block: b, Expect: code, Punishable: true}
}

// Craft builds the messages of one mode on the current tip.
func (a *Attacker) Craft(ctx context.Context, mode Mode) ([]Message, error) {
	s := a.Chain.Snapshot()
	defer func() { a.prev = s }()
	switch mode {
	case BadPoW:
		b, err := a.build(ctx, s)
		if err != nil {
			return nil, err
		}
		p := a.Chain.Params()
		for consensus.CheckProofOfWork(&p, b.Hash(), b.Header.Target) == nil {
			b.Header.Nonce++
		}
		return []Message{blockMsg(b, consensus.ErrBadPoW)}, nil

	case BadModel:
		b, err := a.build(ctx, s)
		if err != nil {
			return nil, err
		}
		b.Header.ModelRoot[0] ^= 0x80
		if err := solve(ctx, b, s); err != nil {
			return nil, err
		}
		return []Message{blockMsg(b, consensus.ErrBadModelRoot)}, nil

	case BadLoss:
		upd, err := a.raisingUpdate(s)
		if err != nil {
			return nil, err
		}
		m, err := a.Chain.Engine().Mine(ctx, s.Template(a.Miner, nil), pogw.MineOptions{Now: a.now(s), Update: upd})
		if err != nil {
			return nil, err
		}
		return []Message{blockMsg(m.Block, consensus.ErrNoImprovement)}, nil

	case CopyUpdate:
		// Someone else's block on our previous tip: claim its update for
		// ourselves on the same parent (stolen work).
		if a.prev == nil || s.Header.PrevHash != a.prev.Hash || s.Header.Miner == a.Miner {
			return nil, ErrNotReady
		}
		h := s.Header
		upd := &pogw.Update{Weights: s.Weights, Root: h.ModelRoot, TrainNonce: h.TrainNonce,
			LossBefore: h.LossBefore, LossAfter: h.LossAfter}
		m, err := a.Chain.Engine().Mine(ctx, a.prev.Template(a.Miner, nil), pogw.MineOptions{Now: a.now(a.prev), Update: upd})
		if err != nil {
			return nil, err
		}
		return []Message{blockMsg(m.Block, consensus.ErrBadModelRoot)}, nil

	case Saturate:
		w := model.NewGenesis()
		for r := 0; r < model.Rows; r++ {
			for v := 0; v < model.V; v++ {
				w.Set(r, v, math.MaxInt32)
			}
		}
		lb := a.Chain.Engine().LossBefore(s.Hash, s.Weights)
		upd := &pogw.Update{Weights: w, Root: w.Root(), LossBefore: lb, LossAfter: lb - 1}
		m, err := a.Chain.Engine().Mine(ctx, s.Template(a.Miner, nil), pogw.MineOptions{Now: a.now(s), Update: upd})
		if err != nil {
			return nil, err
		}
		return []Message{blockMsg(m.Block, consensus.ErrBadModelRoot)}, nil

	case Overpay:
		b, err := a.build(ctx, s)
		if err != nil {
			return nil, err
		}
		b.Txs[0].Amount++
		b.Header.TxRoot = types.TxRoot(b.Txs)
		if err := solve(ctx, b, s); err != nil {
			return nil, err
		}
		return []Message{blockMsg(b, consensus.ErrBadCoinbaseAmount)}, nil

	case BadSig:
		p := a.Chain.Params()
		tx := &types.Tx{Version: types.TxVersion, ChainID: p.ChainID, From: a.Key.Address(), To: keys.Address{1},
			Amount: 1, Fee: max(p.MinFee, 1), Nonce: s.State.Account(a.Key.Address()).Nonce}
		if err := tx.Sign(a.Key); err != nil {
			return nil, err
		}
		tx.Sig[5] ^= 1
		b, err := a.build(ctx, s)
		if err != nil {
			return nil, err
		}
		b.Txs = append(b.Txs, tx)
		b.Header.TxRoot = types.TxRoot(b.Txs)
		if err := solve(ctx, b, s); err != nil {
			return nil, err
		}
		return []Message{
			{Kind: "txs", Data: p2p.EncodeTxMsg(tx), Expect: consensus.ErrBadSignature, Punishable: true},
			blockMsg(b, consensus.ErrBadSignature),
		}, nil

	case Replay:
		var out []Message
		if s.Height > 0 {
			old, err := a.Chain.BlockByHeight(s.Height / 2)
			if err == nil && s.Height/2 > 0 {
				out = append(out, Message{Kind: "blocks", Data: p2p.EncodeBlockMsg(old), Block: old,
					Expect: consensus.ErrDuplicateBlock, Punishable: false})
			}
			// The tip's update re-based onto the tip itself.
			h := s.Header
			upd := &pogw.Update{Weights: s.Weights, Root: h.ModelRoot, TrainNonce: h.TrainNonce,
				LossBefore: h.LossBefore, LossAfter: h.LossAfter}
			m, err := a.Chain.Engine().Mine(ctx, s.Template(a.Miner, nil), pogw.MineOptions{Now: a.now(s), Update: upd})
			if err != nil {
				return nil, err
			}
			out = append(out, blockMsg(m.Block, consensus.ErrLossMismatch))
		}
		if len(out) == 0 {
			return nil, ErrNotReady
		}
		return out, nil

	case Oversize:
		big := make([]byte, 300<<10)
		big[0] = p2p.ProtoVersion
		_, _ = rand.Read(big[1:])
		// A request frame announcing 1 MiB (uvarint 2^20) with a short body.
		frame := append([]byte{0x80, 0x80, 0x40}, make([]byte, 64)...)
		return []Message{
			{Kind: "blocks", Data: big, Punishable: true},
			{Kind: "stream", Proto: "headers", Data: frame, Punishable: true},
		}, nil

	case Garbage:
		g := make([]byte, 700)
		_, _ = rand.Read(g)
		g2 := make([]byte, 180)
		_, _ = rand.Read(g2)
		g2[0] = p2p.ProtoVersion
		g3 := make([]byte, 40)
		_, _ = rand.Read(g3)
		return []Message{
			{Kind: "blocks", Data: g, Punishable: true},
			{Kind: "txs", Data: g2, Punishable: true},
			{Kind: "stream", Proto: "blocks", Data: append([]byte{39}, g3[:39]...), Punishable: true},
		}, nil

	case Timewarp:
		old, err := a.build(ctx, s)
		if err != nil {
			return nil, err
		}
		old.Header.Time = s.MTP // not after the median time past
		if err := solve(ctx, old, s); err != nil {
			return nil, err
		}
		future, err := a.build(ctx, s)
		if err != nil {
			return nil, err
		}
		future.Header.Time = a.clock() + time.Hour.Milliseconds()
		if err := solve(ctx, future, s); err != nil {
			return nil, err
		}
		return []Message{blockMsg(old, consensus.ErrTimeTooOld), blockMsg(future, consensus.ErrTimeTooNew)}, nil
	}
	return nil, fmt.Errorf("evil: unknown mode %q", mode)
}

// raisingUpdate returns an update that raises the verification loss
// (which the improvement rule rejects): an honest training nonce whose K
// steps happen to raise it, if one of the first 64 does; early in training
// every step tends to help, and then the honest update of nonce 0 with a
// LossAfter claimed one unit above LossBefore.
func (a *Attacker) raisingUpdate(s *chain.Snapshot) (*pogw.Update, error) {
	e := a.Chain.Engine()
	lb := e.LossBefore(s.Hash, s.Weights)
	vb := e.VerifyBatch(s.Hash)
	for nonce := uint64(0); nonce < pogw.MaxTrainTries; nonce++ {
		w := e.Replay(s.Weights, s.Hash, a.Miner, nonce)
		if la := model.MeanLoss(w, vb); la > lb {
			return &pogw.Update{Weights: w, Root: w.Root(), TrainNonce: nonce, LossBefore: lb, LossAfter: la}, nil
		}
	}
	w := e.Replay(s.Weights, s.Hash, a.Miner, 0)
	return &pogw.Update{Weights: w, Root: w.Root(), TrainNonce: 0, LossBefore: lb, LossAfter: lb + 1}, nil
}

// Send delivers a message through the attacker's node: gossip for the
// topics, a raw stream to every connected peer otherwise.
func (a *Attacker) Send(ctx context.Context, m Message) error {
	switch m.Kind {
	case "blocks", "txs":
		return a.Node.PublishRaw(m.Kind, m.Data)
	case "stream":
		var errs []error
		for _, pi := range a.Node.PeerList() {
			errs = append(errs, a.Node.RawStream(ctx, pi.ID, m.Proto, m.Data))
		}
		return errors.Join(errs...)
	}
	return fmt.Errorf("evil: unknown message kind %q", m.Kind)
}

// Run crafts and sends the given modes in turn, one every interval, until
// ctx ends. Modes that are not ready on the current tip are retried later.
func (a *Attacker) Run(ctx context.Context, modes []Mode, interval time.Duration) {
	log := a.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	stale := 0
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		mode := modes[i%len(modes)]
		tip := a.Chain.Snapshot().Hash
		msgs, err := a.Craft(ctx, mode)
		if err != nil {
			if !errors.Is(err, ErrNotReady) && ctx.Err() == nil {
				log.Warn("evil: craft failed", "mode", mode, "err", err)
			}
			continue
		}
		if a.Chain.Snapshot().Hash != tip && mode != CopyUpdate && stale < 3 {
			// The tip moved while crafting: a fresh attempt hurts more
			// (but a slow mode must not starve: after three tries the
			// stale block goes out as a side branch).
			stale++
			i--
			continue
		}
		stale = 0
		for _, m := range msgs {
			err := a.Send(ctx, m)
			log.Info("evil: sent", "mode", mode, "kind", m.Kind, "bytes", len(m.Data), "expect", m.Expect, "err", err)
		}
	}
}
