// Package node wires a GradientCoin node together (papers/gradientcoin.md
// section 2): the store (bbolt in the data directory, or in memory), the
// chain, the mempool, the miner and the HTTP API, from one Config. It is
// what cmd/gcoind runs and what multi-node harnesses start in-process.
//
// # Lifecycle
//
// Open loads the genesis (a file, the data directory's genesis.json, or
// the built-in dev network), opens the store and the chain (which
// re-verifies the tip's StateRoot and ModelRoot and refuses a store that
// does not match) and builds the mempool, the miner and the API. Start runs
// every goroutine under one root context: the tip tracker (eval loss of
// each new tip, tip logs), the miner loop, and the HTTP server, whose bound
// address is logged ("http server listening addr=...") and written to
// DataDir/http.addr. The root context ends when Start's context ends
// (cmd/gcoind passes signal.NotifyContext), on Close, or on a fatal store
// error (Done, Err). Close shuts the HTTP server down, waits for every
// goroutine and closes the store; a test checks that no goroutine is left.
//
// # Entry points (for the peer-to-peer layer)
//
// Blocks enter through SubmitBlock and transactions through SubmitTx, the
// methods the miner and the HTTP API use; Chain().Subscribe delivers tip
// events. A peer-to-peer component implements Network (peer count, sync
// state, AnnounceBlock, AnnounceTx) and is plugged in with SetNetwork: the
// node announces everything it accepted, whatever its origin.
//
// # Transaction admission
//
// The chain brings the mempool in step with each new tip through its
// TxPool hook, after the store commit and just before it publishes the new
// snapshot. SubmitTx admits against the state of the latest hook call until
// that snapshot is published, so a transaction consumed by the block just
// connected is never admitted against the previous state.
//
// # Cost
//
// Open costs chain.Open: reading the index, rebuilding the tip weights
// from a snapshot (at most 15 replays of ~2 ms) and re-verifying the state
// root. At run time the node adds one eval-loss computation per new tip
// (2048 windows, ~1.5 ms on two goroutines) to the chain's own validation.
package node
