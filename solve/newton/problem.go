package newton

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/linalg"
)

// ErrDomain is wrapped by a Loss when z lies outside the loss's domain (for
// example the ResNet+softmax normalizer falling below its guard β). The
// safeguarded line search treats such a trial point as a failed step and
// backtracks; at the starting point it is reported to the caller.
var ErrDomain = errors.New("newton: point outside the loss's domain")

// Loss is a data term expressed in z = A x (newton-regressions.md section
// 10): the solver sees only z-space values, gradients and a factored
// curvature, so a new layer or activation plugs in without touching it.
type Loss interface {
	// Len returns n, the length of z.
	Len() int
	// Eval returns the data term at z and, when grad is non-nil, sets grad
	// (length n) to its gradient in z. It returns an error wrapping ErrDomain
	// when z is outside the domain, or another error for invalid values.
	Eval(grad, z []float64) (float64, error)
	// Curvature sets c to the Hessian in z, diag(D) + P K Pᵀ + Gᵀ diag(GW) G,
	// reusing c's buffers (see Curvature.Reset). The regularizer is not part
	// of the data term; Problem adds it to D.
	Curvature(c *Curvature, z []float64) error
}

// Curvature is a z-space Hessian in factored form (section 10):
//
//	∇²_z = diag(D) + P·K·Pᵀ + Gᵀ·diag(GW)·G
//
// with P an n×r matrix of rank r ≤ 2 (the papers' "diagonal + rank 2" core,
// sections 3-5), K a symmetric r×r core, and G an optional extra m×n Gram
// factor (reading R2 of section 5.3). The x-space Hessian is Aᵀ(∇²_z)A.
type Curvature struct {
	D  []float64     // length n; the regularizer w∘w is included once Problem adds it
	P  *mat.Dense    // n×r low-rank factor, nil when r = 0
	K  *mat.SymDense // r×r core, nil when r = 0
	G  *mat.Dense    // optional m×n Gram factor, nil when absent
	GW []float64     // length m signed weights of the Gram factor; nil means all +1

	// atp caches AᵀP (d×r) when the solver computed it together with the
	// gradient; Reset clears it.
	atp *mat.Dense
}

// Reset sizes c for n rows and a rank-r low-rank part, reusing its buffers,
// and clears the Gram factor. D, P and K are left for the caller to fill.
func (c *Curvature) Reset(n, r int) {
	if cap(c.D) < n {
		c.D = make([]float64, n)
	}
	c.D = c.D[:n]
	if r == 0 {
		c.P, c.K = nil, nil
	} else {
		if c.P == nil {
			c.P = mat.NewDense(n, r, nil)
		} else if pr, pc := c.P.Dims(); pr != n || pc != r {
			c.P = mat.NewDense(n, r, nil)
		}
		if c.K == nil || c.K.SymmetricDim() != r {
			c.K = mat.NewSymDense(r, nil)
		}
	}
	c.G, c.GW = nil, nil
	c.atp = nil
}

// Rank returns r, the number of columns of P.
func (c *Curvature) Rank() int {
	if c.P == nil {
		return 0
	}
	_, r := c.P.Dims()
	return r
}

// Dense returns the n×n z-space Hessian; for tests on small n.
func (c *Curvature) Dense() *mat.SymDense {
	n := len(c.D)
	h := mat.NewSymDense(n, nil)
	for i, v := range c.D {
		h.SetSym(i, i, v)
	}
	if r := c.Rank(); r > 0 {
		var pk, pkp mat.Dense
		pk.Mul(c.P, c.K)
		pkp.Mul(&pk, c.P.T())
		for i := 0; i < n; i++ {
			for j := i; j < n; j++ {
				h.SetSym(i, j, h.At(i, j)+pkp.At(i, j))
			}
		}
	}
	if c.G != nil {
		m, _ := c.G.Dims()
		gw := mat.DenseCopyOf(c.G)
		for k := 0; k < m; k++ {
			s := 1.0
			if c.GW != nil {
				s = c.GW[k]
			}
			for j := 0; j < n; j++ {
				gw.Set(k, j, s*gw.At(k, j))
			}
		}
		var gg mat.Dense
		gg.Mul(c.G.T(), gw)
		for i := 0; i < n; i++ {
			for j := i; j < n; j++ {
				h.SetSym(i, j, h.At(i, j)+gg.At(i, j))
			}
		}
	}
	return h
}

