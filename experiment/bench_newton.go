package experiment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/problems/softmax"
	"github.com/sketchwork/sketchwork/solve/newton"
)

// newtonAnchorOut is the JSON printed by bench/anchors/newton.py.
type newtonAnchorOut struct {
	NumPy   string `json:"numpy"`
	SciPy   string `json:"scipy"`
	BLAS    string `json:"blas"`
	Threads string `json:"threads"`
	Results map[string]struct {
		Seconds      float64  `json:"seconds"`
		SecondsToTol *float64 `json:"seconds_to_tol"`
		Iterations   int      `json:"iterations"`
		GradRel      float64  `json:"grad_rel"`
		Status       string   `json:"status"`
	} `json:"results"`
}

// benchNewton is `sketchwork bench newton`: G2 (d = 200, n = 1e5 and 1e6)
// for every loss, time to ‖g‖ ≤ 1e-10‖g_0‖ from x_0 = 0 for approximate
// Newton, exact Newton and gonum L-BFGS in-process, and NumPy exact Newton /
// SciPy L-BFGS-B from bench/anchors/newton.py.
func benchNewton() Experiment {
	return Experiment{
		Name:           "newton",
		Title:          "Newton",
		Paper:          newtonPaper,
		Claim:          "Approximate Newton (leverage-sampled Hessian, ε0 = 0.3, scores reused while D changes < 2x, safeguarded steps) on G2 (κ_A = 1e3, γ = 0.5, d = 200, n = 1e5 and 1e6), from x_0 = 0 to ‖g‖ ≤ 1e-10·‖g_0‖: at least 2x faster than NumPy exact Newton on the softmax loss, at most 15 iterations, and a sampled Hessian build well below (≤ 0.5x) the exact one at d = 200.",
		Reconstruction: newtonRecon,
		Run: func(ctx context.Context, cfg Config) (*Outcome, error) {
			ns, d := []int{100000, 1000000}, 200
			reps := map[int]int{100000: 3, 1000000: 1}
			if !cfg.Full {
				ns, d = []int{20000}, 50
				reps = map[int]int{20000: 3}
			}
			const tol = 1e-10
			o := &Outcome{}
			t := Table{Title: fmt.Sprintf("G2 (κ_A = 1e3, γ = 0.5), d = %d, x_0 = 0, target ‖g‖ ≤ %g·‖g_0‖: seconds to target (iterations, reached ‖g‖/‖g_0‖)", d, tol),
				Header: []string{"n", "loss", "approx. Newton", "exact Newton", "gonum L-BFGS", "NumPy Newton", "SciPy L-BFGS-B", "NumPy/ours", "exact/ours"}}
			pt := Table{Title: "Per-iteration cost (median over the approximate and exact Newton runs above)",
				Header: []string{"n", "loss", "sampled rows", "sampled build s", "of which leverage s", "exact build s", "build ratio", "approx s/iter", "exact s/iter"}}
			softFast, itersOK, buildOK := true, true, true
			var fastDetail, itDetail, buildDetail []string
			anchorNote := ""
			var floors []string // losses whose run ends at a rounding floor above tol
			steps := float64(len(ns) * 3)
			step := 0
			for _, n := range ns {
				spec := softmax.GenSpec{Kind: "G2", N: n, D: d, Seed: cfg.Seed}
				a, err := softmax.Generate(spec)
				if err != nil {
					return nil, err
				}
				for _, m := range newtonModels() {
					if err := ctx.Err(); err != nil {
						return nil, err
					}
					in, err := softmax.PlantInstance(spec, a, m, 0.5, 0)
					if err != nil {
						return nil, err
					}
					p, err := in.Problem()
					if err != nil {
						return nil, err
					}
					x0 := make([]float64, d)
					opts := newton.Options{GradTol: tol, MaxIter: 100}
					// Approximate Newton: median time of reps runs.
					var ap *newton.Result
					var times []float64
					for r := 0; r < reps[n]; r++ {
						o := opts
						o.Hessian = newton.Sampled{Seed: cfg.Seed + uint64(r), ReuseScores: true}
						res, err := newton.Minimize(ctx, p, x0, o)
						if err != nil {
							return nil, err
						}
						times = append(times, res.Stats.Runtime.Seconds())
						if ap == nil {
							ap = res
						}
					}
					tAp := median(times)
					// Exact Newton (our kernels, safeguarded).
					o2 := opts
					o2.Hessian = newton.Exact{}
					ex, err := newton.Minimize(ctx, p, x0, o2)
					if err != nil {
						return nil, err
					}
					// gonum L-BFGS, capped at 60 s.
					o3 := opts
					o3.MaxIter = 5000
					o3.MaxTime = 60 * time.Second
					lb, err := newton.MinimizeGonum(ctx, p, x0, newton.LBFGS, o3)
					if err != nil {
						return nil, err
					}
					// Anchors.
					an, aerr := runNewtonAnchor(in, m, tol)
					npCell, spCell, ratio := "skipped", "skipped", "—"
					if aerr != nil {
						if !errors.Is(aerr, errSkipped) {
							return nil, aerr
						}
						anchorNote = aerr.Error()
					} else {
						anchorNote = fmt.Sprintf("Anchors: NumPy %s, SciPy %s, BLAS %s, OPENBLAS_NUM_THREADS=%s (bench/anchors/newton.py, same instance files, same run).", an.NumPy, an.SciPy, an.BLAS, an.Threads)
						if r, ok := an.Results["newton"]; ok {
							npCell = anchorCell(r.Seconds, r.SecondsToTol, r.Iterations, r.GradRel)
							if r.SecondsToTol != nil {
								ratio = fmt.Sprintf("%.2f", *r.SecondsToTol/tAp)
								if m.Kind == "softmax" {
									ok := *r.SecondsToTol >= 2*tAp && ap.Status.String() == "converged"
									softFast = softFast && ok
									fastDetail = append(fastDetail, fmt.Sprintf("n=%d: NumPy %.2f s vs ours %.2f s (%.2fx)", n, *r.SecondsToTol, tAp, *r.SecondsToTol/tAp))
								}
							}
						}
						if r, ok := an.Results["lbfgsb"]; ok {
							spCell = anchorCell(r.Seconds, r.SecondsToTol, r.Iterations, r.GradRel)
						}
					}
					t.AddRow(n, m.Name(), resultCell(ap, tAp), resultCell(ex, ex.Stats.Runtime.Seconds()), resultCell(lb, lb.Stats.Runtime.Seconds()),
						npCell, spCell, ratio, fmt.Sprintf("%.2f", ex.Stats.Runtime.Seconds()/tAp))
					ok := ap.Stats.Iterations <= 15 && ap.Status.String() == "converged"
					itersOK = itersOK && ok
					if ap.Status.String() == "converged" {
						itDetail = append(itDetail, fmt.Sprintf("%s n=%d: %d", m.Kind, n, ap.Stats.Iterations))
					} else {
						itDetail = append(itDetail, fmt.Sprintf("%s n=%d: %d, %s at ‖g‖/‖g_0‖ = %.1e", m.Kind, n, ap.Stats.Iterations, ap.Status, ap.GradNorm/ap.Grad0))
						if ex.Status.String() != "converged" {
							floors = append(floors, fmt.Sprintf("%s n=%d (approximate Newton %.1e, exact Newton %.1e)", m.Name(), n, ap.GradNorm/ap.Grad0, ex.GradNorm/ex.Grad0))
						}
					}
					// Per-iteration cost.
					sb, lev, rows, sit := buildStats(ap)
					eb, _, _, eit := buildStats(ex)
					pt.AddRow(n, m.Name(), rows, sb, lev, eb, sb/eb, sit, eit)
					if d >= 100 {
						buildOK = buildOK && sb <= 0.5*eb
						buildDetail = append(buildDetail, fmt.Sprintf("%s n=%d: %.2f", m.Kind, n, sb/eb))
					}
					step++
					cfg.Report(float64(step) / steps)
				}
			}
			o.Tables = append(o.Tables, t, pt)
			if len(fastDetail) > 0 {
				o.Check("softmax: ≥ 2x faster than NumPy exact Newton", softFast, "%s", joinShort(fastDetail))
			} else {
				o.Note("NumPy anchor unavailable: the 2x target was not measured.")
			}
			o.Check("approximate Newton within 15 iterations", itersOK, "%s", joinShort(itDetail))
			if len(floors) > 0 {
				o.Note("Floating-point floor above the target: %s. Exact Newton, with the exact Hessian, stalls at the same level, so the floor is the rounding error of the computed gradient, not an effect of sampling; the stagnation rule (best ‖g‖ not halved in 5 iterations) ends both runs.", strings.Join(floors, "; "))
			}
			if d >= 100 {
				o.Check("sampled Hessian build ≤ 0.5x the exact build at d = 200", buildOK, "median build-time ratios %s (sampled builds average in the iterations where scores are reused)", joinShort(buildDetail))
			}
			o.Note("%s", anchorNote)
			o.Note("Cells: seconds to the target (iterations, reached ‖g‖/‖g_0‖); a method that stops early shows its total time and the ‖g‖ it reached. NumPy Newton is exact Newton with Armijo backtracking written with NumPy/LAPACK (A.T @ (D*A) per iteration); SciPy L-BFGS-B runs with gtol = ftol = 0 until its line search fails or 1000 iterations. gonum L-BFGS is capped at 60 s.")
			return o, nil
		},
	}
}

