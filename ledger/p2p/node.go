package p2p

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/metrics"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	manet "github.com/multiformats/go-multiaddr/net"

	"github.com/sketchwork/sketchwork/ledger/chain"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/mempool"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// Defaults of Config (section 7).
const (
	DefaultStatusInterval = 5 * time.Second
	DefaultStallTimeout   = 30 * time.Second
	DefaultStreamTimeout  = 10 * time.Second
	DefaultValidatorTime  = 5 * time.Second
	// DefaultMaxStreamsPerPeer bounds concurrent inbound request streams
	// of one peer (section 6).
	DefaultMaxStreamsPerPeer = 4
	// DefaultRequestRate is the per-peer token-bucket rate of inbound
	// requests per second (section 6).
	DefaultRequestRate = 20
	// DefaultMinPeers: below this many connections the node redials
	// known peers.
	DefaultMinPeers = 8
	// DefaultDHTInterval is how often the DHT is searched for peers.
	DefaultDHTInterval = 30 * time.Second
)

// Config configures a Node. Chain is required; zero values of the other
// fields mean the documented defaults.
type Config struct {
	// Chain is the node's chain: blocks from the network go to its
	// ProcessBlock, requests are answered from its index.
	Chain *chain.Chain
	// Pool, if non-nil, receives gossiped transactions (Add against the
	// tip snapshot's state) unless SubmitTx is set; with neither, the
	// transaction topic's payloads are dropped after the context-free
	// checks.
	Pool *mempool.Pool
	// SubmitBlock, if set, is how blocks from peers enter the node (the
	// node's own entry point, which also counts them and stops the node on
	// a store failure); nil = Chain.ProcessBlock.
	SubmitBlock func(b *types.Block) (chain.Result, error)
	// SubmitTx, if set, is how transactions from peers enter the node;
	// nil = Pool.Add against the tip snapshot.
	SubmitTx func(tx *types.Tx) (hashx.Hash, error)
	// Network is the <net> of the protocol IDs /gc/<net>/... (""= the
	// chain's Params().Name).
	Network string
	// Logger receives the node's log lines (nil = discard).
	Logger *slog.Logger
	// Now is the wall clock (nil = time.Now).
	Now func() time.Time

	// StatusInterval is the status-poll period, the sync backstop
	// (0 = DefaultStatusInterval, 5 s).
	StatusInterval time.Duration
	// StallTimeout: a peer that reports more work but delivers nothing
	// useful for this long is disconnected (0 = 30 s).
	StallTimeout time.Duration
	// StreamTimeout is the deadline of one request/response stream
	// (0 = 10 s).
	StreamTimeout time.Duration
	// BanThreshold and BanDuration (0 = btcd's 100 and 24 h).
	BanThreshold int
	BanDuration  time.Duration
	// BanIP also bans the offender's IP address (never a loopback address,
	// which local networks share).
	BanIP bool
	// BanFile, if set, keeps the bans in force across restarts (JSON,
	// rewritten atomically whenever a peer is banned).
	BanFile string
	// MinPeers: the node redials known peers while it has fewer
	// connections (0 = DefaultMinPeers).
	MinPeers int
	// Bootstrap lists peers to dial at start and whenever connections drop
	// below MinPeers (multiaddrs ending in /p2p/<id>).
	Bootstrap []string
	// MDNS enables local-network discovery (off in partition tests).
	MDNS bool
	// DHT runs a kad-dht in server mode under the /gc prefix for peer
	// discovery (never for chain data).
	DHT bool
	// DHTInterval is the DHT peer-search period (0 = 30 s).
	DHTInterval time.Duration
	// GossipD, GossipDlo, GossipDhi override the mesh degrees
	// (0 = small-cluster defaults 4, 2, 8).
	GossipD, GossipDlo, GossipDhi int
}

