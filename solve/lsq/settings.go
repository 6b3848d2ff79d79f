package lsq

import (
	"fmt"
	"math"
	"strings"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/solve"
)

// Method selects the least-squares algorithm.
type Method int

// Methods. The zero value is Auto.
const (
	// Auto picks Direct for small or nearly square problems and
	// SketchPrecond otherwise; the choice and its reason are recorded.
	Auto Method = iota
	// Direct is Householder QR of A (or [A; √λ I]): the accuracy baseline,
	// 2nd² flops, compute bound.
	Direct
	// SketchSolve solves the sketched problem min ||S(Ax − b)|| once: a
	// (1+ε) residual in one pass plus O(s d²), but only an approximate x.
	SketchSolve
	// SketchPrecond is sketch-and-precondition with iterative refinement:
	// R from QR of SA, the sketch-and-solve warm start, then refinement
	// rounds that solve for corrections on the well-conditioned A R⁻¹.
	SketchPrecond
)

var methodNames = [...]string{"auto", "direct", "sketch", "precond"}

// String returns the command-line name of the method.
func (m Method) String() string {
	if m < 0 || int(m) >= len(methodNames) {
		return fmt.Sprintf("method(%d)", int(m))
	}
	return methodNames[m]
}

// ParseMethod parses auto|direct|sketch|precond.
func ParseMethod(s string) (Method, error) {
	for i, n := range methodNames {
		if strings.EqualFold(s, n) {
			return Method(i), nil
		}
	}
	return 0, fmt.Errorf("unknown method %q (want auto, direct, sketch or precond)", s)
}

// Inner selects the Krylov method that solves each refinement round's
// correction equation in SketchPrecond.
type Inner int

// Inner solvers. The zero value is InnerAuto.
const (
	// InnerAuto is InnerCG.
	InnerAuto Inner = iota
	// InnerCG is conjugate gradients on the preconditioned normal equations
	// R⁻ᵀ(AᵀA + λI)R⁻¹ with the fused one-pass AᵀA kernel: one pass over A
	// per iteration (SPIR's inner solver, regression.md section 4.4).
	InnerCG
	// InnerLSQR is LSQR on A R⁻¹ (regression.md section 4.3): two passes
	// per iteration. Single right-hand side, in-memory A, λ = 0 only.
	InnerLSQR
)

// String returns the inner solver's name.
func (in Inner) String() string {
	switch in {
	case InnerCG:
		return "cg"
	case InnerLSQR:
		return "lsqr"
	}
	return "auto"
}

// Defaults, with their sources.
const (
	// DefaultTol: refine until the preconditioned gradient ||R⁻ᵀ(Aᵀr − λx)||
	// is below 1e-14 of the residual norm or at its rounding floor, whichever
	// is higher: the forward accuracy of Householder QR (regression.md T6;
	// LSQR's "high accuracy" setting atol = btol = 1e-14, section 4.3).
	// Looser values trade accuracy for time: the relative residual excess is
	// about 9·Tol².
	DefaultTol = 1e-14
	// DefaultSketchFactor: s = 4d rows for the preconditioner (RandLAPACK's
	// Blendenpik default, regression.md section 2).
	DefaultSketchFactor = 4
	// DefaultSketchNNZ: 8 nonzeros per column of the sparse sign sketch
	// (Epperly's SPIR/FOSSILS default, regression.md section 2).
	DefaultSketchNNZ = 8
	// DefaultEps: sketch-and-solve accuracy when Settings.Eps is 0.
	DefaultEps = 0.1
	// DefaultMaxRefine bounds the refinement rounds of SketchPrecond (SPIR
	// needs two; the extra ones absorb a poor first round).
	DefaultMaxRefine = 4
)

// Settings controls Solve. Every zero value has a documented meaning; Resolve
// fills them in for a problem with d columns and the Result records the
// resolved copy.
type Settings struct {
	// Method: 0 = Auto.
	Method Method
	// Lambda >= 0 is the ridge parameter: minimise ||Ax − b||² + λ||x||².
	Lambda float64
	// Tol is the relative tolerance of SketchPrecond's stopping rule. 0 = DefaultTol.
	Tol float64
	// MaxIter bounds the total inner iterations of SketchPrecond.
	// 0 = per round ⌈ln(2/tol)/ln(1/ρ̂)⌉ + 20 with ρ̂ = 1.5·√(d/s) (regression.md 4.3).
	MaxIter int
	// MaxTime bounds wall time. 0 = no limit.
	MaxTime time.Duration
	// Seed of the sketch. Every seed, including 0, is a valid choice.
	Seed uint64
	// SketchRows is the sketch size s. 0 = 4d for SketchPrecond, and
	// ⌈2(d+1)/Eps⌉ for SketchSolve (so that the expected residual excess,
	// about d/(s−d), is near Eps/2), capped at the number of rows.
	SketchRows int
	// SketchNNZ is the number of nonzeros per column of the sparse sign
	// sketch. 0 = DefaultSketchNNZ.
	SketchNNZ int
	// Eps is SketchSolve's target residual excess. 0 = DefaultEps.
	Eps float64
	// MaxRefine bounds the refinement rounds. 0 = DefaultMaxRefine.
	MaxRefine int
	// Inner selects the correction solver of SketchPrecond. 0 = InnerCG.
	Inner Inner
	// Recorder, if non-nil, receives every inner iteration.
	Recorder solve.Recorder
}

