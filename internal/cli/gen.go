package cli

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/sketchwork/sketchwork/dataio"
	"github.com/sketchwork/sketchwork/internal/fileutil"
	"github.com/sketchwork/sketchwork/linalg"
	"github.com/sketchwork/sketchwork/linalg/testmat"
)

func newGenCmd() *cobra.Command {
	var (
		out    string
		seed   uint64
		format string
	)
	cmd := &cobra.Command{
		Use:   "gen NAME --out DIR",
		Short: "Write a generated test instance (matrix, right-hand side, known solution) to files",
		Long: "Generates a seeded least-squares instance and writes DIR/A.npy (A.mtx for sparse\n" +
			"generators, or --format), DIR/b.npy, DIR/x_star.npy when the exact solution is known,\n" +
			"and DIR/meta.json with the parameters, seed, OPT and target kappa.\n\nGenerators:\n" + generatorList(),
		Args: cobra.ExactArgs(1),
	}
	knobs := addKnobFlags(cmd.Flags())
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if out == "" {
			return badInputf("--out DIR is required")
		}
		inst, err := knobs.generate(args[0], seed)
		if err != nil {
			return badInput(err)
		}
		if err := os.MkdirAll(out, 0o755); err != nil {
			return err
		}
		ext := format
		if ext == "" {
			ext = "npy"
			if _, ok := inst.A.(*linalg.CSR); ok {
				ext = "mtx"
			}
		}
		if ext != "npy" && ext != "mtx" && ext != "csv" {
			return badInputf("--format %q: want npy, mtx or csv", ext)
		}
		aPath := filepath.Join(out, "A."+ext)
		if err := dataio.WriteMatrix(aPath, inst.A); err != nil {
			return err
		}
		files := []string{aPath}
		if err := dataio.WriteVector(filepath.Join(out, "b.npy"), inst.B); err != nil {
			return err
		}
		files = append(files, filepath.Join(out, "b.npy"))
		if inst.XStar != nil {
			if err := dataio.WriteVector(filepath.Join(out, "x_star.npy"), inst.XStar); err != nil {
				return err
			}
			files = append(files, filepath.Join(out, "x_star.npy"))
		}
		params := map[string]float64{}
		if g, err := testmat.Lookup(args[0]); err == nil {
			for _, k := range g.Knobs {
				params[k.Name] = inst.Params.Get(k.Name)
			}
		}
		meta := map[string]any{"name": inst.Name, "generator": args[0], "seed": seed, "params": params}
		if !math.IsNaN(inst.OPT) {
			meta["opt"] = inst.OPT
		}
		if !math.IsNaN(inst.Kappa) {
			meta["kappa"] = inst.Kappa
		}
		mb, _ := json.MarshalIndent(meta, "", "  ")
		if err := fileutil.WriteFileAtomic(filepath.Join(out, "meta.json"), append(mb, '\n'), 0o644); err != nil {
			return err
		}
		r, c := inst.A.Dims()
		fmt.Fprintf(cmd.OutOrStdout(), "%s (seed %d): %dx%d\n", inst.Name, seed, r, c)
		for _, f := range append(files, filepath.Join(out, "meta.json")) {
			fmt.Fprintf(cmd.OutOrStdout(), "  wrote %s\n", f)
		}
		return nil
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "output directory (created if missing)")
	f.Uint64Var(&seed, "seed", 1, "seed of the generator")
	f.StringVar(&format, "format", "", "matrix file format: npy, mtx or csv (default npy, mtx for sparse)")
	return cmd
}
