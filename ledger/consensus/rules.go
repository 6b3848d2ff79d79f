package consensus

import (
	"fmt"
	"math"
	"math/big"
	"slices"

	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// Subsidy returns the block reward at height h (section 5.6):
// InitialSubsidy >> (h / HalvingInterval), and 0 once the shift reaches 64.
func Subsidy(p *Params, h uint64) uint64 {
	halvings := h / p.HalvingInterval
	if halvings >= 64 {
		return 0
	}
	return p.InitialSubsidy >> halvings
}

// IsRetargetHeight reports whether the block at height h gets a newly
// computed target: h % R == 0 and h > R, unless NoRetarget.
//
// Section 5.4 measures actual = Time(h-1) - Time(h-1-R), which at h = R would
// need the time of height -1. We therefore start retargeting at h = 2R; the
// heights 1..2R-1 use GenesisTarget. (The spec's formula is otherwise kept
// exactly: R intervals, not btcd's R-1.)
func IsRetargetHeight(p *Params, h uint64) bool {
	return !p.NoRetarget && h%p.RetargetWindow == 0 && h > p.RetargetWindow
}

// RetargetSpan returns the heights whose times a retarget at h compares:
// first = h-1-R and last = h-1. Valid only when IsRetargetHeight(p, h).
func RetargetSpan(p *Params, h uint64) (first, last uint64) {
	return h - 1 - p.RetargetWindow, h - 1
}

// Retarget applies the section 5.4 formula to the previous target:
// actual (ms, over R intervals) is clamped to [R*T/MaxAdjust, R*T*MaxAdjust],
// new = old * actual / (R*T) truncating, capped at PowLimit, floored at 1.
func Retarget(p *Params, old types.Target, actual int64) types.Target {
	rt := int64(p.RetargetWindow) * p.TargetSpacing // fits: Validate bounds R*T*MaxAdjust
	lo := rt / int64(p.MaxAdjust)
	hi := rt * int64(p.MaxAdjust)
	actual = min(max(actual, lo), hi)
	v := old.Big()
	v.Mul(v, big.NewInt(actual))
	v.Quo(v, big.NewInt(rt))
	if limit := p.PowLimit.Big(); v.Cmp(limit) > 0 {
		v = limit
	}
	if v.Sign() <= 0 {
		v.SetInt64(1)
	}
	t, err := types.TargetFromBig(v)
	if err != nil { // impossible: 1 <= v <= PowLimit < 2^256
		panic("consensus: retarget out of range: " + err.Error())
	}
	return t
}

// NextTarget returns the target required of the block at height h >= 1
// whose parent (height h-1) has target parentTarget. timeAt returns the
// time of the ancestor at a given height on the block's own branch; it is
// called only at retarget heights, for heights h-1-R and h-1.
func NextTarget(p *Params, h uint64, parentTarget types.Target, timeAt func(height uint64) (int64, error)) (types.Target, error) {
	if h == 0 {
		return p.GenesisTarget, nil
	}
	if !IsRetargetHeight(p, h) {
		return parentTarget, nil
	}
	first, last := RetargetSpan(p, h)
	t0, err := timeAt(first)
	if err != nil {
		return types.Target{}, fmt.Errorf("consensus: time of height %d: %w", first, err)
	}
	t1, err := timeAt(last)
	if err != nil {
		return types.Target{}, fmt.Errorf("consensus: time of height %d: %w", last, err)
	}
	return Retarget(p, parentTarget, t1-t0), nil
}

var two256 = new(big.Int).Lsh(big.NewInt(1), 256)

// CalcWork returns the expected number of hashes for a target:
// floor(2^256 / (target + 1)) (section 5.5).
func CalcWork(t types.Target) *big.Int {
	d := t.Big()
	d.Add(d, big.NewInt(1))
	return d.Quo(two256, d)
}

// CheckProofOfWork checks section 5.3 step 2 without the parent:
// 1 <= target <= PowLimit (ErrBadTarget) and hash <= target (ErrBadPoW).
func CheckProofOfWork(p *Params, hash hashx.Hash, target types.Target) error {
	if target.IsZero() {
		return Errorf(ErrBadTarget, "target is zero")
	}
	if target.Cmp(p.PowLimit) > 0 {
		return Errorf(ErrBadTarget, "target %s above pow limit %s", target, p.PowLimit)
	}
	if !target.Meets(hash) {
		return Errorf(ErrBadPoW, "block hash %s above target %s", hash, target)
	}
	return nil
}

// MedianTimePast returns the median of times (the times of up to MTPWindow
// most recent blocks, in any order): the element at index len/2 after
// sorting. For an empty slice it returns math.MinInt64, which every time
// exceeds. times is not modified.
func MedianTimePast(times []int64) int64 {
	if len(times) == 0 {
		return math.MinInt64
	}
	s := slices.Clone(times)
	slices.Sort(s)
	return s[len(s)/2]
}

// CheckBlockTime applies the time rules of section 5.3 step 4: t > mtp
// (else ErrTimeTooOld) and t <= now + MaxFutureDrift (else ErrTimeTooNew).
// All times are unix milliseconds.
func CheckBlockTime(p *Params, t, mtp, now int64) error {
	if t <= mtp {
		return Errorf(ErrTimeTooOld, "time %d not after median time past %d", t, mtp)
	}
	limit := now + p.MaxFutureDrift
	if now > math.MaxInt64-p.MaxFutureDrift {
		limit = math.MaxInt64
	}
	if t > limit {
		return Errorf(ErrTimeTooNew, "time %d more than %d ms ahead of now %d", t, p.MaxFutureDrift, now)
	}
	return nil
}
