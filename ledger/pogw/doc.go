// Package pogw is GradientCoin's proof of gradient work: building a block's
// training update on the miner side and verifying it on the receiving side
// (papers/gradientcoin.md sections 5.1-5.3).
//
// # The work
//
// A block on parent P (hash P.hash, weights W_P) carries a training update:
//
//	seed       = H_"gc/train/v1"(P.hash || Miner || u64le(TrainNonce))
//	W'         = W_P after K SGD steps, step k on TrainBatch(seed, k, B)
//	vbatch     = HeldOutBatch(H_"gc/verify/v1"(P.hash), k = 0, VB)
//	LossBefore = MeanLoss(W_P, vbatch)      (Q8.24, the same for every child)
//	LossAfter  = MeanLoss(W', vbatch)
//	ModelRoot  = root(W')
//
// and is valid when LossAfter <= LossBefore - MinImprove. On top of that the
// header must meet its hash target, as in Bitcoin: the hash lottery gives a
// calibrated work unit for fork choice, the training gives the update.
//
// # Mining (Engine.SearchUpdate, BuildBlock, Grind, Mine)
//
// SearchUpdate tries TrainNonce = 0, 1, 2, ... (at most MaxTrainTries = 64
// by default, local policy) and keeps the first candidate that meets the
// improvement rule; LossBefore and the verification batch are cached per
// parent. BuildBlock assembles the coinbase (Subsidy(h) + Σ fees to the
// miner), the transfers that apply, TxRoot and StateRoot. Grind searches the
// header Nonce with a SHA-256 midstate, refreshes Time every 2^20 attempts
// and stops when its context is cancelled (a miner cancels on a new tip).
//
// # Verification (Engine.VerifyUpdate, VerifyBlock)
//
// VerifyUpdate recomputes the update exactly, cheapest checks first:
// LossBefore (ErrLossMismatch), the claimed improvement (ErrNoImprovement),
// the K steps and ModelRoot (ErrBadModelRoot), LossAfter (ErrLossMismatch).
// There is no tolerance: all arithmetic is integer (package model), so every
// honest node computes the same bits. VerifyBlock adds the other tiers of
// section 5.3 (sanity, context, state transition) in front of it.
//
// # Cost (2-core development machine)
//
// A training try or a verification is one training run (K = 8 steps of
// B = 64 windows), one VB = 256 window loss and one ModelRoot: about 2 ms.
// A hash attempt is one SHA-256 compression from the midstate, about
// 0.3 us, so the test target 2^240 needs ~20 ms of grinding on average and
// the main target 2^236 ~0.3 s. Replay (no checks) costs one training run.
//
// The package is on the consensus path: standard library and ledger
// packages only, integer arithmetic only (enforced by internal/archtest).
package pogw
