package miner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sketchwork/sketchwork/ledger/chain"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/mempool"
	"github.com/sketchwork/sketchwork/ledger/pogw"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// Config configures a Miner. Chain and Address are required.
type Config struct {
	// Chain provides tip snapshots, tip events and the pogw engine.
	Chain *chain.Chain
	// Pool supplies the transfers of each template (nil = coinbase-only
	// blocks).
	Pool *mempool.Pool
	// Submit hands a solved block to the node: the same entry point blocks
	// from the network use, so the node can log, count and relay it
	// (nil = Chain.ProcessBlock).
	Submit func(*types.Block) (chain.Result, error)
	// Address receives the block rewards and is bound into the training
	// seed. It must not be the zero address.
	Address keys.Address
	// Now returns the time in unix milliseconds for block headers (nil =
	// the system clock).
	Now func() int64
	// MaxTries is the number of training nonces per search round
	// (0 = pogw.MaxTrainTries).
	MaxTries int
	// CoinbaseMemo is an optional memo (<= 64 bytes) in every coinbase.
	CoinbaseMemo []byte
	// Logger receives the miner's logs (nil = discard).
	Logger *slog.Logger
}

// Stats are cumulative mining figures since the miner was created.
type Stats struct {
	// Mining reports whether mining is enabled.
	Mining bool `json:"mining"`
	// Address is the reward address.
	Address keys.Address `json:"address"`
	// Blocks counts mined blocks the chain accepted onto its main chain
	// (after the store committed them).
	Blocks uint64 `json:"blocks"`
	// SideBlocks counts mined blocks accepted on a side branch (a
	// competing block of equal work was seen first); Rejected counts mined
	// blocks the chain rejected (a bug or a race with a reorg).
	SideBlocks uint64 `json:"side_blocks"`
	Rejected   uint64 `json:"rejected"`
	// Stale counts jobs abandoned because the tip changed; Stopped counts
	// jobs abandoned by Stop.
	Stale   uint64 `json:"stale"`
	Stopped uint64 `json:"stopped"`
	// Tries counts training tries (each one K SGD steps plus a
	// verification-batch loss) of completed search rounds; Rounds counts
	// search rounds that found nothing.
	Tries        uint64 `json:"tries"`
	FailedRounds uint64 `json:"failed_rounds"`
	// Hashes counts header hash attempts.
	Hashes uint64 `json:"hashes"`
	// TrainTime and GrindTime are the wall-clock time spent searching
	// training updates and grinding nonces.
	TrainTime time.Duration `json:"train_ns"`
	GrindTime time.Duration `json:"grind_ns"`
	// Last describes the last block accepted onto the main chain.
	Last LastBlock `json:"last"`
}

// LastBlock describes one mined block.
type LastBlock struct {
	Hash   hashx.Hash `json:"hash"`
	Height uint64     `json:"height"`
	// Tries is the number of training nonces tried for it, Hashes the
	// number of hash attempts, Txs its number of transfers.
	Tries  int    `json:"tries"`
	Hashes uint64 `json:"hashes"`
	Txs    int    `json:"txs"`
	// Elapsed is the time from the start of the job to the commit.
	Elapsed time.Duration `json:"elapsed_ns"`
}

// HashRate returns hash attempts per second of grinding (0 before any).
func (s Stats) HashRate() float64 {
	if s.GrindTime <= 0 {
		return 0
	}
	return float64(s.Hashes) / s.GrindTime.Seconds()
}

// grindFunc is pogw.Grind's signature; tests replace it.
type grindFunc func(ctx context.Context, h *types.Header, now func() int64, minTime int64, refresh uint64) (uint64, error)

// Miner mines blocks on a chain. Create it with New, run the loop with Run
// and switch mining on and off with Start and Stop; all methods are safe
// for concurrent use.
type Miner struct {
	cfg    Config
	log    *slog.Logger
	submit func(*types.Block) (chain.Result, error)
	now    func() int64
	grind  grindFunc

	wake chan struct{} // buffered 1: mining was enabled

	mu      sync.Mutex
	enabled bool
	job     *job
	stats   Stats
	running bool

	// cached training update (depends only on parent and address)
	updParent hashx.Hash
	upd       *pogw.Update
	nextNonce uint64 // first nonce of the next search round on updParent
}

// job is the work on one parent.
type job struct {
	parent hashx.Hash
	cancel context.CancelFunc
	why    error // errStale or errStopped once cancelled
}

var (
	errStale   = errors.New("miner: tip changed")
	errStopped = errors.New("miner: stopped")
)

