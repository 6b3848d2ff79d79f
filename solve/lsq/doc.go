// Package lsq solves least squares, ridge regression and multiple-response
// problems
//
//	min_x ||A x − b||² + λ||x||²,   A ∈ R^{n×d}, n ≥ d,
//
// at input-sparsity cost, for dense (*mat.Dense) and sparse (*linalg.CSR) A,
// and out of core for .npy/.mtx files larger than memory (SolveFile).
// Specification: papers/regression.md sections 1-4, 9-12.
//
// # Methods
//
//   - Direct: Householder QR of A ([A; √λ I] for ridge), the LAPACK gels
//     equivalent. 2nd² flops; backward stable; the accuracy baseline.
//   - SketchSolve (Clarkson-Woodruff; Nelson-Nguyen): one sparse sign sketch
//     S with s rows, x = argmin ||S(Ax − b)||. One pass over A plus O(s d²);
//     the residual is within (1+ε) of optimal (expected excess ≈ d/(s−d)),
//     the solution only to about √ε·||r||/σ_min.
//   - SketchPrecond (the default for tall A; Blendenpik/LSRN with SPIR-style
//     refinement, Epperly-Meier-Nakatsukasa 2024): a sparse sign sketch
//     (s = 4d, 8 nonzeros per column), R from the Householder QR of SA (of
//     [SA; √λI]), the sketch-and-solve warm start x₀ = R⁻¹Qᵀ(Sb), then
//     refinement rounds: each computes the true gradient Aᵀ(b − Ax) − λx in
//     one fused pass and solves the correction equation on the
//     well-conditioned A R⁻¹ (κ(AR⁻¹) ≈ (1+√(d/s))/(1−√(d/s)) whatever
//     κ(A)) by CG with the one-pass AᵀA kernel (Inner = InnerCG) or by LSQR
//     (InnerLSQR, two passes per iteration). Iterations do not grow with
//     κ(A); the answer is backward stable up to κ(A) ≈ 1e12.
//   - Auto picks Direct for small or nearly square problems and
//     SketchPrecond otherwise, and records the reason in the Result.
//
// # Stopping rule
//
// SketchPrecond stops when ||R⁻ᵀ(Aᵀr − λx)|| ≤ Tol·||r̄|| (r̄ the residual
// including the ridge term; since A R⁻¹ is nearly an isometry this bounds
// ||A(x − x*)|| by about 3·Tol·||r̄||, i.e. a relative residual excess of
// 9·Tol²), or ||r|| ≤ Tol·||b|| (consistent systems), or when the gradient
// reaches its rounding floor 16·u·κ̂·(||b|| + ||A||·||x||) ("limiting
// accuracy"). A round that fails to halve the gradient above the floor stops
// with Status Stagnated.
//
// # Errors
//
// Bad input (shape mismatch, NaN or Inf in A or b, empty A, invalid
// settings) wraps ErrInput and names the offending entry; NaN/Inf in A is
// detected from the sketch and located by a scan only when present. A
// rank-deficient A (numerical rank from the singular values of R with the
// tolerance σ_max·10·d·ε) is a *RankError naming the rank;
// ridge problems are always solvable.
//
// # Cost
//
// SketchPrecond on dense A: one sketch pass (8 nd multiply-adds), a QR of
// 4d x d (8d³ flops), and per inner CG iteration one pass over A (4nd flops)
// plus two triangular solves (2d²). Multiple right-hand sides share the
// sketch and the factorization, and each pass over A becomes a block
// product. Results are bit-identical for a fixed seed at any GOMAXPROCS.
package lsq
