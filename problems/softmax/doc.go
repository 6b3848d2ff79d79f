// Package softmax holds the softmax-regression family of
// newton-regressions.md as newton.Loss implementations, with the instance
// generators and diagnostics of its validation plan.
//
// # Problems
//
// All losses are L(x) = ½‖φ(u(Ax)/⟨u(Ax),1⟩) − b‖² + ½‖w∘(Ax)‖² (section 3),
// whose z-space Hessian is diagonal + rank 2:
//
//   - SoftmaxRegression: u = exp, φ = id (Deng, Li, Song 2023, "DLS23").
//   - ResNetSoftmax: u = e^t + t, φ = id (Song, Wang, Yin 2023, "A Unified
//     Scheme of ResNet and Softmax"), with the guard α = ⟨u,1⟩ ≥ β > 0 of
//     section 4.3: below it the loss returns an error wrapping
//     newton.ErrDomain.
//   - TwoLayer: u = exp, φ ∈ {ReLUShift, Softplus, Square} (Li, Song, Wang,
//     Yin 2023, "Local Convergence of Approximate Newton Method for Two
//     Layer Nonlinear Regression") in reading R1 of section 5.2, a
//     reconstruction: results that use it are labelled "reading R1".
//     TwoLayerR2 is the alternative reading R2 (section 5.3) behind the same
//     interface, through the Gram factor of newton.Curvature.
//   - Elementwise: LSZ23's exp, cosh and sinh regressions (section 2.5),
//     whose Hessian core is diagonal.
//
// # Instances and diagnostics
//
// Generate builds the seeded matrices G1 (Gaussian), G2 (ill-conditioned,
// coherent rows, ‖A‖₂ = 3) and G3 (sparse CSR) of section 8.1; Model.Plant
// and NewInstance plant targets b around x_true on the unit sphere with
// w_i = √γ/n. FindReference computes the reference minimizer x* (exact
// Newton from x_true, accepted only if ‖g(x*)‖ ≤ 1e-10‖g(x_true)‖ and
// λ_min(H(x*)) > 0); Diagnose measures l = λ_min(H(x*)), the Hessian
// Lipschitz estimate M̂ and the theory radius r_th = 0.1·l/M̂.
//
// # Cost
//
// Loss evaluations are O(n) (one exp per row, plus O(m·n) for R2);
// generators are O(n·d²) for G2 (a product with Σ Qᵀ) and O(n·s) for G3.
package softmax
