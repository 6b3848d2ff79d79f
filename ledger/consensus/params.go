package consensus

import (
	"fmt"
	"math/bits"

	"github.com/sketchwork/sketchwork/ledger/codec"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// Coin is one GC in base units (1 GC = 10^8 units, section 3.2).
const Coin = 100_000_000

// Params are the consensus parameters of a network (section 4.1). They are
// data: a genesis file carries them, and every rule function takes them
// explicitly. There is no global registry of networks.
type Params struct {
	// Name is the network name used in p2p topics (/gc/<name>/...):
	// 1-32 characters from [a-z0-9-].
	Name string `json:"name"`
	// ChainID is carried by every transaction (cross-network replay guard).
	ChainID uint32 `json:"chain_id"`
	// TargetSpacing T is the intended block interval in milliseconds.
	TargetSpacing int64 `json:"target_spacing_ms"`
	// RetargetWindow R: the target changes at heights h with h % R == 0.
	RetargetWindow uint64 `json:"retarget_window"`
	// MaxAdjust bounds one retarget to a factor in [1/MaxAdjust, MaxAdjust].
	MaxAdjust uint64 `json:"max_adjust"`
	// GenesisTarget is the target of the genesis block and of every block
	// until the first retarget.
	GenesisTarget types.Target `json:"genesis_target"`
	// PowLimit is the easiest target allowed.
	PowLimit types.Target `json:"pow_limit"`
	// MTPWindow is the number of past blocks whose median time a new
	// block's time must exceed.
	MTPWindow uint32 `json:"mtp_window"`
	// MaxFutureDrift is how far (ms) a block's time may run ahead of the
	// validating node's clock.
	MaxFutureDrift int64 `json:"max_future_drift_ms"`
	// InitialSubsidy is the block reward at height 0..HalvingInterval-1, in
	// base units.
	InitialSubsidy uint64 `json:"initial_subsidy"`
	// HalvingInterval: Subsidy(h) = InitialSubsidy >> (h / HalvingInterval).
	HalvingInterval uint64 `json:"halving_interval"`
	// MinFee is the smallest fee of a transfer, in base units.
	MinFee uint64 `json:"min_fee"`
	// StepsPerBlock K is the number of SGD steps of one block's update.
	StepsPerBlock uint32 `json:"steps_per_block"`
	// BatchSize B is the number of training windows per SGD step.
	BatchSize uint32 `json:"batch_size"`
	// VerifyBatch VB is the number of held-out windows of the loss check.
	VerifyBatch uint32 `json:"verify_batch"`
	// LRNum/LRDen is the SGD learning rate.
	LRNum uint32 `json:"lr_num"`
	LRDen uint32 `json:"lr_den"`
	// MinImprove (Q8.24) is the loss decrease a block must achieve:
	// LossAfter <= LossBefore - MinImprove.
	MinImprove int64 `json:"min_improve"`
	// NoRetarget keeps the genesis target forever (test networks).
	NoRetarget bool `json:"no_retarget"`
}

// MainParams returns the default column of section 4.1.
func MainParams() Params {
	return Params{
		Name:            "main",
		ChainID:         1,
		TargetSpacing:   10_000,
		RetargetWindow:  20,
		MaxAdjust:       4,
		GenesisTarget:   types.TargetPow2(236),
		PowLimit:        types.TargetPow2(240),
		MTPWindow:       11,
		MaxFutureDrift:  15_000,
		InitialSubsidy:  50 * Coin,
		HalvingInterval: 100_000,
		MinFee:          1000,
		StepsPerBlock:   8,
		BatchSize:       64,
		VerifyBatch:     256,
		LRNum:           1,
		LRDen:           2,
		MinImprove:      0,
	}
}

// TestParams returns the test-net column of section 4.1 (also the dev
// profile): 1 s blocks, an easy target (about 2^16 hashes per block), fast
// halvings and a fee of 1 unit. Tests that need a fixed target set
// NoRetarget on their copy.
func TestParams() Params {
	p := MainParams()
	p.Name = "test"
	p.ChainID = 1337
	p.TargetSpacing = 1_000
	p.GenesisTarget = types.TargetPow2(240)
	p.PowLimit = types.TargetPow2(250)
	p.MaxFutureDrift = 5_000
	p.HalvingInterval = 1000
	p.MinFee = 1
	return p
}

// Validate checks that p is usable: every rule it feeds is well defined and
// no product of parameters overflows. It returns a RuleError with
// ErrBadGenesis naming the field.
func (p *Params) Validate() error {
	bad := func(format string, args ...any) error {
		return Errorf(ErrBadGenesis, "params: "+format, args...)
	}
	if n := len(p.Name); n == 0 || n > 32 {
		return bad("name %q must have 1-32 characters", p.Name)
	}
	for _, c := range p.Name {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return bad("name %q: only [a-z0-9-] allowed", p.Name)
		}
	}
	if p.ChainID == 0 {
		return bad("chain_id must be nonzero")
	}
	if p.TargetSpacing <= 0 {
		return bad("target_spacing_ms %d must be positive", p.TargetSpacing)
	}
	if p.RetargetWindow == 0 {
		return bad("retarget_window must be positive")
	}
	if p.MaxAdjust == 0 {
		return bad("max_adjust must be positive")
	}
	// R*T*MaxAdjust must fit in int64 (the clamp's upper bound).
	hi, lo := bits.Mul64(p.RetargetWindow, uint64(p.TargetSpacing))
	if hi != 0 || lo > 1<<62 {
		return bad("retarget_window * target_spacing_ms overflows")
	}
	hi, lo = bits.Mul64(lo, p.MaxAdjust)
	if hi != 0 || lo > 1<<62 {
		return bad("retarget_window * target_spacing_ms * max_adjust overflows")
	}
	if p.PowLimit.IsZero() {
		return bad("pow_limit must be positive")
	}
	if p.GenesisTarget.IsZero() || p.GenesisTarget.Cmp(p.PowLimit) > 0 {
		return bad("genesis_target %s must be in [1, pow_limit]", p.GenesisTarget)
	}
	if p.MTPWindow == 0 || p.MTPWindow > 1000 {
		return bad("mtp_window %d must be in [1, 1000]", p.MTPWindow)
	}
	if p.MaxFutureDrift < 0 || p.MaxFutureDrift > 1<<40 {
		return bad("max_future_drift_ms %d out of range", p.MaxFutureDrift)
	}
	if p.HalvingInterval == 0 {
		return bad("halving_interval must be positive")
	}
	if p.StepsPerBlock == 0 || p.BatchSize == 0 || p.VerifyBatch == 0 {
		return bad("steps_per_block, batch_size and verify_batch must be positive")
	}
	if p.LRNum == 0 || p.LRDen == 0 {
		return bad("lr_num and lr_den must be positive")
	}
	if p.MinImprove < 0 {
		return bad("min_improve %d must be >= 0", p.MinImprove)
	}
	if _, ok := MaxSubsidyTotal(p); !ok {
		return bad("total subsidy overflows 64 bits")
	}
	return nil
}

