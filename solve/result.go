package solve

import (
	"errors"
	"fmt"
	"time"
)

// Status says how a solver stopped. The zero value is NotTerminated.
type Status int

// Statuses. Converged is success; the others are early stops (Early reports
// true) or failures (Err is non-nil).
const (
	NotTerminated    Status = iota
	Converged               // the stopping rule fired
	IterationLimit          // Settings.MaxIter reached first
	RuntimeLimit            // Settings.MaxTime reached first
	Canceled                // the context was canceled; X is the best iterate
	Stagnated               // no progress over the stagnation window
	NumericalFailure        // NaN/Inf, breakdown or loss of positive definiteness
)

var statusNames = [...]string{"not-terminated", "converged", "iteration-limit", "runtime-limit", "canceled", "stagnated", "numerical-failure"}

// String returns the status name used in JSON output ("converged", ...).
func (s Status) String() string {
	if s < 0 || int(s) >= len(statusNames) {
		return fmt.Sprintf("status(%d)", int(s))
	}
	return statusNames[s]
}

// Early reports whether the solver stopped before its convergence test held.
func (s Status) Early() bool { return s != Converged }

// ErrNotConverged wraps every non-success status returned by Status.Err.
var ErrNotConverged = errors.New("solve: tolerance not met")

// Err returns nil for Converged and otherwise an error wrapping
// ErrNotConverged that names the status.
func (s Status) Err() error {
	if s == Converged {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrNotConverged, s)
}

// Stats counts the work a solver did.
type Stats struct {
	Iterations    int           // outer iterations
	MatVecs       int           // products with A or Aᵀ (a block product counts its columns)
	Passes        float64       // passes over the stored entries of A
	SketchApplies int           // sketches applied to A
	Runtime       time.Duration // wall time
}

// IterRecord is one iteration's progress, given to a Recorder and kept in
// Result.History.
type IterRecord struct {
	Iter      int
	Residual  float64 // solver-specific residual measure (e.g. ||b-Ax|| or ||grad||)
	Objective float64 // objective value, NaN when not computed
	Elapsed   time.Duration
	// X is the current iterate when the solver exposes it (LSQR, CG), nil
	// otherwise. It is owned by the solver and valid only during the
	// Recorder call: copy it to keep it.
	X []float64
}

// Recorder receives progress. Returning an error stops the solver, which then
// reports that error.
type Recorder interface {
	Record(IterRecord) error
}

// RecorderFunc adapts a function to Recorder.
type RecorderFunc func(IterRecord) error

// Record calls f.
func (f RecorderFunc) Record(r IterRecord) error { return f(r) }

// Result is what an iterative solver returns: the solution, how it stopped,
// the work done and the per-iteration history.
type Result struct {
	X       []float64
	Status  Status
	Stats   Stats
	History []IterRecord
}
