// Package types defines GradientCoin's wire objects and their canonical
// encodings: transactions, the 244-byte block header, blocks, accounts and
// PoW targets (papers/gradientcoin.md sections 3.2-3.4).
//
// # Layouts (all integers little endian, see package codec)
//
//	Tx      Version u8 | ChainID u32 | From [32] | To [32] | Amount u64 | Fee u64 |
//	        Nonce u64 | uvarint len(Memo) (<= 64) | Memo | Sig [64]
//	        158..222 bytes; decoders reject anything above MaxTxSize = 512.
//	Header  Version u32 | Height u64 | PrevHash | TxRoot | StateRoot | ModelRoot |
//	        Miner [32] | TrainNonce u64 | LossBefore i64 | LossAfter i64 |
//	        Time i64 (unix ms) | Target [32] (big endian) | Nonce u64  = 244 bytes
//	Block   Header | uvarint count (<= 1000) | count x Tx; <= 256 KiB in total
//
// Identifiers:
//
//	TxID      = SHA256("gc/tx/v1" || Tx encoding including Sig)
//	signature = ed25519.Sign(priv, "gc/tx/v1" || Tx encoding without Sig)
//	BlockHash = SHA256("gc/hdr/v1" || 244 header bytes)
//	TxRoot    = RFC 6962 root over the 32-byte TxIDs in block order
//	StateRoot leaves are AccountLeaf(addr, acct) = addr || Balance u64 || Nonce u64
//
// Decoding is structural and canonical: for every accepted input b,
// Encode(Decode(b)) == b, and for every value x within the caps,
// Decode(Encode(x)) == x (fuzzed by FuzzDecodeTx, FuzzDecodeHeader and
// FuzzDecodeBlock). Semantic rules (version, chain ID, signatures, coinbase
// shape, amounts) are consensus checks in package consensus and state, so that
// they are reported with their own RuleError codes.
//
// # Cost
//
// Encoding and decoding are linear in the size and allocate once per object
// (plus one Memo slice). TxID is one SHA-256 over at most 222 bytes.
// HeaderHasher hashes a header for a new PoW nonce from a saved SHA-256
// midstate, about 40% of the work of Header.Hash.
//
// Standard library only (the package is on the consensus path).
package types
