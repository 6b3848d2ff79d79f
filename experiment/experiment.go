package experiment

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Config is what every experiment run receives.
type Config struct {
	// Full selects the benchmark-sized instances; false runs the quick sizes
	// (all quick experiments together stay within about five minutes on two cores).
	Full bool
	// Seed is the root seed; experiments derive their streams with internal/rng.
	Seed uint64
	// Progress, if non-nil, receives the fraction of this experiment done, in [0, 1].
	Progress func(frac float64)
}

// Report calls Progress if it is set.
func (c Config) Report(frac float64) {
	if c.Progress != nil {
		c.Progress(min(1, max(0, frac)))
	}
}

// Experiment is one paper claim made runnable: it generates its instance,
// runs the algorithm and its baselines, and returns tables, figures and
// checks that can fail.
type Experiment struct {
	Name  string // command-line name, e.g. "sketch-distortion"
	Title string // section heading in the report
	Paper string // the paper (and spec section) the claim comes from
	Claim string // the claim being checked, in one or two sentences
	// Reconstruction is non-empty when the result rests on an item the specs
	// mark [R] or [unverified]; it says which. The report prints it.
	Reconstruction string
	Run            func(ctx context.Context, cfg Config) (*Outcome, error)
}

// Outcome is what a run produced.
type Outcome struct {
	Tables  []Table
	Figures []Figure
	Checks  []Check
	Notes   []string
}

// Pass reports whether the outcome has at least one check and all pass.
func (o *Outcome) Pass() bool {
	if o == nil || len(o.Checks) == 0 {
		return false
	}
	for _, c := range o.Checks {
		if !c.Pass {
			return false
		}
	}
	return true
}

// Check adds a named check with its verdict and a detail line (measured
// value against the bound) and returns pass.
func (o *Outcome) Check(name string, pass bool, format string, args ...any) bool {
	o.Checks = append(o.Checks, Check{Name: name, Pass: pass, Detail: fmt.Sprintf(format, args...)})
	return pass
}

// Note appends a free-text note to the report section.
func (o *Outcome) Note(format string, args ...any) {
	o.Notes = append(o.Notes, fmt.Sprintf(format, args...))
}

// Check is one assertion of a claim.
type Check struct {
	Name   string
	Pass   bool
	Detail string
}

// Table is a titled grid of already formatted cells.
type Table struct {
	Title  string
	Header []string
	Rows   [][]string
}

// AddRow appends a row, formatting each value with %v (floats with %.4g).
func (t *Table) AddRow(vals ...any) {
	row := make([]string, len(vals))
	for i, v := range vals {
		switch x := v.(type) {
		case float64:
			row[i] = fmt.Sprintf("%.4g", x)
		case string:
			row[i] = x
		default:
			row[i] = fmt.Sprint(x)
		}
	}
	t.Rows = append(t.Rows, row)
}

// Markdown renders the table as GitHub-flavoured Markdown.
func (t *Table) Markdown() string {
	var b strings.Builder
	if t.Title != "" {
		fmt.Fprintf(&b, "**%s**\n\n", t.Title)
	}
	b.WriteString("| " + strings.Join(t.Header, " | ") + " |\n|")
	for range t.Header {
		b.WriteString(" --- |")
	}
	b.WriteString("\n")
	for _, r := range t.Rows {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	return b.String()
}

// Figure is plot data; the report writer renders it to PNG (only the report
// writer imports a plotting library).
type Figure struct {
	Name           string // file stem, unique within the experiment
	Title          string
	XLabel, YLabel string
	LogX, LogY     bool
	Series         []Series
}

// Series is one line (or set of points) in a figure.
type Series struct {
	Label  string
	X, Y   []float64
	Points bool // draw markers only, no line
}

// Registry holds the experiments run by `sketchwork reproduce` and the
// benchmark suites run by `sketchwork bench`. There is no package-global
// registry: the command builds one and each side of the module adds its own.
type Registry struct {
	experiments []Experiment
	benchmarks  []Experiment
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{} }

// Add registers experiments; a duplicate or empty name is an error.
func (r *Registry) Add(es ...Experiment) error {
	for _, e := range es {
		if err := r.check(e, r.experiments); err != nil {
			return err
		}
		r.experiments = append(r.experiments, e)
	}
	return nil
}

// AddBenchmark registers benchmark suites (run by `sketchwork bench NAME`).
func (r *Registry) AddBenchmark(es ...Experiment) error {
	for _, e := range es {
		if err := r.check(e, r.benchmarks); err != nil {
			return err
		}
		r.benchmarks = append(r.benchmarks, e)
	}
	return nil
}

func (r *Registry) check(e Experiment, list []Experiment) error {
	if e.Name == "" || e.Run == nil {
		return fmt.Errorf("experiment: %q has no name or no Run function", e.Title)
	}
	if slices.ContainsFunc(list, func(x Experiment) bool { return x.Name == e.Name }) {
		return fmt.Errorf("experiment: duplicate name %q", e.Name)
	}
	return nil
}

// Experiments returns the registered experiments in registration order.
func (r *Registry) Experiments() []Experiment { return slices.Clone(r.experiments) }

// Benchmarks returns the registered benchmark suites.
func (r *Registry) Benchmarks() []Experiment { return slices.Clone(r.benchmarks) }

// Select returns the experiments whose names are in names (all if names is
// empty), or an error naming an unknown one and listing the known names.
func Select(list []Experiment, names []string) ([]Experiment, error) {
	if len(names) == 0 {
		return list, nil
	}
	var out []Experiment
	for _, n := range names {
		i := slices.IndexFunc(list, func(e Experiment) bool { return e.Name == n })
		if i < 0 {
			known := make([]string, len(list))
			for j, e := range list {
				known[j] = e.Name
			}
			return nil, fmt.Errorf("unknown name %q (known: %s)", n, strings.Join(known, ", "))
		}
		out = append(out, list[i])
	}
	return out, nil
}
