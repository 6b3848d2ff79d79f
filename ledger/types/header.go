package types

import (
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"fmt"
	"hash"

	"github.com/sketchwork/sketchwork/ledger/codec"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/keys"
)

// HeaderSize is the exact encoded size of a header.
const HeaderSize = 244

// HeaderVersion is the header version of protocol v1.
const HeaderVersion = 1

// Header is a block header (section 3.4), fields in encoding order.
type Header struct {
	Version    uint32
	Height     uint64
	PrevHash   hashx.Hash
	TxRoot     hashx.Hash // RFC 6962 over TxIDs
	StateRoot  hashx.Hash // account state after this block
	ModelRoot  hashx.Hash // weights after this block's training update
	Miner      keys.Address
	TrainNonce uint64
	LossBefore int64 // Q8.24
	LossAfter  int64 // Q8.24
	Time       int64 // unix milliseconds
	Target     Target
	Nonce      uint64
}

// EncodeTo appends the 244 header bytes to w.
func (h *Header) EncodeTo(w *codec.Writer) {
	w.U32(h.Version)
	w.U64(h.Height)
	w.Raw(h.PrevHash[:])
	w.Raw(h.TxRoot[:])
	w.Raw(h.StateRoot[:])
	w.Raw(h.ModelRoot[:])
	w.Raw(h.Miner[:])
	w.U64(h.TrainNonce)
	w.I64(h.LossBefore)
	w.I64(h.LossAfter)
	w.I64(h.Time)
	w.Raw(h.Target[:])
	w.U64(h.Nonce)
}

// Encode returns the 244 header bytes.
func (h *Header) Encode() []byte {
	w := codec.NewWriter(HeaderSize)
	h.EncodeTo(w)
	return w.Bytes()
}

// Hash returns the block hash H_"gc/hdr/v1"(header bytes).
func (h *Header) Hash() hashx.Hash { return hashx.Tagged(hashx.TagHeader, h.Encode()) }

func decodeHeader(r *codec.Reader) Header {
	var h Header
	h.Version = r.U32("header.version")
	h.Height = r.U64("header.height")
	r.Array("header.prev_hash", h.PrevHash[:])
	r.Array("header.tx_root", h.TxRoot[:])
	r.Array("header.state_root", h.StateRoot[:])
	r.Array("header.model_root", h.ModelRoot[:])
	r.Array("header.miner", h.Miner[:])
	h.TrainNonce = r.U64("header.train_nonce")
	h.LossBefore = r.I64("header.loss_before")
	h.LossAfter = r.I64("header.loss_after")
	h.Time = r.I64("header.time")
	r.Array("header.target", h.Target[:])
	h.Nonce = r.U64("header.nonce")
	return h
}

// DecodeHeader decodes exactly HeaderSize bytes.
func DecodeHeader(b []byte) (*Header, error) {
	if len(b) > HeaderSize {
		return nil, fmt.Errorf("%w: header of %d bytes, want %d", ErrTooLarge, len(b), HeaderSize)
	}
	r := codec.NewReader(b)
	h := decodeHeader(r)
	if err := r.Finish(); err != nil {
		return nil, err
	}
	return &h, nil
}

// nonceOffset is where Nonce starts in the header encoding.
const nonceOffset = HeaderSize - 8

// HeaderHasher computes the block hash of one header for many PoW nonces.
// It saves the SHA-256 state after "gc/hdr/v1" || header[:236] and only
// hashes the 8 nonce bytes per call. Not safe for concurrent use; build one
// per goroutine.
type HeaderHasher struct {
	mid   []byte
	d     hash.Hash
	nonce [8]byte
}

// NewHeaderHasher prepares a hasher for h with every field but Nonce fixed.
func NewHeaderHasher(h *Header) *HeaderHasher {
	enc := h.Encode()
	d := sha256.New()
	d.Write([]byte(hashx.TagHeader))
	d.Write(enc[:nonceOffset])
	mid, err := d.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		panic("types: sha256 state not marshalable: " + err.Error())
	}
	return &HeaderHasher{mid: mid, d: d}
}

// Hash returns the block hash of the prepared header with Nonce = nonce.
func (hh *HeaderHasher) Hash(nonce uint64) hashx.Hash {
	if err := hh.d.(encoding.BinaryUnmarshaler).UnmarshalBinary(hh.mid); err != nil {
		panic("types: sha256 state not restorable: " + err.Error())
	}
	binary.LittleEndian.PutUint64(hh.nonce[:], nonce)
	hh.d.Write(hh.nonce[:])
	var out hashx.Hash
	hh.d.Sum(out[:0])
	return out
}
