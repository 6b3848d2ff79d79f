// Package miner is GradientCoin's mining loop (papers/gradientcoin.md
// section 5.1): it turns the chain's tip snapshot and the mempool into a
// block template, searches a training update (the proof of gradient work),
// grinds the header nonce against the hash target, and hands the solved
// block to the node through the same entry point blocks from the network
// use.
//
// # Loop
//
// While mining is enabled (Start/Stop at run time), each job:
//
//  1. takes the tip snapshot (immutable, package chain) and registers itself
//     as working on that parent;
//  2. searches a training update with pogw.Engine.SearchUpdate in rounds of
//     MaxTries nonces (pogw.MaxTrainTries = 64 by default). The update
//     depends only on (parent, miner address), so it is cached and reused
//     when the job restarts on the same parent. When a round finds nothing
//     the next round continues with the following nonces: the spec's
//     "give up after 64 and wait for a new tip" would stall a lone miner
//     forever, so this local policy keeps searching (and logs a warning);
//  3. builds the block: coinbase plus the mempool's fee-ordered template
//     (mempool.Pool.Template on the snapshot's state, within
//     mempool.TemplateLimits), TxRoot and StateRoot (pogw.Engine.BuildBlock);
//  4. grinds the header nonce (pogw.Grind, which checks its context every
//     4096 attempts, about a millisecond);
//  5. submits the block (Config.Submit, normally the node's SubmitBlock) and
//     counts it as mined only when the chain reports it Accepted on the main
//     chain, which happens after the store committed it.
//
// A goroutine subscribed to the chain's tip events cancels the job's
// context as soon as the tip moves away from the job's parent (a block
// from the network, or a reorg), so a stale job is abandoned at once; Stop
// cancels it the same way.
//
// # Cost
//
// A job costs the training search (about 2 ms per try, 1-2 tries on
// average), the template (O(mempool)), one state-root computation and the
// hash grind (about 0.3 us per attempt; 2^16 attempts at the dev target
// 2^240). Mining uses one goroutine; the chain verifies the mined block
// again on submission (another ~2 ms).
package miner