// MaxSubsidyTotal returns Σ_h Subsidy(h) over all heights, and false if
// that sum does not fit in a uint64.
func MaxSubsidyTotal(p *Params) (uint64, bool) {
	var total uint64
	for s := p.InitialSubsidy; s > 0; s >>= 1 {
		hi, lo := bits.Mul64(s, p.HalvingInterval)
		if hi != 0 {
			return 0, false
		}
		var carry uint64
		total, carry = bits.Add64(total, lo, 0)
		if carry != 0 {
			return 0, false
		}
	}
	return total, true
}

// EncodeTo appends the canonical encoding of p (every field, in
// declaration order) to w.
func (p *Params) EncodeTo(w *codec.Writer) {
	w.VarBytes([]byte(p.Name))
	w.U32(p.ChainID)
	w.I64(p.TargetSpacing)
	w.U64(p.RetargetWindow)
	w.U64(p.MaxAdjust)
	w.Raw(p.GenesisTarget[:])
	w.Raw(p.PowLimit[:])
	w.U32(p.MTPWindow)
	w.I64(p.MaxFutureDrift)
	w.U64(p.InitialSubsidy)
	w.U64(p.HalvingInterval)
	w.U64(p.MinFee)
	w.U32(p.StepsPerBlock)
	w.U32(p.BatchSize)
	w.U32(p.VerifyBatch)
	w.U32(p.LRNum)
	w.U32(p.LRDen)
	w.I64(p.MinImprove)
	w.Bool(p.NoRetarget)
}

// String summarizes p for logs.
func (p *Params) String() string {
	return fmt.Sprintf("%s(chain %d, T=%dms, R=%d)", p.Name, p.ChainID, p.TargetSpacing, p.RetargetWindow)
}