func (c Config) resolve() Config {
	if c.Network == "" && c.Chain != nil {
		c.Network = c.Chain.Params().Name
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.StatusInterval <= 0 {
		c.StatusInterval = DefaultStatusInterval
	}
	if c.StallTimeout <= 0 {
		c.StallTimeout = DefaultStallTimeout
	}
	if c.StreamTimeout <= 0 {
		c.StreamTimeout = DefaultStreamTimeout
	}
	if c.BanThreshold <= 0 {
		c.BanThreshold = DefaultBanThreshold
	}
	if c.BanDuration <= 0 {
		c.BanDuration = DefaultBanDuration
	}
	if c.MinPeers <= 0 {
		c.MinPeers = DefaultMinPeers
	}
	if c.DHTInterval <= 0 {
		c.DHTInterval = DefaultDHTInterval
	}
	if c.GossipD <= 0 {
		c.GossipD = 4
	}
	if c.GossipDlo <= 0 {
		c.GossipDlo = 2
	}
	if c.GossipDhi <= 0 {
		c.GossipDhi = 8
	}
	return c
}

// Protocol IDs of the node's network: topics and request/response
// protocols, versioned and scoped by network name (section 7).
type Protocols struct {
	BlockTopic, TxTopic     string
	Status, Headers, Blocks protocol.ID
}

// ProtocolsFor returns the protocol IDs of network net.
func ProtocolsFor(net string) Protocols {
	p := "/gc/" + net
	return Protocols{
		BlockTopic: p + "/blocks/1",
		TxTopic:    p + "/txs/1",
		Status:     protocol.ID(p + "/status/1"),
		Headers:    protocol.ID(p + "/headers/1"),
		Blocks:     protocol.ID(p + "/blocks/1"),
	}
}

// Node is GradientCoin's peer-to-peer layer on one libp2p host: gossip of
// blocks and transactions with validating relays, headers-first sync over
// request/response protocols, discovery, ban scores and the connection
// gater. Start it once; Close stops every goroutine it started and closes
// the host.
type Node struct {
	cfg   Config
	log   *slog.Logger
	h     host.Host
	bw    *metrics.BandwidthCounter // nil on hosts the node did not build
	bans  *bans
	proto Protocols
	ps    *pubsub.PubSub
	bt    *pubsub.Topic
	tt    *pubsub.Topic

	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	closed  atomic.Bool
	syncing atomic.Bool

	syncTrigger chan peer.ID
	fromNet     *hashSet // blocks that came from peers (or were published)
	txFromNet   *hashSet // transactions that came from peers
	arrivals    *arrivalLog

	mu        sync.Mutex
	gscores   map[peer.ID]float64 // gossipsub peer scores (inspector)
	peers     map[peer.ID]*peerState
	bootstrap []peer.AddrInfo
	extra     []io.Closer // mdns, dht

	stats counters
}

type peerState struct {
	status     *Status
	statusAt   time.Time
	lastUseful time.Time
	streams    int
	tokens     float64
	tokensAt   time.Time
}

// counters are the node's event counts (Stats).
type counters struct {
	gossipBlocksAccepted, gossipBlocksIgnored, gossipBlocksRejected atomic.Int64
	gossipTxsAccepted, gossipTxsIgnored, gossipTxsRejected          atomic.Int64
	syncedBlocks, syncedHeaders, published, publishedTxs            atomic.Int64
	bansIssued, stalls, requestsServed, requestsRefused             atomic.Int64
	reorgs, maxReorgDepth, orphans                                  atomic.Int64
	helperBatches                                                   atomic.Int64
}

// New builds a node on h (a libp2p host of its own, or a mocknet host
// in tests). Bans are enforced by closing connections of banned peers (a
// mocknet host has no connection gater; Open installs one). The node does
// nothing on the network until Start.
func New(cfg Config, h host.Host) (*Node, error) {
	if cfg.Chain == nil {
		return nil, errors.New("p2p: Config.Chain is required")
	}
	rc := cfg.resolve()
	return newNode(cfg, h, newBans(rc.BanThreshold, rc.BanDuration, rc.BanIP, rc.Now))
}

func newNode(cfg Config, h host.Host, b *bans) (*Node, error) {
	if cfg.Chain == nil {
		return nil, errors.New("p2p: Config.Chain is required")
	}
	if h == nil {
		return nil, errors.New("p2p: nil host")
	}
	cfg = cfg.resolve()
	if cfg.BanFile != "" {
		if err := b.load(cfg.BanFile); err != nil {
			return nil, err
		}
	}
	n := &Node{
		cfg:         cfg,
		log:         cfg.Logger,
		h:           h,
		proto:       ProtocolsFor(cfg.Network),
		syncTrigger: make(chan peer.ID, 64),
		fromNet:     newHashSet(8192),
		txFromNet:   newHashSet(1 << 15),
		arrivals:    newArrivalLog(4096),
		peers:       map[peer.ID]*peerState{},
	}
	n.bans = b
	for _, s := range cfg.Bootstrap {
		ai, err := peer.AddrInfoFromString(s)
		if err != nil {
			return nil, fmt.Errorf("p2p: bootstrap address %q: %w", s, err)
		}
		if ai.ID != h.ID() {
			n.bootstrap = append(n.bootstrap, *ai)
		}
	}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	return n, nil
}

// gossipParams returns small-cluster gossipsub parameters (section 7).
func (n *Node) gossipParams() pubsub.GossipSubParams {
	gp := pubsub.DefaultGossipSubParams()
	gp.D, gp.Dlo, gp.Dhi = n.cfg.GossipD, n.cfg.GossipDlo, n.cfg.GossipDhi
	gp.Dout = min(gp.Dlo-1, gp.D/2)
	if gp.Dout < 0 {
		gp.Dout = 0
	}
	gp.Dscore = min(gp.Dscore, gp.Dhi)
	gp.HeartbeatInitialDelay = 50 * time.Millisecond
	return gp
}

// msgID returns the message id of a gossip payload: the block hash for the
// block topic and the TxID for the transaction topic, so copies from
// different publishers deduplicate (section 7). Undecodable payloads get
// the hash of their bytes.
func (n *Node) msgID(m *pb.Message) string {
	data := m.GetData()
	if len(data) > 0 && data[0] == ProtoVersion {
		switch m.GetTopic() {
		case n.proto.BlockTopic:
			if len(data) >= 1+types.HeaderSize {
				h := hashx.Tagged(hashx.TagHeader, data[1:1+types.HeaderSize])
				return string(h[:])
			}
		case n.proto.TxTopic:
			h := hashx.Tagged(hashx.TagTx, data[1:])
			return string(h[:])
		}
	}
	h := hashx.Sum(data)
	return "raw:" + string(h[:])
}

// Start joins the gossip topics, installs the request handlers and starts
// the sync, discovery and relay goroutines. It returns once the topics
// are joined; peers are dialed in the background.
func (n *Node) Start() error {
	sp, st := n.peerScore()
	ps, err := pubsub.NewGossipSub(n.ctx, n.h,
		pubsub.WithPeerScore(sp, st),
		pubsub.WithPeerScoreInspect(func(m map[peer.ID]float64) {
			n.mu.Lock()
			n.gscores = m
			n.mu.Unlock()
		}, time.Second),
		pubsub.WithMessageIdFn(n.msgID),
		pubsub.WithMaxMessageSize(MaxGossipSize),
		pubsub.WithGossipSubParams(n.gossipParams()),
		pubsub.WithPeerExchange(true),
		// Our own blocks and transactions go to every topic peer at once,
		// not only to the mesh (which forms at heartbeats): lower latency
		// in small clusters, and nothing is lost to an empty mesh.
		pubsub.WithFloodPublish(true),
		pubsub.WithValidateQueueSize(256),
	)
	if err != nil {
		return fmt.Errorf("p2p: gossipsub: %w", err)
	}
	n.ps = ps
	opts := []pubsub.ValidatorOpt{pubsub.WithValidatorTimeout(DefaultValidatorTime)}
	if err := ps.RegisterTopicValidator(n.proto.BlockTopic, pubsub.ValidatorEx(n.validateBlock), opts...); err != nil {
		return err
	}
	if err := ps.RegisterTopicValidator(n.proto.TxTopic, pubsub.ValidatorEx(n.validateTx), opts...); err != nil {
		return err
	}
	if n.bt, err = ps.Join(n.proto.BlockTopic); err != nil {
		return err
	}
	if n.tt, err = ps.Join(n.proto.TxTopic); err != nil {
		return err
	}
	for _, t := range []*pubsub.Topic{n.bt, n.tt} {
		sub, err := t.Subscribe(pubsub.WithBufferSize(256))
		if err != nil {
			return err
		}
		n.goDrain(sub)
	}
	n.h.SetStreamHandler(n.proto.Status, n.wrapHandler(n.handleStatus))
	n.h.SetStreamHandler(n.proto.Headers, n.wrapHandler(n.handleHeaders))
	n.h.SetStreamHandler(n.proto.Blocks, n.wrapHandler(n.handleBlocks))
	n.h.Network().Notify(&network.NotifyBundle{
		ConnectedF:    n.onConnected,
		DisconnectedF: n.onDisconnected,
	})
	n.goLoop(n.tipLoop)
	n.goLoop(n.syncLoop)
	n.goLoop(n.discoveryLoop)
	if err := n.startDiscovery(); err != nil {
		return err
	}
	// Peers connected before Start (mocknet links, or a host shared with
	// other services) are handled like new connections.
	for _, p := range n.h.Network().Peers() {
		n.trigger(p)
	}
	return nil
}

func (n *Node) goLoop(f func()) {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		f()
	}()
}