// Resolve returns s with zero values replaced for a problem of n rows and d
// columns. It does not choose the method (Auto stays Auto).
func (s Settings) Resolve(n, d int) Settings {
	if s.Tol == 0 {
		s.Tol = DefaultTol
	}
	if s.SketchNNZ == 0 {
		s.SketchNNZ = DefaultSketchNNZ
	}
	if s.Eps == 0 {
		s.Eps = DefaultEps
	}
	if s.MaxRefine == 0 {
		s.MaxRefine = DefaultMaxRefine
	}
	if s.Inner == InnerAuto {
		s.Inner = InnerCG
	}
	if s.SketchRows == 0 {
		switch s.Method {
		case SketchSolve:
			s.SketchRows = int(math.Ceil(2 * float64(d+1) / s.Eps))
		default:
			s.SketchRows = DefaultSketchFactor * d
		}
		s.SketchRows = max(min(s.SketchRows, n), d+1)
	}
	return s
}

func (s Settings) validate() error {
	switch {
	case s.Method < Auto || s.Method > SketchPrecond:
		return fmt.Errorf("%w: unknown method %d", ErrInput, int(s.Method))
	case s.Lambda < 0 || math.IsNaN(s.Lambda) || math.IsInf(s.Lambda, 0):
		return fmt.Errorf("%w: lambda = %g, want a finite value >= 0", ErrInput, s.Lambda)
	case s.Tol < 0 || math.IsNaN(s.Tol) || s.Tol >= 1:
		return fmt.Errorf("%w: tol = %g, want 0 <= tol < 1", ErrInput, s.Tol)
	case s.Eps < 0 || math.IsNaN(s.Eps):
		return fmt.Errorf("%w: eps = %g, want >= 0", ErrInput, s.Eps)
	case s.MaxIter < 0 || s.SketchRows < 0 || s.SketchNNZ < 0 || s.MaxRefine < 0:
		return fmt.Errorf("%w: negative MaxIter, SketchRows, SketchNNZ or MaxRefine", ErrInput)
	}
	return nil
}

// Info describes how a solve went; Result and MultiResult embed it.
type Info struct {
	Status solve.Status
	// Method is the method that ran (never Auto) and Reason why it was chosen.
	Method Method
	Reason string
	// Rule names the stopping rule that fired for SketchPrecond.
	Rule string
	// Iterations counts inner iterations over all rounds (SketchPrecond).
	Iterations int
	// Refinements counts refinement rounds (each starts with a fresh residual).
	Refinements int
	// Passes over the stored entries of A, sketch included.
	Passes float64
	// SketchRows and SketchNNZ of the sketch used (0 for Direct).
	SketchRows, SketchNNZ int
	// Rcond estimates the reciprocal condition number of R (of A up to the
	// sketch's distortion), from LAPACK's trcon in the 1-norm.
	Rcond float64
	// History holds one record per inner iteration (Residual = largest
	// relative preconditioned gradient among the columns still running) and
	// one per refinement round (Residual = ||R⁻ᵀ(Aᵀr − λx)||/||r||,
	// Objective = ||Ax − b||² + λ||x||²), in order.
	History []solve.IterRecord
	// Runtime is the wall time, and Phases its split.
	Runtime time.Duration
	Phases  Phases
	// Settings are the effective settings.
	Settings Settings
}

// Phases splits a solve's wall time: the sketch pass, the QR factorization
// (of the sketch, or of A for Direct), and the refinement rounds with the
// final residual pass.
type Phases struct {
	Sketch, Factor, Iterate time.Duration
}

// Result is the answer for one right-hand side.
type Result struct {
	Info
	X []float64
	// ResidualNorm is ||Ax − b|| and Objective ||Ax − b||² + λ||x||²,
	// computed from the final x in one pass.
	ResidualNorm, Objective float64
}

// MultiResult is the answer for several right-hand sides sharing one sketch
// and one factorization.
type MultiResult struct {
	Info
	X *mat.Dense
	// ResidualNorms[j] = ||A x_j − b_j||; Objectives[j] adds λ||x_j||².
	ResidualNorms, Objectives []float64
}
