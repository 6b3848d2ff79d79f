package types

import (
	"fmt"

	"github.com/sketchwork/sketchwork/ledger/codec"
	"github.com/sketchwork/sketchwork/ledger/hashx"
)

// Block limits (sections 3.4 and 6).
const (
	MaxBlockTxs  = 1000
	MaxBlockSize = 256 << 10
)

// Block is a header and its transactions (the coinbase first).
type Block struct {
	Header Header
	Txs    []*Tx
}

// Hash returns the block hash (the header hash).
func (b *Block) Hash() hashx.Hash { return b.Header.Hash() }

// Size returns the encoded size of b.
func (b *Block) Size() int {
	n := HeaderSize + codec.UvarintLen(uint64(len(b.Txs)))
	for _, tx := range b.Txs {
		n += tx.Size()
	}
	return n
}

// Encode returns Header || uvarint(len(Txs)) || Txs. It does not check caps.
func (b *Block) Encode() []byte {
	w := codec.NewWriter(b.Size())
	b.Header.EncodeTo(w)
	w.Uvarint(uint64(len(b.Txs)))
	for _, tx := range b.Txs {
		tx.EncodeTo(w)
	}
	return w.Bytes()
}

// TxIDs returns the ids of b's transactions in order.
func (b *Block) TxIDs() []hashx.Hash {
	ids := make([]hashx.Hash, len(b.Txs))
	for i, tx := range b.Txs {
		ids[i] = tx.ID()
	}
	return ids
}

// TxRoot returns the RFC 6962 root over the 32-byte TxIDs of txs in order
// (EmptyRoot for no transactions).
func TxRoot(txs []*Tx) hashx.Hash {
	leaves := make([][]byte, len(txs))
	for i, tx := range txs {
		id := tx.ID()
		leaves[i] = id[:]
	}
	return hashx.MerkleRoot(leaves)
}

// TxRootFromIDs is TxRoot for precomputed ids.
func TxRootFromIDs(ids []hashx.Hash) hashx.Hash {
	leaves := make([][]byte, len(ids))
	for i := range ids {
		leaves[i] = ids[i][:]
	}
	return hashx.MerkleRoot(leaves)
}

// DecodeBlock decodes exactly one block. It rejects input above
// MaxBlockSize before reading, a count above MaxBlockTxs or above what the
// remaining bytes can hold (MinTxSize each) before allocating, any malformed
// transaction, and trailing bytes.
func DecodeBlock(b []byte) (*Block, error) {
	if len(b) > MaxBlockSize {
		return nil, fmt.Errorf("%w: block of %d bytes > %d", ErrTooLarge, len(b), MaxBlockSize)
	}
	r := codec.NewReader(b)
	blk := &Block{Header: decodeHeader(r)}
	n := r.Len("block.tx_count", MaxBlockTxs, MinTxSize)
	if r.Err() == nil && n > 0 {
		blk.Txs = make([]*Tx, 0, n)
		for i := 0; i < n && r.Err() == nil; i++ {
			blk.Txs = append(blk.Txs, decodeTx(r))
		}
	}
	if err := r.Finish(); err != nil {
		return nil, err
	}
	return blk, nil
}
