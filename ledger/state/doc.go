// Package state holds GradientCoin's account state and its state transition
// (papers/gradientcoin.md sections 3.2, 3.3, 5.3 step 6 and 8).
//
// # Model
//
// The state maps addresses to Account{Balance, Nonce}; an account that was
// never touched is {0, 0} and is not stored. StateRoot is the RFC 6962 root
// over AccountLeaf(addr, acct) = addr || Balance || Nonce of every non-empty
// account in ascending address order (EmptyRoot when there is none).
//
// A transfer is valid against state S when the context-free rules of
// consensus.CheckTxFields hold, its signature verifies (unless the caller
// has verified the block's signatures already), Nonce == S[From].Nonce, and
// S[From].Balance >= Amount + Fee; applying it debits Amount + Fee, bumps
// the nonce and credits Amount to To, with every addition overflow-checked.
// A block's coinbase (first transaction, shape per consensus.CheckCoinbase)
// must carry exactly Subsidy(h) + Σ fees and is credited first; the
// transfers follow in block order. Total supply (Σ balances) therefore grows
// by exactly Subsidy(h) per block: fees only move between accounts.
//
// # Views
//
//   - *State is the committed base: a map plus a cached sorted key list and
//     the running supply.
//   - *Overlay is a copy-on-write view over a State or another Overlay. It
//     records, on first touch of each address, an UndoEntry (addr, existed,
//     previous balance and nonce). Apply a block to an overlay tentatively;
//     drop it to discard (the parent is never written), or Commit it to write
//     the changes into the parent and get the Undo record.
//   - State.Revert(undo) restores the state before a committed block
//     exactly (same accounts, same StateRoot, same supply): disconnect.
//
// Overlays are not safe for concurrent use; a State may be read
// concurrently only while nothing writes it (chain code keeps one writer).
//
// # Cost
//
// Account lookups are O(depth of overlays). ApplyTx is O(1) plus one
// ed25519 verification. Root is O(n) SHA-256 over the n non-empty accounts
// (plus a sort of the keys after the key set changed), as section 3.3
// allows ("recomputing per block is fine at this scale").
//
// Standard library only besides ledger packages (consensus path).
package state
