package lsq

import (
	"context"
	"errors"
	"fmt"
	"io"

	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/dataio"
	"github.com/sketchwork/sketchwork/linalg"
	"github.com/sketchwork/sketchwork/sketch"
)

// SolveFile solves min ||Ax − b||² + λ||x||² for A stored in a .npy or .mtx
// file that need not fit in memory: the sketch is taken in one streaming pass
// (SketchSolve stops there, plus one pass for the residual), and
// SketchPrecond re-streams the file for every product, reporting the passes
// in Result.Passes. Dense (.npy, .mtx array) files cost one pass per fused
// product; coordinate .mtx files, whose entries may come in any order, cost
// two. Memory: O(opts.ChunkBytes + s·d + n·m).
func SolveFile(ctx context.Context, path string, b []float64, s Settings, opts dataio.StreamOptions) (*Result, error) {
	bm := mat.NewDense(max(len(b), 1), 1, nil)
	copy(colData(bm), b)
	mr, err := SolveFileMulti(ctx, path, bm, s, opts)
	if mr == nil {
		return nil, err
	}
	return &Result{Info: mr.Info, X: colData(mr.X), ResidualNorm: mr.ResidualNorms[0], Objective: mr.Objectives[0]}, err
}

// SolveFileMulti is SolveFile for several right-hand sides (the columns of B).
func SolveFileMulti(ctx context.Context, path string, b *mat.Dense, s Settings, opts dataio.StreamOptions) (*MultiResult, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	if s.Method == Direct {
		return nil, fmt.Errorf("%w: the direct method needs A in memory; use sketch or precond with a streamed file", ErrInput)
	}
	st, err := dataio.OpenStream(path, opts)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInput, err)
	}
	defer st.Close()
	n, d := st.Dims()
	bn, m := b.Dims()
	switch {
	case bn != n:
		return nil, fmt.Errorf("%w: B has %d rows, %s has %d", ErrInput, bn, path, n)
	case m == 0:
		return nil, fmt.Errorf("%w: B has no columns", ErrInput)
	case n < d && s.Lambda == 0:
		return nil, fmt.Errorf("%w: %s is %dx%d with fewer rows than columns; least squares needs n >= d (or lambda > 0)", ErrInput, path, n, d)
	}
	if err := checkFinite("B", b); err != nil {
		return nil, err
	}
	src := &streamSource{st: st, n: n, d: d}
	res, err := run(ctx, src, nil, b, s)
	if err == nil && src.err != nil {
		err = src.err
	}
	if src.err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInput, src.err)
	}
	return res, err
}

// streamSource is A read chunk by chunk from a file. A read error mid-way
// (a truncated body, a NaN) is kept in err and the products it interrupts
// are abandoned; run's caller reports it.
type streamSource struct {
	st    *dataio.Stream
	n, d  int
	npass float64
	err   error
}

func (s *streamSource) dims() (int, int)          { return s.n, s.d }
func (s *streamSource) passes() float64           { return s.npass }
func (s *streamSource) operator() linalg.Operator { return nil }

// each streams one pass over the file, calling dense for row blocks and
// entries for coordinate chunks.
func (s *streamSource) each(dense func(first int, rows *mat.Dense), entries func([]linalg.Triplet)) {
	if s.err != nil {
		return
	}
	if err := s.st.Reset(); err != nil {
		s.err = err
		return
	}
	s.npass++
	for {
		c, err := s.st.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			s.err = err
			return
		}
		if c.Dense != nil {
			dense(c.First, c.Dense)
		} else {
			entries(c.Entries)
		}
	}
}

// residGrad: dense chunks use the fused kernel on each row block; coordinate
// files need A·X first (one pass) and then Aᵀ(B − AX) (a second pass).
func (s *streamSource) residGrad(g, b, x *mat.Dense, rr []float64) {
	_, m := x.Dims()
	g.Zero()
	clear(rr)
	if s.st.Sparse() {
		ax := mat.NewDense(s.n, m, nil)
		s.each(nil, func(es []linalg.Triplet) {
			for _, e := range es {
				for j := 0; j < m; j++ {
					ax.Set(e.I, j, ax.At(e.I, j)+e.V*x.At(e.J, j))
				}
			}
		})
		ax.Sub(b, ax) // residual R = B − AX
		for j := 0; j < m; j++ {
			v := mat.Norm(ax.ColView(j), 2)
			rr[j] = v * v
		}
		s.each(nil, func(es []linalg.Triplet) {
			for _, e := range es {
				for j := 0; j < m; j++ {
					g.Set(e.J, j, g.At(e.J, j)+e.V*ax.At(e.I, j))
				}
			}
		})
		return
	}
	gc := mat.NewDense(s.d, m, nil)
	rc := make([]float64, m)
	s.each(func(first int, rows *mat.Dense) {
		k, _ := rows.Dims()
		bb := b.Slice(first, first+k, 0, m).(*mat.Dense)
		linalg.Dense(rows).ResidualGradBlockTo(gc, mat.DenseCopyOf(bb), x, rc)
		g.Add(g, gc)
		for j := range rr {
			rr[j] += rc[j]
		}
	}, nil)
}

func (s *streamSource) gram(w, z *mat.Dense) {
	_, m := z.Dims()
	w.Zero()
	if s.st.Sparse() {
		az := mat.NewDense(s.n, m, nil)
		s.each(nil, func(es []linalg.Triplet) {
			for _, e := range es {
				for j := 0; j < m; j++ {
					az.Set(e.I, j, az.At(e.I, j)+e.V*z.At(e.J, j))
				}
			}
		})
		s.each(nil, func(es []linalg.Triplet) {
			for _, e := range es {
				for j := 0; j < m; j++ {
					w.Set(e.J, j, w.At(e.J, j)+e.V*az.At(e.I, j))
				}
			}
		})
		return
	}
	wc := mat.NewDense(s.d, m, nil)
	s.each(func(_ int, rows *mat.Dense) {
		linalg.Dense(rows).GramTo(wc, z)
		w.Add(w, wc)
	}, nil)
}

func (s *streamSource) sketch(sk *sketch.Sketch, dst *mat.Dense) error {
	acc, err := sk.NewAccumulator(s.d)
	if err != nil {
		return err
	}
	s.each(func(first int, rows *mat.Dense) {
		if err := acc.AddRows(first, rows); err != nil && s.err == nil {
			s.err = err
		}
	}, func(es []linalg.Triplet) {
		if err := acc.AddEntries(es); err != nil && s.err == nil {
			s.err = err
		}
	})
	if s.err != nil {
		return fmt.Errorf("%w: %v", ErrInput, s.err)
	}
	dst.Copy(acc.SA())
	if !allFinite(dst) {
		return fmt.Errorf("%w: the streamed matrix contains NaN or Inf, or entries so large that the sketch overflows", ErrInput)
	}
	return nil
}