// resultCell formats "seconds (iterations, ‖g‖/‖g_0‖)" for an in-process run.
func resultCell(r *newton.Result, secs float64) string {
	s := fmt.Sprintf("%.3g s (%d, %.1e)", secs, r.Stats.Iterations, r.GradNorm/r.Grad0)
	if r.Status.String() != "converged" {
		s += " " + r.Status.String()
	}
	return s
}

func anchorCell(secs float64, toTol *float64, iters int, rel float64) string {
	if toTol != nil {
		return fmt.Sprintf("%.3g s (%d, %.1e)", *toTol, iters, rel)
	}
	return fmt.Sprintf("%.3g s (%d, %.1e) not reached", secs, iters, rel)
}

// buildStats returns the median Hessian build time, leverage time, rows and
// iteration time over a run's iterations.
func buildStats(r *newton.Result) (build, lev float64, rows int, iter float64) {
	var bs, ls, its []float64
	var rs []float64
	for _, it := range r.Iters[:max(0, len(r.Iters)-1)] {
		bs = append(bs, (it.Build.LeverageTime + it.Build.GramTime + it.Build.LowRankTime).Seconds())
		ls = append(ls, it.Build.LeverageTime.Seconds())
		its = append(its, it.IterTime.Seconds())
		rs = append(rs, float64(it.Samples))
	}
	if len(bs) == 0 {
		return math.NaN(), math.NaN(), 0, math.NaN()
	}
	return median(bs), median(ls), int(median(rs)), median(its)
}

