package node

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sketchwork/sketchwork/internal/fileutil"
	"github.com/sketchwork/sketchwork/ledger/api"
	"github.com/sketchwork/sketchwork/ledger/chain"
	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/corpus"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/mempool"
	"github.com/sketchwork/sketchwork/ledger/miner"
	"github.com/sketchwork/sketchwork/ledger/pogw"
	"github.com/sketchwork/sketchwork/ledger/state"
	"github.com/sketchwork/sketchwork/ledger/store"
	"github.com/sketchwork/sketchwork/ledger/store/boltstore"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// File names inside the data directory.
const (
	ChainFile    = "chain.db"     // the bbolt store
	GenesisFile  = "genesis.json" // the network this directory belongs to
	MinerKeyFile = "miner.key"    // the miner's key when no address is given (0600)
	HTTPAddrFile = "http.addr"    // the bound HTTP address while the node runs
)

// DefaultHTTPAddr is the address gcoind serves its API on by default:
// loopback only (papers/gradientcoin.md section 9).
const DefaultHTTPAddr = "127.0.0.1:8645"

// Config configures a node. The zero value of every field is usable except
// that DataDir is required unless InMemory is set.
type Config struct {
	// DataDir holds the chain store, the genesis file, the miner key and
	// http.addr. Created (0700) if missing.
	DataDir string
	// InMemory keeps the chain in memory (store.Memory): nothing survives
	// Close. For tests and experiments; DataDir is then optional (needed
	// only for a miner key file).
	InMemory bool
	// Genesis, if set, is the network. Otherwise GenesisFile is read, or,
	// when that is empty too, DataDir's genesis.json, or else the built-in
	// dev network (consensus.NewDevGenesis on the embedded corpus). A data
	// directory remembers its network in genesis.json and refuses another.
	Genesis     *consensus.Genesis
	GenesisFile string
	// HTTPAddr is the API's listen address ("" = no HTTP server; ":0" or
	// "127.0.0.1:0" picks a free port, see Node.HTTPAddr and http.addr).
	HTTPAddr string
	// API are the API's limits (zero = defaults).
	API api.Options
	// WrapHTTP, if set, wraps the API handler served on HTTPAddr, for
	// components that add endpoints next to the API (the peer-to-peer
	// network's info and test-admin endpoints in cmd/gcoind).
	WrapHTTP func(api http.Handler) http.Handler
	// Mine starts mining at Start.
	Mine bool
	// MinerAddr receives block rewards. Zero means the key in
	// DataDir/miner.key, created (mode 0600) when mining is first enabled.
	MinerAddr keys.Address
	// MinerTries is the miner's number of training nonces per search round
	// (0 = pogw.MaxTrainTries).
	MinerTries int
	// Mempool holds the pool's limits (zero = defaults).
	Mempool mempool.Config
	// Reindex rebuilds the derived data from the stored blocks instead of
	// refusing to start on a mismatch (chain.Config.Reindex).
	Reindex bool
	// Now is the clock in unix milliseconds for the chain's future-drift
	// rule and the miner's headers (nil = system clock).
	Now func() int64
	// Logger receives structured logs; nil means a text handler on stderr
	// at LogLevel.
	Logger   *slog.Logger
	LogLevel slog.Level
	// EvalWorkers is the number of goroutines of an eval-loss computation
	// (0 = 2).
	EvalWorkers int
}

// Network is what a peer-to-peer component plugs into a node: the node
// asks it for the peer count and sync state (for status) and announces
// every block and transaction it accepted, whatever their origin, so the
// component relays them (gossip deduplicates by id). Blocks and
// transactions from peers enter through SubmitBlock and SubmitTx, the same
// methods the miner and the HTTP API use; tip changes are observable with
// Chain().Subscribe.
type Network interface {
	Peers() int
	Syncing() bool
	AnnounceBlock(b *types.Block)
	AnnounceTx(tx *types.Tx)
}

// Node wires a store, a chain, a mempool, a miner and the HTTP API.
type Node struct {
	cfg     Config
	log     *slog.Logger
	genesis *consensus.Genesis
	corpus  *corpus.Corpus
	db      store.Store
	chain   *chain.Chain
	pool    *mempool.Pool
	api     *api.Server
	net     atomic.Pointer[netBox]

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex // guards miner, started, closed, httpSrv, httpAddr
	miner    *miner.Miner
	started  bool
	closed   bool
	httpSrv  *http.Server
	httpAddr string

	failMu  sync.Mutex
	failErr error

	closeOnce sync.Once
	closeErr  error

	// transaction admission: see txView
	txMu     sync.Mutex
	hookView state.Reader
	hookSeq  uint64

	evals    *evalCache
	started0 time.Time
	stats    nodeStats
}

