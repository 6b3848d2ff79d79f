package store

import (
	"bytes"
	"errors"
	"slices"
	"sync"
)

// Memory is an in-memory Store for tests. It has bbolt's semantics: views
// see a consistent snapshot, one writer at a time, writes of a failed
// Update are discarded. A write transaction buffers its writes and applies
// them at commit, waiting for open views to end (bbolt never blocks on
// views; tests do not notice the difference). To catch code that keeps
// store-owned slices beyond their transaction (the bbolt misuse that
// corrupts data silently), every slice a transaction hands out is a copy
// that is overwritten with 0xEE when the transaction ends.
type Memory struct {
	writer sync.Mutex   // one Update at a time
	mu     sync.RWMutex // views hold it shared; commits exclusively
	data   map[Bucket]map[string][]byte
	closed bool
	// commits counts committed updates (tests use it to check "one
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

// View implements Store.
func (m *Memory) View(fn func(Tx) error) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return ErrClosed
	}
	tx := &memTx{base: m.data}
	defer tx.poison()
	return fn(tx)
}

// Update implements Store.
func (m *Memory) Update(fn func(Tx) error) error {
	m.writer.Lock()
	defer m.writer.Unlock()
	m.mu.RLock()
	closed := m.closed
	m.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	// Only this writer modifies m.data, so reading it without m.mu here is
	// safe; views read it concurrently under the shared lock.
	tx := &memTx{base: m.data, writable: true, dirty: map[Bucket]map[string][]byte{}}
	err := fn(tx)
	tx.poison()
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	for b, kv := range tx.dirty {
		base := m.data[b]
		for k, v := range kv {
			if v == nil {
				delete(base, k)
			} else {
				base[k] = v
			}
		}
	}
	m.commits++
	return nil
}

// Check implements Store: every bucket exists and keys are non-empty.
func (m *Memory) Check() error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return ErrClosed
	}
	for _, b := range AllBuckets {
		kv, ok := m.data[b]
		if !ok {
			return corruptf("bucket %s missing", b)
		}
		for k, v := range kv {
			if k == "" || v == nil {
				return corruptf("empty key or nil value in bucket %s", b)
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

// memTx is a transaction: reads see base overlaid with dirty (a nil value
// in dirty is a deletion).
type memTx struct {
	base     map[Bucket]map[string][]byte
	dirty    map[Bucket]map[string][]byte
	writable bool
	handed   [][]byte
	done     bool
}

func (t *memTx) check(b Bucket) {
	mustBucket(b)
	if t.done {
		panic("store: transaction used after it ended")
	}
}

func (t *memTx) lookup(b Bucket, k string) ([]byte, bool) {
	if d, ok := t.dirty[b]; ok {
		if v, ok := d[k]; ok {
			return v, v != nil
		}
	}
	v, ok := t.base[b][k]
	return v, ok
}

func (t *memTx) hand(v []byte) []byte {
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
	t.check(b)
	v, ok := t.lookup(b, string(key))
	if !ok {
		return nil
	}
	return t.hand(v)
}

func (t *memTx) write(b Bucket, key []byte, v []byte) error {
	t.check(b)
	if !t.writable {
		return ErrReadOnly
	}
	if len(key) == 0 {
		return errEmptyKey
	}
	d, ok := t.dirty[b]
	if !ok {
		d = map[string][]byte{}
		t.dirty[b] = d
	}
	d[string(key)] = v
	return nil
}

var errEmptyKey = errors.New("store: empty key")

func (t *memTx) Put(b Bucket, key, value []byte) error {
	v := slices.Clone(value)
	if v == nil {
		v = []byte{}
	}
	return t.write(b, key, v)
}

func (t *memTx) Delete(b Bucket, key []byte) error {
	if err := t.write(b, key, nil); err != nil && !errors.Is(err, errEmptyKey) {
		return err
	}
	return nil
}

// sortedKeys returns the live keys of b in ascending order.
func (t *memTx) sortedKeys(b Bucket) []string {
	ks := make([]string, 0, len(t.base[b])+len(t.dirty[b]))
	for k := range t.base[b] {
		if _, shadowed := t.dirty[b][k]; !shadowed {
			ks = append(ks, k)
		}
	}
	for k, v := range t.dirty[b] {
		if v != nil {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	return ks
}

func (t *memTx) ForEach(b Bucket, fn func(k, v []byte) error) error {
	t.check(b)
	for _, k := range t.sortedKeys(b) {
		v, _ := t.lookup(b, k)
		if err := fn(t.hand([]byte(k)), t.hand(v)); err != nil {
			return err
		}
	}
	return nil
}

func (t *memTx) Floor(b Bucket, key []byte) ([]byte, []byte) {
	t.check(b)
	ks := t.sortedKeys(b)
	i, found := slices.BinarySearchFunc(ks, key, func(k string, key []byte) int { return bytes.Compare([]byte(k), key) })
	if !found {
		i--
	}
	if i < 0 {
		return nil, nil
	}
	v, _ := t.lookup(b, ks[i])
	return t.hand([]byte(ks[i])), t.hand(v)
}

func (t *memTx) Writable() bool { return t.writable }
