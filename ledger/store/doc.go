// Package store is GradientCoin's persistence layer (papers/gradientcoin.md
// section 8): a narrow transactional key-value interface, the schema the
// chain writes through it, and an in-memory implementation for tests. The
// durable implementation on bbolt is package store/boltstore.
//
// # Interface
//
// Store has bbolt's shape: closure-scoped transactions, View (read-only,
// concurrent, a consistent snapshot) and Update (one writer, atomic,
// durable when it returns nil). Values handed out by a transaction are
// valid only inside it; the decoders of this package copy. Memory makes
// that rule observable: it overwrites every slice it handed out when the
// transaction ends, so code that keeps one fails in tests instead of
// corrupting data in production.
//
// # Schema 1
//
//	meta   "schema" -> u32 1, "genesis" -> hash, "tip" -> hash
//	hdr    hash -> header | height | chainwork | status | code  (HeaderRecord)
//	blk    hash -> block bytes (main and side branches)
//	h2b    height (u64 BE) -> main-chain hash
//	acct   address -> balance | nonce
//	undo   hash -> state.Undo (for main-chain blocks)
//	snap   height (u64 BE) -> hash | weights, every 16th main-chain height,
//	       only every 256th beyond depth 1000
//	txloc  txid -> block hash | u32 index (main-chain transactions)
//
// Status bits: 1 header checked, 2 body stored, 4 fully valid, 8 invalid.
//
// # Atomicity
//
// WriteConnect and WriteDisconnect write everything one block's connection
// or disconnection changes (status, account deltas, undo, h2b, snapshot,
// txloc and meta.tip) inside the caller's single Update, so the stored tip
// always names a state that is entirely on disk: there is no index that
// could lag behind the tip after a crash.
//
// # Cost
//
// Records are fixed-size except blocks (<= 256 KiB), undo records (49 bytes
// per touched account) and snapshots (32 + 307,584 bytes). Memory's Update
// copies each bucket it writes (O(keys of that bucket)); it is meant for
// tests with thousands, not millions, of keys.
//
// The package uses only the standard library and ledger packages; bbolt
// stays behind boltstore.
package store
