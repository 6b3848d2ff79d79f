package store

import (
	"encoding/binary"
	"fmt"
	"math/big"

	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/model"
	"github.com/sketchwork/sketchwork/ledger/state"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// SchemaVersion is the layout version stored under meta "schema".
const SchemaVersion = 1

// Meta keys.
var (
	KeySchema  = []byte("schema")
	KeyGenesis = []byte("genesis")
	KeyTip     = []byte("tip")
)

// Status bits of a block in the index (section 8).
type Status uint8

const (
	StatusHeader  Status = 1 // header checked (sanity and context)
	StatusBody    Status = 2 // body stored (checks 1-5 passed)
	StatusValid   Status = 4 // fully validated: state transition and training
	StatusInvalid Status = 8 // the block or an ancestor broke a rule
)

// Has reports whether every bit of f is set in s.
func (s Status) Has(f Status) bool { return s&f == f }

// HeaderRecord is the value of the hdr bucket: the header, its height, the
// cumulative chain work and the status (section 8), plus, for invalid
// blocks, the code of the rule that failed (an extension of the spec's
// layout so that a restarted node still reports why a block is invalid).
//
//	header [244] | height u64 LE | chainwork [32] big endian | status u8 | code u8
type HeaderRecord struct {
	Header types.Header
	Work   *big.Int
	Status Status
	Code   consensus.ErrorCode
}

// HeaderRecordSize is the encoded size of a HeaderRecord.
const HeaderRecordSize = types.HeaderSize + 8 + 32 + 1 + 1

// Encode returns the record's bytes.
func (r *HeaderRecord) Encode() []byte {
	out := make([]byte, 0, HeaderRecordSize)
	out = append(out, r.Header.Encode()...)
	out = binary.LittleEndian.AppendUint64(out, r.Header.Height)
	var w [32]byte
	r.Work.FillBytes(w[:])
	out = append(out, w[:]...)
	return append(out, byte(r.Status), byte(r.Code))
}

// DecodeHeaderRecord parses a hdr value (copying it).
func DecodeHeaderRecord(b []byte) (*HeaderRecord, error) {
	if len(b) != HeaderRecordSize {
		return nil, corruptf("header record of %d bytes, want %d", len(b), HeaderRecordSize)
	}
	h, err := types.DecodeHeader(b[:types.HeaderSize])
	if err != nil {
		return nil, corruptf("header record: %v", err)
	}
	if height := binary.LittleEndian.Uint64(b[types.HeaderSize:]); height != h.Height {
		return nil, corruptf("header record height %d, header says %d", height, h.Height)
	}
	off := types.HeaderSize + 8
	r := &HeaderRecord{Header: *h, Work: new(big.Int).SetBytes(b[off : off+32]),
		Status: Status(b[off+32]), Code: consensus.ErrorCode(b[off+33])}
	if r.Status&^(StatusHeader|StatusBody|StatusValid|StatusInvalid) != 0 || !r.Status.Has(StatusHeader) {
		return nil, corruptf("header record status %#x", r.Status)
	}
	return r, nil
}

// HeightKey is the big-endian key of a height (h2b and snap buckets), so
// that byte order is numeric order.
func HeightKey(h uint64) []byte { return binary.BigEndian.AppendUint64(nil, h) }

func hashValue(b []byte, what string) (hashx.Hash, error) {
	h, err := hashx.FromBytes(b)
	if err != nil {
		return h, corruptf("%s: %v", what, err)
	}
	return h, nil
}

// Snapshot policy (section 8): a weights snapshot at every SnapshotEvery-th
// main-chain height; beyond depth SnapshotKeepDepth only every
// SnapshotSparseEvery-th height is kept.
const (
	SnapshotEvery       = 16
	SnapshotKeepDepth   = 1000
	SnapshotSparseEvery = 256
)

// SnapshotDue reports whether a block connected at height h stores a
// snapshot of its weights.
func SnapshotDue(h uint64) bool { return h%SnapshotEvery == 0 }

// snapshotPrunedBy returns the height whose snapshot falls out of the dense
// window when height h is connected, if it is to be deleted.
func snapshotPrunedBy(h uint64) (uint64, bool) {
	if h <= SnapshotKeepDepth {
		return 0, false
	}
	s := h - SnapshotKeepDepth - 1
	return s, s%SnapshotEvery == 0 && s%SnapshotSparseEvery != 0
}

// ConnectBatch is everything one block's connection writes. WriteConnect
// applies it in the caller's transaction, so that a connect is one
// atomic update (section 8).
type ConnectBatch struct {
	Hash   hashx.Hash
	Record *HeaderRecord // Status should include StatusValid
	// Block is the block encoding to store, or nil if it is stored already.
	Block   []byte
	Changes []state.Entry // new account values; an empty account is deleted
	Undo    *state.Undo
	// Weights are the block's weights; they are written when
	// SnapshotDue(height).
	Weights *model.Weights
	TxIDs   []hashx.Hash
}

// WriteConnect writes a block connection: its header record, the body if
// given, account deltas, undo record, h2b entry, the snapshot when due
// (pruning the one that leaves the dense window), the transaction index
// and meta.tip.
func WriteConnect(tx Tx, c *ConnectBatch) error {
	h := c.Record.Header.Height
	if err := tx.Put(Headers, c.Hash[:], c.Record.Encode()); err != nil {
		return err
	}
	if c.Block != nil {
		if err := tx.Put(Blocks, c.Hash[:], c.Block); err != nil {
			return err
		}
	}
	for _, e := range c.Changes {
		var err error
		if e.Acct.IsEmpty() {
			err = tx.Delete(Accounts, e.Addr[:])
		} else {
			err = tx.Put(Accounts, e.Addr[:], e.Acct.Encode())
		}
		if err != nil {
			return err
		}
	}
	if err := tx.Put(Undo, c.Hash[:], c.Undo.Encode()); err != nil {
		return err
	}
	if err := tx.Put(Heights, HeightKey(h), c.Hash[:]); err != nil {
		return err
	}
	if SnapshotDue(h) {
		if c.Weights == nil {
			return fmt.Errorf("store: snapshot due at height %d but no weights given", h)
		}
		if err := tx.Put(Snapshots, HeightKey(h), EncodeSnapshot(c.Hash, c.Weights)); err != nil {
			return err
		}
	}
	if s, ok := snapshotPrunedBy(h); ok {
		if err := tx.Delete(Snapshots, HeightKey(s)); err != nil {
			return err
		}
	}
	for i, id := range c.TxIDs {
		v := binary.LittleEndian.AppendUint32(append([]byte(nil), c.Hash[:]...), uint32(i))
		if err := tx.Put(TxIndex, id[:], v); err != nil {
			return err
		}
	}
	return tx.Put(Meta, KeyTip, c.Hash[:])
}

// DisconnectBatch is what one block's disconnection writes.
type DisconnectBatch struct {
	Hash   hashx.Hash
	Height uint64
	Parent hashx.Hash
	Undo   *state.Undo // the block's undo record (read with ReadUndo)
	TxIDs  []hashx.Hash
}

// WriteDisconnect writes a block disconnection: accounts restored from the
// undo record, the undo record, h2b entry, snapshot and transaction index
// entries removed, meta.tip set to the parent. The header and body stay
// (the block is still valid, just not on the main chain).
func WriteDisconnect(tx Tx, d *DisconnectBatch) error {
	for _, e := range d.Undo.Entries {
		var err error
		if !e.Existed {
			err = tx.Delete(Accounts, e.Addr[:])
		} else {
			err = tx.Put(Accounts, e.Addr[:], e.Prev.Encode())
		}
		if err != nil {
			return err
		}
	}
	for _, b := range []Bucket{Undo} {
		if err := tx.Delete(b, d.Hash[:]); err != nil {
			return err
		}
	}
	for _, k := range []Bucket{Heights, Snapshots} {
		if err := tx.Delete(k, HeightKey(d.Height)); err != nil {
			return err
		}
	}
	for _, id := range d.TxIDs {
		if err := tx.Delete(TxIndex, id[:]); err != nil {
			return err
		}
	}
	return tx.Put(Meta, KeyTip, d.Parent[:])
}

// ReadUndo reads and decodes the undo record of a main-chain block.
func ReadUndo(tx Tx, hash hashx.Hash) (*state.Undo, error) {
	v := tx.Get(Undo, hash[:])
	if v == nil {
		return nil, corruptf("no undo record for block %s", hash)
	}
	u, err := state.DecodeUndo(v)
	if err != nil {
		return nil, corruptf("undo record of %s: %v", hash, err)
	}
	return u, nil
}

// EncodeSnapshot returns a snap value: block hash || weights encoding.
func EncodeSnapshot(hash hashx.Hash, w *model.Weights) []byte {
	return w.AppendEncode(append(make([]byte, 0, hashx.Size+model.EncodedSize), hash[:]...))
}

// ReadSnapshot returns the newest snapshot at a height <= maxHeight: its
// height, block hash and weights. ok is false when there is none.
func ReadSnapshot(tx Tx, maxHeight uint64) (height uint64, hash hashx.Hash, w *model.Weights, ok bool, err error) {
	k, v := tx.Floor(Snapshots, HeightKey(maxHeight))
	if k == nil {
		return 0, hash, nil, false, nil
	}
	if len(k) != 8 || len(v) != hashx.Size+model.EncodedSize {
		return 0, hash, nil, false, corruptf("snapshot entry with %d-byte key and %d-byte value", len(k), len(v))
	}
	height = binary.BigEndian.Uint64(k)
	copy(hash[:], v)
	w, err = model.Decode(v[hashx.Size:])
	if err != nil {
		return 0, hash, nil, false, corruptf("snapshot at %d: %v", height, err)
	}
	return height, hash, w, true, nil
}

// ReadAccounts returns the acct bucket as a state listing.
func ReadAccounts(tx Tx) ([]state.Entry, error) {
	var out []state.Entry
	err := tx.ForEach(Accounts, func(k, v []byte) error {
		if len(k) != keys.AddressSize {
			return corruptf("account key of %d bytes", len(k))
		}
		a, err := types.DecodeAccount(v)
		if err != nil {
			return corruptf("account %x: %v", k, err)
		}
		var e state.Entry
		copy(e.Addr[:], k)
		e.Acct = a
		out = append(out, e)
		return nil
	})
	return out, err
}

// ReadBlock returns the stored block with hash, or nil if absent.
func ReadBlock(tx Tx, hash hashx.Hash) (*types.Block, error) {
	v := tx.Get(Blocks, hash[:])
	if v == nil {
		return nil, nil
	}
	b, err := types.DecodeBlock(v)
	if err != nil {
		return nil, corruptf("block %s: %v", hash, err)
	}
	if b.Hash() != hash {
		return nil, corruptf("block stored under %s hashes to %s", hash, b.Hash())
	}
	return b, nil
}

// ReadMetaHash reads a 32-byte meta value (genesis or tip); ok is false
// when absent.
func ReadMetaHash(tx Tx, key []byte) (hashx.Hash, bool, error) {
	v := tx.Get(Meta, key)
	if v == nil {
		return hashx.Hash{}, false, nil
	}
	h, err := hashValue(v, "meta "+string(key))
	return h, err == nil, err
}

// ReadSchema returns the stored schema version; ok is false for an empty
// store.
func ReadSchema(tx Tx) (uint32, bool, error) {
	v := tx.Get(Meta, KeySchema)
	if v == nil {
		return 0, false, nil
	}
	if len(v) != 4 {
		return 0, false, corruptf("schema value of %d bytes", len(v))
	}
	return binary.LittleEndian.Uint32(v), true, nil
}

// WriteSchema stores the schema version and genesis hash of a new store.
func WriteSchema(tx Tx, genesis hashx.Hash) error {
	if err := tx.Put(Meta, KeySchema, binary.LittleEndian.AppendUint32(nil, SchemaVersion)); err != nil {
		return err
	}
	return tx.Put(Meta, KeyGenesis, genesis[:])
}

// TxLoc is where a main-chain transaction is: its block and index.
type TxLoc struct {
	Block hashx.Hash
	Index uint32
}

// ReadTxLoc looks a transaction id up in the txloc index.
func ReadTxLoc(tx Tx, id hashx.Hash) (TxLoc, bool, error) {
	v := tx.Get(TxIndex, id[:])
	if v == nil {
		return TxLoc{}, false, nil
	}
	if len(v) != hashx.Size+4 {
		return TxLoc{}, false, corruptf("txloc value of %d bytes", len(v))
	}
	var l TxLoc
	copy(l.Block[:], v)
	l.Index = binary.LittleEndian.Uint32(v[hashx.Size:])
	return l, true, nil
}

// ClearDerived deletes every entry of the buckets a reindex rebuilds
// (accounts, undo, heights, snapshots, txloc) and resets the valid bit of
// every header record, keeping headers, bodies and invalid marks.
func ClearDerived(tx Tx) error {
	for _, b := range []Bucket{Accounts, Undo, Heights, Snapshots, TxIndex} {
		var ks [][]byte
		if err := tx.ForEach(b, func(k, _ []byte) error {
			ks = append(ks, append([]byte(nil), k...))
			return nil
		}); err != nil {
			return err
		}
		for _, k := range ks {
			if err := tx.Delete(b, k); err != nil {
				return err
			}
		}
	}
	var recs [][]byte
	if err := tx.ForEach(Headers, func(k, v []byte) error {
		recs = append(recs, append(append([]byte(nil), k...), v...))
		return nil
	}); err != nil {
		return err
	}
	for _, kv := range recs {
		r, err := DecodeHeaderRecord(kv[hashx.Size:])
		if err != nil {
			return err
		}
		if r.Status.Has(StatusValid) {
			r.Status &^= StatusValid
			if err := tx.Put(Headers, kv[:hashx.Size], r.Encode()); err != nil {
				return err
			}
		}
	}
	return nil
}
