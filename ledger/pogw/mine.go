package pogw

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/model"
	"github.com/sketchwork/sketchwork/ledger/state"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// Update is an accepted training update: the new weights, their root, the
// training nonce that produced them and the two losses the header carries.
type Update struct {
	Weights    *model.Weights
	Root       hashx.Hash
	TrainNonce uint64
	LossBefore int64
	LossAfter  int64
	// Tries is the number of training nonces tried, this one included.
	Tries int
}

// SearchOptions bound the seed search.
type SearchOptions struct {
	// FirstNonce is the first training nonce tried (0 = start at 0). Miners
	// that search on several goroutines give each a disjoint range.
	FirstNonce uint64
	// MaxTries is the number of nonces tried (0 = MaxTrainTries).
	MaxTries int
}

// SearchUpdate runs the seed search of section 5.1 step 3 on parent (hash
// and weights w): for TrainNonce = FirstNonce, FirstNonce+1, ... it trains
// K steps from w with TrainSeed(parent, miner, nonce) and accepts the first
// candidate with LossAfter <= LossBefore - MinImprove. It returns
// ErrNoUpdate after MaxTries failures and ctx.Err() when ctx is done
// (checked before every try, a try costing about 2 ms). w is not modified.
func (e *Engine) SearchUpdate(ctx context.Context, parent hashx.Hash, w *model.Weights, miner keys.Address, opts SearchOptions) (*Update, error) {
	maxTries := opts.MaxTries
	if maxTries <= 0 {
		maxTries = MaxTrainTries
	}
	ent := e.entry(parent, w)
	bound := ent.loss - e.params.MinImprove
	t := e.trainer()
	defer e.release(t)
	cand := new(model.Weights)
	for i := 0; i < maxTries; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		nonce := opts.FirstNonce + uint64(i)
		if err := t.TrainTo(cand, w, e.corpus, TrainSeed(parent, miner, nonce), e.train); err != nil {
			return nil, fmt.Errorf("pogw: %w", err)
		}
		after := model.MeanLoss(cand, ent.batch)
		if after <= bound {
			return &Update{Weights: cand, Root: cand.Root(), TrainNonce: nonce,
				LossBefore: ent.loss, LossAfter: after, Tries: i + 1}, nil
		}
	}
	return nil, ErrNoUpdate
}

// Template is everything needed to mine a block on a parent. The chain's
// tip snapshot provides the parent fields; the miner adds its address and
// the transactions (typically a mempool template).
type Template struct {
	// Parent is the parent block's hash and Height the new block's height.
	Parent hashx.Hash
	Height uint64
	// Target is the required target (the retarget output for the parent).
	Target types.Target
	// MinTime is the smallest allowed time: median time past + 1.
	MinTime int64
	// ParentState and ParentWeights are the parent's account state and
	// model weights. Neither is modified.
	ParentState   state.Reader
	ParentWeights *model.Weights
	// Miner receives the reward and is bound into the training seed.
	Miner keys.Address
	// Txs are the transfers to include, in order (no coinbase). Transfers
	// that do not apply are left out and reported in Mined.Dropped.
	Txs []*types.Tx
	// CoinbaseMemo is an optional memo (<= 64 bytes) for the coinbase.
	CoinbaseMemo []byte
}

// MineOptions control Mine.
type MineOptions struct {
	// Now returns the current time in unix milliseconds (nil = the system
	// clock). The header's Time is max(Now(), MinTime).
	Now func() int64
	// Search bounds the seed search.
	Search SearchOptions
	// Update, when non-nil, is used instead of searching. An update depends
	// only on (parent, miner), not on the transactions, so a miner that
	// rebuilds its template on the same parent can reuse it.
	Update *Update
	// TimeRefresh is the number of hash attempts between refreshes of the
	// header's Time (0 = 2^20, section 5.1 step 5).
	TimeRefresh uint64
}

// Mined is a solved block with the results a miner needs to keep.
type Mined struct {
	Block   *types.Block
	Update  *Update
	State   *state.Overlay // the parent state with the block applied
	Dropped []*types.Tx    // template transfers that did not apply
	Hashes  uint64         // hash attempts of the grind
}

