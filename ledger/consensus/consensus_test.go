package consensus

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/types"
)

func TestErrorCodes(t *testing.T) {
	names := map[string]bool{}
	for _, c := range AllCodes() {
		s := c.String()
		if s == "" || s[:3] != "Err" || names[s] {
			t.Fatalf("code %d has bad or duplicate name %q", int(c), s)
		}
		names[s] = true
	}
	if len(names) != len(codeNames) {
		t.Fatalf("AllCodes lists %d codes, names table has %d", len(names), len(codeNames))
	}
	wrapped := fmt.Errorf("block 7: %w", Errorf(ErrBadPoW, "hash above target"))
	if !IsCode(wrapped, ErrBadPoW) || IsCode(wrapped, ErrBadTarget) {
		t.Fatal("IsCode through wrapping")
	}
	var re RuleError
	if !errors.As(wrapped, &re) || re.Code != ErrBadPoW {
		t.Fatal("errors.As RuleError")
	}
	if _, ok := CodeOf(errors.New("plain")); ok {
		t.Fatal("plain error has a code")
	}
	if ErrBadPoW.IsPolicy() || !ErrReplacementFee.IsPolicy() {
		t.Fatal("IsPolicy")
	}
}

// TestParamsMatchSpecTable pins section 4.1's two columns.
func TestParamsMatchSpecTable(t *testing.T) {
	m, ts := MainParams(), TestParams()
	type row struct {
		name       string
		main, test any
		wantM      any
		wantT      any
	}
	rows := []row{
		{"ChainID", m.ChainID, ts.ChainID, uint32(1), uint32(1337)},
		{"T (ms)", m.TargetSpacing, ts.TargetSpacing, int64(10_000), int64(1_000)},
		{"R", m.RetargetWindow, ts.RetargetWindow, uint64(20), uint64(20)},
		{"MaxAdjust", m.MaxAdjust, ts.MaxAdjust, uint64(4), uint64(4)},
		{"GenesisTarget", m.GenesisTarget, ts.GenesisTarget, types.TargetPow2(236), types.TargetPow2(240)},
		{"PowLimit", m.PowLimit, ts.PowLimit, types.TargetPow2(240), types.TargetPow2(250)},
		{"MTP", m.MTPWindow, ts.MTPWindow, uint32(11), uint32(11)},
		{"Drift", m.MaxFutureDrift, ts.MaxFutureDrift, int64(15_000), int64(5_000)},
		{"Subsidy", m.InitialSubsidy, ts.InitialSubsidy, uint64(50 * Coin), uint64(50 * Coin)},
		{"Halving", m.HalvingInterval, ts.HalvingInterval, uint64(100_000), uint64(1000)},
		{"MinFee", m.MinFee, ts.MinFee, uint64(1000), uint64(1)},
		{"K", m.StepsPerBlock, ts.StepsPerBlock, uint32(8), uint32(8)},
		{"B", m.BatchSize, ts.BatchSize, uint32(64), uint32(64)},
		{"VB", m.VerifyBatch, ts.VerifyBatch, uint32(256), uint32(256)},
		{"LR", [2]uint32{m.LRNum, m.LRDen}, [2]uint32{ts.LRNum, ts.LRDen}, [2]uint32{1, 2}, [2]uint32{1, 2}},
		{"MinImprove", m.MinImprove, ts.MinImprove, int64(0), int64(0)},
	}
	for _, r := range rows {
		if r.main != r.wantM || r.test != r.wantT {
			t.Errorf("%s: main %v test %v, spec %v / %v", r.name, r.main, r.test, r.wantM, r.wantT)
		}
	}
	for _, p := range []Params{m, ts} {
		if err := p.Validate(); err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
	}
}

