package cli

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/dataio"
	"github.com/sketchwork/sketchwork/sketch"
)

type sketchJSON struct {
	Status  string  `json:"status"`
	Rows    int     `json:"rows"`
	Cols    int     `json:"cols"`
	InRows  int     `json:"input_rows"`
	Seconds float64 `json:"seconds"`
	Kind    string  `json:"kind"`
	Spec    string  `json:"spec"`
	Seed    uint64  `json:"seed"`
	Out     string  `json:"out"`
	Stream  bool    `json:"streamed"`
}

func newSketchCmd() *cobra.Command {
	var (
		in, out, kind  string
		rows, nnz      int
		seed           uint64
		asJSON, stream bool
		approx         bool
	)
	cmd := &cobra.Command{
		Use:   "sketch --in A.(npy|mtx|csv) --kind KIND --rows S --out SA.npy",
		Short: "Write the sketch S·A of a matrix file (isometry scaling: E[SᵀS] = I)",
		Long: `Applies a sketching operator to the rows of A and writes S·A (s x d). Kinds:
gaussian, srht, countsketch, sparse-sign (--nnz nonzeros per column, default 8),
uniform (row sampling) and leverage (leverage-score sampling; --approx for the
fast approximate scores). --stream reads A in one pass without loading it
(gaussian, countsketch, sparse-sign, uniform). The same seed gives the same
sketch on every machine and core count.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if in == "" || out == "" {
				return badInputf("--in and --out are required")
			}
			k, err := sketch.ParseKind(kind)
			if err != nil {
				return badInput(err)
			}
			if k == sketch.TensorSketch {
				return badInputf("--kind tensorsketch sketches tensor products, not matrix rows; use the sketch package")
			}
			if rows <= 0 {
				return badInputf("--rows must be a positive sketch size, got %d", rows)
			}
			spec := sketch.Spec{Kind: k, Rows: rows, NNZPerCol: nnz, Scaling: sketch.Isometry,
				Leverage: sketch.LeverageOptions{Approximate: approx}}
			start := time.Now()
			var (
				sa       *mat.Dense
				n        int
				resolved sketch.Spec
			)
			if stream {
				if !k.Streamable() || k == sketch.Leverage {
					return badInputf("--stream supports gaussian, countsketch, sparse-sign and uniform, not %s", k)
				}
				sa, n, resolved, err = sketchStream(in, spec, seed)
			} else {
				sa, n, resolved, err = sketchInMemory(in, spec, seed)
			}
			if err != nil {
				return badInput(err)
			}
			if err := dataio.WriteMatrix(out, sa); err != nil {
				return badInput(err)
			}
			r, c := sa.Dims()
			j := sketchJSON{Status: "ok", Rows: r, Cols: c, InRows: n, Seconds: time.Since(start).Seconds(), Kind: k.String(),
				Spec: resolved.String(), Seed: seed, Out: out, Stream: stream}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), j)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %dx%d sketch of %d rows, seed %d, %.3f s\n  wrote %s\n", j.Spec, r, c, n, seed, j.Seconds, out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&in, "in", "", "input matrix A (.npy, .mtx or .csv)")
	f.StringVar(&out, "out", "", "output file for S·A (.npy, .csv or .mtx), written atomically")
	f.StringVar(&kind, "kind", "sparse-sign", "gaussian, srht, countsketch, sparse-sign, uniform or leverage")
	f.IntVar(&rows, "rows", 0, "sketch size s (rows of S·A)")
	f.IntVar(&nnz, "nnz", 0, "nonzeros per column of a sparse-sign sketch (0 = 8)")
	f.Uint64Var(&seed, "seed", 1, "seed of the sketch")
	f.BoolVar(&approx, "approx", false, "leverage: approximate scores (sparse sign + Gaussian JL) instead of exact QR scores")
	f.BoolVar(&asJSON, "json", false, "print one JSON object")
	f.BoolVar(&stream, "stream", false, "read A in one streaming pass instead of loading it")
	return cmd
}

func sketchInMemory(path string, spec sketch.Spec, seed uint64) (*mat.Dense, int, sketch.Spec, error) {
	a, err := dataio.ReadMatrix(path)
	if err != nil {
		return nil, 0, spec, err
	}
	n, d := a.Dims()
	var sk *sketch.Sketch
	if spec.Kind == sketch.Leverage {
		sk, err = sketch.NewLeverage(spec, a, seed)
	} else {
		sk, err = sketch.New(spec, n, seed)
	}
	if err != nil {
		return nil, 0, spec, err
	}
	s, _ := sk.Dims()
	sa := mat.NewDense(s, d, nil)
	sk.Apply(sa, a)
	return sa, n, sk.Spec(), nil
}

func sketchStream(path string, spec sketch.Spec, seed uint64) (*mat.Dense, int, sketch.Spec, error) {
	st, err := dataio.OpenStream(path, dataio.StreamOptions{})
	if err != nil {
		return nil, 0, spec, err
	}
	defer st.Close()
	n, d := st.Dims()
	sk, err := sketch.New(spec, n, seed)
	if err != nil {
		return nil, 0, spec, err
	}
	acc, err := sk.NewAccumulator(d)
	if err != nil {
		return nil, 0, spec, err
	}
	for {
		c, err := st.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, 0, spec, err
		}
		if c.Dense != nil {
			err = acc.AddRows(c.First, c.Dense)
		} else {
			err = acc.AddEntries(c.Entries)
		}
		if err != nil {
			return nil, 0, spec, err
		}
	}
	return acc.SA(), n, sk.Spec(), nil
}
