package cli

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/dataio"
	"github.com/sketchwork/sketchwork/problems/softmax"
	"github.com/sketchwork/sketchwork/solve"
	"github.com/sketchwork/sketchwork/solve/newton"
)

// newtonJSON is the --json output of `sketchwork newton`.
type newtonJSON struct {
	Status         string  `json:"status"`
	StopRule       string  `json:"stop_rule"`
	Iterations     int     `json:"iterations"`
	Objective      float64 `json:"objective"`
	GradNorm       float64 `json:"grad_norm"`
	GradNorm0      float64 `json:"grad_norm0"`
	GradNormRel    float64 `json:"grad_norm_rel"`
	Seconds        float64 `json:"seconds"`
	HessianSamples int     `json:"hessian_samples"`
	Loss           string  `json:"loss"`
	Method         string  `json:"method"`
	Hessian        string  `json:"hessian,omitempty"`
	Mode           string  `json:"mode,omitempty"`
	Rows           int     `json:"rows"`
	Cols           int     `json:"cols"`
	NNZ            int     `json:"nnz"`
	Seed           uint64  `json:"seed"`
	Error          string  `json:"error,omitempty"`
	Note           string  `json:"note,omitempty"`
	Out            string  `json:"out,omitempty"`
}

func newNewtonCmd() *cobra.Command {
	var (
		lossName, act, aPath, bPath, wPath, x0Path, hess, method, mode, gen, out string
		gamma, eps0, tol, theta, beta, kappa                                     float64
		n, d, rowNNZ, maxIter                                                    int
		seed                                                                     uint64
		asJSON                                                                   bool
	)
	cmd := &cobra.Command{
		Use:   "newton --loss softmax|resnet-softmax|two-layer -A A.(npy|mtx|csv) -b b.npy [flags]",
		Short: "Approximate Newton for softmax regression, ResNet+softmax and two-layer regression",
		Long: `Minimizes ½‖φ(u(Ax)/⟨u(Ax),1⟩) − b‖² + ½‖w∘Ax‖² (newton-regressions.md):
  softmax         u = exp, φ = id                 (DLS23)
  resnet-softmax  u = e^t + t, φ = id, α ≥ β      (ResNet+softmax, section 4)
  two-layer       u = exp, φ = --activation       (two-layer, reading R1 of section 5.2)
with the approximate Newton method of section 6: a leverage-score sampled
Hessian (--hessian sampled, ε0 = --eps0) or the exact one, safeguarded steps
(Armijo + damping, then unit steps) or the papers' pure unit steps
(--mode unit). --method lbfgs|gd runs gonum's L-BFGS or gradient descent
instead. --reg-gamma G sets w_i = √G/n for every row; --reg-weights gives w.
--gen G1|G2|G3 generates a planted instance (section 8.1) with --n, --d,
--kappa (G2) and --row-nnz (G3); it regularizes with γ = 0.5 unless told.
Stops when ‖g‖ ≤ --tol·‖g_0‖. Exit codes: 0 converged, 1 tolerance not met,
2 bad input (shape mismatch, NaN, α ≤ β for ResNet at x0, unknown loss).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			model := softmax.Model{Kind: lossName, Beta: beta}
			switch lossName {
			case "softmax", "resnet-softmax":
				if f.Changed("activation") {
					return badInputf("--activation applies to --loss two-layer only")
				}
			case "two-layer":
				switch act {
				case "softplus":
					model.Phi = softmax.Softplus{}
				case "square":
					model.Phi = softmax.Square{}
				case "relu":
					// θ is set once n is known (default 1/n).
				default:
					return badInputf("--activation %q: want softplus, relu or square", act)
				}
			default:
				return badInputf("unknown --loss %q: want softmax, resnet-softmax or two-layer", lossName)
			}
			if f.Changed("reg-weights") && f.Changed("reg-gamma") {
				return badInputf("give at most one of --reg-weights and --reg-gamma")
			}
			if f.Changed("reg-gamma") && !(gamma >= 0) {
				return badInputf("--reg-gamma %g: want γ ≥ 0", gamma)
			}
			var builder newton.HessianBuilder
			switch hess {
			case "sampled":
				if !(eps0 > 0 && eps0 < 1) {
					return badInputf("--eps0 %g: want 0 < ε0 < 1", eps0)
				}
				builder = newton.Sampled{Eps0: eps0, Seed: seed, ReuseScores: true}
			case "exact":
				builder = newton.Exact{}
			default:
				return badInputf("--hessian %q: want sampled or exact", hess)
			}
			var stepMode newton.Mode
			switch mode {
			case "safeguarded":
				stepMode = newton.Safeguarded
			case "unit":
				stepMode = newton.UnitStep
			default:
				return badInputf("--mode %q: want safeguarded or unit", mode)
			}
			var gm newton.GonumMethod
			switch method {
			case "newton":
			case "lbfgs":
				gm = newton.LBFGS
			case "gd":
				gm = newton.GradientDescent
			default:
				return badInputf("--method %q: want newton, lbfgs or gd", method)
			}
			if maxIter < 0 || !(tol > 0) {
				return badInputf("--max-iter must be ≥ 0 and --tol > 0")
			}
			if (aPath == "") == (gen == "") {
				return badInputf("give exactly one of -A FILE and --gen G1|G2|G3")
			}

			// Data.
			var (
				a mat.Matrix
				b []float64
				w []float64
			)
			if gen != "" {
				if bPath != "" {
					return badInputf("--gen plants b itself; drop -b")
				}
				spec := softmax.GenSpec{Kind: gen, N: n, D: d, KappaA: kappa, RowNNZ: rowNNZ, Seed: seed}
				am, err := softmax.Generate(spec)
				if err != nil {
					return badInput(err)
				}
				planting := model
				if lossName == "two-layer" && act == "relu" {
					planting.Phi = softmax.ReLUShift{Theta: reluTheta(theta, n)}
				}
				g := 0.5
				if f.Changed("reg-gamma") {
					g = gamma
				}
				in, err := softmax.PlantInstance(spec, am, planting, g, 0)
				if err != nil {
					return badInput(err)
				}
				a, b, w = in.A, in.B, in.W
			} else {
				if bPath == "" {
					return badInputf("-A needs -b")
				}
				var err error
				if a, err = dataio.ReadMatrix(aPath); err != nil {
					return badInput(err)
				}
				if b, err = dataio.ReadVector(bPath); err != nil {
					return badInput(err)
				}
			}
			rows, cols := a.Dims()
			if len(b) != rows {
				return badInputf("b has %d entries but A has %d rows", len(b), rows)
			}
			for i, v := range b {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return badInputf("b[%d] = %v is not finite", i, v)
				}
			}
			if lossName == "two-layer" && act == "relu" {
				model.Phi = softmax.ReLUShift{Theta: reluTheta(theta, rows)}
			}
			if wPath != "" {
				var err error
				if w, err = dataio.ReadVector(wPath); err != nil {
					return badInput(err)
				}
			} else if f.Changed("reg-gamma") && gamma > 0 {
				w = softmax.RegWeights(rows, gamma)
			} else if f.Changed("reg-gamma") {
				w = nil
			}
			loss, err := model.Loss(b)
			if err != nil {
				return badInput(err)
			}
			p, err := newton.NewProblem(a, loss, w)
			if err != nil {
				return badInput(err)
			}
			x0 := make([]float64, cols)
			if x0Path != "" {
				v, err := dataio.ReadVector(x0Path)
				if err != nil {
					return badInput(err)
				}
				if len(v) != cols {
					return badInputf("x0 has %d entries but A has %d columns", len(v), cols)
				}
				x0 = v
			}

			// Solve.
			opts := newton.Options{Hessian: builder, Mode: stepMode, GradTol: tol, MaxIter: maxIter}
			start := time.Now()
			var res *newton.Result
			if method == "newton" {
				res, err = newton.Minimize(cmd.Context(), p, x0, opts)
			} else {
				res, err = newton.MinimizeGonum(cmd.Context(), p, x0, gm, opts)
			}
			if err != nil {
				// Errors before the first iteration are bad input: a NaN or
				// wrong-length x0, or a start outside the loss's domain (the
				// ResNet guard α ≥ β).
				return badInput(err)
			}
			secs := time.Since(start).Seconds()
			if out != "" {
				if err := dataio.WriteVector(out, res.X); err != nil {
					return badInput(err)
				}
			}
			rel := 0.0
			if res.Grad0 > 0 {
				rel = res.GradNorm / res.Grad0
			}
			j := newtonJSON{
				Status: res.Status.String(), StopRule: string(res.StopRule), Iterations: res.Stats.Iterations,
				Objective: res.Objective, GradNorm: res.GradNorm, GradNorm0: res.Grad0, GradNormRel: rel,
				Seconds: secs, HessianSamples: res.Samples, Loss: model.Name(), Method: method,
				Rows: rows, Cols: cols, NNZ: p.NNZ(), Seed: seed, Out: out,
			}
			if method == "newton" {
				j.Hessian, j.Mode = builder.Name(), stepMode.String()
			}
			if res.Err != nil {
				j.Error = res.Err.Error()
			}
			if lossName == "two-layer" {
				j.Note = "two-layer loss in reading R1 of newton-regressions.md section 5.2 (a reconstruction)"
			}
			if res.Grad0 == 0 {
				j.Note = strings.TrimPrefix(j.Note+"; ", "; ") + "x0 is a stationary point (‖g_0‖ = 0); with --activation relu, x = 0 gives f = 1/n = θ, the kink: pass --x0 or another --theta"
			}
			wr := cmd.OutOrStdout()
			if asJSON {
				if err := writeJSON(wr, j); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(wr, "%s (%s rule): %s, %s\n", j.Status, j.StopRule, j.Loss, describeMethod(j))
				fmt.Fprintf(wr, "  %dx%d (%d stored entries), seed %d\n", rows, cols, j.NNZ, seed)
				fmt.Fprintf(wr, "  objective %.12g, ‖g‖ %.4g (%.3g of ‖g_0‖)\n", j.Objective, j.GradNorm, j.GradNormRel)
				fmt.Fprintf(wr, "  %d iterations, %d Hessian rows in total, %.3f s\n", j.Iterations, j.HessianSamples, secs)
				if j.Error != "" {
					fmt.Fprintf(wr, "  %s\n", j.Error)
				}
				if j.Note != "" {
					fmt.Fprintf(wr, "  note: %s\n", j.Note)
				}
				if out != "" {
					fmt.Fprintf(wr, "  wrote %s\n", out)
				}
			}
			if res.Status != solve.Converged {
				e := res.Status.Err()
				if res.Err != nil {
					e = fmt.Errorf("%w: %v", e, res.Err)
				}
				return notMet(e)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&lossName, "loss", "softmax", "softmax, resnet-softmax or two-layer")
	f.StringVar(&act, "activation", "softplus", "second activation of two-layer: softplus, relu (max(t−θ,0)) or square")
	f.Float64Var(&theta, "theta", 0, "ReLU threshold θ (0 = 1/n)")
	f.Float64Var(&beta, "beta", 0, fmt.Sprintf("ResNet guard β: α(x) ≥ β is required (0 = %g)", softmax.DefaultBeta))
	f.StringVarP(&aPath, "matrix", "A", "", "matrix A (.npy, .mtx or .csv)")
	f.StringVarP(&bPath, "target", "b", "", "targets b (.npy or .csv)")
	f.StringVar(&wPath, "reg-weights", "", "regularization weights w, one per row (.npy or .csv)")
	f.Float64Var(&gamma, "reg-gamma", 0, "regularization γ: w_i = √γ/n for every row")
	f.StringVar(&x0Path, "x0", "", "starting point (default 0)")
	f.StringVar(&hess, "hessian", "sampled", "sampled (leverage scores, section 2.4) or exact")
	f.Float64Var(&eps0, "eps0", newton.DefaultEps0, "target spectral accuracy ε0 of the sampled Hessian")
	f.StringVar(&method, "method", "newton", "newton, lbfgs or gd (gonum baselines)")
	f.StringVar(&mode, "mode", "safeguarded", "safeguarded (Armijo + damping, then unit steps) or unit (the papers' method)")
	f.Float64Var(&tol, "tol", newton.DefaultGradTol, "stop when ‖g‖ ≤ tol·‖g_0‖")
	f.IntVar(&maxIter, "max-iter", 0, fmt.Sprintf("iteration cap (0 = %d)", newton.DefaultMaxIter))
	f.Uint64Var(&seed, "seed", 1, "seed of the sampled Hessian (and of --gen)")
	f.StringVar(&out, "out", "", "write x to this .npy/.csv file, atomically")
	f.BoolVar(&asJSON, "json", false, "print one JSON object")
	f.StringVar(&gen, "gen", "", "generate a planted instance: G1, G2 or G3 (section 8.1)")
	f.IntVar(&n, "n", 10000, "rows of the generated A")
	f.IntVar(&d, "d", 50, "columns of the generated A")
	f.Float64Var(&kappa, "kappa", 0, "κ_A of G2 (0 = 1e3)")
	f.IntVar(&rowNNZ, "row-nnz", 0, "nonzeros per row of G3 (0 = 5)")
	return cmd
}

func reluTheta(theta float64, n int) float64 {
	if theta > 0 {
		return theta
	}
	return 1 / float64(max(1, n))
}

func describeMethod(j newtonJSON) string {
	if j.Method != "newton" {
		return strings.ToUpper(j.Method[:1]) + j.Method[1:] + " (gonum)"
	}
	return fmt.Sprintf("Newton with %s Hessian, %s steps", j.Hessian, j.Mode)
}
