package sketch

import (
	"fmt"
	"github.com/sketchwork/sketchwork/internal/simd"
	"math"
	"sort"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/internal/par"
	"github.com/sketchwork/sketchwork/internal/rng"
)

// sampleUnit is the number of sampled rows per parallel block.
const sampleUnit = 256

// NewSampling returns a row-sampling sketch (spec.Kind must be Leverage)
// for an n-row matrix, n = len(scores): s = spec.Rows rows are drawn
// independently with replacement, row i with probability
// p_i = (1-Mix)·scores_i/Σscores + Mix/n, and scaled by 1/√(s·p_i)
// (Isometry, so E[SᵀS] = I) or 1/√(n·p_i) (Natural). scores are any
// nonnegative importance scores: leverage scores, their approximations,
// squared row norms. Draw k uses the counter value at k, so a sketch with
// more rows extends one with fewer. A negative, NaN or infinite score, or
// all-zero scores, is an error.
func NewSampling(spec Spec, scores []float64, seed uint64) (*Sketch, error) {
	if spec.Kind != Leverage {
		return nil, specErr("NewSampling builds Leverage (importance) sampling sketches, got kind %s", spec.Kind)
	}
	n := len(scores)
	sp, err := spec.resolve(n)
	if err != nil {
		return nil, err
	}
	p, err := probabilities(scores, sp.Leverage.Mix)
	if err != nil {
		return nil, err
	}
	cdf := make([]float64, n)
	acc := 0.0
	for i, v := range p {
		acc += v
		cdf[i] = acc
	}
	s := sp.Rows
	sk := &Sketch{spec: sp, n: n, seed: seed, scale: 1, idx: make([]int, s), w: make([]float64, s)}
	c := rng.NewCounter(rng.Key(seed, "sketch", Leverage.String(), "draws"))
	norm := float64(n)
	if sp.Scaling == Isometry {
		norm = float64(s)
	}
	for k := range sk.idx {
		u := rng.Unit(c.At(uint64(k))) * cdf[n-1]
		i := sort.Search(n, func(j int) bool { return cdf[j] > u })
		i = min(i, n-1)
		sk.idx[k] = i
		sk.w[k] = 1 / math.Sqrt(norm*p[i])
	}
	return sk, nil
}

// probabilities normalises nonnegative scores and mixes in mix·uniform.
func probabilities(scores []float64, mix float64) ([]float64, error) {
	n := len(scores)
	if n == 0 {
		return nil, fmt.Errorf("sketch: no scores to sample from")
	}
	total := 0.0
	for i, v := range scores {
		if !(v >= 0) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("sketch: score %d is %v, need a finite value >= 0", i, v)
		}
		total += v
	}
	if !(total > 0) || math.IsInf(total, 0) {
		return nil, fmt.Errorf("sketch: scores sum to %v, need a positive finite sum", total)
	}
	p := make([]float64, n)
	for i, v := range scores {
		p[i] = (1-mix)*v/total + mix/float64(n)
	}
	return p, nil
}

// NewLeverage returns a leverage-score sampling sketch for a (spec.Kind must
// be Leverage): exact scores from a thin QR (LeverageScores), or the fast
// approximation when spec.Leverage.Approximate is set (ApproxLeverageScores,
// with a seed derived from seed), then NewSampling. A rank-deficient a is an
// error. The sketch can then be applied to a, or to [a b].
func NewLeverage(spec Spec, a mat.Matrix, seed uint64) (*Sketch, error) {
	if spec.Kind != Leverage {
		return nil, specErr("NewLeverage builds Leverage sketches, got kind %s", spec.Kind)
	}
	n, _ := a.Dims()
	if _, err := spec.resolve(n); err != nil {
		return nil, err
	}
	var scores []float64
	var err error
	if spec.Leverage.Approximate {
		scores, err = ApproxLeverageScores(a, ApproxOptions{
			SketchRows: spec.Leverage.SketchRows,
			GaussCols:  spec.Leverage.GaussCols,
		}, rng.Key(seed, "sketch", "leverage", "scores"))
	} else {
		scores, err = LeverageScores(a)
	}
	if err != nil {
		return nil, err
	}
	return NewSampling(spec, scores, seed)
}