type netBox struct{ n Network }

type nodeStats struct {
	blocksAccepted, blocksOrphan, blocksDuplicate, blocksRejected atomic.Uint64
	txAccepted, txRejected                                        atomic.Uint64
	tipChanges, reorgs                                            atomic.Uint64
}

// Open builds a node from cfg: it loads the genesis, opens the store and
// the chain (which re-verifies the tip's StateRoot and ModelRoot and
// refuses a store that does not match), and prepares the mempool, the
// miner and the API. Nothing runs until Start; Close releases everything.
func Open(cfg Config) (_ *Node, err error) {
	if cfg.DataDir == "" && !cfg.InMemory {
		return nil, errors.New("node: a data directory is needed (or InMemory)")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	}
	if cfg.DataDir != "" {
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("node: data directory: %w", err)
		}
	}
	c := corpus.Embedded()
	g, err := resolveGenesis(cfg)
	if err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, log: log, genesis: g, corpus: c, evals: newEvalCache(), started0: time.Now()}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	defer func() {
		if err != nil {
			n.cancel()
			if n.db != nil {
				_ = n.db.Close()
			}
		}
	}()
	if cfg.InMemory {
		n.db = store.NewMemory()
	} else {
		db, err := boltstore.Open(filepath.Join(cfg.DataDir, ChainFile), boltstore.Options{})
		if err != nil {
			if errors.Is(err, store.ErrLocked) {
				return nil, fmt.Errorf("node: data directory %s is in use by another node: %w", cfg.DataDir, err)
			}
			return nil, fmt.Errorf("node: opening the store: %w", err)
		}
		n.db = db
	}
	n.pool = mempool.New(&g.Params, cfg.Mempool)
	t0 := time.Now()
	n.chain, err = chain.Open(chain.Config{Genesis: g, Corpus: c, Store: n.db, Now: cfg.Now, Pool: poolHook{n}, Reindex: cfg.Reindex})
	if err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	snap := n.chain.Snapshot()
	log.Info("chain opened", "network", g.Params.Name, "genesis", g.Hash(), "height", snap.Height, "tip", snap.Hash,
		"model_root", snap.Header.ModelRoot, "elapsed", time.Since(t0).Round(time.Millisecond))
	addr := cfg.MinerAddr
	if addr.IsZero() && cfg.DataDir != "" {
		if a, ok, err := n.loadMinerKey(cfg.Mine); err != nil {
			return nil, err
		} else if ok {
			addr = a
		}
	}
	if !addr.IsZero() {
		if err := n.newMiner(addr); err != nil {
			return nil, err
		}
	} else if cfg.Mine {
		return nil, errors.New("node: mining needs a miner address or a data directory for its key")
	}
	apiOpts := cfg.API
	if apiOpts.Logger == nil {
		apiOpts.Logger = log
	}
	n.api = api.New(n, apiOpts)
	return n, nil
}

// resolveGenesis picks the network (see Config.Genesis) and makes sure the
// data directory belongs to it.
func resolveGenesis(cfg Config) (*consensus.Genesis, error) {
	var g *consensus.Genesis
	var stored *consensus.Genesis
	storedPath := ""
	if cfg.DataDir != "" {
		storedPath = filepath.Join(cfg.DataDir, GenesisFile)
		if _, err := os.Stat(storedPath); err == nil {
			s, err := consensus.LoadGenesisFile(storedPath)
			if err != nil {
				return nil, fmt.Errorf("node: %s: %w", storedPath, err)
			}
			stored = s
		}
	}
	var err error
	switch {
	case cfg.Genesis != nil:
		g = cfg.Genesis
	case cfg.GenesisFile != "":
		if g, err = consensus.LoadGenesisFile(cfg.GenesisFile); err != nil {
			return nil, fmt.Errorf("node: genesis file: %w", err)
		}
	case stored != nil:
		g = stored
	default:
		if g, err = DevGenesis(); err != nil {
			return nil, fmt.Errorf("node: dev genesis: %w", err)
		}
	}
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("node: genesis: %w", err)
	}
	if stored != nil && stored.Hash() != g.Hash() {
		return nil, fmt.Errorf("node: data directory %s belongs to network %q (genesis %s), not to %q (genesis %s)",
			cfg.DataDir, stored.Params.Name, stored.Hash(), g.Params.Name, g.Hash())
	}
	if stored == nil && storedPath != "" {
		b, err := g.MarshalIndent()
		if err != nil {
			return nil, err
		}
		if err := fileutil.WriteFileAtomic(storedPath, append(b, '\n'), 0o600); err != nil {
			return nil, fmt.Errorf("node: writing %s: %w", storedPath, err)
		}
	}
	return g, nil
}

