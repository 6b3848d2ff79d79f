package lsq

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack"
	"gonum.org/v1/gonum/lapack/lapack64"
	"gonum.org/v1/gonum/mat"
)

// factor is the R factor of a (sketched) matrix and the matching Qᵀ
// right-hand sides: the preconditioner of SketchPrecond and the solver of
// SketchSolve and Direct.
type factor struct {
	d     int
	r     blas64.Triangular // upper triangular d x d
	qtb   *mat.Dense        // first d rows of Qᵀ [SB; 0], d x m
	rcond float64           // LAPACK trcon estimate in the 1-norm
	kappa float64           // σ_max/σ_min of R when the SVD was computed, else 0
}

// factorize computes the Householder QR of M = [SA; √λ I] (the ridge rows
// only when λ > 0) and Qᵀ[SB; 0]. sa and sb are overwritten.
func factorize(sa, sb *mat.Dense, lambda float64) (*factor, error) {
	s, d := sa.Dims()
	_, m := sb.Dims()
	a, b := sa, sb
	if lambda > 0 {
		a = mat.NewDense(s+d, d, nil)
		a.Slice(0, s, 0, d).(*mat.Dense).Copy(sa)
		sl := math.Sqrt(lambda)
		for j := 0; j < d; j++ {
			a.Set(s+j, j, sl)
		}
		b = mat.NewDense(s+d, m, nil)
		b.Slice(0, s, 0, m).(*mat.Dense).Copy(sb)
	}
	ga := a.RawMatrix()
	tau := make([]float64, d)
	work := []float64{0}
	lapack64.Geqrf(ga, tau, work, -1)
	work = make([]float64, int(work[0]))
	lapack64.Geqrf(ga, tau, work, len(work))
	gb := b.RawMatrix()
	work = []float64{0}
	lapack64.Ormqr(blas.Left, blas.Trans, ga, tau, gb, work, -1)
	work = make([]float64, int(work[0]))
	lapack64.Ormqr(blas.Left, blas.Trans, ga, tau, gb, work, len(work))

	f := &factor{d: d}
	rdata := make([]float64, d*d)
	for i := 0; i < d; i++ {
		copy(rdata[i*d+i:(i+1)*d], ga.Data[i*ga.Stride+i:i*ga.Stride+d])
	}
	f.r = blas64.Triangular{Uplo: blas.Upper, Diag: blas.NonUnit, N: d, Stride: d, Data: rdata}
	f.qtb = mat.DenseCopyOf(b.Slice(0, d, 0, m))
	f.rcond = lapack64.Trcon(lapack.MaxColumnSum, f.r, make([]float64, 3*d), make([]int, d))
	if lambda > 0 {
		return f, nil // [SA; √λI] always has full column rank
	}
	// Numerical rank from the singular values of R, computed only when the
	// cheap estimate cannot rule out deficiency: κ₂ ≤ d·κ₁, so rcond₁ >
	// 10·d·tol proves σ_min/σ_max > tol. The tolerance, σ_max·10·d·eps,
	// depends on R's size only (not on n, unlike NumPy's matrix_rank rule
	// for A itself, which would call κ = 1e12 deficient once n > 4500): an
	// exactly rank-deficient A gives σ_min(R) ≈ u·√rows·σ_max, far below it,
	// while κ(A) up to about 1e13 passes.
	tol := 10 * float64(d) * 0x1p-52
	if math.IsNaN(f.rcond) || f.rcond < 10*float64(d)*tol {
		sv := f.singularValues()
		rank := 0
		for _, v := range sv {
			if v > sv[0]*tol {
				rank++
			}
		}
		if sv[d-1] > 0 {
			f.kappa = sv[0] / sv[d-1]
		}
		if rank < d || sv[0] == 0 {
			cond := math.Inf(1)
			if sv[d-1] > 0 {
				cond = sv[0] / sv[d-1]
			}
			return nil, &RankError{Rank: rank, Cols: d, Cond: cond}
		}
	}
	return f, nil
}

// singularValues returns the singular values of R in decreasing order.
func (f *factor) singularValues() []float64 {
	d := f.d
	a := blas64.General{Rows: d, Cols: d, Stride: d, Data: make([]float64, d*d)}
	for i := 0; i < d; i++ {
		copy(a.Data[i*d+i:(i+1)*d], f.r.Data[i*d+i:(i+1)*d])
	}
	s := make([]float64, d)
	work := []float64{0}
	none := blas64.General{Stride: 1}
	lapack64.Gesvd(lapack.SVDNone, lapack.SVDNone, a, none, none, s, work, -1)
	work = make([]float64, int(work[0]))
	lapack64.Gesvd(lapack.SVDNone, lapack.SVDNone, a, none, none, s, work, len(work))
	return s
}

// solveTo sets X = R⁻¹ Qᵀ[SB;0], the (sketched) least-squares solution.
func (f *factor) solveTo(x *mat.Dense) {
	x.Copy(f.qtb)
	f.rinv(x)
}

// rinv sets X = R⁻¹ X in place.
func (f *factor) rinv(x *mat.Dense) {
	raw := x.RawMatrix()
	if raw.Cols == 1 {
		blas64.Trsv(blas.NoTrans, f.r, blas64.Vector{N: raw.Rows, Inc: raw.Stride, Data: raw.Data})
		return
	}
	blas64.Trsm(blas.Left, blas.NoTrans, 1, f.r, raw)
}

// rinvT sets X = R⁻ᵀ X in place.
func (f *factor) rinvT(x *mat.Dense) {
	raw := x.RawMatrix()
	if raw.Cols == 1 {
		blas64.Trsv(blas.Trans, f.r, blas64.Vector{N: raw.Rows, Inc: raw.Stride, Data: raw.Data})
		return
	}
	blas64.Trsm(blas.Left, blas.Trans, 1, f.r, raw)
}

// kappaEstimate returns κ₂(R) when the singular values were computed, and
// otherwise the 1-norm estimate 1/rcond (within a factor d of κ₂).
func (f *factor) kappaEstimate() float64 {
	if f.kappa > 0 {
		return f.kappa
	}
	if f.rcond <= 0 {
		return math.Inf(1)
	}
	return 1 / f.rcond
}