// BuildBlock assembles the block of section 5.1 steps 1 and 4 without the
// proof of work: the coinbase (Subsidy(h) + Σ fees to t.Miner) and the
// transfers that apply in order on t.ParentState, TxRoot, StateRoot and the
// training fields of upd. Time is max(now, t.MinTime) and Nonce is 0.
func (e *Engine) BuildBlock(t *Template, upd *Update, now int64) (*types.Block, *state.Overlay, []*types.Tx, error) {
	if len(t.CoinbaseMemo) > types.MaxMemo {
		return nil, nil, nil, fmt.Errorf("pogw: coinbase memo of %d bytes > %d", len(t.CoinbaseMemo), types.MaxMemo)
	}
	// Choose the transfers that apply on the parent state, leaving room
	// for the coinbase within the block caps.
	sel := state.NewOverlay(t.ParentState)
	cb := types.NewCoinbase(e.params.ChainID, t.Miner, t.Height, 0)
	cb.Memo = t.CoinbaseMemo
	size := types.HeaderSize + 3 + cb.Size()
	var txs []*types.Tx
	var dropped []*types.Tx
	var fees uint64
	for _, tx := range t.Txs {
		if len(txs)+1 >= types.MaxBlockTxs || size+tx.Size() > types.MaxBlockSize ||
			fees+tx.Fee < fees || sel.ApplyTx(&e.params, tx, state.Options{}) != nil {
			dropped = append(dropped, tx)
			continue
		}
		txs = append(txs, tx)
		size += tx.Size()
		fees += tx.Fee
	}
	cb.Amount = consensus.Subsidy(&e.params, t.Height) + fees
	if cb.Amount < fees {
		return nil, nil, nil, errors.New("pogw: subsidy + fees overflow")
	}
	b := &types.Block{Txs: append([]*types.Tx{cb}, txs...)}
	b.Header = types.Header{
		Version:    types.HeaderVersion,
		Height:     t.Height,
		PrevHash:   t.Parent,
		TxRoot:     types.TxRoot(b.Txs),
		ModelRoot:  upd.Root,
		Miner:      t.Miner,
		TrainNonce: upd.TrainNonce,
		LossBefore: upd.LossBefore,
		LossAfter:  upd.LossAfter,
		Time:       max(now, t.MinTime),
		Target:     t.Target,
	}
	ov := state.NewOverlay(t.ParentState)
	if _, err := ov.ApplyBlock(&e.params, b, state.Options{SkipSignatures: true}); err != nil {
		return nil, nil, nil, fmt.Errorf("pogw: template does not apply: %w", err)
	}
	b.Header.StateRoot = ov.Root()
	return b, ov, dropped, nil
}

// Grind searches Nonce = 0, 1, 2, ... until the block hash meets h.Target
// (section 5.1 step 5), using a SHA-256 midstate so that one attempt hashes
// only the nonce. Every refresh attempts (0 = 2^20) it sets h.Time =
// max(now(), minTime) and continues. It checks ctx every 4096 attempts and
// returns ctx.Err() when the context is done, for example because the tip
// changed (the miner's stale-tip abort). On success h.Nonce holds the
// solution; it returns the number of attempts.
func Grind(ctx context.Context, h *types.Header, now func() int64, minTime int64, refresh uint64) (uint64, error) {
	if refresh == 0 {
		refresh = 1 << 20
	}
	if now == nil {
		now = systemNow
	}
	hh := types.NewHeaderHasher(h)
	var attempts uint64
	for nonce := uint64(0); ; nonce++ {
		if attempts&4095 == 0 {
			if err := ctx.Err(); err != nil {
				return attempts, err
			}
		}
		if attempts > 0 && attempts%refresh == 0 {
			if t := max(now(), minTime); t != h.Time {
				h.Time = t
				hh = types.NewHeaderHasher(h)
			}
		}
		attempts++
		if h.Target.Meets(hh.Hash(nonce)) {
			h.Nonce = nonce
			return attempts, nil
		}
		if nonce == 1<<64-1 { // nonce space exhausted: move the time on
			h.Time++
			hh = types.NewHeaderHasher(h)
		}
	}
}

func systemNow() int64 { return time.Now().UnixMilli() }

// Mine mines a block on t (section 5.1): the seed search (or opts.Update),
// the block body and header, then the hash grind. It returns ErrNoUpdate
// when the search fails and ctx.Err() when ctx is done; a miner cancels ctx
// when the tip changes. Verify(Mine(t)) succeeds against the same parent.
func (e *Engine) Mine(ctx context.Context, t *Template, opts MineOptions) (*Mined, error) {
	now := opts.Now
	if now == nil {
		now = systemNow
	}
	upd := opts.Update
	if upd == nil {
		var err error
		if upd, err = e.SearchUpdate(ctx, t.Parent, t.ParentWeights, t.Miner, opts.Search); err != nil {
			return nil, err
		}
	}
	b, ov, dropped, err := e.BuildBlock(t, upd, now())
	if err != nil {
		return nil, err
	}
	n, err := Grind(ctx, &b.Header, now, t.MinTime, opts.TimeRefresh)
	if err != nil {
		return nil, err
	}
	return &Mined{Block: b, Update: upd, State: ov, Dropped: dropped, Hashes: n}, nil
}