// loadMinerKey reads DataDir/miner.key, creating it if create is set.
func (n *Node) loadMinerKey(create bool) (keys.Address, bool, error) {
	path := filepath.Join(n.cfg.DataDir, MinerKeyFile)
	k, err := keys.ReadKeyFile(path)
	if err == nil {
		return k.Address(), true, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return keys.Address{}, false, fmt.Errorf("node: miner key: %w", err)
	}
	if !create {
		return keys.Address{}, false, nil
	}
	k, err = keys.Generate(rand.Reader)
	if err != nil {
		return keys.Address{}, false, err
	}
	if err := keys.WriteKeyFile(path, k); err != nil {
		return keys.Address{}, false, fmt.Errorf("node: writing the miner key: %w", err)
	}
	n.log.Info("created miner key", "path", path, "address", k.Address())
	return k.Address(), true, nil
}

// newMiner creates the miner (n.mu held or before Start).
func (n *Node) newMiner(addr keys.Address) error {
	m, err := miner.New(miner.Config{Chain: n.chain, Pool: n.pool, Submit: n.SubmitBlock, Address: addr,
		Now: n.cfg.Now, MaxTries: n.cfg.MinerTries, Logger: n.log.With("component", "miner")})
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	n.miner = m
	return nil
}

// Start runs the node's goroutines (tip tracker, miner) and the HTTP
// server, all under one root context that ends when ctx ends, on Close, or
// on a fatal error (see Done and Err). It returns once the HTTP listener
// is bound.
func (n *Node) Start(ctx context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.started || n.closed {
		return errors.New("node: Start called twice or after Close")
	}
	n.started = true
	stopAfter := context.AfterFunc(ctx, n.cancel)
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		<-n.ctx.Done()
		stopAfter()
	}()
	n.wg.Add(1)
	go n.trackTips()
	if n.miner != nil {
		n.runMiner()
		if n.cfg.Mine {
			n.miner.Start()
		}
	}
	if n.cfg.HTTPAddr != "" {
		ln, err := net.Listen("tcp", n.cfg.HTTPAddr)
		if err != nil {
			n.cancel()
			return fmt.Errorf("node: HTTP listen on %s: %w", n.cfg.HTTPAddr, err)
		}
		n.httpAddr = ln.Addr().String()
		var h http.Handler = n.api
		if n.cfg.WrapHTTP != nil {
			h = n.cfg.WrapHTTP(h)
		}
		n.httpSrv = api.NewHTTPServer(h)
		n.httpSrv.BaseContext = func(net.Listener) context.Context { return n.ctx }
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			if err := n.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				n.fail(fmt.Errorf("node: HTTP server: %w", err))
			}
		}()
		if n.cfg.DataDir != "" {
			if err := fileutil.WriteFileAtomic(filepath.Join(n.cfg.DataDir, HTTPAddrFile), []byte(n.httpAddr+"\n"), 0o600); err != nil {
				n.cancel()
				return fmt.Errorf("node: writing %s: %w", HTTPAddrFile, err)
			}
		}
		n.log.Info("http server listening", "addr", n.httpAddr)
	}
	n.log.Info("node started", "network", n.genesis.Params.Name, "height", n.chain.Snapshot().Height,
		"mining", n.miner != nil && n.miner.Mining())
	return nil
}

// runMiner starts the miner's loop under the root context (n.mu held).
func (n *Node) runMiner() {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		_ = n.miner.Run(n.ctx)
	}()
}

// Done is closed when the node's root context ends (its parent context
// ended, Close was called, or a fatal error occurred).
func (n *Node) Done() <-chan struct{} { return n.ctx.Done() }

// Err returns the fatal error that stopped the node, if any.
func (n *Node) Err() error {
	n.failMu.Lock()
	defer n.failMu.Unlock()
	return n.failErr
}

// fail records a fatal error and stops the node's goroutines.
func (n *Node) fail(err error) {
	n.failMu.Lock()
	if n.failErr == nil {
		n.failErr = err
		n.log.Error("fatal error; the node stops", "err", err)
	}
	n.failMu.Unlock()
	n.cancel()
}

