package sketch

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Kind is the distribution of a sketching operator.
type Kind int

// The sketch kinds. The zero Kind is invalid, so a Spec must name one.
const (
	// Gaussian: i.i.d. N(0,1) entries (natural scale), dense.
	Gaussian Kind = iota + 1
	// SRHT: subsampled randomized Hadamard transform P·H·D.
	SRHT
	// CountSketch: one ±1 per column at a random row (Clarkson-Woodruff).
	CountSketch
	// SparseSign: ζ entries ±1 per column at distinct random rows (OSNAP).
	SparseSign
	// Uniform: rows of the identity drawn uniformly with replacement.
	Uniform
	// Leverage: rows drawn with replacement with probability proportional
	// to given scores (leverage scores by default), rescaled.
	Leverage
	// TensorSketch: Pham-Pagh sketch of tensor products x1⊗...⊗xp
	// (built with NewTensor).
	TensorSketch
)

var kindNames = [...]string{
	Gaussian:     "gaussian",
	SRHT:         "srht",
	CountSketch:  "countsketch",
	SparseSign:   "sparse-sign",
	Uniform:      "uniform",
	Leverage:     "leverage",
	TensorSketch: "tensorsketch",
}

// String returns the command-line name of the kind ("gaussian", "srht",
// "countsketch", "sparse-sign", "uniform", "leverage", "tensorsketch").
func (k Kind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Kinds returns every kind in declaration order.
func Kinds() []Kind {
	return []Kind{Gaussian, SRHT, CountSketch, SparseSign, Uniform, Leverage, TensorSketch}
}

// ParseKind parses a command-line name (case-insensitive; "sparsesign",
// "sparse_sign", "osnap", "count-sketch" and "tensor-sketch" are accepted
// too).
func ParseKind(s string) (Kind, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	switch t {
	case "sparsesign", "sparse_sign", "osnap":
		return SparseSign, nil
	case "count-sketch", "count_sketch":
		return CountSketch, nil
	case "tensor-sketch", "tensor_sketch":
		return TensorSketch, nil
	}
	for k, n := range kindNames {
		if n != "" && n == t {
			return Kind(k), nil
		}
	}
	names := make([]string, 0, len(kindNames))
	for _, n := range kindNames[1:] {
		names = append(names, n)
	}
	return 0, fmt.Errorf("sketch: unknown kind %q (known: %s)", s, strings.Join(names, ", "))
}

// Oblivious reports whether the kind's law does not depend on the data:
// true for Gaussian, SRHT, CountSketch, SparseSign, Uniform and TensorSketch.
func (k Kind) Oblivious() bool { return k != Leverage && k >= Gaussian && k <= TensorSketch }

// Streamable reports whether an Accumulator can build S·A from row chunks
// in any order: every kind but SRHT (a global transform) and TensorSketch.
func (k Kind) Streamable() bool {
	return k == Gaussian || k == CountSketch || k == SparseSign || k == Uniform || k == Leverage
}

// Scaling selects the scale of a sketch. The two scalings differ by one
// scalar factor per kind, so sketch-and-solve and preconditioning give the
// same answer with either.
type Scaling int

const (
	// Natural is each operator's own scale (RandBLAS convention): Gaussian
	// N(0,1) entries, sparse sign and CountSketch ±1, SRHT P·H·D with
	// ±1 entries, row sampling rows scaled by 1/√(n·p_i) (exactly the
	// selected rows for uniform sampling).
	Natural Scaling = iota
	// Isometry scales the operator so that E[SᵀS] = I: Gaussian N(0,1/s),
	// sparse sign ±1/√ζ, CountSketch ±1, SRHT √(n'/s)·(1/√n')·P·H·D,
	// row sampling 1/√(s·p_i).
	Isometry
)

// String returns "natural" or "isometry".
func (s Scaling) String() string {
	switch s {
	case Natural:
		return "natural"
	case Isometry:
		return "isometry"
	}
	return fmt.Sprintf("Scaling(%d)", int(s))
}

// DefaultNNZPerCol is the number of nonzeros per column of a sparse sign
// sketch when Spec.NNZPerCol is 0: ζ = 8, the value of Epperly's SPIR/FOSSILS
// reference code and of regression.md section 2 ("s = 4d, ζ = 8 as library
// default for preconditioning"); Cohen (2016) needs ζ = O(log d/ε) in theory.
const DefaultNNZPerCol = 8

// Spec describes a sketch distribution. With a seed it determines the
// operator completely (New, NewSampling, NewLeverage, NewTensor).
type Spec struct {
	// Kind is the distribution; required.
	Kind Kind
	// Rows is the sketch size s (the number of rows of S; m for
	// TensorSketch); required, >= 1.
	Rows int
	// NNZPerCol is ζ, the nonzeros per column of a SparseSign sketch:
	// 0 means DefaultNNZPerCol (8); it must not exceed Rows. CountSketch
	// always has 1 and other kinds ignore the field.
	NNZPerCol int
	// Scaling is Natural (the zero value) or Isometry.
	Scaling Scaling
	// Degree is the order p of the tensor products a TensorSketch sketches
	// (x1⊗...⊗xp); required >= 1 for TensorSketch, ignored otherwise.
	Degree int
	// Leverage configures leverage-score sampling (NewLeverage).
	Leverage LeverageOptions
}

// LeverageOptions configures how NewLeverage obtains its scores. The zero
// value means exact scores, no oversampling and no mixing.
type LeverageOptions struct {
	// Approximate selects the fast approximation of regression.md section 3
	// (ApproxLeverageScores) instead of exact scores from a thin QR.
	Approximate bool
	// SketchRows is the sparse sign sketch size of the approximation:
	// 0 means 12d (DefaultApproxSketchFactor).
	SketchRows int
	// GaussCols is r₂, the Gaussian columns of the approximation: 0 means
	// 64 (DefaultApproxGaussCols).
	GaussCols int
	// Oversample multiplies Rows: the sketch samples ⌈Oversample·Rows⌉ rows.
	// 0 means 1. Regression.md section 3 suggests 2 with approximate scores.
	// The resolved Spec (Sketch.Spec) holds the final Rows and Oversample 1.
	Oversample float64
	// Mix is the fraction of uniform probability mixed into the sampling
	// distribution, p_i = (1-Mix)·ℓ_i/Σℓ + Mix/n, in [0, 1): a safeguard when
	// scores are approximate (Ma, Mahoney and Yu's shrinkage leveraging).
	Mix float64
}

// String formats the spec as kind(s=..., ...).
func (sp Spec) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s(s=%d", sp.Kind, sp.Rows)
	if sp.Kind == SparseSign {
		fmt.Fprintf(&b, ",zeta=%d", sp.NNZPerCol)
	}
	if sp.Kind == TensorSketch {
		fmt.Fprintf(&b, ",p=%d", sp.Degree)
	}
	if sp.Scaling != Natural {
		fmt.Fprintf(&b, ",%s", sp.Scaling)
	}
	if sp.Kind == Leverage && sp.Leverage.Approximate {
		b.WriteString(",approx")
	}
	b.WriteString(")")
	return b.String()
}

// ErrSpec is wrapped by every error about an invalid Spec or dimension, so
// callers can tell a bad request from a numerical failure.
var ErrSpec = errors.New("invalid sketch spec")

func specErr(format string, args ...any) error {
	return fmt.Errorf("sketch: %w: %s", ErrSpec, fmt.Sprintf(format, args...))
}

// resolve validates the spec for an operator with n columns and fills the
// defaults.
func (sp Spec) resolve(n int) (Spec, error) {
	if sp.Kind < Gaussian || sp.Kind > TensorSketch {
		return sp, specErr("unknown kind %d", int(sp.Kind))
	}
	if sp.Scaling != Natural && sp.Scaling != Isometry {
		return sp, specErr("unknown scaling %d", int(sp.Scaling))
	}
	if sp.Rows <= 0 {
		return sp, specErr("%s needs Rows >= 1, got %d", sp.Kind, sp.Rows)
	}
	if n <= 0 {
		return sp, specErr("%s: the sketched dimension must be >= 1, got %d", sp.Kind, n)
	}
	switch sp.Kind {
	case SparseSign:
		if sp.NNZPerCol == 0 {
			sp.NNZPerCol = DefaultNNZPerCol
		}
		if sp.NNZPerCol < 0 || sp.NNZPerCol > sp.Rows {
			return sp, specErr("sparse sign needs 1 <= NNZPerCol <= Rows = %d, got %d", sp.Rows, sp.NNZPerCol)
		}
	case CountSketch:
		sp.NNZPerCol = 1
	default:
		sp.NNZPerCol = 0
	}
	if sp.Kind == Gaussian && sp.Rows > maxGaussRows {
		return sp, specErr("Gaussian sketches have at most %d rows, got %d", maxGaussRows, sp.Rows)
	}
	if sp.Kind == SRHT && sp.Rows > nextPow2(n) {
		return sp, specErr("SRHT samples distinct rows of the %d-point transform, Rows = %d is too many", nextPow2(n), sp.Rows)
	}
	if sp.Kind == TensorSketch {
		if sp.Degree < 1 {
			return sp, specErr("TensorSketch needs Degree >= 1, got %d", sp.Degree)
		}
	} else {
		sp.Degree = 0
	}
	if sp.Kind == Leverage {
		lo := &sp.Leverage
		if lo.Oversample == 0 {
			lo.Oversample = 1
		}
		if !(lo.Oversample >= 1) || math.IsInf(lo.Oversample, 0) {
			return sp, specErr("leverage Oversample must be a finite factor >= 1, got %v", lo.Oversample)
		}
		if !(lo.Mix >= 0 && lo.Mix < 1) {
			return sp, specErr("leverage Mix must be in [0, 1), got %v", lo.Mix)
		}
		if lo.SketchRows < 0 || lo.GaussCols < 0 {
			return sp, specErr("leverage SketchRows and GaussCols must be >= 0")
		}
		sp.Rows = int(math.Ceil(lo.Oversample * float64(sp.Rows)))
		lo.Oversample = 1
	} else {
		sp.Leverage = LeverageOptions{}
	}
	return sp, nil
}

// DefaultRows returns a practical sketch size for a d-column matrix, with
// its source:
//
//	Gaussian      2d        LSRN's oversampling γ = 2
//	SRHT          4d        regression.md section 2 ("≈ 4d")
//	SparseSign    4d        RandLAPACK Blendenpik / regression.md default
//	CountSketch   d²+d      Clarkson-Woodruff needs s ~ d²
//	Uniform       ⌈8d·ln d⌉ T1's size for sampling (at least 2d)
//	Leverage      ⌈8d·ln d⌉ the same
//	TensorSketch  4d
func DefaultRows(k Kind, d int) int {
	d = max(d, 1)
	switch k {
	case Gaussian:
		return 2 * d
	case CountSketch:
		return d*d + d
	case Uniform, Leverage:
		return max(2*d, int(math.Ceil(8*float64(d)*math.Log(float64(d)))))
	}
	return 4 * d
}

func nextPow2(n int) int {
	p := 1
	for p < n {
		p *= 2
	}
	return p
}
