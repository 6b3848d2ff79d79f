package mempool

import (
	"cmp"
	"container/heap"
	"math/bits"
	"slices"
	"sync"

	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// AccountReader is the state view the pool validates against.
type AccountReader interface {
	Account(addr keys.Address) types.Account
}

// Config holds the pool's limits. Zero fields take the documented defaults.
type Config struct {
	// MaxTxs caps the number of pending transactions (0 = 10,000).
	MaxTxs int
	// MaxBytes caps their total encoded size (0 = 4 MiB).
	MaxBytes int
	// MaxPerSender caps pending transactions per sender (0 = 64, §5.7).
	MaxPerSender int
	// MaxNonceGap caps how far a nonce may lie beyond the sender's next
	// missing nonce (0 = 16, §5.7).
	MaxNonceGap uint64
}

// Resolve returns a copy of c with defaults filled in.
func (c Config) Resolve() Config {
	if c.MaxTxs <= 0 {
		c.MaxTxs = 10_000
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = 4 << 20
	}
	if c.MaxPerSender <= 0 {
		c.MaxPerSender = 64
	}
	if c.MaxNonceGap == 0 {
		c.MaxNonceGap = 16
	}
	return c
}

type entry struct {
	tx   *types.Tx
	id   hashx.Hash
	size int
	seq  uint64 // arrival order, for deterministic ties
}

// queue is one sender's pending transactions sorted by nonce.
type queue struct {
	txs []*entry
}

func (q *queue) find(nonce uint64) (int, bool) {
	return slices.BinarySearchFunc(q.txs, nonce, func(e *entry, n uint64) int {
		switch {
		case e.tx.Nonce < n:
			return -1
		case e.tx.Nonce > n:
			return 1
		}
		return 0
	})
}

// Pool is a concurrency-safe transaction pool.
type Pool struct {
	mu       sync.Mutex
	params   consensus.Params
	cfg      Config
	bySender map[keys.Address]*queue
	byID     map[hashx.Hash]*entry
	bytes    int
	seq      uint64
}

// New returns an empty pool for a network's params.
func New(p *consensus.Params, cfg Config) *Pool {
	return &Pool{
		params:   *p,
		cfg:      cfg.Resolve(),
		bySender: map[keys.Address]*queue{},
		byID:     map[hashx.Hash]*entry{},
	}
}

// Config returns the resolved limits in force.
func (mp *Pool) Config() Config { return mp.cfg }

// Len returns the number of pending transactions.
func (mp *Pool) Len() int {
	mp.mu.Lock()
	defer mp.mu.Unlock()
	return len(mp.byID)
}

// Bytes returns the total encoded size of the pending transactions.
func (mp *Pool) Bytes() int {
	mp.mu.Lock()
	defer mp.mu.Unlock()
	return mp.bytes
}

// Has reports whether a transaction with id is pending.
func (mp *Pool) Has(id hashx.Hash) bool {
	mp.mu.Lock()
	defer mp.mu.Unlock()
	_, ok := mp.byID[id]
	return ok
}

// Get returns the pending transaction with id, or nil.
func (mp *Pool) Get(id hashx.Hash) *types.Tx {
	mp.mu.Lock()
	defer mp.mu.Unlock()
	if e, ok := mp.byID[id]; ok {
		return e.tx
	}
	return nil
}

// Pending returns addr's pending transactions in nonce order.
func (mp *Pool) Pending(addr keys.Address) []*types.Tx {
	mp.mu.Lock()
	defer mp.mu.Unlock()
	q := mp.bySender[addr]
	if q == nil {
		return nil
	}
	out := make([]*types.Tx, len(q.txs))
	for i, e := range q.txs {
		out[i] = e.tx
	}
	return out
}

// PendingNonce returns the nonce a new transaction from addr should use:
// the first nonce at or after the state nonce with no pending transaction.
func (mp *Pool) PendingNonce(addr keys.Address, view AccountReader) uint64 {
	mp.mu.Lock()
	defer mp.mu.Unlock()
	return mp.nextNonce(addr, view.Account(addr).Nonce)
}

func (mp *Pool) nextNonce(addr keys.Address, stateNonce uint64) uint64 {
	next := stateNonce
	q := mp.bySender[addr]
	if q == nil {
		return next
	}
	i, _ := q.find(next)
	for ; i < len(q.txs) && q.txs[i].tx.Nonce == next; i++ {
		next++
	}
	return next
}

// feeRateLess reports whether a pays a strictly lower fee per byte than b
// (fee_a/size_a < fee_b/size_b, compared exactly in 128 bits).
func feeRateLess(a, b *entry) bool {
	ah, al := bits.Mul64(a.tx.Fee, uint64(b.size))
	bh, bl := bits.Mul64(b.tx.Fee, uint64(a.size))
	return ah < bh || ah == bh && al < bl
}

// bumpOK reports newFee >= oldFee * 1.1, i.e. newFee*10 >= oldFee*11.
func bumpOK(newFee, oldFee uint64) bool {
	nh, nl := bits.Mul64(newFee, 10)
	oh, ol := bits.Mul64(oldFee, 11)
	return nh > oh || nh == oh && nl >= ol
}

// Add validates tx against view and the pool's policy and admits it. It
// returns the id and nil, or a RuleError (errors.As / consensus.IsCode).
func (mp *Pool) Add(tx *types.Tx, view AccountReader) (hashx.Hash, error) {
	size := tx.Size()
	if size > types.MaxTxSize {
		return hashx.Hash{}, consensus.Errorf(consensus.ErrOversize, "tx of %d bytes > %d", size, types.MaxTxSize)
	}
	id := tx.ID()
	mp.mu.Lock()
	known := mp.byID[id] != nil
	mp.mu.Unlock()
	if known {
		return id, consensus.Errorf(consensus.ErrAlreadyKnown, "tx %s already pending", id)
	}
	// The signature check is the expensive part: run it outside the lock so
	// concurrent submitters verify in parallel.
	if err := consensus.CheckTxSanity(&mp.params, tx); err != nil {
		return id, err
	}
	mp.mu.Lock()
	defer mp.mu.Unlock()
	return id, mp.admit(&entry{tx: tx, id: id, size: size}, view)
}

// admit applies the stateful policy rules; the caller holds mu and has
// checked the transaction's sanity.
func (mp *Pool) admit(e *entry, view AccountReader) error {
	tx := e.tx
	if mp.byID[e.id] != nil {
		return consensus.Errorf(consensus.ErrAlreadyKnown, "tx %s already pending", e.id)
	}
	acct := view.Account(tx.From)
	if tx.Nonce < acct.Nonce {
		return consensus.Errorf(consensus.ErrStaleNonce, "nonce %d < account nonce %d", tx.Nonce, acct.Nonce)
	}
	q := mp.bySender[tx.From]
	var old *entry
	if q != nil {
		if i, ok := q.find(tx.Nonce); ok {
			old = q.txs[i]
		}
	}
	if old != nil {
		if !bumpOK(tx.Fee, old.tx.Fee) {
			return consensus.Errorf(consensus.ErrReplacementFee, "replacing nonce %d needs fee >= %d*1.1, got %d",
				tx.Nonce, old.tx.Fee, tx.Fee)
		}
	} else {
		if q != nil && len(q.txs) >= mp.cfg.MaxPerSender {
			return consensus.Errorf(consensus.ErrTooManyPending, "%s has %d pending", tx.From, len(q.txs))
		}
		if next := mp.nextNonce(tx.From, acct.Nonce); tx.Nonce > next && tx.Nonce-next > mp.cfg.MaxNonceGap {
			return consensus.Errorf(consensus.ErrNonceGap, "nonce %d is %d beyond the next missing nonce %d (max %d)",
				tx.Nonce, tx.Nonce-next, next, mp.cfg.MaxNonceGap)
		}
	}
	// Funding: all pending of the sender (with the replacement) together.
	total := tx.Amount + tx.Fee // no overflow: CheckTxFields
	if q != nil {
		for _, p := range q.txs {
			if p == old {
				continue
			}
			var c1, c2 uint64
			total, c1 = bits.Add64(total, p.tx.Amount, 0)
			total, c2 = bits.Add64(total, p.tx.Fee, 0)
			if c1|c2 != 0 {
				return consensus.Errorf(consensus.ErrOverflow, "pending cost of %s overflows", tx.From)
			}
		}
	}
	if total > acct.Balance {
		return consensus.Errorf(consensus.ErrInsufficientBalance, "%s has %d, pending transactions need %d",
			tx.From, acct.Balance, total)
	}
	// Capacity: choose evictions first, commit them only if all fit.
	count, bytesNow := len(mp.byID), mp.bytes
	if old != nil {
		count--
		bytesNow -= old.size
	}
	var evict []*entry
	if count+1 > mp.cfg.MaxTxs || bytesNow+e.size > mp.cfg.MaxBytes {
		evict = mp.chooseEvictions(e, count, bytesNow)
		if evict == nil {
			return consensus.Errorf(consensus.ErrMempoolFull, "pool full (%d txs, %d bytes) and fee rate too low", count, bytesNow)
		}
	}
	for _, v := range evict {
		mp.remove(v)
	}
	if old != nil {
		mp.remove(old)
		q = mp.bySender[tx.From]
	}
	if q == nil {
		q = &queue{}
		mp.bySender[tx.From] = q
	}
	mp.seq++
	e.seq = mp.seq
	i, _ := q.find(tx.Nonce)
	q.txs = slices.Insert(q.txs, i, e)
	mp.byID[e.id] = e
	mp.bytes += e.size
	return nil
}

// chooseEvictions picks, one at a time, the lowest-fee-rate last
// transaction of any other sender until e fits; nil if some pick would not
// pay strictly less than e.
func (mp *Pool) chooseEvictions(e *entry, count, bytesNow int) []*entry {
	taken := map[keys.Address]int{} // how many tail txs already chosen per sender
	var out []*entry
	for count+1 > mp.cfg.MaxTxs || bytesNow+e.size > mp.cfg.MaxBytes {
		var worst *entry
		for addr, q := range mp.bySender {
			if addr == e.tx.From {
				continue
			}
			k := len(q.txs) - 1 - taken[addr]
			if k < 0 {
				continue
			}
			c := q.txs[k]
			if worst == nil || feeRateLess(c, worst) || !feeRateLess(worst, c) && c.seq > worst.seq {
				worst = c
			}
		}
		if worst == nil || !feeRateLess(worst, e) {
			return nil
		}
		taken[worst.tx.From]++
		out = append(out, worst)
		count--
		bytesNow -= worst.size
	}
	return out
}

// remove deletes e from the pool (caller holds mu).
func (mp *Pool) remove(e *entry) {
	q := mp.bySender[e.tx.From]
	if i, ok := q.find(e.tx.Nonce); ok && q.txs[i] == e {
		q.txs = slices.Delete(q.txs, i, i+1)
	}
	if len(q.txs) == 0 {
		delete(mp.bySender, e.tx.From)
	}
	delete(mp.byID, e.id)
	mp.bytes -= e.size
}

// RemoveBlock drops the transactions of a block that was connected, then
// revalidates the block's senders against view (the state after the
// block): pending transactions with a nonce below the new state nonce are
// dropped, and so is every transaction from the first one the sender can no
// longer fund onwards. It returns how many transactions left the pool.
func (mp *Pool) RemoveBlock(b *types.Block, view AccountReader) int {
	mp.mu.Lock()
	defer mp.mu.Unlock()
	before := len(mp.byID)
	senders := map[keys.Address]bool{}
	for _, tx := range b.Txs {
		if tx.IsCoinbase() {
			continue
		}
		if e := mp.byID[tx.ID()]; e != nil {
			mp.remove(e)
		}
		senders[tx.From] = true
	}
	for addr := range senders {
		mp.revalidate(addr, view)
	}
	return before - len(mp.byID)
}

func (mp *Pool) revalidate(addr keys.Address, view AccountReader) {
	q := mp.bySender[addr]
	if q == nil {
		return
	}
	acct := view.Account(addr)
	var drop []*entry
	var total uint64
	broke := false
	for _, e := range q.txs {
		if e.tx.Nonce < acct.Nonce {
			drop = append(drop, e)
			continue
		}
		if !broke {
			var c1, c2 uint64
			total, c1 = bits.Add64(total, e.tx.Amount, 0)
			total, c2 = bits.Add64(total, e.tx.Fee, 0)
			broke = c1|c2 != 0 || total > acct.Balance
		}
		if broke {
			drop = append(drop, e)
		}
	}
	for _, e := range drop {
		mp.remove(e)
	}
}

// Readd re-admits the transactions of disconnected blocks (pass them in
// chain order, oldest block first) that are still valid against view, the
// state after the disconnects; coinbases and invalid ones are skipped. The
// re-added transactions come before the pending ones of the same senders
// (their nonces are lower), so those senders' queues are rebuilt in nonce
// order; every other sender is revalidated, because a disconnect can lower
// balances (recipients and miners of the dropped blocks). It returns how
// many of txs were admitted.
func (mp *Pool) Readd(txs []*types.Tx, view AccountReader) int {
	var back []*entry
	for _, tx := range txs {
		if tx.IsCoinbase() || tx.Size() > types.MaxTxSize || consensus.CheckTxSanity(&mp.params, tx) != nil {
			continue
		}
		back = append(back, &entry{tx: tx, id: tx.ID(), size: tx.Size()})
	}
	mp.mu.Lock()
	defer mp.mu.Unlock()
	senders := map[keys.Address]bool{}
	for _, e := range back {
		senders[e.tx.From] = true
	}
	var pulled []*entry
	for addr := range senders {
		if q := mp.bySender[addr]; q != nil {
			pulled = append(pulled, q.txs...)
		}
	}
	for _, e := range pulled {
		mp.remove(e)
	}
	for addr := range mp.bySender {
		mp.revalidate(addr, view)
	}
	n := 0
	for _, e := range back {
		if mp.admit(e, view) == nil {
			n++
		}
	}
	// Per sender in nonce order, so no re-admission trips the gap rule.
	slices.SortFunc(pulled, func(a, b *entry) int { return cmp.Compare(a.tx.Nonce, b.tx.Nonce) })
	for _, e := range pulled {
		mp.admit(e, view) // dropped if no longer valid
	}
	return n
}

// Template returns transactions for a new block on view, at most maxTxs of
// them with total encoded size at most maxBytes: repeatedly the highest fee
// per byte among every sender's next executable transaction (ties: earlier
// arrival), each checked against simulated balances and nonces, so the
// result applies in order on view. A sender whose next transaction cannot
// be applied contributes nothing further.
func (mp *Pool) Template(view AccountReader, maxTxs, maxBytes int) []*types.Tx {
	mp.mu.Lock()
	defer mp.mu.Unlock()
	sim := map[keys.Address]types.Account{}
	get := func(a keys.Address) types.Account {
		if v, ok := sim[a]; ok {
			return v
		}
		return view.Account(a)
	}
	pos := map[keys.Address]int{}
	h := &heads{}
	push := func(addr keys.Address) {
		q := mp.bySender[addr]
		i, ok := q.find(get(addr).Nonce)
		if ok {
			pos[addr] = i
			heap.Push(h, q.txs[i])
		}
	}
	// Deterministic start: senders in address order (the heap orders by
	// fee rate and arrival, so this only fixes iteration of the map).
	addrs := make([]keys.Address, 0, len(mp.bySender))
	for a := range mp.bySender {
		addrs = append(addrs, a)
	}
	slices.SortFunc(addrs, func(a, b keys.Address) int { return bytesCompare(a, b) })
	for _, a := range addrs {
		push(a)
	}
	var out []*types.Tx
	size := 0
	for h.Len() > 0 && len(out) < maxTxs {
		e := heap.Pop(h).(*entry)
		tx := e.tx
		if size+e.size > maxBytes {
			continue // too big for the space left; drop this sender
		}
		from, to := get(tx.From), get(tx.To)
		cost := tx.Amount + tx.Fee
		newTo, carry := bits.Add64(to.Balance, tx.Amount, 0)
		if from.Nonce != tx.Nonce || from.Balance < cost || carry != 0 {
			continue
		}
		sim[tx.From] = types.Account{Balance: from.Balance - cost, Nonce: from.Nonce + 1}
		sim[tx.To] = types.Account{Balance: newTo, Nonce: to.Nonce}
		out = append(out, tx)
		size += e.size
		q := mp.bySender[tx.From]
		if i := pos[tx.From] + 1; i < len(q.txs) && q.txs[i].tx.Nonce == tx.Nonce+1 {
			pos[tx.From] = i
			heap.Push(h, q.txs[i])
		}
	}
	return out
}

func bytesCompare(a, b keys.Address) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// TemplateLimits returns the transaction count and byte budget left for
// transfers in a block whose coinbase memo has memoLen bytes.
func TemplateLimits(memoLen int) (maxTxs, maxBytes int) {
	cb := types.MinTxSize + memoLen                                              // the memo length uvarint is one byte for <= 64
	return types.MaxBlockTxs - 1, types.MaxBlockSize - types.HeaderSize - 2 - cb // 2: uvarint(count <= 1000)
}

// heads is a max-heap of entries by fee rate, then by earlier arrival.
type heads []*entry

func (h heads) Len() int { return len(h) }
func (h heads) Less(i, j int) bool {
	if feeRateLess(h[j], h[i]) {
		return true
	}
	if feeRateLess(h[i], h[j]) {
		return false
	}
	return h[i].seq < h[j].seq
}
func (h heads) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *heads) Push(x any)   { *h = append(*h, x.(*entry)) }
func (h *heads) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
