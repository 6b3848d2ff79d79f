package newton

import (
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/sketch"
)

// Leverage scores of M = diag(√c)·A for a non-negative row weight c
// (section 2.4): τ_i = m_iᵀ(MᵀM)⁻¹m_i, Σ τ_i = rank(M). They come from
// package sketch's LeverageEstimator with row weights √c, so M is never
// formed: the approximate scores follow Drineas, Magdon-Ismail, Mahoney and
// Woodruff (a CountSketch S = ΠM with s rows, R with RᵀR = SᵀS, a Gaussian
// d×k matrix G with N(0, 1/k) entries, τ̃_i = ‖m_iᵀR⁻¹G‖²) in
// O(nnz(A)·k + s·d² + d³) time; rows with c_i = 0 get score 0. A weighted
// matrix without full column rank is reported as an error wrapping
// sketch.ErrRankDeficient.

// levWS holds the scratch of the leverage computations, reused across
// iterations: the estimator's buffers, the row weights √c and a view of
// dense A.
type levWS struct {
	est  sketch.LeverageEstimator
	w    []float64
	view mat.Dense
}

// weights sets ws.w to √c.
func (ws *levWS) weights(c []float64) []float64 {
	if cap(ws.w) < len(c) {
		ws.w = make([]float64, len(c))
	}
	w := ws.w[:len(c)]
	for i, v := range c {
		w[i] = math.Sqrt(v)
	}
	return w
}

// approxLeverage sets tau to approximate leverage scores of diag(√c)A from
// a CountSketch (ζ = 1) with s rows and k Gaussian columns, with randomness
// keyed by key.
func (rm *rowMat) approxLeverage(ws *levWS, tau, c []float64, s, k int, key uint64) error {
	opts := sketch.ApproxOptions{SketchRows: s, NNZPerCol: 1, GaussCols: k, Weights: ws.weights(c)}
	return ws.est.Scores(tau, rm.matrix(&ws.view), opts, key)
}

// sketchLeverage is approxLeverage with package sketch's default sparse
// sign sketch (ζ = 8 nonzeros per column) instead of a CountSketch.
func (rm *rowMat) sketchLeverage(ws *levWS, tau, c []float64, s, k int, key uint64) error {
	opts := sketch.ApproxOptions{SketchRows: s, GaussCols: k, Weights: ws.weights(c)}
	return ws.est.Scores(tau, rm.matrix(&ws.view), opts, key)
}

// exactLeverage sets tau to the exact leverage scores of diag(√c)A: a
// Cholesky factor of Aᵀdiag(c)A and one pass over A (O(nnz(A)·d + d³)),
// or a QR of the weighted matrix when the Gram is too ill-conditioned.
func (rm *rowMat) exactLeverage(ws *levWS, tau, c []float64) error {
	return ws.est.Exact(tau, rm.matrix(&ws.view), ws.weights(c))
}
