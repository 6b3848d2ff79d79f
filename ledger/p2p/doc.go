// Package p2p is GradientCoin's peer-to-peer layer on go-libp2p
// (papers/gradientcoin.md sections 6, 7 and 10.3): gossip of blocks and
// transactions, headers-first sync over request/response protocols,
// discovery, ban scores and a connection gater. It is the only package of
// the module that imports libp2p; the node wires it in through Open/New,
// Start, Close and a few plain-typed methods.
//
// # Protocols (versioned, scoped by network name)
//
//	/gc/<net>/blocks/1   gossipsub topic: version byte || canonical block
//	/gc/<net>/txs/1      gossipsub topic: version byte || canonical tx
//	/gc/<net>/status/1   {} -> {GenesisHash, ProtoVersion, BestHash, BestHeight, ChainWork}
//	/gc/<net>/headers/1  {Locator <= 32, StopHash, Max <= 512} -> headers
//	/gc/<net>/blocks/1   {Hashes <= 16} -> blocks (missing ones omitted)
//
// Request/response streams carry one frame each way (uvarint length ||
// canonical bytes, every payload starting with ProtoVersion), have a
// 10 s deadline (also enforced by resetting the stream, for transports
// without deadlines), and are closed on success and reset on any failure.
// Frames are read through bounded readers: the announced length is
// checked against the protocol's cap before anything is allocated.
//
// # Gossip
//
// Gossipsub runs with small-cluster degrees (D=4, Dlo=2, Dhi=8), flood
// publishing of the node's own messages, a 512 KiB message cap and message
// IDs equal to the block hash or TxID, so copies from different
// publishers deduplicate. The block topic's ValidatorEx decodes the block
// and hands it to chain.ProcessBlock, which runs the full validation
// (context-free checks including PoW first; the state transition and the
// training update when the block extends the best chain): Accept only for
// accepted blocks, so only valid blocks are relayed; Ignore for
// duplicates, internal failures and orphans (which also trigger a sync
// with the sender); Reject, with a ban score for the peer that sent it,
// for invalid data. Blocks the chain accepts from elsewhere (the local
// miner, the API) are published by the node after a topic peer appears.
// Gossip is never needed for correctness: the status poll below is the
// backstop.
//
// # Sync (headers-first, btcd netsync)
//
// The node polls every connected peer's status on connect, on demand (an
// orphan) and every 5 s. From the peer with the most work, when it has
// more than our tip, it fetches headers with a Bitcoin-style locator
// (chain.LocatorFrom) until that peer's best chain is indexed
// (chain.ProcessHeaders checks linkage, PoW, retarget and time rules),
// then downloads the missing bodies (chain.MissingBlocks) in height order,
// four 16-block requests in flight, shared round-robin with up to two other
// peers that reported at least as much work (what a helper does not
// deliver is asked of the sync peer), each block through ProcessBlock. A peer
// that claims more work but delivers nothing useful for 30 s is
// disconnected. Peers on another genesis are disconnected.
//
// # Bad actors (section 6)
//
// Ban scores follow btcd: threshold 100, 24 h. Undecodable or oversize
// data costs 50, a badly signed transaction 20, an invalid block or header
// 100 (a time slightly in the future or a child of an invalid block 20).
// A banned peer is refused by the ConnectionGater (dials and inbound
// connections; by peer ID, and by IP unless the IP is loopback), dropped
// by gossipsub (BlacklistPeer) and disconnected. Gossipsub's peer score is
// tied to the same record: each rejected message costs the sender on its
// topic, and the application score is minus the ban score, so a
// misbehaving peer drops out of gossip before the ban takes effect. Inbound requests are
// limited to 4 concurrent streams and 20 per second per peer. With
// Config.BanFile the bans in force survive a restart. The same
// gater enforces a test-only partition deny list (Partition, Heal).
//
// # Discovery
//
// Bootstrap multiaddrs are dialed at start and whenever the node has fewer
// than MinPeers connections, along with peers whose addresses are known;
// optional mDNS (service gc-<net>) and kad-dht (server mode, prefix /gc,
// looping advertisement of gc/<net>/v1, a peer search every 30 s).
//
// # Cost
//
// Validating a gossiped block costs one ProcessBlock (about 2 ms of
// training replay plus a store commit). Sync costs one status round trip
// per peer every 5 s, one headers round trip per 512 headers and one
// blocks round trip per 16 blocks, overlapped four deep.
package p2p
