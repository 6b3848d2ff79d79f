package newton

import (
	"errors"
	"math"
	"strings"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/internal/par"
	"github.com/sketchwork/sketchwork/internal/rng"
	"github.com/sketchwork/sketchwork/sketch"
)

// Leverage scores of M = diag(√c)·A for a non-negative row weight c
// (section 2.4): τ_i = m_iᵀ(MᵀM)⁻¹m_i, Σ τ_i = rank(M). The approximate
// scores follow Drineas, Magdon-Ismail, Mahoney and Woodruff: a CountSketch
// S = ΠM with s rows, the triangular factor R of S (RᵀR = SᵀS), a Gaussian
// d×k matrix G with N(0, 1/k) entries, and τ̃_i = ‖m_iᵀR⁻¹G‖², in
// O(nnz(A)·k + s·d² + d³) time. M is never formed.

// levWS holds the scratch of the leverage computations.
type levWS struct {
	buckets []int32
	signs   []float64
	s       []float64 // s×d sketch
	gram    gramWS
	y       []float64 // k4×d: (R⁻¹G)ᵀ, rows padded with zeros to a multiple of tileJ
}

// errScoresRank is returned when MᵀM is numerically singular.
var errScoresRank = errors.New("newton: weighted matrix is rank deficient; cannot compute leverage scores")

// approxLeverage sets tau to approximate leverage scores of diag(√c)A using
// a CountSketch with s rows and k Gaussian columns, with randomness keyed by
// key. Rows with c_i = 0 get score 0.
func (rm *rowMat) approxLeverage(ws *levWS, tau, c []float64, s, k int, key uint64) error {
	n, d := rm.n, rm.d
	if cap(ws.buckets) < n {
		ws.buckets = make([]int32, n)
		ws.signs = make([]float64, n)
	}
	buckets, signs := ws.buckets[:n], ws.signs[:n]
	cnt := rng.NewCounter(rng.Key(key, "countsketch"))
	par.Blocks(n, 1<<14, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			u := cnt.At(uint64(i))
			buckets[i] = int32(rng.Bucket(u, s))
			signs[i] = rng.Sign(u) * math.Sqrt(c[i])
		}
	})
	if cap(ws.s) < s*d {
		ws.s = make([]float64, s*d)
	}
	S := ws.s[:s*d]
	clear(S)
	// Each part owns a bucket range and scans all rows in order, so the sums
	// are formed in a fixed order whatever the number of goroutines.
	const parts = 4
	par.Blocks(parts, 1, func(q, _, _ int) {
		blo, bhi := int32(q*s/parts), int32((q+1)*s/parts)
		for i, b := range buckets {
			if b < blo || b >= bhi || signs[i] == 0 {
				continue
			}
			dst := S[int(b)*d : int(b)*d+d]
			sg := signs[i]
			if rm.csr != nil {
				cols, vals := rm.csr.SparseRow(i)
				for t, j := range cols {
					dst[j] += sg * vals[t]
				}
			} else {
				floats.AddScaled(dst, sg, rm.raw.Data[i*rm.raw.Stride:i*rm.raw.Stride+d])
			}
		}
	})
	sm := &rowMat{raw: blas64.General{Rows: s, Cols: d, Stride: d, Data: S}, n: s, d: d, nnz: s * d}
	u, err := triFactor(&ws.gram, sm, nil)
	if err != nil {
		return err
	}
	// Y = R⁻¹G with G d×k Gaussian N(0, 1/k).
	g := rng.Derive(key, "jl")
	gm := blas64.General{Rows: d, Cols: k, Stride: k, Data: make([]float64, d*k)}
	sd := 1 / math.Sqrt(float64(k))
	for i := range gm.Data {
		gm.Data[i] = sd * g.NormFloat64()
	}
	blas64.Trsm(blas.Left, blas.NoTrans, 1, u, gm)
	rm.rowScores(ws, tau, c, gm)
	return nil
}

// exactLeverage sets tau to the exact leverage scores of diag(√c)A from a
// Cholesky factor of AᵀdiagcA (O(nnz(A)·d + d³)), falling back to a QR of
// the weighted matrix when the Gram is too ill-conditioned to factor.
func (rm *rowMat) exactLeverage(ws *levWS, tau, c []float64) error {
	d := rm.d
	u, err := triFactor(&ws.gram, rm, c)
	if err != nil {
		return err
	}
	id := blas64.General{Rows: d, Cols: d, Stride: d, Data: make([]float64, d*d)}
	for i := 0; i < d; i++ {
		id.Data[i*d+i] = 1
	}
	blas64.Trsm(blas.Left, blas.NoTrans, 1, u, id)
	rm.rowScores(ws, tau, c, id)
	return nil
}

