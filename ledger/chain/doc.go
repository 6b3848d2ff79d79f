// Package chain is GradientCoin's block index, validation pipeline, fork
// choice and chain state (papers/gradientcoin.md sections 5.3, 5.5-5.7
// and 8): the node component that owns every write to consensus state.
//
// # Validation in tiers (section 5.3)
//
//  1. context-free sanity (consensus.CheckBlockSanity): caps, version,
//     PoW, coinbase shape, transfers, TxRoot, signatures;
//  2. parent unknown: the orphan pool (<= 64 blocks, PoW checked only,
//     oldest evicted); parent invalid: ErrInvalidParent;
//  3. context (consensus.CheckHeaderContext): height, retarget target, MTP,
//     future drift;
//  4. state transition (state.ConnectBlock): nonces, balances, coinbase
//     amount, StateRoot;
//  5. training (pogw.Engine.VerifyUpdate): losses, improvement, ModelRoot.
//
// Tiers 1-3 run when a block arrives; the block is then stored. Tiers 4-5
// run when its branch is connected. Rejections are consensus.RuleErrors
// whose codes callers compare. A rejected hash is remembered (invalid
// cache, 10,000 entries) unless the rejection could be an accident of
// transport: a body that does not match its header's TxRoot, or a time too
// far in the future.
//
// # Fork choice and reorganisation (section 5.5)
//
// The best chain is the connectable branch (all bodies present, nothing
// known invalid) with the most cumulative work; on equal work the branch
// that became connectable first wins, so a node never switches between
// equal-work tips. To switch branches the chain rebuilds the fork-point
// state from undo records and the fork-point weights from the weight cache
// or the newest snapshot plus replay, validates the whole new branch in
// memory, and only then writes: one store update per disconnected and per
// connected block. A failing block is marked invalid with its descendants;
// the valid prefix is connected only if it has more work than the old tip,
// otherwise nothing is written and the old tip stays.
//
// # Concurrency and interfaces for the node
//
// ProcessBlock and ProcessHeaders are serialised by one writer lock (the
// single-writer rule of section 2). Readers never wait for validation:
// Snapshot returns an immutable view of the tip (header, chain work,
// account state, weights, next target and MTP) that is replaced, never
// modified, on every tip change; BlockInfo, HeaderByHash, HashAtHeight,
// Locator, HeadersAfter, BestHeader and MissingBlocks read the index under
// a read lock; BlockByHash, TxLocation and WeightsAt (any main-chain
// block's weights, snapshot plus replay) read the store. Subscribe
// delivers TipEvents (never blocking the writer). A TxPool hook keeps a
// mempool in step: transfers of disconnected blocks return to it, those of
// connected blocks leave it.
//
// # Persistence (section 8)
//
// Every connect and disconnect is one store update (package store), and a
// block is reported Accepted only after its commit. Open checks the schema
// and genesis, loads the index, reads the tip, rebuilds the weights from
// the newest snapshot at or below it plus replay, and refuses to start
// when the stored state does not re-verify against the tip's StateRoot and
// ModelRoot, unless Config.Reindex is set, which rebuilds all derived
// data by revalidating the stored blocks from genesis.
//
// # Cost
//
// Connecting a block costs one training replay and two verification-batch
// losses (about 2 ms, package pogw), a state root over all accounts, one
// copy of the account map (the published snapshot is immutable) and one
// store commit. Accepting a side-branch block costs its signature checks.
// A reorg of depth d costs d undo applications, at most 15 replays for the
// fork-point weights, and d' full validations for the new branch.
//
// Like the rest of the consensus path, the package uses only the standard
// library and ledger packages; bbolt stays behind store/boltstore.
package chain
