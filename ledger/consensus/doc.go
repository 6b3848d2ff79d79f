// Package consensus holds GradientCoin's consensus parameters and the rules
// that need no account state: genesis, difficulty retarget, work, subsidy,
// time rules, context-free transaction/block checks, and the typed
// RuleError that every ledger package returns for a broken rule
// (papers/gradientcoin.md sections 3.2, 4.1, 5.3-5.7).
//
// # Rules
//
//   - Params are data (MainParams = the default column of section 4.1,
//     TestParams = the test-net column, also the dev profile). Validate checks
//     them, including that allocations + Σ subsidies fit in 64 bits.
//   - Genesis is a strictly decoded JSON file (params, time, corpus root,
//     initial model root, allocations). Its canonical encoding, hashed with
//     the tag "gc/genesis/v1", is the genesis header's PrevHash, and
//     GenesisHash is that header's block hash, so it commits to everything.
//     NewDevGenesis(corpusRoot, modelRoot) builds the built-in dev network.
//   - Difficulty (section 5.4): at heights h with h % R == 0 and h > R,
//     actual = Time(h-1) - Time(h-1-R) (R intervals), clamped to
//     [R*T/MaxAdjust, R*T*MaxAdjust], new = old*actual/(R*T) in math/big
//     (truncating), capped at PowLimit, floored at 1. Other heights keep the
//     parent's target. [Eng fix: the spec's h = R would need the time of
//     height -1, so the first retarget is at h = 2R.]
//   - Work(target) = floor(2^256 / (target + 1)) (section 5.5).
//   - Subsidy(h) = InitialSubsidy >> (h / HalvingInterval) (section 5.6).
//   - Time (section 5.3 step 4): Time > median of the last MTPWindow block
//     times and Time <= now + MaxFutureDrift.
//   - CheckTxFields/CheckTxSanity, CheckCoinbase, CheckHeaderSanity,
//     CheckBlockSanity and CheckHeaderContext implement the context-free and
//     parent-relative tiers of section 5.3 (btcd's CheckBlockSanity /
//     checkBlockContext split); the state transition is package state.
//
// Every rejection is a RuleError{Code, Desc}; compare codes with IsCode or
// errors.As, never message text. Codes at or above ErrAlreadyKnown are
// mempool policy, not consensus (ErrorCode.IsPolicy).
//
// # Cost
//
// All rules are O(1) except CheckBlockSanity (one ed25519 verification per
// transaction, ~50 µs each, plus one SHA-256 per TxID) and MedianTimePast
// (sorting at most MTPWindow values). Standard library only, no floating
// point (the package is on the consensus path).
package consensus
