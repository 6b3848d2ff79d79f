// Package newton is the approximate Newton method of the softmax-regression
// papers (newton-regressions.md sections 2, 6 and 10; LSZ23, DLS23, and the
// ResNet+softmax and two-layer papers that reuse their framework).
//
// # Problem
//
// min_x L(x) = ℓ(A x) + ½‖w∘(A x)‖²  over x ∈ R^d, A ∈ R^{n×d} dense or CSR,
//
// where the data term ℓ is a Loss expressed in z = A x: a value, a z-space
// gradient, and a z-space Hessian in factored form (Curvature): a diagonal,
// a low-rank factor P with a small core K (the papers' "diagonal + rank 2"),
// and an optional extra Gram factor. The x-space Hessian is
// Aᵀ(diag(D) + P K Pᵀ + Gᵀ diag(GW) G)A, so the solver never forms an n×n
// matrix.
//
// # Method
//
// Each iteration computes g = ∇L(x_t), builds H̃_t with a HessianBuilder,
// solves H̃_t Δ = g by Cholesky and steps x_{t+1} = x_t − ηΔ:
//
//   - Exact builds the exact Hessian (linalg.WeightedGramTo: a blocked,
//     parallel SYRK over all rows).
//   - Sampled is the sparsifier of section 2.4: approximate leverage scores
//     of diag(√D⁺)A (sketch.LeverageEstimator with a CountSketch, a
//     triangular factor, a Gaussian projection), rows kept with probability
//     min(1, β τ̃_i) and reweighted (the sampled Gram is again
//     linalg.WeightedGramTo, over the kept rows),
//     negative diagonal entries always kept exactly, the rank-2 part added
//     exactly. (1−ε0)H ⪯ H̃ ⪯ (1+ε0)H holds for the D⁺ part with high
//     probability; SpectralError measures ε_eff against H.
//
// Two step controls, kept separate:
//
//   - UnitStep is the papers' method: η = 1 always, no line search, no
//     damping; a non-PD H̃ stops the solve. Its guarantee is local
//     (‖x_0 − x*‖ ≤ 0.1·l/M): linear convergence with a contraction
//     ≈ ε0/(1−ε0) for Sampled and quadratic convergence for Exact.
//   - Safeguarded (the default, for user data) adds Armijo backtracking and
//     damping H̃ + τI while far from the optimum, then switches to unit steps
//     once a full step is accepted and the Newton decrement is small.
//
// Stopping rules (Result.StopRule): relative or absolute gradient norm, the
// Newton decrement, the iteration and time limits, stagnation at the
// floating-point floor. MinimizeGonum runs gonum/optimize's L-BFGS, gradient
// descent and Newton on the same Problem with their early default stopping
// rules disabled (section 8.3).
//
// # Cost
//
// Per iteration: two passes over A for z and g (O(nnz(A))), O(n) for the
// curvature, then
//
//   - Exact: O(nnz(A)·d) for dense A (n·d² flops), O(Σ nnz(a_i)²) for CSR;
//   - Sampled: O(nnz(A)·k + s·d² + d³) for the scores (k = 12 Gaussian
//     columns, s = 20d sketch rows) plus O(|I|·d²) for the sampled Gram with
//     |I| ≈ β·d, β = c·ln(d/δ)/ε0²;
//
// plus O(d³) for the Cholesky. Sampling pays off once n ≫ β·d.
//
// # Reproducibility
//
// All randomness of iteration t derives from (Sampled.Seed, t) with
// counter-based streams, and every parallel reduction adds fixed partial
// sums in a fixed order, so a solve is bit-identical for any GOMAXPROCS.
// The Gram and score kernels use fused multiply-adds in a fixed lane order
// (internal/simd), so it is also bit-identical with and without AVX2.
package newton
