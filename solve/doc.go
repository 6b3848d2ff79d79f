// Package solve holds what Sketchwork's iterative solvers share: Settings
// with documented zero values and a Resolve method, Result/Status/Stats, the
// Recorder progress interface with context cancellation, and the Krylov
// drivers LSQR (Paige and Saunders 1982, regression.md section 4.3) and
// CG/PCG over linalg.Operator with a Preconditioner interface.
//
// Solvers check their context.Context once per iteration and return
// Status Canceled with the best iterate so far; a Status other than Converged
// is reported through Status.Err.
package solve