func TestParamsValidateRejects(t *testing.T) {
	muts := map[string]func(*Params){
		"empty name":        func(p *Params) { p.Name = "" },
		"bad name":          func(p *Params) { p.Name = "Main" },
		"chain id 0":        func(p *Params) { p.ChainID = 0 },
		"T 0":               func(p *Params) { p.TargetSpacing = 0 },
		"R 0":               func(p *Params) { p.RetargetWindow = 0 },
		"adjust 0":          func(p *Params) { p.MaxAdjust = 0 },
		"R*T overflow":      func(p *Params) { p.RetargetWindow = 1 << 62 },
		"powlimit 0":        func(p *Params) { p.PowLimit = types.Target{} },
		"genesis > limit":   func(p *Params) { p.GenesisTarget = types.TargetPow2(241) },
		"genesis target 0":  func(p *Params) { p.GenesisTarget = types.Target{} },
		"mtp 0":             func(p *Params) { p.MTPWindow = 0 },
		"drift < 0":         func(p *Params) { p.MaxFutureDrift = -1 },
		"halving 0":         func(p *Params) { p.HalvingInterval = 0 },
		"K 0":               func(p *Params) { p.StepsPerBlock = 0 },
		"lr den 0":          func(p *Params) { p.LRDen = 0 },
		"min improve < 0":   func(p *Params) { p.MinImprove = -1 },
		"subsidy overflows": func(p *Params) { p.InitialSubsidy = math.MaxUint64 / 2; p.HalvingInterval = 4 },
	}
	for name, m := range muts {
		p := MainParams()
		m(&p)
		if err := p.Validate(); !IsCode(err, ErrBadGenesis) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestSubsidy(t *testing.T) {
	p := TestParams() // halving every 1000 blocks
	cases := map[uint64]uint64{0: 50 * Coin, 999: 50 * Coin, 1000: 25 * Coin, 1999: 25 * Coin, 2000: 25 * Coin / 2,
		63 * 1000: (50 * Coin) >> 63, 64 * 1000: 0, math.MaxUint64: 0}
	for h, want := range cases {
		if got := Subsidy(&p, h); got != want {
			t.Errorf("Subsidy(%d) = %d, want %d", h, got, want)
		}
	}
	// MaxSubsidyTotal equals the brute-force sum for a small schedule.
	q := p
	q.InitialSubsidy, q.HalvingInterval = 1000, 3
	var sum uint64
	for h := uint64(0); Subsidy(&q, h) > 0 || h < 3; h++ {
		sum += Subsidy(&q, h)
	}
	if tot, ok := MaxSubsidyTotal(&q); !ok || tot != sum {
		t.Fatalf("MaxSubsidyTotal %d, brute force %d", tot, sum)
	}
}

// retargetRef is the section 5.4 formula written independently with big
// integers only.
func retargetRef(p *Params, old types.Target, actual int64) *big.Int {
	rt := new(big.Int).Mul(big.NewInt(int64(p.RetargetWindow)), big.NewInt(p.TargetSpacing))
	lo := new(big.Int).Quo(rt, big.NewInt(int64(p.MaxAdjust)))
	hi := new(big.Int).Mul(rt, big.NewInt(int64(p.MaxAdjust)))
	a := big.NewInt(actual)
	if a.Cmp(lo) < 0 {
		a = lo
	}
	if a.Cmp(hi) > 0 {
		a = hi
	}
	v := new(big.Int).Mul(old.Big(), a)
	v.Quo(v, rt)
	if v.Cmp(p.PowLimit.Big()) > 0 {
		v = p.PowLimit.Big()
	}
	if v.Sign() == 0 {
		v.SetInt64(1)
	}
	return v
}

func TestRetargetClampBoundaries(t *testing.T) {
	p := MainParams()
	rt := int64(p.RetargetWindow) * p.TargetSpacing // 200 s
	old := types.TargetPow2(230)
	lo, hi := rt/4, rt*4
	for _, actual := range []int64{math.MinInt64, -1, 0, lo - 1, lo, lo + 1, rt - 1, rt, rt + 1, hi - 1, hi, hi + 1, math.MaxInt64} {
		got := Retarget(&p, old, actual)
		if got.Big().Cmp(retargetRef(&p, old, actual)) != 0 {
			t.Errorf("actual %d: got %s", actual, got)
		}
	}
	if Retarget(&p, old, rt) != old {
		t.Error("on-schedule window changed the target")
	}
	// The clamps bound one step to x4 / ÷4 exactly.
	if Retarget(&p, old, math.MaxInt64) != types.TargetPow2(232) || Retarget(&p, old, 0) != types.TargetPow2(228) {
		t.Error("clamped step is not exactly x4 / ÷4")
	}
	// PowLimit cap and floor 1.
	if Retarget(&p, p.PowLimit, hi) != p.PowLimit {
		t.Error("target above PowLimit")
	}
	one := types.TargetPow2(0)
	if Retarget(&p, one, lo) != one {
		t.Error("target floored below 1")
	}
	// Truncation: old = 3, actual = rt/2 + 1 ms gives floor(3*(rt/2+1)/rt) = 1.
	three, _ := types.TargetFromBig(big.NewInt(3))
	if got := Retarget(&p, three, rt/2+1).Big(); got.Int64() != 1 {
		t.Errorf("truncation: got %v", got)
	}
	rapid.Check(t, func(rt *rapid.T) {
		var o types.Target
		copy(o[:], rapid.SliceOfN(rapid.Byte(), 32, 32).Draw(rt, "old"))
		a := rapid.Int64().Draw(rt, "actual")
		if got := Retarget(&p, o, a); got.Big().Cmp(retargetRef(&p, o, a)) != 0 {
			rt.Fatalf("mismatch for old %s actual %d", o, a)
		}
	})
}

func TestRetargetWindowAlignment(t *testing.T) {
	p := TestParams()
	R := p.RetargetWindow
	for h := uint64(1); h <= 5*R; h++ {
		want := h%R == 0 && h >= 2*R
		if IsRetargetHeight(&p, h) != want {
			t.Fatalf("IsRetargetHeight(%d) = %v", h, !want)
		}
	}
	// NextTarget reads exactly Time(h-1-R) and Time(h-1): R intervals.
	times := map[uint64]int64{}
	for h := uint64(0); h <= 3*R; h++ {
		times[h] = 1_000_000 + int64(h)*p.TargetSpacing/2 // blocks twice as fast as intended
	}
	var asked []uint64
	timeAt := func(h uint64) (int64, error) { asked = append(asked, h); return times[h], nil }
	parent := types.TargetPow2(240)
	got, err := NextTarget(&p, 2*R, parent, timeAt)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(asked, []uint64{R - 1, 2*R - 1}) {
		t.Fatalf("timeAt asked for %v, want [%d %d]", asked, R-1, 2*R-1)
	}
	// R intervals at T/2 each: actual = R*T/2, so the target halves exactly.
	if got != types.TargetPow2(239) {
		t.Fatalf("twice-as-fast window: target %s, want 2^239", got)
	}
	asked = nil
	if got, _ := NextTarget(&p, 2*R+1, parent, timeAt); got != parent || asked != nil {
		t.Fatal("non-retarget height changed the target or read times")
	}
	if got, _ := NextTarget(&p, R, parent, timeAt); got != parent || asked != nil {
		t.Fatal("h = R must not retarget (no time for height -1)")
	}
	if got, _ := NextTarget(&p, 0, parent, timeAt); got != p.GenesisTarget {
		t.Fatal("height 0 must use GenesisTarget")
	}
	q := p
	q.NoRetarget = true
	if got, _ := NextTarget(&q, 2*R, parent, timeAt); got != parent {
		t.Fatal("NoRetarget retargeted")
	}
	if _, err := NextTarget(&p, 2*R, parent, func(uint64) (int64, error) { return 0, errors.New("gone") }); err == nil {
		t.Fatal("timeAt error swallowed")
	}
}

func TestCalcWork(t *testing.T) {
	max := types.Target{}
	for i := range max {
		max[i] = 0xff
	}
	if CalcWork(max).Int64() != 1 {
		t.Fatal("work of the maximal target is not 1")
	}
	if CalcWork(types.Target{}).Cmp(new(big.Int).Lsh(big.NewInt(1), 256)) != 0 {
		t.Fatal("work of target 0 is not 2^256")
	}
	// 2^256 / (2^240 + 1) = 2^16 - 2^16/(2^240+1), so the floor is 2^16 - 1.
	if CalcWork(types.TargetPow2(240)).Int64() != 1<<16-1 {
		t.Fatalf("work(2^240) = %v", CalcWork(types.TargetPow2(240)))
	}
	// Monotone: a smaller target never gives less work.
	rapid.Check(t, func(rt *rapid.T) {
		var a, b types.Target
		copy(a[:], rapid.SliceOfN(rapid.Byte(), 32, 32).Draw(rt, "a"))
		copy(b[:], rapid.SliceOfN(rapid.Byte(), 32, 32).Draw(rt, "b"))
		if a.Cmp(b) > 0 {
			a, b = b, a
		}
		if CalcWork(a).Cmp(CalcWork(b)) < 0 {
			rt.Fatalf("work(%s) < work(%s)", a, b)
		}
	})
}

func TestCheckProofOfWork(t *testing.T) {
	p := TestParams()
	tg := types.TargetPow2(240)
	h := hashx.Hash(tg)
	if err := CheckProofOfWork(&p, h, tg); err != nil {
		t.Fatalf("hash == target: %v", err)
	}
	h[31] = 1
	if err := CheckProofOfWork(&p, h, tg); !IsCode(err, ErrBadPoW) {
		t.Fatalf("hash > target: %v", err)
	}
	if err := CheckProofOfWork(&p, hashx.Hash{}, types.Target{}); !IsCode(err, ErrBadTarget) {
		t.Fatalf("target 0: %v", err)
	}
	if err := CheckProofOfWork(&p, hashx.Hash{}, types.TargetPow2(251)); !IsCode(err, ErrBadTarget) {
		t.Fatalf("target above limit: %v", err)
	}
}

func TestMedianTimeAndDrift(t *testing.T) {
	times := []int64{5, 1, 9, 3, 7, 11, 2, 8, 6, 10, 4}
	orig := slices.Clone(times)
	if m := MedianTimePast(times); m != 6 {
		t.Fatalf("median of 1..11 = %d", m)
	}
	if !slices.Equal(times, orig) {
		t.Fatal("MedianTimePast modified its input")
	}
	if m := MedianTimePast([]int64{4, 1, 3, 2}); m != 3 {
		t.Fatalf("median of 4 values = %d, want sorted[2] = 3", m)
	}
	if MedianTimePast(nil) != math.MinInt64 {
		t.Fatal("empty median")
	}
	p := TestParams()
	now := int64(1_000_000)
	if err := CheckBlockTime(&p, 500, 500, now); !IsCode(err, ErrTimeTooOld) {
		t.Fatalf("t == mtp: %v", err)
	}
	if err := CheckBlockTime(&p, 501, 500, now); err != nil {
		t.Fatalf("t == mtp+1: %v", err)
	}
	if err := CheckBlockTime(&p, now+p.MaxFutureDrift, 500, now); err != nil {
		t.Fatalf("t == now+drift: %v", err)
	}
	if err := CheckBlockTime(&p, now+p.MaxFutureDrift+1, 500, now); !IsCode(err, ErrTimeTooNew) {
		t.Fatalf("t == now+drift+1: %v", err)
	}
	if err := CheckBlockTime(&p, math.MaxInt64, 0, math.MaxInt64-1); err != nil {
		t.Fatalf("now near MaxInt64 overflowed: %v", err)
	}
}

func key(b byte) *keys.PrivateKey {
	k, err := keys.FromSeed(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		panic(err)
	}
	return k
}
