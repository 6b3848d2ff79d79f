package model

import (
	"encoding/binary"
	"fmt"

	"github.com/sketchwork/sketchwork/ledger/corpus"
	"github.com/sketchwork/sketchwork/ledger/hashx"
)

// Model dimensions (gradientcoin.md §3.5).
const (
	// V is the vocabulary size (columns of W).
	V = corpus.V
	// HashBuckets is the number of hashed (c1, c2) bigram rows.
	HashBuckets = 512
	// BiasRow is the index of the always-active bias row.
	BiasRow = 3*V + HashBuckets
	// Rows is the number of rows of W: three unigram blocks, the hashed
	// bigram block and the bias row.
	Rows = BiasRow + 1
	// NumParams is the number of weights, Rows*V = 76,896.
	NumParams = Rows * V
	// EncodedSize is the size of the weight encoding, 4 bytes per weight.
	EncodedSize = 4 * NumParams
	// ChunkSize is the chunk length, in bytes, of the ModelRoot tree.
	ChunkSize = 4096
	// NumChunks is the number of ModelRoot leaves, ceil(EncodedSize/ChunkSize) = 76.
	NumChunks = (EncodedSize + ChunkSize - 1) / ChunkSize
)

// MaxWeight is the largest weight magnitude; updates clamp to
// [-MaxWeight, MaxWeight].
const MaxWeight = 1<<31 - 1

// Weights is the model state W[Rows][V] of Q8.24 int32 weights, stored
// row-major. The zero value is the genesis model (all weights zero). Weights
// values are plain data: Clone copies them, and the functions of this
// package never modify a *Weights they did not create, except Step, which
// updates its argument in place.
type Weights struct {
	w [NumParams]int32
}

// NewGenesis returns the all-zero genesis weights.
func NewGenesis() *Weights { return new(Weights) }

// Clone returns an independent copy. The copy itself takes ~10 us; a fresh
// 300 KB allocation costs ~0.2 ms more, so loops that try many candidates
// should reuse a destination with CopyFrom or Trainer.TrainTo.
func (w *Weights) Clone() *Weights {
	c := *w
	return &c
}

// CopyFrom overwrites w with src (a 300 KB copy, ~10 us).
func (w *Weights) CopyFrom(src *Weights) { w.w = src.w }

// At returns W[r][v].
func (w *Weights) At(r, v int) int32 { return w.w[r*V+v] }

// Set sets W[r][v] (for tests and tools; consensus code changes weights
// only through Step and Train).
func (w *Weights) Set(r, v int, x int32) { w.w[r*V+v] = x }

// Row returns row r of W. The slice aliases w.
func (w *Weights) Row(r int) []int32 { return w.w[r*V : (r+1)*V : (r+1)*V] }

// Equal reports whether two weight sets are identical.
func (w *Weights) Equal(o *Weights) bool { return w.w == o.w }

// AppendEncode appends the canonical encoding of w to dst: the weights in
// row-major order as little-endian int32, EncodedSize bytes.
func (w *Weights) AppendEncode(dst []byte) []byte {
	for _, x := range w.w {
		dst = binary.LittleEndian.AppendUint32(dst, uint32(x))
	}
	return dst
}

// Encode returns the canonical encoding of w.
func (w *Weights) Encode() []byte { return w.AppendEncode(make([]byte, 0, EncodedSize)) }

// Decode parses a canonical weight encoding. It returns an error if b does
// not have exactly EncodedSize bytes. Every int32 value is a valid weight.
func Decode(b []byte) (*Weights, error) {
	if len(b) != EncodedSize {
		return nil, fmt.Errorf("model: weight encoding has %d bytes, want %d", len(b), EncodedSize)
	}
	w := new(Weights)
	for i := range w.w {
		w.w[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return w, nil
}

// Root returns the ModelRoot: the RFC 6962 Merkle root over the 4 KiB
// chunks of the canonical encoding (NumChunks = 76 leaves, the last one
// shorter).
func (w *Weights) Root() hashx.Hash {
	enc := w.Encode()
	leaves := make([][]byte, 0, NumChunks)
	for lo := 0; lo < len(enc); lo += ChunkSize {
		leaves = append(leaves, enc[lo:min(lo+ChunkSize, len(enc))])
	}
	return hashx.MerkleRoot(leaves)
}

// GenesisRoot returns the ModelRoot of the all-zero genesis weights.
func GenesisRoot() hashx.Hash { return NewGenesis().Root() }

// ActiveRows returns the five rows a context activates:
// c1, 96+c2, 192+c3, 288 + ((uint32(c1)*96 + uint32(c2))*0x9E3779B1 >> 23)
// (a 9-bit multiplicative hash in uint32 arithmetic) and the bias row 800.
func ActiveRows(c1, c2, c3 uint8) [5]int {
	h := (uint32(c1)*V + uint32(c2)) * 0x9E3779B1 >> 23
	return [5]int{int(c1), V + int(c2), 2*V + int(c3), 3*V + int(h), BiasRow}
}
