// Package linalg is Sketchwork's numerical ground: the Operator interface the
// solvers work against, a dense adapter with row-block parallel kernels, a CSR
// sparse matrix that satisfies gonum's mat.Matrix, the blocked weighted Gram
// Σ w_t a_t a_tᵀ of chosen rows (WeightedGramTo, the SYRK under Newton
// Hessians and Gram-based factorizations), and the fast Walsh-Hadamard
// transform used by SRHT sketches.
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
// WeightedGramTo: m·d² flops for m dense rows (14-17 GFLOP/s on two cores
// with AVX2, about 7 times gonum's SymRankK), Σ nnz(a_t)²/2 multiply-adds
// for sparse rows; its chunked partial sums are added in a fixed order like
// the transposed products, so it too is bit-identical for any GOMAXPROCS.
package linalg