func (n *Node) goDrain(sub *pubsub.Subscription) {
	n.goLoop(func() {
		defer sub.Cancel()
		for {
			if _, err := sub.Next(n.ctx); err != nil {
				return
			}
		}
	})
}

// Close stops the node's goroutines, the discovery services and the host.
func (n *Node) Close() error {
	if n.closed.Swap(true) {
		return nil
	}
	n.cancel()
	for _, p := range []protocol.ID{n.proto.Status, n.proto.Headers, n.proto.Blocks} {
		n.h.RemoveStreamHandler(p)
	}
	n.mu.Lock()
	extra := n.extra
	n.extra = nil
	n.mu.Unlock()
	var errs []error
	for _, c := range extra {
		errs = append(errs, c.Close())
	}
	n.wg.Wait()
	if n.bt != nil {
		errs = append(errs, n.bt.Close())
	}
	if n.tt != nil {
		errs = append(errs, n.tt.Close())
	}
	errs = append(errs, n.h.Close())
	return errors.Join(errs...)
}

// ID returns the node's peer ID as a string.
func (n *Node) ID() string { return n.h.ID().String() }

// Addrs returns the node's full listen multiaddrs (with /p2p/<id>), which
// other nodes can use as bootstrap addresses.
func (n *Node) Addrs() []string {
	var out []string
	for _, a := range n.h.Addrs() {
		out = append(out, a.String()+"/p2p/"+n.h.ID().String())
	}
	return out
}

