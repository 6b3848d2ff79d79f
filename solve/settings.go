package solve

import (
	"context"
	"time"
)

// Settings controls an iterative solver. Every zero value has a documented
// meaning; Resolve returns the copy with defaults filled in, which solvers
// record so a result says exactly what ran.
type Settings struct {
	// Tol is the relative tolerance of the stopping rule. 0 means DefaultTol.
	Tol float64
	// MaxIter bounds the iterations. 0 means the solver's own default
	// (DefaultMaxIter for the Krylov drivers); negative is invalid.
	MaxIter int
	// MaxTime bounds wall time. 0 means no limit.
	MaxTime time.Duration
	// Recorder, if non-nil, receives every iteration.
	Recorder Recorder
	// KeepHistory keeps every IterRecord in Result.History when true.
	KeepHistory bool
}

// Defaults used by Resolve.
const (
	DefaultTol     = 1e-10
	DefaultMaxIter = 1000
)

// Resolve returns a copy of s with zero fields replaced by their defaults.
func (s Settings) Resolve() Settings {
	if s.Tol == 0 {
		s.Tol = DefaultTol
	}
	if s.MaxIter == 0 {
		s.MaxIter = DefaultMaxIter
	}
	return s
}

// Monitor implements the per-iteration bookkeeping shared by solvers: it
// checks the context and the runtime limit, calls the Recorder and keeps the
// history. Create one per solve with NewMonitor.
type Monitor struct {
	ctx     context.Context
	s       Settings
	start   time.Time
	History []IterRecord
}

// NewMonitor starts the clock for a solve with resolved settings s.
func NewMonitor(ctx context.Context, s Settings) *Monitor {
	if ctx == nil {
		ctx = context.Background()
	}
	return &Monitor{ctx: ctx, s: s, start: time.Now()}
}

// Elapsed returns the time since NewMonitor.
func (m *Monitor) Elapsed() time.Duration { return time.Since(m.start) }

// Step records iteration rec and returns a non-zero status if the solver must
// stop now (Canceled or RuntimeLimit), or an error from the Recorder.
func (m *Monitor) Step(rec IterRecord) (Status, error) {
	rec.Elapsed = m.Elapsed()
	if m.s.KeepHistory {
		kept := rec
		kept.X = nil // the iterate is only valid during the call
		m.History = append(m.History, kept)
	}
	if m.s.Recorder != nil {
		if err := m.s.Recorder.Record(rec); err != nil {
			return NotTerminated, err
		}
	}
	if m.ctx.Err() != nil {
		return Canceled, nil
	}
	if m.s.MaxTime > 0 && rec.Elapsed >= m.s.MaxTime {
		return RuntimeLimit, nil
	}
	return NotTerminated, nil
}
