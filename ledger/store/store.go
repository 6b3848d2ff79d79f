package store

import (
	"errors"
	"fmt"
)

// Bucket names a key space of the store (section 8).
type Bucket string

// The buckets of schema 1. Both implementations create all of them.
const (
	Meta      Bucket = "meta"  // "schema" -> u32, "genesis" -> hash, "tip" -> hash
	Headers   Bucket = "hdr"   // hash -> HeaderRecord
	Blocks    Bucket = "blk"   // hash -> block bytes (main and side branches)
	Heights   Bucket = "h2b"   // u64 big-endian height -> main-chain hash
	Accounts  Bucket = "acct"  // address -> balance || nonce
	Undo      Bucket = "undo"  // block hash -> state.Undo encoding
	Snapshots Bucket = "snap"  // u64 big-endian height -> block hash || weights
	TxIndex   Bucket = "txloc" // txid -> block hash || u32 index (main chain)
)

// AllBuckets lists every bucket of the schema.
var AllBuckets = []Bucket{Meta, Headers, Blocks, Heights, Accounts, Undo, Snapshots, TxIndex}

func knownBucket(b Bucket) bool {
	for _, x := range AllBuckets {
		if x == b {
			return true
		}
	}
	return false
}

// Store is a transactional key-value store with bbolt's model: any number
// of concurrent read transactions, one write transaction at a time, each
// write transaction atomic and durable when Update returns nil.
type Store interface {
	// View runs fn in a read-only transaction over a consistent snapshot.
	View(fn func(Tx) error) error
	// Update runs fn in a read-write transaction. If fn returns nil the
	// transaction is committed (and synced, for a durable store) before
	// Update returns; otherwise every write of fn is discarded.
	Update(fn func(Tx) error) error
	// Check verifies the integrity of the underlying storage (bbolt's page
	// consistency check; structural invariants for the memory store).
	Check() error
	// Close releases the store. Transactions must not be running.
	Close() error
}

// Tx is a transaction. Byte slices returned by Get, Floor, Last and passed
// to ForEach are owned by the store and valid only until the transaction
// ends: callers copy what they keep (decoders in this package do). Keys
// and values passed to Put may be reused by the caller after Put returns.
// Using a bucket outside AllBuckets panics (a programming error).
type Tx interface {
	// Get returns the value of key, or nil if absent.
	Get(b Bucket, key []byte) []byte
	// Put sets key to value (read-write transactions only).
	Put(b Bucket, key, value []byte) error
	// Delete removes key; deleting an absent key is not an error.
	Delete(b Bucket, key []byte) error
	// ForEach calls fn for every key in ascending byte order and stops at
	// the first error, which it returns. fn must not write to b.
	ForEach(b Bucket, fn func(k, v []byte) error) error
	// Floor returns the greatest key <= key and its value, or nils.
	Floor(b Bucket, key []byte) (k, v []byte)
	// Writable reports whether the transaction may write.
	Writable() bool
}

// Errors common to the implementations.
var (
	// ErrClosed is returned by transactions on a closed store.
	ErrClosed = errors.New("store: closed")
	// ErrReadOnly is returned by writes in a read-only transaction.
	ErrReadOnly = errors.New("store: write in a read-only transaction")
	// ErrLocked is returned when the store file is held by another
	// process (or another open handle) beyond the lock timeout.
	ErrLocked = errors.New("store: database is locked by another process")
	// ErrCorrupt wraps every schema-level inconsistency found in stored
	// data (bad record encodings, dangling references).
	ErrCorrupt = errors.New("store: corrupt data")
)

func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
}

func mustBucket(b Bucket) {
	if !knownBucket(b) {
		panic(fmt.Sprintf("store: unknown bucket %q", string(b)))
	}
}
