package state

import (
	"bytes"
	"errors"
	"math/bits"
	"slices"

	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// Overlay is a copy-on-write view over a parent Reader (*State or
// *Overlay). Writes go to the overlay only; the parent is untouched until
// Commit. The parent must not change while the overlay is in use.
type Overlay struct {
	parent Reader
	dirty  map[keys.Address]types.Account
	undo   []UndoEntry // first touch of each dirty address, in touch order
}

// NewOverlay returns an empty overlay over parent.
func NewOverlay(parent Reader) *Overlay {
	return &Overlay{parent: parent, dirty: map[keys.Address]types.Account{}}
}

// Parent returns the overlay's parent.
func (o *Overlay) Parent() Reader { return o.parent }

// Account returns addr's state as seen through the overlay.
func (o *Overlay) Account(addr keys.Address) types.Account {
	if a, ok := o.dirty[addr]; ok {
		return a
	}
	return o.parent.Account(addr)
}

func (o *Overlay) set(addr keys.Address, acct types.Account) {
	if _, ok := o.dirty[addr]; !ok {
		prev := o.parent.Account(addr)
		o.undo = append(o.undo, UndoEntry{Addr: addr, Existed: !prev.IsEmpty(), Prev: prev})
	}
	o.dirty[addr] = acct
}

// Supply returns Σ balances through the overlay.
func (o *Overlay) Supply() uint64 {
	s := o.parent.Supply()
	for _, u := range o.undo {
		s = s - u.Prev.Balance + o.dirty[u.Addr].Balance
	}
	return s
}

// dirtySorted returns the dirty addresses in ascending order.
func (o *Overlay) dirtySorted() []keys.Address {
	ks := make([]keys.Address, 0, len(o.dirty))
	for a := range o.dirty {
		ks = append(ks, a)
	}
	slices.SortFunc(ks, func(a, b keys.Address) int { return bytes.Compare(a[:], b[:]) })
	return ks
}

// Each calls fn for every non-empty account of the overlay's view in
// ascending address order (a merge of the parent's listing and the
// overlay's changes).
func (o *Overlay) Each(fn func(keys.Address, types.Account)) {
	ds := o.dirtySorted()
	i := 0
	emitDirty := func(a keys.Address) {
		if acct := o.dirty[a]; !acct.IsEmpty() {
			fn(a, acct)
		}
	}
	o.parent.Each(func(a keys.Address, acct types.Account) {
		for i < len(ds) && bytes.Compare(ds[i][:], a[:]) < 0 {
			emitDirty(ds[i])
			i++
		}
		if i < len(ds) && ds[i] == a {
			emitDirty(a)
			i++
			return
		}
		fn(a, acct)
	})
	for ; i < len(ds); i++ {
		emitDirty(ds[i])
	}
}

// Len returns the number of non-empty accounts in the overlay's view.
func (o *Overlay) Len() int {
	n := o.parent.Len()
	for _, u := range o.undo {
		now := !o.dirty[u.Addr].IsEmpty()
		switch {
		case u.Existed && !now:
			n--
		case !u.Existed && now:
			n++
		}
	}
	return n
}

// Root returns the StateRoot of the overlay's view.
func (o *Overlay) Root() hashx.Hash { return root(o) }

// Entries returns the overlay's view as a sorted listing.
func (o *Overlay) Entries() []Entry { return entries(o) }

// Changes returns the accounts the overlay changed, with their new values
// (empty Acct = deleted), in ascending address order. With Undo it is what
// a store writes when the overlay's block is connected.
func (o *Overlay) Changes() []Entry {
	ds := o.dirtySorted()
	out := make([]Entry, len(ds))
	for i, a := range ds {
		out[i] = Entry{a, o.dirty[a]}
	}
	return out
}

// Undo returns the undo record of the overlay's changes relative to its
// parent: for every touched address, in first-touch order, whether it
// existed and its previous balance and nonce.
func (o *Overlay) Undo() *Undo {
	return &Undo{Entries: slices.Clone(o.undo)}
}

// ErrParentNotWritable is returned by Commit when the parent is neither a
// *State nor an *Overlay.
var ErrParentNotWritable = errors.New("state: overlay parent is not writable")

// Commit writes the overlay's changes into its parent and returns the undo
// record (as Undo). The overlay is reset to empty and stays usable.
func (o *Overlay) Commit() (*Undo, error) {
	u := o.Undo()
	switch p := o.parent.(type) {
	case *State:
		for _, e := range o.undo {
			p.set(e.Addr, o.dirty[e.Addr])
		}
	case *Overlay:
		for _, e := range o.undo {
			p.set(e.Addr, o.dirty[e.Addr])
		}
	default:
		return nil, ErrParentNotWritable
	}
	o.dirty = map[keys.Address]types.Account{}
	o.undo = nil
	return u, nil
}

// Options control the checks ApplyTx and ApplyBlock perform.
type Options struct {
	// SkipSignatures skips ed25519 verification because the caller has
	// already verified every signature (consensus.CheckBlockSanity does).
	SkipSignatures bool
}

// ApplyTx validates a transfer against the overlay's view and applies it.
// It checks the context-free rules (consensus.CheckTxFields), the signature
// (unless opts.SkipSignatures), Nonce == sender nonce (ErrNonceMismatch),
// Balance >= Amount + Fee (ErrInsufficientBalance) and every addition for
// overflow (ErrOverflow). On error the overlay is unchanged.
func (o *Overlay) ApplyTx(p *consensus.Params, tx *types.Tx, opts Options) error {
	if err := consensus.CheckTxFields(p, tx); err != nil {
		return err
	}
	from := o.Account(tx.From)
	if tx.Nonce != from.Nonce {
		return consensus.Errorf(consensus.ErrNonceMismatch, "tx nonce %d, account %s nonce %d", tx.Nonce, tx.From, from.Nonce)
	}
	cost := tx.Amount + tx.Fee // no overflow: CheckTxFields
	if from.Balance < cost {
		return consensus.Errorf(consensus.ErrInsufficientBalance, "%s has %d, needs %d", tx.From, from.Balance, cost)
	}
	if from.Nonce == 1<<64-1 {
		return consensus.Errorf(consensus.ErrOverflow, "nonce of %s overflows", tx.From)
	}
	to := o.Account(tx.To)
	newTo, carry := bits.Add64(to.Balance, tx.Amount, 0)
	if carry != 0 {
		return consensus.Errorf(consensus.ErrOverflow, "balance of %s overflows", tx.To)
	}
	if !opts.SkipSignatures && !tx.VerifySig() {
		return consensus.Errorf(consensus.ErrBadSignature, "signature of tx %s does not verify for %s", tx.ID(), tx.From)
	}
	o.set(tx.From, types.Account{Balance: from.Balance - cost, Nonce: from.Nonce + 1})
	o.set(tx.To, types.Account{Balance: newTo, Nonce: to.Nonce})
	return nil
}

// ApplyBlock applies a block's transactions to the overlay: the coinbase
// (shape per consensus.CheckCoinbase, Amount == Subsidy(h) + Σ fees, else
// ErrBadCoinbaseAmount) is credited first, then every transfer in order via
// ApplyTx. It returns the fee total. On error the overlay holds a partial
// application and must be discarded. It does not check the StateRoot; see
// ConnectBlock.
func (o *Overlay) ApplyBlock(p *consensus.Params, b *types.Block, opts Options) (fees uint64, err error) {
	if len(b.Txs) == 0 {
		return 0, consensus.Errorf(consensus.ErrBadCoinbase, "block has no coinbase")
	}
	h := &b.Header
	cb := b.Txs[0]
	if err := consensus.CheckCoinbase(p, cb, h.Height, h.Miner); err != nil {
		return 0, err
	}
	for i, tx := range b.Txs[1:] {
		if tx.IsCoinbase() {
			return 0, consensus.Errorf(consensus.ErrBadCoinbase, "transaction %d has the coinbase sender", i+1)
		}
		var carry uint64
		fees, carry = bits.Add64(fees, tx.Fee, 0)
		if carry != 0 {
			return 0, consensus.Errorf(consensus.ErrOverflow, "fee total overflows")
		}
	}
	want, carry := bits.Add64(consensus.Subsidy(p, h.Height), fees, 0)
	if carry != 0 {
		return 0, consensus.Errorf(consensus.ErrOverflow, "subsidy + fees overflows")
	}
	if cb.Amount != want {
		return 0, consensus.Errorf(consensus.ErrBadCoinbaseAmount, "coinbase pays %d, subsidy %d + fees %d = %d",
			cb.Amount, consensus.Subsidy(p, h.Height), fees, want)
	}
	miner := o.Account(cb.To)
	bal, carry := bits.Add64(miner.Balance, cb.Amount, 0)
	if carry != 0 {
		return 0, consensus.Errorf(consensus.ErrOverflow, "miner balance overflows")
	}
	if _, carry := bits.Add64(o.Supply(), cb.Amount, 0); carry != 0 {
		return 0, consensus.Errorf(consensus.ErrOverflow, "total supply overflows")
	}
	if cb.Amount > 0 {
		o.set(cb.To, types.Account{Balance: bal, Nonce: miner.Nonce})
	}
	for _, tx := range b.Txs[1:] {
		if err := o.ApplyTx(p, tx, opts); err != nil {
			return 0, err
		}
	}
	return fees, nil
}

// ConnectBlock applies b on a new overlay over parent and checks the
// resulting StateRoot against b.Header.StateRoot (ErrBadStateRoot). On
// success the caller checks the model update, then commits the overlay
// (Commit, keeping the Undo) or drops it.
func ConnectBlock(p *consensus.Params, parent Reader, b *types.Block, opts Options) (*Overlay, error) {
	o := NewOverlay(parent)
	if _, err := o.ApplyBlock(p, b, opts); err != nil {
		return nil, err
	}
	if r := o.Root(); r != b.Header.StateRoot {
		return nil, consensus.Errorf(consensus.ErrBadStateRoot, "state root %s, header says %s", r, b.Header.StateRoot)
	}
	return o, nil
}