// New returns a miner with mining disabled.
func New(cfg Config) (*Miner, error) {
	if cfg.Chain == nil {
		return nil, errors.New("miner: Config.Chain is required")
	}
	if cfg.Address.IsZero() {
		return nil, errors.New("miner: Config.Address must be a nonzero address")
	}
	if len(cfg.CoinbaseMemo) > types.MaxMemo {
		return nil, fmt.Errorf("miner: coinbase memo of %d bytes exceeds %d", len(cfg.CoinbaseMemo), types.MaxMemo)
	}
	m := &Miner{cfg: cfg, submit: cfg.Submit, now: cfg.Now, grind: pogw.Grind, wake: make(chan struct{}, 1)}
	if m.submit == nil {
		m.submit = cfg.Chain.ProcessBlock
	}
	if m.now == nil {
		m.now = func() int64 { return time.Now().UnixMilli() }
	}
	m.log = cfg.Logger
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	m.stats.Address = cfg.Address
	return m, nil
}

// Address returns the reward address.
func (m *Miner) Address() keys.Address { return m.cfg.Address }

// Start enables mining; the loop (Run) picks up the tip at once.
func (m *Miner) Start() {
	m.mu.Lock()
	was := m.enabled
	m.enabled = true
	m.mu.Unlock()
	if !was {
		m.log.Info("mining started", "address", m.cfg.Address)
	}
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Stop disables mining and abandons the current job at once.
func (m *Miner) Stop() {
	m.mu.Lock()
	was := m.enabled
	m.enabled = false
	if m.job != nil && m.job.why == nil {
		m.job.why = errStopped
		m.job.cancel()
	}
	m.mu.Unlock()
	if was {
		m.log.Info("mining stopped")
	}
}

// Mining reports whether mining is enabled.
func (m *Miner) Mining() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.enabled
}

// Stats returns a copy of the cumulative figures.
func (m *Miner) Stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.stats
	s.Mining = m.enabled
	return s
}

// Run is the mining loop. It returns when ctx is done, after abandoning the
// current job; it never leaves a goroutine behind. Run may be called once.
func (m *Miner) Run(ctx context.Context) error {
	m.mu.Lock()
	if m.running {
		m.mu.Unlock()
		return errors.New("miner: Run called twice")
	}
	m.running = true
	m.mu.Unlock()

	sub := m.cfg.Chain.Subscribe(16)
	defer sub.Close()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // stale-tip watcher
		defer wg.Done()
		for {
			select {
			case ev := <-sub.C:
				m.onTip(ev.Snapshot)
			case <-ctx.Done():
				return
			}
		}
	}()
	defer wg.Wait()

	for {
		if err := m.waitEnabled(ctx); err != nil {
			return nil
		}
		m.mineOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
	}
}

