// Package linalg is Sketchwork's numerical ground: the Operator interface the
// solvers work against, a dense adapter with row-block parallel kernels, a CSR
// sparse matrix that satisfies gonum's mat.Matrix, and the fast
// Walsh-Hadamard transform used by SRHT sketches.
//
// # Parallelism and reproducibility
//
// Products run on all cores over row blocks whose partition depends only on
// the shape. Transposed products (Aᵀx) accumulate at most 16 partial vectors
// and add them in a fixed order, so every kernel gives bit-identical results
// for any GOMAXPROCS.
//
// # Errors
//
// Dimension mismatches are programmer errors and panic with ErrShape (gonum's
// mat.ErrShape); malformed data (bad CSR arrays, out-of-range triplets) is
// returned as an error.
//
// # Cost
//
// Dense MulVecTo: one pass over A, memory bound. CSR MulVecTo: O(nnz(A)).
package linalg
