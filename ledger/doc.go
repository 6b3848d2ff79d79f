// Package ledger is the root of GradientCoin, the proof-of-gradient-work
// blockchain of papers/gradientcoin.md. It holds no code; the layout of its
// sub-packages follows section 11 of the specification (under ledger/ instead
// of internal/), importing strictly downwards:
//
//	codec      canonical binary writer/reader with caps               (§3.1)
//	hashx      tagged SHA-256, RFC 6962 Merkle trees and proofs       (§3.1)
//	keys       ed25519 keys, addresses, atomic 0600 key files          (§3.2, §8)
//	types      Tx, Header, Block, TxID, BlockHash, TxRoot              (§3.2, §3.4)
//	consensus  params, genesis, difficulty, work, subsidy, time rules, RuleError (§4.1, §5.4-5.6)
//	fixed      Q8.24 ExpQ/Log2Q with golden tables                      (§4.2)
//	corpus     normalisation, windows, splits, batch selection         (§4.3)
//	model      softmax LM: forward, loss, SGD step, ModelRoot           (§3.5, §4.2)
//	state      accounts, apply/undo, StateRoot, overlays               (§3.2, §3.3)
//	pogw       Mine / Verify of the training update                    (§5.1-5.3)
//	chain      block index, validation tiers, fork choice, reorg       (§5.3, §5.5)
//	store      bbolt schema, atomic connect/disconnect                 (§8)
//	mempool    per-sender nonce queues, fee ordering, replacement      (§5.7)
//	miner, api, p2p                                                    (§5.1, §9, §7)
//
// The consensus path (hashx, codec, keys, types, consensus, state, fixed,
// corpus, model, pogw, chain) uses only the Go standard library plus ledger
// packages, never gonum or any other package of this module, and never
// floating point, so every node computes bit-identical results.
package ledger