// Host returns the underlying libp2p host (tests and package evil).
func (n *Node) Host() host.Host { return n.h }

func (n *Node) onConnected(_ network.Network, c network.Conn) {
	p := c.RemotePeer()
	if n.bans.banned(p) || n.bans.ipBanned(c.RemoteMultiaddr()) {
		// The gater refuses these on real hosts; mocknet has no gater.
		go c.Close()
		return
	}
	n.trigger(p)
}

func (n *Node) onDisconnected(_ network.Network, c network.Conn) {
	p := c.RemotePeer()
	if n.h.Network().Connectedness(p) == network.Connected {
		return
	}
	n.mu.Lock()
	delete(n.peers, p)
	n.mu.Unlock()
}

// trigger asks the sync loop to poll p's status soon.
func (n *Node) trigger(p peer.ID) {
	select {
	case n.syncTrigger <- p:
	default:
	}
}

// penalize adds delta to p's ban score; at the threshold the peer is
// banned: gater entry, gossip blacklist, connections closed.
func (n *Node) penalize(p peer.ID, delta int, reason string) {
	if delta <= 0 || p == n.h.ID() || p == "" {
		return
	}
	var ip net.IP
	for _, c := range n.h.Network().ConnsToPeer(p) {
		if x, err := manet.ToIP(c.RemoteMultiaddr()); err == nil {
			ip = x
			break
		}
	}
	banned, newly := n.bans.add(p, delta, reason, ip)
	n.log.Info("p2p: misbehaviour", "peer", p, "score", delta, "reason", reason, "banned", banned)
	if !banned {
		return
	}
	if newly {
		n.stats.bansIssued.Add(1)
		n.log.Warn("p2p: peer banned", "peer", p, "reason", reason)
		if n.cfg.BanFile != "" {
			if err := n.bans.save(n.cfg.BanFile); err != nil {
				n.log.Error("p2p: saving bans", "err", err)
			}
		}
	}
	if n.ps != nil {
		n.ps.BlacklistPeer(p)
	}
	go func() { _ = n.h.Network().ClosePeer(p) }()
}

