// Package testmat generates the seeded test matrices of regression.md
// section 9: least-squares instances min ||Ax - b|| with a known condition
// number, known solution and residual, heavy tails, hidden high-leverage rows
// and sparsity, used by the tests, experiments and benchmarks of the sketch
// and solver packages and by `sketchwork gen`.
//
// # Generators
//
//	name            spec  A                                                         known
//	gaussian        G1    A_ij ~ N(0,1)                                             x* (noise 0)
//	kappa           G2    (G/√n)·diag(σ)·Vᵀ, σ_j = κ^{-(j-1)/(d-1)}                  κ within (1+√(d/n))/(1-√(d/n))
//	kappa-exact     G2'   U_{:,1:d}·diag(σ)·Vᵀ, b = Ax* + ρ·U_{:,d+1}                κ, x*, OPT = ρ exactly
//	heavy-tailed    G3    a_i = z_i/√(w_i/ν), z_i ~ N(0, 2·0.5^|j-l|), w_i ~ χ²_ν    -
//	spiky           G4    d rows e_j hidden among n-d rows δ·N(0,I)                 spike leverage ≈ 1/(1+δ²n)
//	block-coherent  G5    [[G/√(n-q), 0], [0, I_q]] + δ·N(0,1) noise                -
//	sparse          G6    CSR, z N(0,1) entries per row + one forced entry/column  -
//	sparse-illcond  -     G6 pattern with unit columns scaled by σ_j               κ up to the pattern's conditioning
//
// Unless stated, b = A x0 + noise·e with x0, e standard Gaussian; with
// noise = 0 the system is consistent and x* = x0, OPT = 0 are reported.
//
// # Reproducibility and cost
//
// Every random number comes from internal/rng: rows are generated in fixed
// blocks of 1024 with one PCG stream per block (regression.md section 2.1),
// so an instance is bit-identical for any GOMAXPROCS, and blocks are
// generated on all cores. Dense generators cost O(nd) (G2 and G2' add
// O(nd²) matrix products, G2' needs 2× the memory of A for its orthonormal
// factor, computed by CholeskyQR2); the sparse ones cost O(nnz log z).
//
// Bad parameters (n < d, κ < 1, ν <= 0, z > d, ...) are returned as errors
// naming the parameter.
package testmat