// Close stops everything started by Start (HTTP server with a 5 s grace
// period, miner, tracker), waits for the goroutines and closes the store.
// It is safe to call more than once.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		n.mu.Lock()
		n.closed = true
		srv := n.httpSrv
		n.mu.Unlock()
		var errs []error
		if srv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := srv.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("node: HTTP shutdown: %w", err))
				_ = srv.Close()
			}
			cancel()
		}
		n.cancel()
		n.wg.Wait()
		if err := n.db.Close(); err != nil {
			errs = append(errs, fmt.Errorf("node: closing the store: %w", err))
		}
		if n.cfg.DataDir != "" && n.httpAddr != "" {
			_ = os.Remove(filepath.Join(n.cfg.DataDir, HTTPAddrFile))
		}
		n.closeErr = errors.Join(errs...)
		n.log.Info("node stopped", "height", n.chain.Snapshot().Height)
	})
	return n.closeErr
}

// HTTPAddr returns the bound HTTP address ("" without a server or before
// Start).
func (n *Node) HTTPAddr() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.httpAddr
}

// Handler returns the HTTP API handler (for in-process servers and tests).
func (n *Node) Handler() http.Handler { return n.api }

// Chain returns the chain.
func (n *Node) Chain() *chain.Chain { return n.chain }

// Pool returns the mempool.
func (n *Node) Pool() *mempool.Pool { return n.pool }

// Genesis returns the network description.
func (n *Node) Genesis() *consensus.Genesis { return n.genesis }

// Logger returns the node's logger.
func (n *Node) Logger() *slog.Logger { return n.log }

// Miner returns the miner, or nil when the node has no miner address yet.
func (n *Node) Miner() *miner.Miner {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.miner
}

// SetNetwork plugs in a peer-to-peer component (see Network); nil unplugs.
func (n *Node) SetNetwork(nw Network) {
	if nw == nil {
		n.net.Store(nil)
		return
	}
	n.net.Store(&netBox{nw})
}

func (n *Node) network() Network {
	if b := n.net.Load(); b != nil {
		return b.n
	}
	return nil
}

// SubmitBlock hands a block to the chain: the entry point of the miner and
// of the network. An accepted block is announced to the network. A
// rejection is a consensus.RuleError; any other error is a store failure,
// after which the node stops (Err reports it) and should be restarted.
func (n *Node) SubmitBlock(b *types.Block) (chain.Result, error) {
	res, err := n.chain.ProcessBlock(b)
	if err != nil {
		n.stats.blocksRejected.Add(1)
		if _, ok := consensus.CodeOf(err); !ok {
			n.fail(fmt.Errorf("node: chain: %w", err))
		} else {
			n.log.Debug("block rejected", "hash", b.Hash(), "height", b.Header.Height, "err", err)
		}
		return res, err
	}
	switch res.Status {
	case chain.Accepted:
		n.stats.blocksAccepted.Add(1)
		if nw := n.network(); nw != nil {
			nw.AnnounceBlock(b)
		}
	case chain.Orphan:
		n.stats.blocksOrphan.Add(1)
	case chain.Duplicate:
		n.stats.blocksDuplicate.Add(1)
	}
	return res, nil
}

// SubmitTx admits a transaction into the mempool (the entry point of the
// HTTP API and of the network) and announces it when admitted. It returns
// the txid or a consensus.RuleError (consensus or policy code).
func (n *Node) SubmitTx(tx *types.Tx) (hashx.Hash, error) {
	n.txMu.Lock()
	id, err := n.pool.Add(tx, n.txView())
	n.txMu.Unlock()
	if err != nil {
		n.stats.txRejected.Add(1)
		return id, err
	}
	n.stats.txAccepted.Add(1)
	if nw := n.network(); nw != nil {
		nw.AnnounceTx(tx)
	}
	return id, nil
}

// PendingNonce returns the nonce a new transaction from addr should use.
func (n *Node) PendingNonce(addr keys.Address) uint64 {
	n.txMu.Lock()
	defer n.txMu.Unlock()
	return n.pool.PendingNonce(addr, n.txView())
}

