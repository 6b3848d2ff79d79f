package lsq

import (
	"context"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/solve"
)

const unitRoundoff = 0x1p-53

// refine runs SketchPrecond's refinement rounds from the starting point x
// (updated in place) and returns the squared residual norms of the final x.
// Each round computes the true gradient g = Aᵀ(b − Ax) − λx in one pass,
// forms c = R⁻ᵀg, checks the stopping rules, and solves the correction
// equation R⁻ᵀ(AᵀA + λI)R⁻¹ dy = c to the accuracy the round needs, then
// sets x += R⁻¹dy (SPIR-style iterative refinement, regression.md 4.4).
func refine(ctx context.Context, src source, f *factor, b, x *mat.Dense, s Settings, info *Info, mon *solve.Monitor) []float64 {
	_, d := src.dims()
	_, m := b.Dims()
	lam := s.Lambda
	g := mat.NewDense(d, m, nil)
	c := mat.NewDense(d, m, nil)
	rr := make([]float64, m)
	obj := make([]float64, m)
	cnorm := make([]float64, m)
	prev := make([]float64, m)
	done := make([]bool, m)
	eta := make([]float64, m)
	floor := make([]float64, m)
	c0 := make([]float64, m) // ||c|| at the starting point
	for j := range prev {
		prev[j] = math.Inf(1)
	}
	bn := colNorms(b)
	rnormF := frobTriangular(f)
	kappa := f.kappaEstimate()
	n, _ := src.dims()
	shareD := math.Sqrt(float64(d) / float64(n))
	// Iteration cap per round: ⌈ln(2/η)/ln(1/ρ̂)⌉ + 20, ρ̂ = 1.5·√(d/s).
	rho := math.Min(0.95, 1.5*math.Sqrt(float64(d)/float64(s.SketchRows)))
	roundCap := func(etaMin float64) int {
		return int(math.Ceil(math.Log(2/etaMin)/math.Log(1/rho))) + 20
	}
	status := solve.NotTerminated
	stagnated := false
	for round := 1; ; round++ {
		src.residGrad(g, b, x, rr)
		for j := 0; j < m; j++ {
			obj[j] = rr[j]
		}
		if lam > 0 {
			g.Add(g, scaled(-lam, x))
			xn := colNorms(x)
			for j := range obj {
				obj[j] += lam * xn[j] * xn[j]
			}
		}
		c.Copy(g)
		f.rinvT(c)
		copy(cnorm, colNorms(c))
		xn := colNorms(x)
		worst := 0.0
		allDone := true
		for j := 0; j < m; j++ {
			rn := math.Sqrt(obj[j])
			if rn > 0 {
				worst = math.Max(worst, cnorm[j]/rn)
			}
			if done[j] {
				continue
			}
			// Rounding floor of the computed c = R⁻ᵀ(Aᵀr − λx). The error of
			// the product Aᵀr (about u·||A||·||r||) is amplified by ||R⁻ᵀ||
			// = κ/||A||; measured on kappa-exact problems with κ from 1e4 to
			// 1e12, the computed c bottoms out at 0.02–0.2·u·κ·||r||, and
			// the 1-norm estimate κ̂ is 1–3 times κ, so 0.25·u·κ̂ bounds it.
			// The rounding error of r itself (about u·(||b|| + ||A||·||x||),
			// in no particular direction) is not amplified, because R⁻ᵀAᵀ
			// is nearly the orthogonal projection on range(A): only its
			// share √(d/n) in that d-dimensional range reaches c.
			floor[j] = unitRoundoff * (0.25*kappa*math.Sqrt(obj[j]) + shareD*(bn[j]+rnormF*xn[j]))
			switch {
			case cnorm[j] <= s.Tol*rn:
				done[j] = true
				info.Rule = "preconditioned gradient below tol·||r|| (S2)"
			case math.Sqrt(rr[j]) <= s.Tol*bn[j]:
				done[j] = true
				info.Rule = "residual below tol·||b|| (S1)"
			// A first round reaches the floor only when its own update
			// x += R⁻¹dy, rounded to about u·κ·||c₀||, is below it (small κ);
			// otherwise a second round runs (as in SPIR) before the floor
			// rules apply.
			case (info.Refinements >= 2 || (info.Refinements == 1 && unitRoundoff*kappa*c0[j] <= floor[j])) && cnorm[j] <= floor[j]:
				done[j] = true
				info.Rule = "limiting accuracy: gradient at the rounding floor u·(κ·||r|| + ||b|| + ||A||·||x||)"
			case info.Refinements >= 2 && cnorm[j] > 0.5*prev[j]:
				done[j] = true
				if cnorm[j] <= 8*floor[j] {
					info.Rule = "limiting accuracy: no further progress near the rounding floor"
				} else {
					stagnated = true
					info.Rule = "stagnated above the rounding floor"
				}
			}
			if round == 1 {
				c0[j] = cnorm[j]
			}
			prev[j] = cnorm[j]
			allDone = allDone && done[j]
		}
		info.History = append(info.History, solve.IterRecord{Iter: info.Iterations, Residual: worst, Objective: sum(obj), Elapsed: mon.Elapsed()})
		if allDone {
			status = solve.Converged
			if stagnated {
				status = solve.Stagnated
			}
			break
		}
		if status != solve.NotTerminated {
			break // canceled or out of time during the last inner solve; rr is now current
		}
		if round > s.MaxRefine || (s.MaxIter > 0 && info.Iterations >= s.MaxIter) {
			status = solve.IterationLimit
			info.Rule = "refinement or iteration limit"
			break
		}
		info.Refinements++
		etaMin := 1.0
		for j := 0; j < m; j++ {
			if done[j] || cnorm[j] == 0 {
				eta[j] = 0
				continue
			}
			// Solve to the accuracy this round can use: the tolerance, or the
			// rounding floor when that is higher.
			want := 0.5 * math.Max(s.Tol*math.Sqrt(obj[j]), floor[j])
			eta[j] = math.Min(0.5, math.Max(want/cnorm[j], 1e-15))
			etaMin = math.Min(etaMin, eta[j])
		}
		limit := roundCap(etaMin)
		if s.MaxIter > 0 {
			limit = min(limit, s.MaxIter-info.Iterations)
		}
		var dy *mat.Dense
		var st solve.Status
		if s.Inner == InnerLSQR && m == 1 && lam == 0 && src.operator() != nil {
			dy, st = innerLSQR(ctx, src.(*memSource), f, b, x, eta[0], limit, info, mon)
		} else {
			dy, st = innerCG(src, f, c, eta, lam, limit, info, mon)
		}
		f.rinv(dy)
		x.Add(x, dy)
		switch st {
		case solve.Canceled, solve.RuntimeLimit:
			status = st
			info.Rule = st.String()
		}
	}
	info.Status = status
	return rr
}

