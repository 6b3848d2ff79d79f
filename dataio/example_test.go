package dataio_test

import (
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"

	"gonum.org/v1/gonum/mat"

	"github.com/sketchwork/sketchwork/dataio"
	"github.com/sketchwork/sketchwork/linalg"
)

// Write a matrix, read it back, and see how a bad file is reported.
func Example() {
	dir, err := os.MkdirTemp("", "dataio-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	a := mat.NewDense(3, 2, []float64{1, 2, 3, 4, 5, 6})
	p := filepath.Join(dir, "A.npy")
	if err := dataio.WriteMatrix(p, a); err != nil {
		log.Fatal(err)
	}
	m, err := dataio.ReadMatrix(p)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%T %v\n", m, mat.Formatted(m, mat.FormatMATLAB()))

	// A sparse matrix goes through MatrixMarket coordinate format.
	s, _ := linalg.CSRFromTriplets(2, 3, []linalg.Triplet{{I: 0, J: 2, V: 1.5}, {I: 1, J: 0, V: -2}})
	if err := dataio.WriteMatrix(filepath.Join(dir, "S.mtx"), s); err != nil {
		log.Fatal(err)
	}
	m, _ = dataio.ReadMatrix(filepath.Join(dir, "S.mtx"))
	fmt.Printf("%T with %d entries\n", m, m.(*linalg.CSR).NNZ())

	// Errors name the file and the place.
	bad := filepath.Join(dir, "b.csv")
	os.WriteFile(bad, []byte("x,y\n1,2\n3,oops\n"), 0o644)
	_, err = dataio.ReadMatrix(bad)
	fmt.Println(err.Error()[len(dir)+1:])
	// Output:
	// *mat.Dense [1 2; 3 4; 5 6]
	// *linalg.CSR with 2 entries
	// b.csv: line 3, row 2, column 2, byte offset 10: cannot parse "oops" as a number
}

// Accumulate a sketch S·A in one pass over a file, chunk by chunk. Here S
// is a fixed 2 x n matrix standing in for a random sketch.
func ExampleOpenStream() {
	dir, err := os.MkdirTemp("", "dataio-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	const n, d = 1000, 3
	a := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			a.Set(i, j, float64((i*7+j*3)%11)-5)
		}
	}
	sk := mat.NewDense(2, n, nil)
	for i := 0; i < n; i++ {
		sk.Set(0, i, 1)
		sk.Set(1, i, float64(1-2*(i%2)))
	}
	for _, name := range []string{"A.npy", "A.mtx"} {
		p := filepath.Join(dir, name)
		var m mat.Matrix = a
		if name == "A.mtx" {
			m = linalg.CSRFromDense(a, 0) // a coordinate file: entry chunks
		}
		if err := dataio.WriteMatrix(p, m); err != nil {
			log.Fatal(err)
		}
		st, err := dataio.OpenStream(p, dataio.StreamOptions{ChunkBytes: 4096})
		if err != nil {
			log.Fatal(err)
		}
		sa := mat.NewDense(2, d, nil)
		for {
			c, err := st.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				log.Fatal(err)
			}
			if c.Dense != nil { // rows First..First+k-1
				k, _ := c.Dense.Dims()
				var part mat.Dense
				part.Mul(sk.Slice(0, 2, c.First, c.First+k), c.Dense)
				sa.Add(sa, &part)
			}
			for _, e := range c.Entries { // S·A += v · S[:, i] e_jᵀ
				for r := 0; r < 2; r++ {
					sa.Set(r, e.J, sa.At(r, e.J)+e.V*sk.At(r, e.I))
				}
			}
		}
		var want mat.Dense
		want.Mul(sk, a)
		fmt.Printf("%s: S·A = %.1f, equal to the in-memory product: %v, passes %d\n",
			name, mat.Formatted(sa, mat.FormatMATLAB()), mat.Equal(sa, &want), st.Passes())
		st.Close()
	}
	// Output:
	// A.npy: S·A = [1.0 -2.0 -5.0; -13.0 -2.0 9.0], equal to the in-memory product: true, passes 1
	// A.mtx: S·A = [1.0 -2.0 -5.0; -13.0 -2.0 9.0], equal to the in-memory product: true, passes 1
}
