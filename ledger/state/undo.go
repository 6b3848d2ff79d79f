package state

import (
	"errors"

	"github.com/sketchwork/sketchwork/ledger/codec"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// UndoEntry is an account's state before a block touched it (section 8:
// addr, existed, prevBalance, prevNonce).
type UndoEntry struct {
	Addr    keys.Address
	Existed bool
	Prev    types.Account
}

// Undo is the undo record of one block: one entry per touched address.
type Undo struct {
	Entries []UndoEntry
}

// maxUndoEntries bounds decoding: a block touches at most 2 accounts per
// transfer plus the miner.
const maxUndoEntries = 2*types.MaxBlockTxs + 1

const undoEntrySize = keys.AddressSize + 1 + types.AccountSize

// Encode returns uvarint(count) || (addr, existed u8, balance u64, nonce u64)*.
func (u *Undo) Encode() []byte {
	w := codec.NewWriter(codec.MaxVarintLen + undoEntrySize*len(u.Entries))
	w.Uvarint(uint64(len(u.Entries)))
	for _, e := range u.Entries {
		w.Raw(e.Addr[:])
		w.Bool(e.Existed)
		w.U64(e.Prev.Balance)
		w.U64(e.Prev.Nonce)
	}
	return w.Bytes()
}

var errUndoInconsistent = errors.New("existed flag disagrees with the previous account")

// DecodeUndo decodes an Undo record. It is strict: caps, minimal lengths, no
// trailing bytes, and Existed must equal "Prev is non-empty".
func DecodeUndo(b []byte) (*Undo, error) {
	r := codec.NewReader(b)
	n := r.Len("undo.count", maxUndoEntries, undoEntrySize)
	u := &Undo{}
	if r.Err() == nil && n > 0 {
		u.Entries = make([]UndoEntry, n)
	}
	for i := 0; i < n && r.Err() == nil; i++ {
		e := &u.Entries[i]
		r.Array("undo.addr", e.Addr[:])
		e.Existed = r.Bool("undo.existed")
		e.Prev.Balance = r.U64("undo.balance")
		e.Prev.Nonce = r.U64("undo.nonce")
		if r.Err() == nil && e.Existed == e.Prev.IsEmpty() {
			r.Fail("undo.existed", errUndoInconsistent, "")
		}
	}
	if err := r.Finish(); err != nil {
		return nil, err
	}
	return u, nil
}