// waitEnabled blocks until mining is enabled or ctx is done.
func (m *Miner) waitEnabled(ctx context.Context) error {
	for {
		m.mu.Lock()
		on := m.enabled
		m.mu.Unlock()
		if on {
			return nil
		}
		select {
		case <-m.wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// onTip cancels the current job if the new tip is not its parent.
func (m *Miner) onTip(s *chain.Snapshot) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if j := m.job; j != nil && j.why == nil && j.parent != s.Hash {
		j.why = errStale
		j.cancel()
	}
}

// begin registers a job on snap's tip. It returns nil when mining was
// disabled or the tip already moved on (the loop then starts over).
func (m *Miner) begin(ctx context.Context, snap *chain.Snapshot) (*job, context.Context) {
	jctx, cancel := context.WithCancel(ctx)
	j := &job{parent: snap.Hash, cancel: cancel}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.enabled {
		cancel()
		return nil, nil
	}
	// A tip event between Snapshot and here would have found no job:
	// check the tip again now that the job is visible to onTip.
	if cur := m.cfg.Chain.Snapshot(); cur.Hash != snap.Hash {
		cancel()
		return nil, nil
	}
	m.job = j
	return j, jctx
}

// end unregisters j and accounts for how it ended.
func (m *Miner) end(j *job) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	j.cancel()
	if m.job == j {
		m.job = nil
	}
	switch j.why {
	case errStale:
		m.stats.Stale++
	case errStopped:
		m.stats.Stopped++
	}
	return j.why
}

// mineOnce runs one job on the current tip.
func (m *Miner) mineOnce(ctx context.Context) {
	snap := m.cfg.Chain.Snapshot()
	j, jctx := m.begin(ctx, snap)
	if j == nil {
		return
	}
	start := time.Now()
	b, upd, hashes, err := m.work(jctx, snap)
	why := m.end(j)
	if err != nil {
		switch {
		case why != nil:
			m.log.Debug("mining job abandoned", "parent", snap.Hash, "height", snap.Height+1, "reason", why)
		case ctx.Err() != nil:
		default:
			m.log.Error("mining job failed", "parent", snap.Hash, "err", err)
			// Avoid a hot loop on a persistent failure.
			select {
			case <-time.After(time.Second):
			case <-ctx.Done():
			}
		}
		return
	}
	res, err := m.submit(b)
	elapsed := time.Since(start)
	m.mu.Lock()
	switch {
	case err == nil && res.Status == chain.Accepted && res.MainChain:
		m.stats.Blocks++
		m.stats.Last = LastBlock{Hash: res.Hash, Height: b.Header.Height, Tries: upd.Tries,
			Hashes: hashes, Txs: len(b.Txs) - 1, Elapsed: elapsed}
	case err == nil && res.Status == chain.Accepted:
		m.stats.SideBlocks++
	case err != nil:
		m.stats.Rejected++
	}
	m.mu.Unlock()
	switch {
	case err != nil:
		m.log.Error("mined block rejected", "height", b.Header.Height, "hash", b.Hash(), "err", err)
	case res.Status == chain.Accepted && res.MainChain:
		m.log.Info("block mined", "height", b.Header.Height, "hash", res.Hash, "txs", len(b.Txs)-1,
			"tries", upd.Tries, "hashes", hashes, "loss_after", fmtQ24(upd.LossAfter),
			"elapsed", elapsed.Round(time.Millisecond))
	default:
		m.log.Info("mined block not on the main chain", "height", b.Header.Height, "hash", res.Hash, "status", res.Status)
	}
}

// work searches the update, builds the block and grinds it.
func (m *Miner) work(ctx context.Context, snap *chain.Snapshot) (*types.Block, *pogw.Update, uint64, error) {
	upd, err := m.update(ctx, snap)
	if err != nil {
		return nil, nil, 0, err
	}
	var txs []*types.Tx
	if m.cfg.Pool != nil {
		maxTxs, maxBytes := mempool.TemplateLimits(len(m.cfg.CoinbaseMemo))
		txs = m.cfg.Pool.Template(snap.State, maxTxs, maxBytes)
	}
	tpl := snap.Template(m.cfg.Address, txs)
	tpl.CoinbaseMemo = m.cfg.CoinbaseMemo
	b, _, dropped, err := m.cfg.Chain.Engine().BuildBlock(tpl, upd, m.now())
	if err != nil {
		return nil, nil, 0, err
	}
	if len(dropped) > 0 {
		m.log.Debug("template transfers left out", "count", len(dropped))
	}
	t0 := time.Now()
	hashes, err := m.grind(ctx, &b.Header, m.now, tpl.MinTime, 0)
	m.mu.Lock()
	m.stats.Hashes += hashes
	m.stats.GrindTime += time.Since(t0)
	m.mu.Unlock()
	if err != nil {
		return nil, nil, hashes, err
	}
	return b, upd, hashes, nil
}

// update returns the training update for snap's tip, from the cache or by
// searching in rounds until one is found or ctx is done.
func (m *Miner) update(ctx context.Context, snap *chain.Snapshot) (*pogw.Update, error) {
	m.mu.Lock()
	if m.updParent != snap.Hash {
		m.updParent, m.upd, m.nextNonce = snap.Hash, nil, 0
	}
	if upd := m.upd; upd != nil {
		m.mu.Unlock()
		return upd, nil
	}
	first := m.nextNonce
	m.mu.Unlock()
	for round := 0; ; round++ {
		t0 := time.Now()
		upd, err := m.cfg.Chain.Engine().SearchUpdate(ctx, snap.Hash, snap.Weights, m.cfg.Address,
			pogw.SearchOptions{FirstNonce: first, MaxTries: m.cfg.MaxTries})
		maxTries := m.cfg.MaxTries
		if maxTries <= 0 {
			maxTries = pogw.MaxTrainTries
		}
		m.mu.Lock()
		m.stats.TrainTime += time.Since(t0)
		switch {
		case err == nil:
			m.stats.Tries += uint64(upd.Tries)
			if m.updParent == snap.Hash {
				m.upd = upd
			}
		case errors.Is(err, pogw.ErrNoUpdate):
			m.stats.Tries += uint64(maxTries)
			m.stats.FailedRounds++
			first += uint64(maxTries)
			if m.updParent == snap.Hash {
				m.nextNonce = first
			}
		}
		m.mu.Unlock()
		if err == nil {
			return upd, nil
		}
		if !errors.Is(err, pogw.ErrNoUpdate) {
			return nil, err
		}
		m.log.Warn("no training nonce improved the loss; searching the next range",
			"parent", snap.Hash, "height", snap.Height+1, "next_nonce", first)
	}
}

// fmtQ24 formats a Q8.24 loss in nats for logs.
func fmtQ24(q int64) string {
	const one = 1 << 24
	neg := q < 0
	if neg {
		q = -q
	}
	s := fmt.Sprintf("%d.%04d", q/one, (q%one)*10000/one)
	if neg {
		s = "-" + s
	}
	return s
}