// innerCG solves M·Y = C for M = R⁻ᵀ(AᵀA + λI)R⁻¹ by conjugate gradients,
// one independent CG per column run in lockstep so that every iteration
// shares one fused pass over A (a gemm-rich block product for several
// columns). Column j stops when its recurrence residual is below
// eta[j]·||C_j||; eta[j] = 0 marks a column that needs no correction.
func innerCG(src source, f *factor, c *mat.Dense, eta []float64, lam float64, limit int, info *Info, mon *solve.Monitor) (*mat.Dense, solve.Status) {
	d, m := c.Dims()
	y := mat.NewDense(d, m, nil)
	res := mat.DenseCopyOf(c)
	p := mat.DenseCopyOf(c)
	z := mat.NewDense(d, m, nil)
	w := mat.NewDense(d, m, nil)
	rz := make([]float64, m)
	target := make([]float64, m)
	running := make([]bool, m)
	cn := colNorms(c)
	for j := 0; j < m; j++ {
		if eta[j] > 0 {
			running[j] = true
			rz[j] = cn[j] * cn[j]
			target[j] = (eta[j] * cn[j]) * (eta[j] * cn[j])
		} else {
			zeroCol(p, j)
			zeroCol(res, j)
		}
	}
	pq := make([]float64, m)
	rzNew := make([]float64, m)
	pd, rd, yd, wd := p.RawMatrix().Data, res.RawMatrix().Data, y.RawMatrix().Data, w.RawMatrix().Data
	for it := 1; it <= limit; it++ {
		z.Copy(p)
		f.rinv(z)
		src.gram(w, z)
		if lam > 0 {
			zd := z.RawMatrix().Data
			for i := range wd {
				wd[i] += lam * zd[i]
			}
		}
		f.rinvT(w) // w = M p
		clear(pq)
		for i := 0; i < d; i++ {
			for j := 0; j < m; j++ {
				pq[j] += pd[i*m+j] * wd[i*m+j]
			}
		}
		clear(rzNew)
		alpha := pq // reuse: alpha_j = rz_j / pq_j
		for j := 0; j < m; j++ {
			if !running[j] {
				alpha[j] = 0
				continue
			}
			if !(pq[j] > 0) {
				running[j] = false // loss of positive curvature: stop this column
				alpha[j] = 0
				continue
			}
			alpha[j] = rz[j] / pq[j]
		}
		for i := 0; i < d; i++ {
			for j := 0; j < m; j++ {
				a := alpha[j]
				yd[i*m+j] += a * pd[i*m+j]
				rd[i*m+j] -= a * wd[i*m+j]
				rzNew[j] += rd[i*m+j] * rd[i*m+j]
			}
		}
		info.Iterations++
		worst, any := 0.0, false
		for j := 0; j < m; j++ {
			if !running[j] {
				continue
			}
			worst = math.Max(worst, math.Sqrt(rzNew[j])/math.Max(cn[j], math.SmallestNonzeroFloat64))
			if rzNew[j] <= target[j] {
				running[j] = false
				zeroCol(p, j)
				continue
			}
			any = true
			beta := rzNew[j] / rz[j]
			rz[j] = rzNew[j]
			for i := 0; i < d; i++ {
				pd[i*m+j] = rd[i*m+j] + beta*pd[i*m+j]
			}
		}
		st, err := mon.Step(solve.IterRecord{Iter: info.Iterations, Residual: worst, Objective: math.NaN()})
		if err != nil || st != solve.NotTerminated {
			if err != nil {
				st = solve.Canceled
			}
			return y, st
		}
		if !any {
			break
		}
	}
	return y, solve.NotTerminated
}