// sampleApply sets out row k = w_k · (row idx_k of A).
func (sk *Sketch) sampleApply(out blas64.General, src source) {
	d := src.d
	par.Blocks(len(sk.idx), sampleUnit, func(_, lo, hi int) {
		for k := lo; k < hi; k++ {
			o := out.Data[k*out.Stride : k*out.Stride+d]
			w := sk.w[k]
			if src.isDense {
				for j, v := range src.row(sk.idx[k]) {
					o[j] = w * v
				}
				continue
			}
			clear(o)
			cols, vals := src.rows.SparseRow(sk.idx[k])
			for t, c := range cols {
				o[c] = w * vals[t]
			}
		}
	})
}

// sampleApplyT sets out (n x k) = Sᵀ y: row idx_k of the result gathers
// w_k·y_k, in draw order (a row drawn twice gets both contributions).
func (sk *Sketch) sampleApplyT(out, y blas64.General) {
	k := y.Cols
	for i := 0; i < out.Rows; i++ {
		clear(out.Data[i*out.Stride : i*out.Stride+k])
	}
	for q, i := range sk.idx {
		simd.Axpy(out.Data[i*out.Stride:i*out.Stride+k], sk.w[q], y.Data[q*y.Stride:q*y.Stride+k])
	}
}

// SampleMode selects how SampleRows draws.
type SampleMode int

const (
	// WithReplacement draws exactly s rows independently, row i with
	// probability p_i, weight 1/√(s·p_i).
	WithReplacement SampleMode = iota
	// Poisson keeps each row independently with probability
	// q_i = min(1, s·p_i), weight 1/√q_i: about s rows (at most s in
	// expectation), no duplicates, indices increasing.
	Poisson
)

// RowSample is a set of sampled rows with the weights that make the sample
// unbiased: Σ_k Weight[k]²·a_{Index[k]}a_{Index[k]}ᵀ has expectation AᵀA
// (and similarly for AᵀDA with a diagonal D, the use in Newton Hessian
// sampling).
type RowSample struct {
	Index  []int
	Weight []float64
}

// SampleRows draws rows from nonnegative importance scores (normalised
// internally to p_i = scores_i/Σscores) for other packages (for example a
// sampled Newton Hessian). Draws use counter-based randomness keyed by seed:
// the same arguments give the same sample on any machine. Bad scores
// (negative, NaN, Inf, all zero) or s < 1 are errors.
func SampleRows(scores []float64, s int, mode SampleMode, seed uint64) (RowSample, error) {
	if s < 1 {
		return RowSample{}, fmt.Errorf("sketch: SampleRows needs s >= 1, got %d", s)
	}
	p, err := probabilities(scores, 0)
	if err != nil {
		return RowSample{}, err
	}
	n := len(p)
	c := rng.NewCounter(rng.Key(seed, "sketch", "sample-rows", fmt.Sprint(int(mode))))
	var out RowSample
	switch mode {
	case WithReplacement:
		cdf := make([]float64, n)
		acc := 0.0
		for i, v := range p {
			acc += v
			cdf[i] = acc
		}
		out.Index = make([]int, s)
		out.Weight = make([]float64, s)
		for k := range out.Index {
			u := rng.Unit(c.At(uint64(k))) * cdf[n-1]
			i := min(n-1, sort.Search(n, func(j int) bool { return cdf[j] > u }))
			out.Index[k] = i
			out.Weight[k] = 1 / math.Sqrt(float64(s)*p[i])
		}
	case Poisson:
		for i, pi := range p {
			q := math.Min(1, float64(s)*pi)
			if q > 0 && rng.Unit(c.At(uint64(i))) < q {
				out.Index = append(out.Index, i)
				out.Weight = append(out.Weight, 1/math.Sqrt(q))
			}
		}
	default:
		return RowSample{}, fmt.Errorf("sketch: unknown sample mode %d", int(mode))
	}
	return out, nil
}
