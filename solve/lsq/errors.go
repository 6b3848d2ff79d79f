package lsq

import (
	"errors"
	"fmt"
)

// ErrInput wraps every error about the caller's data or settings: shape
// mismatch, NaN or Inf, empty input, invalid settings. The CLI maps it to
// exit code 2.
var ErrInput = errors.New("lsq: bad input")

// RankError reports a rank-deficient least-squares problem, detected from the
// R factor of the sketch (or of A for Direct). Ridge problems (λ > 0) are
// always solvable and never return it.
type RankError struct {
	Rank, Cols int
	// Cond is the 2-norm condition number of the R factor, σ_max/σ_min.
	Cond float64
}

func (e *RankError) Error() string {
	return fmt.Sprintf("lsq: A is rank deficient: numerical rank %d of %d columns (cond(R) = %.3g); use --lambda > 0 for a ridge solution", e.Rank, e.Cols, e.Cond)
}

// Is makes errors.Is(err, ErrInput) true: a rank-deficient A is bad input.
func (e *RankError) Is(target error) bool { return target == ErrInput }