// Problem is min_x Loss(A x) + ½‖w∘(A x)‖² over x in R^d, with A dense or
// CSR. It holds no mutable state and may be shared by concurrent solves.
type Problem struct {
	rowMat
	op    linalg.Operator
	dense *mat.Dense // nil unless A is dense
	loss  Loss
	w2    []float64 // w∘w, nil when there is no regularizer
}

// NewProblem checks and wraps A (n×d: *mat.Dense, *linalg.CSR, or any
// other mat.Matrix, which is copied to dense), the loss (whose
// Len must be n) and the regularization weights w (length n, or nil for no
// regularizer). A and w are read, never written, and must not change while
// the Problem is in use. Errors name the first NaN/Inf entry or the
// mismatching dimension.
func NewProblem(a mat.Matrix, loss Loss, w []float64) (*Problem, error) {
	if a == nil || loss == nil {
		return nil, errors.New("newton: nil matrix or loss")
	}
	p := &Problem{loss: loss}
	switch m := a.(type) {
	case *linalg.CSR:
		p.csr, p.op = m, m
		p.nnz = m.NNZ()
	case *mat.Dense:
		p.dense, p.op = m, linalg.Dense(m)
	default:
		dm := mat.DenseCopyOf(a)
		p.dense, p.op = dm, linalg.Dense(dm)
	}
	p.n, p.d = a.Dims()
	if p.n == 0 || p.d == 0 {
		return nil, fmt.Errorf("newton: empty matrix %dx%d", p.n, p.d)
	}
	if p.dense != nil {
		p.nnz = p.n * p.d
		raw := p.dense.RawMatrix()
		p.raw = raw
		for i := 0; i < p.n; i++ {
			for j, v := range raw.Data[i*raw.Stride : i*raw.Stride+p.d] {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return nil, fmt.Errorf("newton: A[%d,%d] = %v is not finite", i, j, v)
				}
			}
		}
	} else {
		for i := 0; i < p.n; i++ {
			cols, vals := p.csr.SparseRow(i)
			for k, v := range vals {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return nil, fmt.Errorf("newton: A[%d,%d] = %v is not finite", i, cols[k], v)
				}
			}
		}
	}
	if loss.Len() != p.n {
		return nil, fmt.Errorf("newton: loss has length %d but A has %d rows", loss.Len(), p.n)
	}
	if w != nil {
		if len(w) != p.n {
			return nil, fmt.Errorf("newton: %d regularization weights for %d rows", len(w), p.n)
		}
		p.w2 = make([]float64, p.n)
		for i, v := range w {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("newton: regularization weight w[%d] = %v is not finite", i, v)
			}
			p.w2[i] = v * v
		}
	}
	return p, nil
}

// Dims returns n (rows of A) and d (the number of parameters).
func (p *Problem) Dims() (n, d int) { return p.n, p.d }

// NNZ returns the number of stored entries of A (n·d when dense).
func (p *Problem) NNZ() int { return p.nnz }

// Loss returns the data term.
func (p *Problem) Loss() Loss { return p.loss }

// Operator returns A as a linalg.Operator.
func (p *Problem) Operator() linalg.Operator { return p.op }

// IsSparse reports whether A is stored as CSR.
func (p *Problem) IsSparse() bool { return p.csr != nil }

// evalBuf holds the n-vectors of one evaluation.
type evalBuf struct {
	z, gz []float64
}

func (p *Problem) newEvalBuf() *evalBuf {
	return &evalBuf{z: make([]float64, p.n), gz: make([]float64, p.n)}
}

