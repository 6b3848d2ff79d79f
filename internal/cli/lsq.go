package cli

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/spf13/cobra"
	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/dataio"
	"github.com/sketchwork/sketchwork/solve"
	"github.com/sketchwork/sketchwork/solve/lsq"
)

// lsqJSON is the --json output of `sketchwork lsq`.
type lsqJSON struct {
	Status       string    `json:"status"`
	Method       string    `json:"method"`
	Reason       string    `json:"reason"`
	Rule         string    `json:"stop_rule"`
	Iterations   int       `json:"iterations"`
	Refinements  int       `json:"refinements"`
	ResidualNorm float64   `json:"residual_norm"`
	Objective    float64   `json:"objective"`
	Residuals    []float64 `json:"residual_norms,omitempty"`
	Objectives   []float64 `json:"objectives,omitempty"`
	Seconds      float64   `json:"seconds"`
	SketchRows   int       `json:"sketch_rows"`
	Passes       float64   `json:"passes"`
	Rcond        float64   `json:"rcond"`
	Phases       struct {
		Sketch  float64 `json:"sketch"`
		Factor  float64 `json:"factor"`
		Iterate float64 `json:"iterate"`
	} `json:"phase_seconds"`
	Rows      int     `json:"rows"`
	Cols      int     `json:"cols"`
	Responses int     `json:"responses"`
	Lambda    float64 `json:"lambda"`
	Seed      uint64  `json:"seed"`
	Out       string  `json:"out,omitempty"`
}

