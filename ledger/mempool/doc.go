// Package mempool holds GradientCoin's pending transactions: per-sender
// nonce queues, fee-rate ordering for block templates, replacement and
// eviction (papers/gradientcoin.md section 5.7). It is policy, not
// consensus: its rejections use the policy codes of consensus.RuleError
// (ErrAlreadyKnown, ErrStaleNonce, ErrNonceGap, ErrReplacementFee,
// ErrTooManyPending, ErrMempoolFull) besides the consensus codes of the
// transaction rules it re-checks.
//
// # Rules
//
//   - A transaction must pass consensus.CheckTxSanity (fields and ed25519
//     signature) and fit MaxTxSize.
//   - One transaction per (From, Nonce). A transaction for an occupied slot
//     replaces the pending one only if its fee is at least 10% higher
//     (newFee*10 >= oldFee*11, exact 128-bit arithmetic).
//   - Nonce >= the sender's state nonce (ErrStaleNonce), at most
//     MaxPerSender (64) pending per sender, and Nonce <= next + MaxNonceGap
//     (16), where next is the first nonce at or after the state nonce that
//     has no pending transaction (so a sender's holes never exceed 16).
//   - Conservative funding: the sender's state balance must cover the
//     Amount + Fee of all its pending transactions together (incoming
//     transfers still pending are not counted).
//   - When full (MaxTxs or MaxBytes), the pool evicts the transaction with
//     the lowest fee per byte among the senders' last (highest-nonce)
//     transactions, never creating a nonce hole, and only if the newcomer
//     pays a strictly higher fee rate; otherwise ErrMempoolFull.
//   - Template picks, greedily, the highest fee per byte among each
//     sender's next executable transaction (ties: earlier arrival first),
//     simulating balances and nonces as it goes, so a template always
//     applies cleanly on the view it was built from.
//   - RemoveBlock drops a connected block's transactions and everything
//     its senders can no longer execute (stale nonces, lost funding);
//     Readd re-admits the transactions of disconnected blocks that are
//     still valid.
//
// The pool stores no state view: every method that needs account state
// takes one (an AccountReader such as *state.State) and reads it while
// holding the pool's mutex, so the caller must keep that view unchanged for
// the duration of the call (the chain's single writer makes this easy).
//
// # Cost
//
// Add is dominated by one ed25519 verification (~50 µs) plus O(pending of
// the sender); eviction scans the senders, O(senders). Template is
// O(n log senders). All methods are safe for concurrent use (one mutex).
package mempool