// eval computes z = A x, the loss, and when g is non-nil the gradient
// g = Aᵀ(∇_z + w²∘z). The z-space gradient is left in b.gz.
func (p *Problem) eval(b *evalBuf, g, x []float64) (float64, error) {
	p.op.MulVecTo(b.z, false, x)
	var gz []float64
	if g != nil {
		gz = b.gz
	}
	v, err := p.loss.Eval(gz, b.z)
	if err != nil {
		return v, err
	}
	if p.w2 != nil {
		var r float64
		for i, zi := range b.z {
			r += p.w2[i] * zi * zi
		}
		v += 0.5 * r
		if g != nil {
			for i, zi := range b.z {
				gz[i] += p.w2[i] * zi
			}
		}
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return v, fmt.Errorf("newton: loss is %v", v)
	}
	if g != nil {
		p.op.MulVecTo(g, true, gz)
	}
	return v, nil
}

// evalZ computes z = A x, the loss and the z-space gradient
// ∇_z + w²∘z (in b.gz), but not the x-space gradient.
func (p *Problem) evalZ(b *evalBuf, x []float64) (float64, error) {
	p.op.MulVecTo(b.z, false, x)
	v, err := p.loss.Eval(b.gz, b.z)
	if err != nil {
		return v, err
	}
	if p.w2 != nil {
		var r float64
		for i, zi := range b.z {
			r += p.w2[i] * zi * zi
			b.gz[i] += p.w2[i] * zi
		}
		v += 0.5 * r
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return v, fmt.Errorf("newton: loss is %v", v)
	}
	return v, nil
}

// gradAndLowRank sets g = Aᵀ gz and caches AᵀP in c in one pass over A.
func (p *Problem) gradAndLowRank(ws *fusedWS, g, gz []float64, c *Curvature) {
	r := c.Rank()
	ws.xs = append(ws.xs[:0], gz)
	ws.dst = append(ws.dst[:0], g)
	for k := 0; k < r; k++ {
		if len(ws.cols) <= k {
			ws.cols = append(ws.cols, nil)
			ws.outs = append(ws.outs, nil)
		}
		if cap(ws.cols[k]) < p.n {
			ws.cols[k] = make([]float64, p.n)
		}
		if cap(ws.outs[k]) < p.d {
			ws.outs[k] = make([]float64, p.d)
		}
		ws.cols[k] = ws.cols[k][:p.n]
		ws.outs[k] = ws.outs[k][:p.d]
		mat.Col(ws.cols[k], k, c.P)
		ws.xs = append(ws.xs, ws.cols[k])
		ws.dst = append(ws.dst, ws.outs[k])
	}
	p.mulTransCols(&ws.mult, ws.dst, ws.xs)
	if r > 0 {
		if ws.atp == nil || ws.atp.RawMatrix().Cols != r {
			ws.atp = mat.NewDense(p.d, r, nil)
		}
		for k := 0; k < r; k++ {
			ws.atp.SetCol(k, ws.outs[k])
		}
		c.atp = ws.atp
	}
}

// fusedWS is the scratch of gradAndLowRank.
type fusedWS struct {
	mult       multWS
	xs, dst    [][]float64
	cols, outs [][]float64
	atp        *mat.Dense
}

// Value returns L(x).
func (p *Problem) Value(x []float64) (float64, error) {
	p.checkX(x)
	return p.eval(p.newEvalBuf(), nil, x)
}

// Gradient sets g = ∇L(x) and returns L(x).
func (p *Problem) Gradient(g, x []float64) (float64, error) {
	p.checkX(x)
	if len(g) != p.d {
		panic(linalg.ErrShape)
	}
	return p.eval(p.newEvalBuf(), g, x)
}

// CurvatureAt sets c to the z-space Hessian at x with the regularizer added
// to D.
func (p *Problem) CurvatureAt(c *Curvature, x []float64) error {
	p.checkX(x)
	b := p.newEvalBuf()
	p.op.MulVecTo(b.z, false, x)
	return p.curvature(c, b.z)
}

func (p *Problem) curvature(c *Curvature, z []float64) error {
	if err := p.loss.Curvature(c, z); err != nil {
		return err
	}
	if len(c.D) != p.n {
		return fmt.Errorf("newton: loss curvature has %d diagonal entries, want %d", len(c.D), p.n)
	}
	if p.w2 != nil {
		for i, w := range p.w2 {
			c.D[i] += w
		}
	}
	return nil
}