func newLsqCmd() *cobra.Command {
	var (
		aPath, bPath, bmPath, out, method, inner, gen string
		lambda, tol, eps                              float64
		seed                                          uint64
		maxIter, sketchRows, sketchNNZ                int
		asJSON, stream                                bool
		chunkMB                                       int
	)
	cmd := &cobra.Command{
		Use:   "lsq -A A.(npy|mtx|csv) -b b.(npy|csv) [flags]",
		Short: "Least squares, ridge and multiple-response regression by sketch-and-precondition",
		Long: `Solves min ||Ax - b||² + λ||x||² (or every column of -B) with the method of
--method: direct (Householder QR), sketch (sketch-and-solve), precond
(sparse-sign sketch-and-precondition with iterative refinement) or auto.
--stream solves a .npy/.mtx file larger than memory: one streaming pass for
the sketch, then one or two passes per iteration (reported as "passes").
Exit codes: 0 converged, 1 tolerance not met, 2 bad input.`,
		Args: cobra.NoArgs,
	}
	knobs := addKnobFlags(cmd.Flags())
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		m, err := lsq.ParseMethod(method)
		if err != nil {
			return badInput(err)
		}
		s := lsq.Settings{Method: m, Lambda: lambda, Tol: tol, MaxIter: maxIter, Seed: seed, SketchRows: sketchRows, SketchNNZ: sketchNNZ, Eps: eps}
		switch inner {
		case "auto":
		case "cg":
			s.Inner = lsq.InnerCG
		case "lsqr":
			s.Inner = lsq.InnerLSQR
		default:
			return badInputf("--inner %q: want auto, cg or lsqr", inner)
		}
		if (bPath == "") == (bmPath == "") && gen == "" {
			return badInputf("give exactly one of -b (one right-hand side) and -B (several)")
		}
		if (aPath == "") == (gen == "") {
			return badInputf("give exactly one of -A FILE and --gen NAME")
		}
		var (
			a     mat.Matrix
			b     *mat.Dense
			multi = bmPath != ""
		)
		if gen != "" {
			inst, err := knobs.generate(gen, seed)
			if err != nil {
				return badInput(err)
			}
			a = inst.A
			b = mat.NewDense(len(inst.B), 1, inst.B)
		} else if !stream {
			if a, err = dataio.ReadMatrix(aPath); err != nil {
				return badInput(err)
			}
		}
		if b == nil {
			if multi {
				bm, err := dataio.ReadMatrix(bmPath)
				if err != nil {
					return badInput(err)
				}
				b = mat.DenseCopyOf(bm)
			} else {
				v, err := dataio.ReadVector(bPath)
				if err != nil {
					return badInput(err)
				}
				b = mat.NewDense(len(v), 1, v)
			}
		}
		start := time.Now()
		var res *lsq.MultiResult
		if stream {
			if aPath == "" {
				return badInputf("--stream needs -A FILE")
			}
			res, err = lsq.SolveFileMulti(cmd.Context(), aPath, b, s, dataio.StreamOptions{ChunkBytes: chunkMB << 20})
		} else {
			res, err = lsq.SolveMulti(cmd.Context(), a, b, s)
		}
		if err != nil {
			if errors.Is(err, lsq.ErrInput) {
				return badInput(err)
			}
			return err
		}
		if out != "" {
			if multi {
				err = dataio.WriteMatrix(out, res.X)
			} else {
				err = dataio.WriteVector(out, mat.Col(nil, 0, res.X))
			}
			if err != nil {
				return badInput(err)
			}
		}
		d, cols := res.X.Dims()
		n, _ := b.Dims()
		j := lsqJSON{
			Status: res.Status.String(), Method: res.Method.String(), Reason: res.Reason, Rule: res.Rule,
			Iterations: res.Iterations, Refinements: res.Refinements,
			ResidualNorm: res.ResidualNorms[0], Objective: res.Objectives[0],
			Seconds: time.Since(start).Seconds(), SketchRows: res.SketchRows, Passes: res.Passes, Rcond: res.Rcond,
			Rows: n, Cols: d, Responses: cols, Lambda: lambda, Seed: seed, Out: out,
		}
		j.Phases.Sketch, j.Phases.Factor, j.Phases.Iterate = res.Phases.Sketch.Seconds(), res.Phases.Factor.Seconds(), res.Phases.Iterate.Seconds()
		if multi {
			j.Residuals, j.Objectives = res.ResidualNorms, res.Objectives
			j.ResidualNorm, j.Objective = norm(res.ResidualNorms), sumf(res.Objectives)
		}
		w := cmd.OutOrStdout()
		if asJSON {
			if err := writeJSON(w, j); err != nil {
				return err
			}
		} else {
			fmt.Fprintf(w, "%s: method %s (%s)\n", j.Status, j.Method, j.Reason)
			fmt.Fprintf(w, "  %dx%d, %d response(s), lambda %g, seed %d\n", j.Rows, j.Cols, j.Responses, lambda, seed)
			fmt.Fprintf(w, "  residual norm %.10g, objective %.10g\n", j.ResidualNorm, j.Objective)
			fmt.Fprintf(w, "  %d iterations in %d refinement rounds, %.1f passes over A, sketch rows %d, %.3f s\n",
				j.Iterations, j.Refinements, j.Passes, j.SketchRows, j.Seconds)
			if j.Rule != "" {
				fmt.Fprintf(w, "  stop rule: %s\n", j.Rule)
			}
			if out != "" {
				fmt.Fprintf(w, "  wrote %s\n", out)
			}
		}
		if res.Status != solve.Converged {
			return notMet(res.Status.Err())
		}
		return nil
	}
	f := cmd.Flags()
	f.StringVarP(&aPath, "matrix", "A", "", "matrix A (.npy, .mtx or .csv)")
	f.StringVarP(&bPath, "rhs", "b", "", "right-hand side b (.npy or .csv)")
	f.StringVarP(&bmPath, "responses", "B", "", "several right-hand sides as the columns of a matrix")
	f.StringVar(&gen, "gen", "", "generate A and b instead of reading files (see `sketchwork gen --help`)")
	f.Float64Var(&lambda, "lambda", 0, "ridge parameter λ >= 0")
	f.StringVar(&method, "method", "auto", "auto, direct, sketch or precond")
	f.StringVar(&inner, "inner", "auto", "correction solver of precond: auto, cg (one pass per iteration) or lsqr (two)")
	f.Float64Var(&tol, "tol", 0, fmt.Sprintf("relative tolerance (0 = %g)", lsq.DefaultTol))
	f.Float64Var(&eps, "eps", 0, fmt.Sprintf("sketch-and-solve target residual excess (0 = %g)", lsq.DefaultEps))
	f.IntVar(&maxIter, "max-iter", 0, "cap on inner iterations (0 = from the sketch's convergence rate)")
	f.IntVar(&sketchRows, "sketch-rows", 0, "sketch size s (0 = 4d for precond, 2(d+1)/eps for sketch)")
	f.IntVar(&sketchNNZ, "sketch-nnz", 0, "nonzeros per column of the sparse sign sketch (0 = 8)")
	f.Uint64Var(&seed, "seed", 1, "seed of the sketch (and of --gen)")
	f.StringVar(&out, "out", "", "write x (or X) to this .npy/.csv/.mtx file, atomically")
	f.BoolVar(&asJSON, "json", false, "print one JSON object")
	f.BoolVar(&stream, "stream", false, "stream A from its file (out of core) instead of loading it")
	f.IntVar(&chunkMB, "chunk-mb", 0, "memory per streamed chunk in MiB (0 = 8)")
	return cmd
}

func norm(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return math.Sqrt(s)
}

func sumf(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s
}