// runNewtonAnchor writes the instance to a temporary directory and runs
// bench/anchors/newton.py on it.
func runNewtonAnchor(in *softmax.Instance, m softmax.Model, tol float64) (*newtonAnchorOut, error) {
	dense, ok := in.A.(*mat.Dense)
	if !ok {
		return nil, fmt.Errorf("%w: the NumPy anchor needs dense A", errSkipped)
	}
	dir, err := os.MkdirTemp("", "sketchwork-newton-anchor-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	n, d := dense.Dims()
	raw := dense.RawMatrix()
	data := raw.Data
	if raw.Stride != d {
		data = mat.DenseCopyOf(dense).RawMatrix().Data
	}
	if err := writeRaw(filepath.Join(dir, "A.bin"), data); err != nil {
		return nil, err
	}
	if err := writeRaw(filepath.Join(dir, "b.bin"), in.B); err != nil {
		return nil, err
	}
	w := in.W
	if w == nil {
		w = make([]float64, n)
	}
	if err := writeRaw(filepath.Join(dir, "w.bin"), w); err != nil {
		return nil, err
	}
	if m.Kind == "two-layer" {
		if _, ok := m.Phi.(softmax.Softplus); !ok && m.Phi != nil {
			return nil, fmt.Errorf("%w: the anchor implements the softplus two-layer loss only", errSkipped)
		}
	}
	h := map[string]any{"n": n, "d": d, "loss": m.Kind, "tol": tol, "max_iter": 100, "lbfgs_max_iter": 1000, "time_limit": 120, "run": []string{"newton", "lbfgsb"}}
	hb, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "header.json"), hb, 0o644); err != nil {
		return nil, err
	}
	var out newtonAnchorOut
	if err := runAnchor("newton.py", dir, 15*time.Minute, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
