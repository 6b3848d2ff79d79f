package lsq

import (
	"context"
	"fmt"
	"math"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/linalg"
	"github.com/sketchwork/sketchwork/sketch"
	"github.com/sketchwork/sketchwork/solve"
)

// Solve minimises ||Ax − b||² + λ||x||² for a dense (*mat.Dense), sparse
// (*linalg.CSR) or any other mat.Matrix A with at least as many rows as
// columns (unless λ > 0). See the package documentation for the methods.
//
// Errors: bad input (shape mismatch, NaN or Inf in A or b, empty A, invalid
// settings) wraps ErrInput; a rank-deficient A without ridge is a
// *RankError. Not meeting the tolerance is not an error: it is reported in
// Result.Status (and Status.Err()). A canceled context returns the best
// iterate with Status Canceled.
func Solve(ctx context.Context, a mat.Matrix, b []float64, s Settings) (*Result, error) {
	n, _ := a.Dims()
	if len(b) != n {
		return nil, fmt.Errorf("%w: b has %d entries, A has %d rows", ErrInput, len(b), n)
	}
	bm := mat.NewDense(max(n, 1), 1, nil)
	if n > 0 {
		copy(colData(bm), b)
	}
	mr, err := SolveMulti(ctx, a, bm, s)
	if mr == nil {
		return nil, err
	}
	return &Result{Info: mr.Info, X: colData(mr.X), ResidualNorm: mr.ResidualNorms[0], Objective: mr.Objectives[0]}, err
}

// SolveMulti solves for every column of B (n x m) with one sketch and one
// factorization shared by all columns; SketchPrecond runs the columns' inner
// iterations in lockstep so each pass over A is a block product. Errors as
// for Solve.
func SolveMulti(ctx context.Context, a mat.Matrix, b *mat.Dense, s Settings) (*MultiResult, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	n, d := a.Dims()
	bn, m := b.Dims()
	switch {
	case n == 0 || d == 0:
		return nil, fmt.Errorf("%w: A is empty (%dx%d)", ErrInput, n, d)
	case bn != n:
		return nil, fmt.Errorf("%w: B has %d rows, A has %d", ErrInput, bn, n)
	case m == 0:
		return nil, fmt.Errorf("%w: B has no columns", ErrInput)
	case n < d && s.Lambda == 0:
		return nil, fmt.Errorf("%w: A is %dx%d with fewer rows than columns; least squares needs n >= d (or lambda > 0)", ErrInput, n, d)
	}
	if err := checkFinite("B", b); err != nil {
		return nil, err
	}
	src, err := newMemSource(a)
	if err != nil {
		return nil, err
	}
	return run(ctx, src, a, b, s)
}

// chooseMethod resolves Auto by shape and sparsity and says why.
func chooseMethod(s Settings, n, d int, sparse bool) (Method, string) {
	if s.Method != Auto {
		return s.Method, "requested"
	}
	switch {
	case n < 8*d:
		return Direct, fmt.Sprintf("auto: n = %d < 8d = %d, a sketch would not be much smaller than A", n, 8*d)
	case !sparse && n*d < 200_000:
		return Direct, fmt.Sprintf("auto: small dense problem (n·d = %d < 2e5), QR is fastest", n*d)
	case sparse:
		return SketchPrecond, fmt.Sprintf("auto: sparse A with n = %d >= 8d, sketch-and-precondition costs O(nnz) per pass", n)
	default:
		return SketchPrecond, fmt.Sprintf("auto: tall dense A (n = %d >= 8d), sketch-and-precondition beats QR's 2nd² flops", n)
	}
}

// run is the common driver for in-memory and streamed A. a is the matrix
// when it is in memory (for Direct and error locations), nil for streams.
func run(ctx context.Context, src source, a mat.Matrix, b *mat.Dense, s Settings) (*MultiResult, error) {
	n, d := src.dims()
	_, m := b.Dims()
	_, sparse := a.(*linalg.CSR)
	method, reason := chooseMethod(s, n, d, sparse)
	if a == nil && s.Method == Auto {
		method, reason = SketchPrecond, "auto: streamed file, sketch-and-precondition (one pass for the sketch, then one per product)"
	}
	s.Method = method
	s = s.Resolve(n, d)
	mon := solve.NewMonitor(ctx, solve.Settings{MaxTime: s.MaxTime, Recorder: s.Recorder})
	info := Info{Method: method, Reason: reason, Settings: s}
	x := mat.NewDense(d, m, nil)
	var rr []float64
	switch method {
	case Direct:
		if err := checkFinite("A", a); err != nil {
			return nil, err
		}
		t0 := time.Now()
		f, err := factorize(mat.DenseCopyOf(a), mat.DenseCopyOf(b), s.Lambda)
		if err != nil {
			return nil, err
		}
		info.Rcond = f.rcond
		f.solveTo(x)
		info.Phases.Factor = time.Since(t0)
		info.Status = solve.Converged
		info.Rule = "direct solve"
	default:
		t0 := time.Now()
		sa, sb, err := sketchPass(src, b, s)
		if err != nil {
			return nil, err
		}
		info.Phases.Sketch = time.Since(t0)
		if !allFinite(sa) {
			if a != nil {
				if err := checkFinite("A", a); err != nil {
					return nil, err
				}
			}
			return nil, fmt.Errorf("%w: A contains NaN or Inf, or entries so large that the sketch overflows", ErrInput)
		}
		info.SketchRows, info.SketchNNZ = s.SketchRows, s.SketchNNZ
		t0 = time.Now()
		f, err := factorize(sa, sb, s.Lambda)
		if err != nil {
			return nil, err
		}
		info.Rcond = f.rcond
		f.solveTo(x)
		info.Phases.Factor = time.Since(t0)
		if method == SketchSolve {
			info.Status = solve.Converged
			info.Rule = "sketch-and-solve (one sketch)"
		} else {
			rr = refine(ctx, src, f, b, x, s, &info, mon)
		}
	}
	if rr == nil {
		rr = make([]float64, m)
		g := mat.NewDense(d, m, nil)
		src.residGrad(g, b, x, rr)
	}
	info.Passes = src.passes()
	info.Runtime = mon.Elapsed()
	info.Phases.Iterate = info.Runtime - info.Phases.Sketch - info.Phases.Factor
	res := &MultiResult{Info: info, X: x, ResidualNorms: make([]float64, m), Objectives: make([]float64, m)}
	xn := colNorms(x)
	for j := 0; j < m; j++ {
		res.ResidualNorms[j] = math.Sqrt(rr[j])
		res.Objectives[j] = rr[j] + s.Lambda*xn[j]*xn[j]
	}
	if info.Status == solve.NotTerminated {
		res.Status = solve.Converged
	}
	return res, nil
}

// sketchPass applies a sparse sign sketch (isometry scaling) to A and B.
func sketchPass(src source, b *mat.Dense, s Settings) (*mat.Dense, *mat.Dense, error) {
	n, d := src.dims()
	_, m := b.Dims()
	sk, err := sketch.New(sketch.Spec{Kind: sketch.SparseSign, Rows: s.SketchRows, NNZPerCol: min(s.SketchNNZ, s.SketchRows), Scaling: sketch.Isometry}, n, s.Seed)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrInput, err)
	}
	sa := mat.NewDense(s.SketchRows, d, nil)
	sb := mat.NewDense(s.SketchRows, m, nil)
	if err := src.sketch(sk, sa); err != nil {
		return nil, nil, err
	}
	sk.Apply(sb, b)
	return sa, sb, nil
}