// txView is the state transactions are admitted against (n.txMu held):
// the state the pool was last brought in step with. The chain calls the
// pool hook after its commit but before it publishes the new snapshot, so
// for that short while the snapshot lags the pool; admitting against the
// old snapshot would let in a transaction the block just consumed.
func (n *Node) txView() state.Reader {
	snap := n.chain.Snapshot()
	if n.hookView != nil && n.hookSeq > snap.Seq {
		return n.hookView
	}
	n.hookView = nil
	return snap.State
}

// poolHook keeps the mempool in step with the best chain (chain.TxPool).
type poolHook struct{ n *Node }

func (h poolHook) BlockConnected(b *types.Block, v state.Reader) {
	h.n.txMu.Lock()
	defer h.n.txMu.Unlock()
	h.n.pool.RemoveBlock(b, v)
	h.n.noteHookView(v)
}

func (h poolHook) BlocksDisconnected(txs []*types.Tx, v state.Reader) {
	h.n.txMu.Lock()
	defer h.n.txMu.Unlock()
	h.n.pool.Readd(txs, v)
	h.n.noteHookView(v)
}

// noteHookView remembers the view of a pool update until the chain
// publishes the snapshot that carries it (n.txMu held). The chain hands
// its new tip state, which it never modifies once published.
func (n *Node) noteHookView(v state.Reader) {
	if n.chain == nil { // during chain.Open
		return
	}
	n.hookView = v
	n.hookSeq = n.chain.Snapshot().Seq + 1
}

// Peers implements api.Backend.
func (n *Node) Peers() int {
	if nw := n.network(); nw != nil {
		return nw.Peers()
	}
	return 0
}

// Syncing implements api.Backend.
func (n *Node) Syncing() bool {
	if nw := n.network(); nw != nil {
		return nw.Syncing()
	}
	return false
}

// MinerStats implements api.Backend.
func (n *Node) MinerStats() (miner.Stats, bool) {
	m := n.Miner()
	if m == nil {
		return miner.Stats{}, false
	}
	return m.Stats(), true
}

// StartMining enables mining, creating the miner (and its key file in the
// data directory) if the node has none yet.
func (n *Node) StartMining() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return errors.New("node is closed")
	}
	if n.miner == nil {
		if n.cfg.DataDir == "" {
			n.mu.Unlock()
			return errors.New("no miner address: start the node with a miner address or a data directory")
		}
		addr, _, err := n.loadMinerKey(true)
		if err == nil {
			err = n.newMiner(addr)
		}
		if err != nil {
			n.mu.Unlock()
			return err
		}
		if n.started {
			n.runMiner()
		}
	}
	m := n.miner
	n.mu.Unlock()
	m.Start()
	return nil
}

// StopMining disables mining (a no-op without a miner).
func (n *Node) StopMining() error {
	if m := n.Miner(); m != nil {
		m.Stop()
	}
	return nil
}

// GenerateBlock mines one block on the current tip paying addr, with the
// mempool's template, and submits it like the miner does (bitcoind's
// generatetoaddress): for tests, tools and experiments that want blocks on
// demand rather than a running miner. It returns ctx.Err() if ctx ends
// first.
func (n *Node) GenerateBlock(ctx context.Context, addr keys.Address) (*types.Block, chain.Result, error) {
	snap := n.chain.Snapshot()
	maxTxs, maxBytes := mempool.TemplateLimits(0)
	tpl := snap.Template(addr, n.pool.Template(snap.State, maxTxs, maxBytes))
	// A lone miner keeps searching past MaxTrainTries (see package miner),
	// here for at most 16 rounds.
	var m *pogw.Mined
	var err error
	for round := uint64(0); round < 16; round++ {
		opts := pogw.MineOptions{Now: n.cfg.Now, Search: pogw.SearchOptions{FirstNonce: round * pogw.MaxTrainTries}}
		if m, err = n.chain.Engine().Mine(ctx, tpl, opts); !errors.Is(err, pogw.ErrNoUpdate) {
			break
		}
	}
	if err != nil {
		return nil, chain.Result{}, err
	}
	res, err := n.SubmitBlock(m.Block)
	return m.Block, res, err
}

// Verify checks the node's data: the store's own consistency (bbolt's page
// check) and the chain's (index, heights, undo records, snapshots, tx
// index, and the tip's StateRoot and ModelRoot recomputed from the stored
// accounts and weights). It is what `gcoind verify` runs.
func (n *Node) Verify() error {
	if err := n.db.Check(); err != nil {
		return fmt.Errorf("node: store check: %w", err)
	}
	if err := n.chain.CheckConsistency(); err != nil {
		return fmt.Errorf("node: chain check: %w", err)
	}
	return nil
}