// Hessian sets dst (d×d) to the exact Hessian ∇²L(x) = Aᵀ(∇²_z + W²)A.
// Cost O(nnz(A)·d + d²) for dense A (a blocked parallel Gram), O(Σ nnz(a_i)²)
// for CSR.
func (p *Problem) Hessian(dst *mat.SymDense, x []float64) error {
	var c Curvature
	if err := p.CurvatureAt(&c, x); err != nil {
		return err
	}
	_, err := Exact{}.NewSession(p).Build(dst, &c, 0)
	return err
}

func (p *Problem) checkX(x []float64) {
	if len(x) != p.d {
		panic(linalg.ErrShape)
	}
}

// addLowRank adds (AᵀP) K (AᵀP)ᵀ and the Gram factor (GA)ᵀ diag(GW) (GA)
// of c to the upper triangle of h. Cost: r products with Aᵀ (O(nnz(A)) each)
// plus O(d²r²), and for the Gram factor m products with Aᵀ plus O(d²m).
func (p *Problem) addLowRank(h *mat.SymDense, c *Curvature) {
	d := p.d
	hr := h.RawSymmetric()
	if r := c.Rank(); r > 0 {
		// Q = AᵀP one column at a time: the transposed vector kernel is a
		// single parallel pass, much faster than a block product for r ≤ 2.
		q := c.atp
		if q == nil {
			q = mat.NewDense(d, r, nil)
			col := make([]float64, p.n)
			qc := make([]float64, d)
			for k := 0; k < r; k++ {
				mat.Col(col, k, c.P)
				p.op.MulVecTo(qc, true, col)
				q.SetCol(k, qc)
			}
		}
		var qk mat.Dense
		qk.Mul(q, c.K) // d×r
		qkr, qr := qk.RawMatrix(), q.RawMatrix()
		for i := 0; i < d; i++ {
			a := qkr.Data[i*qkr.Stride : i*qkr.Stride+r]
			row := hr.Data[i*hr.Stride : i*hr.Stride+d]
			for j := i; j < d; j++ {
				b := qr.Data[j*qr.Stride : j*qr.Stride+r]
				var s float64
				for k, v := range a {
					s += v * b[k]
				}
				row[j] += s
			}
		}
	}
	if c.G != nil {
		m, _ := c.G.Dims()
		gt := mat.DenseCopyOf(c.G.T()) // n×m
		ga := mat.NewDense(d, m, nil)  // (G A)ᵀ = Aᵀ Gᵀ
		p.op.MulTo(ga, true, gt)
		gar := ga.RawMatrix()
		for i := 0; i < d; i++ {
			a := gar.Data[i*gar.Stride : i*gar.Stride+m]
			row := hr.Data[i*hr.Stride : i*hr.Stride+d]
			for j := i; j < d; j++ {
				b := gar.Data[j*gar.Stride : j*gar.Stride+m]
				var s float64
				for k, v := range a {
					if c.GW != nil {
						s += c.GW[k] * v * b[k]
					} else {
						s += v * b[k]
					}
				}
				row[j] += s
			}
		}
	}
}

// Scaled multiplies a loss by a constant C > 0. With the regularization
// weights multiplied by √C it scales the whole objective, which leaves the
// Newton iterates unchanged (test T13).
type Scaled struct {
	Loss Loss
	C    float64
}

// Len returns the wrapped loss's length.
func (s Scaled) Len() int { return s.Loss.Len() }

// Eval returns C times the wrapped loss and gradient.
func (s Scaled) Eval(grad, z []float64) (float64, error) {
	v, err := s.Loss.Eval(grad, z)
	if grad != nil {
		for i := range grad {
			grad[i] *= s.C
		}
	}
	return s.C * v, err
}

// Curvature returns C times the wrapped curvature.
func (s Scaled) Curvature(c *Curvature, z []float64) error {
	if err := s.Loss.Curvature(c, z); err != nil {
		return err
	}
	for i := range c.D {
		c.D[i] *= s.C
	}
	if c.K != nil {
		c.K.ScaleSym(s.C, c.K)
	}
	for i := range c.GW {
		c.GW[i] *= s.C
	}
	if c.G != nil && c.GW == nil {
		m, _ := c.G.Dims()
		c.GW = make([]float64, m)
		for i := range c.GW {
			c.GW[i] = s.C
		}
	}
	return nil
}