// innerLSQR solves the correction problem min ||A R⁻¹ dy − r|| with LSQR on
// the operator A R⁻¹, r = b − A x (two passes per iteration). It returns
// dy (before the R⁻¹ the caller applies).
func innerLSQR(ctx context.Context, src *memSource, f *factor, b, x *mat.Dense, eta float64, limit int, info *Info, mon *solve.Monitor) (*mat.Dense, solve.Status) {
	n, d := src.dims()
	r := make([]float64, n)
	src.op.MulVecTo(r, false, colData(x))
	bd := colData(b)
	for i := range r {
		r[i] = bd[i] - r[i]
	}
	src.npass++
	op := &Preconditioned{src: src, f: f, tmp: mat.NewDense(d, 1, nil)}
	rec := solve.RecorderFunc(func(ir solve.IterRecord) error {
		info.Iterations++
		_, err := mon.Step(solve.IterRecord{Iter: info.Iterations, Residual: ir.Residual, Objective: ir.Objective})
		return err
	})
	res, err := solve.LSQR(ctx, op, r, nil, solve.LSQRSettings{
		Settings: solve.Settings{Tol: eta, MaxIter: max(limit, 1), Recorder: rec},
		Conlim:   -1,
	})
	dy := mat.NewDense(d, 1, nil)
	if res != nil {
		copy(colData(dy), res.X)
	}
	if err != nil {
		return dy, solve.Canceled
	}
	switch res.Status {
	case solve.Canceled, solve.RuntimeLimit:
		return dy, res.Status
	}
	return dy, solve.NotTerminated
}

func colNorms(a *mat.Dense) []float64 {
	raw := a.RawMatrix()
	out := make([]float64, raw.Cols)
	if raw.Cols == 1 {
		out[0] = solve.Norm2(raw.Data[:raw.Rows])
		if raw.Stride == 1 {
			return out
		}
	}
	for j := range out {
		out[j] = mat.Norm(a.ColView(j), 2)
	}
	return out
}

func scaled(a float64, x *mat.Dense) *mat.Dense {
	var t mat.Dense
	t.Scale(a, x)
	return &t
}

func zeroCol(a *mat.Dense, j int) {
	r, _ := a.Dims()
	for i := 0; i < r; i++ {
		a.Set(i, j, 0)
	}
}

func sum(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s
}

// frobTriangular returns ||R||_F, which estimates ||A||_F.
func frobTriangular(f *factor) float64 {
	var s float64
	for i := 0; i < f.d; i++ {
		for _, v := range f.r.Data[i*f.d+i : (i+1)*f.d] {
			s += v * v
		}
	}
	return math.Sqrt(s)
}