// triFactor returns an upper-triangular U with UᵀU = Aᵀdiag(c)A (c = nil
// means all ones): the Cholesky factor of the Gram, or, when the Gram is not
// numerically positive definite, the R of a QR of diag(√c)A.
func triFactor(ws *gramWS, rm *rowMat, c []float64) (blas64.Triangular, error) {
	d := rm.d
	w := c
	if w == nil {
		w = make([]float64, rm.n)
		for i := range w {
			w[i] = 1
		}
	}
	h := mat.NewSymDense(d, nil)
	hr := h.RawSymmetric()
	rm.gram(ws, hr.Data, hr.Stride, nil, w)
	var ch mat.Cholesky
	if ch.Factorize(h) {
		var ut mat.TriDense
		ch.UTo(&ut)
		return ut.RawTriangular(), nil
	}
	// QR fallback on the weighted matrix.
	m := mat.NewDense(rm.n, d, nil)
	for i := 0; i < rm.n; i++ {
		sc := math.Sqrt(max(w[i], 0))
		if rm.csr != nil {
			cols, vals := rm.csr.SparseRow(i)
			for t, j := range cols {
				m.Set(i, int(j), sc*vals[t])
			}
		} else {
			row := rm.raw.Data[i*rm.raw.Stride : i*rm.raw.Stride+d]
			for j, v := range row {
				m.Set(i, j, sc*v)
			}
		}
	}
	if rm.n < d {
		return blas64.Triangular{}, errScoresRank
	}
	var qr mat.QR
	qr.Factorize(m)
	var r mat.Dense
	qr.RTo(&r)
	rd := r.RawMatrix()
	rr := blas64.Triangular{Uplo: blas.Upper, Diag: blas.NonUnit, N: d, Stride: rd.Stride, Data: rd.Data}
	for i := 0; i < d; i++ {
		if math.Abs(rr.Data[i*rr.Stride+i]) <= 1e-14*math.Abs(rr.Data[0]) {
			return blas64.Triangular{}, errScoresRank
		}
	}
	return rr, nil
}

// rowScores sets tau_i = c_i·‖a_iᵀY‖² for a d×k matrix Y.
func (rm *rowMat) rowScores(ws *levWS, tau, c []float64, y blas64.General) {
	n, d, k := rm.n, rm.d, y.Cols
	k4 := roundUp(k, tileJ)
	if cap(ws.y) < k4*d {
		ws.y = make([]float64, k4*d)
	}
	yt := ws.y[:k4*d]
	clear(yt)
	for i := 0; i < d; i++ {
		for j := 0; j < k; j++ {
			yt[j*d+i] = y.Data[i*y.Stride+j]
		}
	}
	block := max(tileI, roundUp((1<<15)/max(1, k4), tileI))
	par.Blocks(n, block, func(_, lo, hi int) {
		var t []float64
		if rm.csr == nil {
			t = make([]float64, tileI*k4)
		}
		zbuf := make([]float64, k)
		for i := lo; i < hi; {
			if rm.csr == nil && i+tileI <= hi {
				clear(t)
				for j0 := 0; j0 < k4; j0 += tileJ {
					dotTile(rm.raw.Data[i*rm.raw.Stride:], rm.raw.Stride, yt[j0*d:], d, d, t[j0:], k4)
				}
				for r := 0; r < tileI; r++ {
					var s float64
					for _, v := range t[r*k4 : r*k4+k] {
						s += v * v
					}
					tau[i+r] = c[i+r] * s
				}
				i += tileI
				continue
			}
			var s float64
			if c[i] != 0 {
				if rm.csr != nil {
					// z = a_iᵀY with Y row-major d×k: one pass over the row.
					clear(zbuf)
					cols, vals := rm.csr.SparseRow(i)
					for t, col := range cols {
						v := vals[t]
						yr := y.Data[int(col)*y.Stride : int(col)*y.Stride+k]
						for j, yv := range yr {
							zbuf[j] += v * yv
						}
					}
					for _, z := range zbuf {
						s += z * z
					}
				} else {
					row := rm.raw.Data[i*rm.raw.Stride : i*rm.raw.Stride+d]
					for j := 0; j < k; j++ {
						var z float64
						for t, v := range row {
							z += v * yt[j*d+t]
						}
						s += z * z
					}
				}
			}
			tau[i] = c[i] * s
			i++
		}
	})
}

// sketchLeverage sets tau to package sketch's approximate leverage scores of
// diag(√c)A. A rank-deficient sketch is reported as errScoresRank.
func (rm *rowMat) sketchLeverage(tau, c []float64, s, k int, key uint64) error {
	w := make([]float64, len(c))
	for i, v := range c {
		w[i] = math.Sqrt(v)
	}
	var a mat.Matrix
	if rm.csr != nil {
		a = rm.csr
	} else {
		a = denseView(rm.raw)
	}
	sc, err := sketch.ApproxLeverageScores(a, sketch.ApproxOptions{SketchRows: s, GaussCols: k, Weights: w}, key)
	if err != nil {
		if strings.Contains(err.Error(), "rank deficient") {
			return errScoresRank
		}
		return err
	}
	copy(tau, sc)
	return nil
}

// denseView wraps strided storage as a *mat.Dense without copying.
func denseView(g blas64.General) *mat.Dense {
	var m mat.Dense
	m.SetRawMatrix(g)
	return &m
}
