package store

import (
	"bytes"
	"errors"
	"slices"
	"sync"
)

// Memory is an in-memory Store for tests. It has bbolt's semantics: views
// see a consistent snapshot and never block, one writer at a time, writes
// of a failed Update are discarded. To catch code that keeps store-owned
// slices beyond their transaction (the bbolt misuse that corrupts data
// silently), every slice a transaction hands out is a copy that is
// overwritten with 0xEE when the transaction ends.
type Memory struct {
	writer sync.Mutex // one Update at a time
	mu     sync.RWMutex
	data   map[Bucket]map[string][]byte // immutable once published
	closed bool
	// Commits counts committed updates (tests use it to check "one
	// transaction per connect").
	commits int
}

// NewMemory returns an empty in-memory store with every bucket created.
func NewMemory() *Memory {
	m := &Memory{data: map[Bucket]map[string][]byte{}}
	for _, b := range AllBuckets {
		m.data[b] = map[string][]byte{}
	}
	return m
}

// Commits returns the number of committed Update calls so far.
func (m *Memory) Commits() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.commits
}

func (m *Memory) snapshot() (map[Bucket]map[string][]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, ErrClosed
	}
	return m.data, nil
}

// View implements Store.
func (m *Memory) View(fn func(Tx) error) error {
	data, err := m.snapshot()
	if err != nil {
		return err
	}
	tx := &memTx{base: data}
	defer tx.poison()
	return fn(tx)
}

// Update implements Store.
func (m *Memory) Update(fn func(Tx) error) error {
	m.writer.Lock()
	defer m.writer.Unlock()
	data, err := m.snapshot()
	if err != nil {
		return err
	}
	tx := &memTx{base: data, writable: true, dirty: map[Bucket]map[string][]byte{}}
	err = fn(tx)
	tx.poison()
	if err != nil {
		return err
	}
	if len(tx.dirty) == 0 {
		m.mu.Lock()
		m.commits++
		m.mu.Unlock()
		return nil
	}
	next := make(map[Bucket]map[string][]byte, len(data))
	for b, kv := range data {
		next[b] = kv
	}
	for b, kv := range tx.dirty {
		next[b] = kv
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	m.data = next
	m.commits++
	return nil
}

// Check implements Store: keys are non-empty and every bucket exists.
func (m *Memory) Check() error {
	data, err := m.snapshot()
	if err != nil {
		return err
	}
	for _, b := range AllBuckets {
		kv, ok := data[b]
		if !ok {
			return corruptf("bucket %s missing", b)
		}
		for k := range kv {
			if k == "" {
				return corruptf("empty key in bucket %s", b)
			}
		}
	}
	return nil
}

// Close implements Store.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}

type memTx struct {
	base     map[Bucket]map[string][]byte
	dirty    map[Bucket]map[string][]byte // copied-on-write buckets
	writable bool
	handed   [][]byte
	done     bool
}

func (t *memTx) bucket(b Bucket) map[string][]byte {
	mustBucket(b)
	if t.done {
		panic("store: transaction used after it ended")
	}
	if kv, ok := t.dirty[b]; ok {
		return kv
	}
	return t.base[b]
}

func (t *memTx) hand(v []byte) []byte {
	if v == nil {
		return nil
	}
	c := slices.Clone(v)
	if c == nil {
		c = []byte{}
	}
	t.handed = append(t.handed, c)
	return c
}

func (t *memTx) poison() {
	t.done = true
	for _, v := range t.handed {
		for i := range v {
			v[i] = 0xEE
		}
	}
	t.handed = nil
}

func (t *memTx) Get(b Bucket, key []byte) []byte {
	v, ok := t.bucket(b)[string(key)]
	if !ok {
		return nil
	}
	return t.hand(v)
}

func (t *memTx) writeBucket(b Bucket) (map[string][]byte, error) {
	kv := t.bucket(b)
	if !t.writable {
		return nil, ErrReadOnly
	}
	if _, ok := t.dirty[b]; !ok {
		c := make(map[string][]byte, len(kv)+1)
		for k, v := range kv {
			c[k] = v
		}
		t.dirty[b] = c
		kv = c
	}
	return kv, nil
}

var errEmptyKey = errors.New("store: empty key")

func (t *memTx) Put(b Bucket, key, value []byte) error {
	kv, err := t.writeBucket(b)
	if err != nil {
		return err
	}
	if len(key) == 0 {
		return errEmptyKey
	}
	v := slices.Clone(value)
	if v == nil {
		v = []byte{}
	}
	kv[string(key)] = v
	return nil
}

func (t *memTx) Delete(b Bucket, key []byte) error {
	kv, err := t.writeBucket(b)
	if err != nil {
		return err
	}
	delete(kv, string(key))
	return nil
}

func (t *memTx) sortedKeys(b Bucket) []string {
	kv := t.bucket(b)
	ks := make([]string, 0, len(kv))
	for k := range kv {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func (t *memTx) ForEach(b Bucket, fn func(k, v []byte) error) error {
	kv := t.bucket(b)
	for _, k := range t.sortedKeys(b) {
		if err := fn(t.hand([]byte(k)), t.hand(kv[k])); err != nil {
			return err
		}
	}
	return nil
}

func (t *memTx) Floor(b Bucket, key []byte) ([]byte, []byte) {
	kv := t.bucket(b)
	ks := t.sortedKeys(b)
	i, found := slices.BinarySearchFunc(ks, key, func(k string, key []byte) int { return bytes.Compare([]byte(k), key) })
	if !found {
		i--
	}
	if i < 0 {
		return nil, nil
	}
	return t.hand([]byte(ks[i])), t.hand(kv[ks[i]])
}

func (t *memTx) Writable() bool { return t.writable }
