package types

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/sketchwork/sketchwork/ledger/codec"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/keys"
)

// Transaction limits and constants (section 3.2).
const (
	TxVersion = 1   // the only transaction version of protocol v1
	MaxMemo   = 64  // bytes of free-form memo
	MaxTxSize = 512 // largest accepted transaction encoding
	// MinTxSize is the encoding size of a transaction with an empty memo.
	MinTxSize = 1 + 4 + 32 + 32 + 8 + 8 + 8 + 1 + keys.SignatureSize
)

// Tx is a transfer, or (with a zero From) the block's coinbase.
type Tx struct {
	Version uint8
	ChainID uint32
	From    keys.Address
	To      keys.Address
	Amount  uint64
	Fee     uint64
	Nonce   uint64
	Memo    []byte // nil when empty
	Sig     keys.Signature
}

func (tx *Tx) encodeBody(w *codec.Writer) {
	w.U8(tx.Version)
	w.U32(tx.ChainID)
	w.Raw(tx.From[:])
	w.Raw(tx.To[:])
	w.U64(tx.Amount)
	w.U64(tx.Fee)
	w.U64(tx.Nonce)
	w.VarBytes(tx.Memo)
}

// EncodeTo appends the canonical encoding of tx to w. It does not check caps
// (a Memo over MaxMemo produces bytes that DecodeTx rejects).
func (tx *Tx) EncodeTo(w *codec.Writer) {
	tx.encodeBody(w)
	w.Raw(tx.Sig[:])
}

// Encode returns the canonical encoding of tx.
func (tx *Tx) Encode() []byte {
	w := codec.NewWriter(tx.Size())
	tx.EncodeTo(w)
	return w.Bytes()
}

// Size returns the length of the encoding of tx.
func (tx *Tx) Size() int {
	return MinTxSize - 1 + codec.UvarintLen(uint64(len(tx.Memo))) + len(tx.Memo)
}

// SigningBytes returns the message that the sender signs:
// "gc/tx/v1" || encoding of tx without Sig.
func (tx *Tx) SigningBytes() []byte {
	w := codec.NewWriter(len(hashx.TagTx) + tx.Size())
	w.Raw([]byte(hashx.TagTx))
	tx.encodeBody(w)
	return w.Bytes()
}

// ID returns the transaction id H_"gc/tx/v1"(full encoding including Sig).
func (tx *Tx) ID() hashx.Hash { return hashx.Tagged(hashx.TagTx, tx.Encode()) }

// IsCoinbase reports whether tx has the coinbase sender (32 zero bytes).
func (tx *Tx) IsCoinbase() bool { return tx.From.IsZero() }

// ErrWrongSigner is returned by Sign when the key does not own tx.From.
var ErrWrongSigner = errors.New("types: signing key does not match tx.From")

// Sign sets tx.Sig to k's signature over SigningBytes. tx.From must already
// be k's address.
func (tx *Tx) Sign(k *keys.PrivateKey) error {
	if tx.From != k.Address() {
		return fmt.Errorf("%w: from %s, key %s", ErrWrongSigner, tx.From, k.Address())
	}
	tx.Sig = k.Sign(tx.SigningBytes())
	return nil
}

// VerifySig reports whether tx.Sig is From's signature over SigningBytes.
func (tx *Tx) VerifySig() bool { return keys.Verify(tx.From, tx.SigningBytes(), tx.Sig) }

// Clone returns a deep copy of tx.
func (tx *Tx) Clone() *Tx {
	c := *tx
	if tx.Memo != nil {
		c.Memo = bytes.Clone(tx.Memo)
	}
	return &c
}

// NewCoinbase returns the coinbase of a block at height paying amount to
// miner: Version 1, From zero, To miner, Nonce height, Fee 0, Sig zero.
func NewCoinbase(chainID uint32, miner keys.Address, height, amount uint64) *Tx {
	return &Tx{Version: TxVersion, ChainID: chainID, To: miner, Amount: amount, Nonce: height}
}

// decodeTx reads one transaction from r.
func decodeTx(r *codec.Reader) *Tx {
	tx := new(Tx)
	tx.Version = r.U8("tx.version")
	tx.ChainID = r.U32("tx.chain_id")
	r.Array("tx.from", tx.From[:])
	r.Array("tx.to", tx.To[:])
	tx.Amount = r.U64("tx.amount")
	tx.Fee = r.U64("tx.fee")
	tx.Nonce = r.U64("tx.nonce")
	tx.Memo = r.VarBytes("tx.memo", MaxMemo)
	r.Array("tx.sig", tx.Sig[:])
	return tx
}

// ErrTooLarge wraps size-cap violations found before decoding.
var ErrTooLarge = errors.New("types: encoding over size cap")

// DecodeTx decodes exactly one transaction from b. Input above MaxTxSize,
// short input, a memo over MaxMemo, a non-minimal length and trailing bytes
// are errors (wrapping codec sentinels or ErrTooLarge).
func DecodeTx(b []byte) (*Tx, error) {
	if len(b) > MaxTxSize {
		return nil, fmt.Errorf("%w: tx of %d bytes > %d", ErrTooLarge, len(b), MaxTxSize)
	}
	r := codec.NewReader(b)
	tx := decodeTx(r)
	if err := r.Finish(); err != nil {
		return nil, err
	}
	return tx, nil
}
