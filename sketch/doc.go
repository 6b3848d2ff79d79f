// Package sketch provides random sketching operators for randomized
// numerical linear algebra: a Spec and a seed determine an immutable s x n
// operator S (RandBLAS style) that maps a tall n x d matrix A to a small
// s x d matrix S·A preserving the geometry of range(A) (regression.md
// sections 1-3). Sketch-and-solve, sketch-and-precondition least squares,
// leverage-score sampling for Newton methods and TensorSketch features for
// polynomial attention are built on it.
//
// # The problem
//
// S is an ε-subspace embedding of range(A) if (1-ε)||y||² <= ||Sy||² <=
// (1+ε)||y||² for every y in range(A), equivalently every singular value of
// S·U lies in [√(1-ε), √(1+ε)] for an orthonormal basis U. Then
// x̃ = argmin ||S(Ax - b)|| is a (1+ε)/(1-ε)-approximate least-squares
// solution, and R from a QR factorization of S·A preconditions A to a
// condition number (1+ε)/(1-ε) regardless of κ(A).
//
// # Kinds, sizes and cost (regression.md section 2)
//
//	kind          rows s for an ε-embedding        practical s           nnz/col  cost of S·A
//	Gaussian      O((d + log 1/η)/ε²)              2d (LSRN)             s        O(s·n·d) gemm, s·n normal draws
//	SRHT          O((√d+√log n)²·log d/ε²)         ≈ 4d                  dense*   O(n'·d·log n'), n' = 2^⌈log₂n⌉, memory n'·d
//	CountSketch   O(d²/(η ε²))                     ~d² (not O(d))        1        O(nnz(A))
//	SparseSign    O(d log d/ε²), ζ = O(log d/ε)    4d … 12d, ζ = 4…8     ζ        O(ζ·nnz(A)), one pass
//	Uniform       O(n·μ(A)·log(d/η)/ε²)            fails on coherent A   -        reads s rows
//	Leverage      O(d·log(d/η)/ε²)                 8d·ln d (T1)          -        reads s rows (+ scores)
//	TensorSketch  (order p) O(3^p·d²/(ε²η))        -                     p        O(p·(d + m log m)) per x^⊗p
//
// (*structured: P·H·D.) μ(A) = max leverage score, η = failure probability.
// DefaultRows gives the practical sizes. The library default for
// preconditioning is SparseSign with s = 4d and ζ = 8 (DefaultNNZPerCol,
// Epperly's SPIR/FOSSILS code); s = 12d when fewer solver iterations matter
// more than the sketch.
//
// # Scaling
//
// Operators stay at their natural scale unless Spec.Scaling is Isometry,
// which makes E[SᵀS] = I. The two differ by one scalar per kind, so
// sketch-and-solve and preconditioning do not depend on the choice:
//
//	kind          Natural                       Isometry
//	Gaussian      N(0,1) entries                N(0,1/s)
//	SRHT          P·H·D, entries ±1             √(n'/s)·(1/√n')·P·H·D = P·H·D/√s
//	CountSketch   ±1                            ±1
//	SparseSign    ±1                            ±1/√ζ
//	Uniform       selected rows (entries 1)     √(n/s)
//	Leverage      row i scaled by 1/√(n·p_i)    1/√(s·p_i)
//	TensorSketch  ±1 (already E[TᵀT] = I)       the same
//
// # Randomness and reproducibility (regression.md section 2.1)
//
// Every random choice derives from the seed through internal/rng: column i
// of a CountSketch or sparse sign sketch (its ζ distinct buckets and signs)
// comes from a counter-based stream at i; a Gaussian sketch is generated in
// column panels of 256 from one PCG stream per (panel, 64-row group); SRHT
// signs come from a counter and its rows from a seeded draw; sampled rows
// come from a counter at the draw index. Kernels split the rows of A into
// chunks that depend only on the shape and add the chunks' partial sums in
// chunk order. Hence the same (spec, n, seed) gives the same operator, and
// Apply, MulVecTo and MulTo give bit-identical results for any GOMAXPROCS;
// a Gaussian or sampling sketch with more rows extends one with fewer
// (natural scaling). Multiply-adds are fused (an AVX2/FMA kernel on amd64, a
// math.FMA loop elsewhere, which round identically), so results do not
// depend on the CPU's features either. The number of chunks is at most 16
// and at most work/(2·s·d), so small jobs are not swamped by partial sums;
// dense and CSR input agree to rounding, and bit for bit once both use 16
// chunks.
//
// # Using a sketch
//
//	sk, err := sketch.New(sketch.Spec{Kind: sketch.SparseSign, Rows: 4 * d, Scaling: sketch.Isometry}, n, seed)
//	var sa mat.Dense
//	sk.Apply(&sa, a)       // S·A: *mat.Dense, *linalg.CSR, any linalg.Rows or mat.Matrix
//	sb := make([]float64, 4*d)
//	sk.ApplyVec(sb, b)     // S·b
//
// A Sketch is a linalg.Operator (MulVecTo/MulTo with transpose), so solvers
// can use S and Sᵀ directly. Inputs are never modified; an empty dst is
// sized; a wrong-sized dst or mismatched dimensions panic with
// linalg.ErrShape (programmer errors), while invalid specs, bad scores and
// rank-deficient data are returned as errors (specs wrap ErrSpec).
//
// Data-dependent sketches: NewLeverage (exact or approximate leverage
// scores, then sampling), NewSampling (importance sampling by any scores),
// and SampleRows for packages that need row indices and weights (the
// approximate Newton Hessian sampler). LeverageScores and
// RidgeLeverageScores are exact (thin QR, O(nd²)); ApproxLeverageScores is
// the fast approximation (O(ζ·nnz(A) + s·d² + nnz(A)·r₂)), with row weights
// for scores of diag(w)·A and a ridge term. LeverageEstimator is the
// reusable form for repeated calls (approximate Newton computes scores of
// diag(√D)·A every iteration): Scores is the approximation with any sparse
// sign sketch (ζ = 1 is a CountSketch) and Exact the exact scores of
// diag(w)·A from a Cholesky factor of the weighted Gram
// (linalg.WeightedGramTo), both without per-call buffers. The triangular
// factor comes from a Cholesky factorization of the (sketched) Gram when its
// estimated condition number is small enough for the scores' accuracy, and
// from a Householder QR otherwise. Rank deficiency is reported as an error
// wrapping ErrRankDeficient (test with errors.Is).
//
// Streaming: Sketch.NewAccumulator builds S·A and S·b from row blocks and
// sparse entries arriving in any order (files larger than memory), for
// every kind but SRHT; it equals Apply up to the order of summation.
//
// TensorSketch: NewTensor returns a Tensor that sketches x1⊗...⊗xp and the
// rows of A^⊗p in O(p(d + m log m)) per product with FFTs (Pham-Pagh).
//
// # Performance
//
// Sparse sign application is one pass over A plus ζ·nnz(A) fused
// multiply-adds into s x d partial accumulators. For a dense 200000 x 400
// matrix (640 MB) with s = 1600 and ζ = 8 that is 6.4e8 multiply-adds into a
// 5 MB accumulator, which lives in L3, not L2: on the shared 2-core
// reference machine it takes 0.13-0.37 s depending on the machine's load
// (1.7-4.9 GB/s, 2-5 passes-equivalent against the read bandwidth measured in
// the same run), and a second core helps little because both cores then
// contend for L3. CountSketch (ζ = 1) runs at 3-4 GB/s. CSR input costs
// O(ζ·nnz(A)) (BenchmarkSparseSignNNZ, regression.md T2: fitted exponent of
// time against nnz 0.97). SRHT pads and transforms a copy of A (O(n'·d·log n')
// time, n'·d memory); Gaussian costs s·n normal draws and an O(s·n·d)
// product. See BenchmarkApply.
//
// Approximate leverage scores apply their sketch with a different kernel
// (each goroutine owns a range of S's rows and scans all of A's rows, so
// there are no partial sums: cheaper than Apply when s·d is large and ζ
// small, and independent of the partition), factor the s x d sketch through
// its Gram (a blocked SYRK at about 16 GFLOP/s instead of gonum's
// Householder QR), and compute the scores two rows at a time in AVX2
// register tiles (sparse rows with simd.SparseRowMul). On a dense
// 100000 x 200 matrix with row weights that takes about 90 ms with
// approximate Newton's CountSketch (s = 20d, k = 12) and 240 ms with the
// defaults (ζ = 8, s = 12d, r₂ = 64), against 370 ms and 650 ms for the
// QR-and-Gemm version it replaced (medians of 6 interleaved runs on the
// shared reference machine, BenchmarkApproxLeverageLarge; best runs 42 and
// 110 ms).
package sketch