// Banned reports whether the peer with ID id is banned.
func (n *Node) Banned(id string) bool {
	p, err := peer.Decode(id)
	if err != nil {
		return false
	}
	return n.bans.banned(p)
}

// Bans returns every peer's ban record.
func (n *Node) Bans() []BanInfo { return n.bans.list() }

// Partition isolates the node from the given peers (test admin, section
// 10.4): the gater denies them, current connections to them are closed
// and they are not redialed until Heal.
func (n *Node) Partition(ids []string) error {
	var ps []peer.ID
	for _, id := range ids {
		p, err := peer.Decode(id)
		if err != nil {
			return fmt.Errorf("p2p: partition: peer id %q: %w", id, err)
		}
		ps = append(ps, p)
	}
	n.bans.setDeny(ps)
	for _, p := range ps {
		_ = n.h.Network().ClosePeer(p)
	}
	return nil
}

// Heal lifts the partition deny list and redials known peers at once.
func (n *Node) Heal() {
	n.bans.setDeny(nil)
	n.redial()
}

// Connect dials a peer given by a full multiaddr (with /p2p/<id>).
func (n *Node) Connect(ctx context.Context, addr string) error {
	ai, err := peer.AddrInfoFromString(addr)
	if err != nil {
		return err
	}
	return n.h.Connect(ctx, *ai)
}

// PeerInfo describes a connected peer.
type PeerInfo struct {
	ID         string   `json:"id"`
	Addrs      []string `json:"addrs"`
	BestHeight uint64   `json:"best_height"`
	BestHash   string   `json:"best_hash,omitempty"`
	BanScore   int      `json:"ban_score"`
	// GossipScore is gossipsub's peer score (negative after invalid
	// messages).
	GossipScore float64 `json:"gossip_score"`
}

// PeerList lists the connected peers with their last reported status.
func (n *Node) PeerList() []PeerInfo {
	scores := map[string]int{}
	for _, b := range n.bans.list() {
		scores[b.Peer] = b.Score
	}
	gs := n.GossipScores()
	var out []PeerInfo
	for _, p := range n.h.Network().Peers() {
		pi := PeerInfo{ID: p.String(), BanScore: scores[p.String()], GossipScore: gs[p.String()]}
		for _, c := range n.h.Network().ConnsToPeer(p) {
			pi.Addrs = append(pi.Addrs, c.RemoteMultiaddr().String())
		}
		n.mu.Lock()
		if st := n.peers[p]; st != nil && st.status != nil {
			pi.BestHeight = st.status.BestHeight
			pi.BestHash = st.status.BestHash.String()
		}
		n.mu.Unlock()
		out = append(out, pi)
	}
	return out
}

// PeerCount returns the number of connected peers.
func (n *Node) PeerCount() int { return len(n.h.Network().Peers()) }

// Peers returns the number of connected peers (node.Network).
func (n *Node) Peers() int { return n.PeerCount() }

// Syncing reports whether the node is downloading headers or blocks from
// a peer with more work (node.Network).
func (n *Node) Syncing() bool { return n.syncing.Load() }

// Stats are the node's network counters.
type Stats struct {
	Peers                int   `json:"peers"`
	BytesIn              int64 `json:"bytes_in"`
	BytesOut             int64 `json:"bytes_out"`
	GossipBlocksAccepted int64 `json:"gossip_blocks_accepted"`
	GossipBlocksIgnored  int64 `json:"gossip_blocks_ignored"`
	GossipBlocksRejected int64 `json:"gossip_blocks_rejected"`
	GossipTxsAccepted    int64 `json:"gossip_txs_accepted"`
	GossipTxsIgnored     int64 `json:"gossip_txs_ignored"`
	GossipTxsRejected    int64 `json:"gossip_txs_rejected"`
	SyncedBlocks         int64 `json:"synced_blocks"`
	SyncedHeaders        int64 `json:"synced_headers"`
	PublishedBlocks      int64 `json:"published_blocks"`
	PublishedTxs         int64 `json:"published_txs"`
	BansIssued           int64 `json:"bans_issued"`
	Stalls               int64 `json:"stalls"`
	RequestsServed       int64 `json:"requests_served"`
	RequestsRefused      int64 `json:"requests_refused"`
	// Reorgs counts tip changes that disconnected blocks, MaxReorgDepth
	// the most blocks one of them disconnected; Orphans counts gossiped
	// blocks whose parent was unknown.
	Reorgs        int64 `json:"reorgs"`
	MaxReorgDepth int64 `json:"max_reorg_depth"`
	Orphans       int64 `json:"orphans"`
	// HelperBatches counts body batches downloaded from a peer other than
	// the one being synced from.
	HelperBatches int64  `json:"helper_batches"`
	ID            string `json:"id"`
}

// Stats returns the node's counters.
func (n *Node) Stats() Stats {
	s := Stats{
		Peers:                n.PeerCount(),
		GossipBlocksAccepted: n.stats.gossipBlocksAccepted.Load(),
		GossipBlocksIgnored:  n.stats.gossipBlocksIgnored.Load(),
		GossipBlocksRejected: n.stats.gossipBlocksRejected.Load(),
		GossipTxsAccepted:    n.stats.gossipTxsAccepted.Load(),
		GossipTxsIgnored:     n.stats.gossipTxsIgnored.Load(),
		GossipTxsRejected:    n.stats.gossipTxsRejected.Load(),
		SyncedBlocks:         n.stats.syncedBlocks.Load(),
		SyncedHeaders:        n.stats.syncedHeaders.Load(),
		PublishedBlocks:      n.stats.published.Load(),
		PublishedTxs:         n.stats.publishedTxs.Load(),
		BansIssued:           n.stats.bansIssued.Load(),
		Stalls:               n.stats.stalls.Load(),
		RequestsServed:       n.stats.requestsServed.Load(),
		RequestsRefused:      n.stats.requestsRefused.Load(),
		Reorgs:               n.stats.reorgs.Load(),
		MaxReorgDepth:        n.stats.maxReorgDepth.Load(),
		Orphans:              n.stats.orphans.Load(),
		HelperBatches:        n.stats.helperBatches.Load(),
		ID:                   n.ID(),
	}
	if n.bw != nil {
		t := n.bw.GetBandwidthTotals()
		s.BytesIn, s.BytesOut = t.TotalIn, t.TotalOut
	}
	return s
}

// TopicPeers returns the number of peers subscribed to the block topic.
func (n *Node) TopicPeers() int {
	if n.bt == nil {
		return 0
	}
	return len(n.bt.ListPeers())
}

// Chain returns the chain the node serves.
func (n *Node) Chain() *chain.Chain { return n.cfg.Chain }
