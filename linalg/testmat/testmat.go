package testmat

import (
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// Instance is a generated least-squares problem min ||A x - B||.
type Instance struct {
	// A is the n x d matrix: a *mat.Dense, or a *linalg.CSR for the sparse
	// generators.
	A mat.Matrix
	// B is the right-hand side, length n.
	B []float64
	// XStar is the exact minimiser when the construction knows it, else nil.
	XStar []float64
	// OPT = ||A x* - b|| when known, else NaN.
	OPT float64
	// Kappa is the condition number the generator aims at (exact for
	// kappa-exact, the target for kappa and sparse-illcond, the expected
	// value for gaussian and block-coherent), NaN when there is none.
	Kappa float64
	// Name identifies the generator and its parameters, e.g.
	// "kappa-exact(n=4000,d=20,kappa=1e+04,rho=0.01)".
	Name string
	// Params are the parameters the instance was generated with.
	Params Params
}

// Params are the knobs of the generators. Each generator reads only the
// fields its Knobs list; a Generator's Defaults fill all of them.
type Params struct {
	N, D    int     // rows and columns, n >= d >= 1
	Kappa   float64 // target condition number, >= 1
	Nu      float64 // degrees of freedom of the heavy-tailed rows, > 0
	Delta   float64 // scale of the background rows (spiky) or dense noise (block-coherent), >= 0
	Z       int     // stored entries per row of a sparse matrix, 1 <= z <= d
	Density float64 // fraction of stored entries per row (sparse-illcond), in (0, 1]
	Rho     float64 // residual norm OPT of kappa-exact, >= 0
	Noise   float64 // standard deviation of the noise added to b = A x0, >= 0
	Q       int     // size of the identity block of block-coherent, 1 <= q <= d
}

// knobNames lists the Params fields by their command-line names.
var knobNames = []string{"n", "d", "kappa", "nu", "delta", "z", "density", "rho", "noise", "q"}

// Get returns the knob called name ("n", "d", "kappa", "nu", "delta", "z",
// "density", "rho", "noise", "q") as a float64. It panics on an unknown name
// (a programmer error: the names come from a Generator's Knobs).
func (p Params) Get(name string) float64 {
	switch name {
	case "n":
		return float64(p.N)
	case "d":
		return float64(p.D)
	case "kappa":
		return p.Kappa
	case "nu":
		return p.Nu
	case "delta":
		return p.Delta
	case "z":
		return float64(p.Z)
	case "density":
		return p.Density
	case "rho":
		return p.Rho
	case "noise":
		return p.Noise
	case "q":
		return float64(p.Q)
	}
	panic("testmat: unknown knob " + name)
}

// Set sets the knob called name. Integer knobs (n, d, z, q) must hold an
// integer value; an unknown name or a non-integer count is an error.
func (p *Params) Set(name string, v float64) error {
	intKnob := func(dst *int) error {
		if v != math.Trunc(v) || math.Abs(v) > 1<<53 {
			return fmt.Errorf("testmat: %s must be an integer, got %v", name, v)
		}
		*dst = int(v)
		return nil
	}
	switch name {
	case "n":
		return intKnob(&p.N)
	case "d":
		return intKnob(&p.D)
	case "z":
		return intKnob(&p.Z)
	case "q":
		return intKnob(&p.Q)
	case "kappa":
		p.Kappa = v
	case "nu":
		p.Nu = v
	case "delta":
		p.Delta = v
	case "density":
		p.Density = v
	case "rho":
		p.Rho = v
	case "noise":
		p.Noise = v
	default:
		return fmt.Errorf("testmat: unknown parameter %q (known: %s)", name, strings.Join(knobNames, ", "))
	}
	return nil
}

// Knob is one parameter of a generator with its default.
type Knob struct {
	Name    string // command-line name, one of Params' knob names
	Help    string
	Default float64
}

// Generator is one entry of the generator table used by `sketchwork gen`.
type Generator struct {
	Name        string // e.g. "kappa-exact"
	Description string // one line
	Knobs       []Knob // the parameters it reads, with defaults
	// Generate builds an instance; parameters are validated and a bad one
	// is an error naming it. Start from Defaults() and override.
	Generate func(seed uint64, p Params) (*Instance, error)
}

// Defaults returns the generator's parameters at their default values.
func (g Generator) Defaults() Params {
	var p Params
	for _, k := range g.Knobs {
		if err := p.Set(k.Name, k.Default); err != nil {
			panic(err) // the table below is wrong
		}
	}
	return p
}

// Generators returns the generator table, in the order of regression.md
// section 9.
func Generators() []Generator {
	n := func(def float64) Knob { return Knob{"n", "rows", def} }
	d := func(def float64) Knob { return Knob{"d", "columns", def} }
	noise := Knob{"noise", "standard deviation of the noise in b = A x0 + noise·e", 0.1}
	kappa := func(def float64) Knob { return Knob{"kappa", "target condition number", def} }
	return []Generator{
		{"gaussian", "G1: i.i.d. N(0,1) entries (incoherent)",
			[]Knob{n(4000), d(20), noise}, Gaussian},
		{"kappa", "G2: (G/√n)·diag(σ)·Vᵀ with geometric σ, condition number ≈ kappa, any n",
			[]Knob{n(4000), d(20), kappa(1e4), noise}, Kappa},
		{"kappa-exact", "G2': exact condition number, known x* and residual norm OPT = rho",
			[]Knob{n(4000), d(20), kappa(1e4), {"rho", "residual norm OPT = ||b - A x*||", 1e-2}}, KappaExact},
		{"heavy-tailed", "G3: multivariate t rows with nu degrees of freedom (non-uniform leverage)",
			[]Knob{n(4000), d(20), {"nu", "degrees of freedom (1: Cauchy-like, 3: moderate)", 1}, noise}, HeavyTailed},
		{"spiky", "G4: d unit spikes hidden among rows delta·N(0,I); uniform sampling misses them",
			[]Knob{n(4000), d(20), {"delta", "scale of the non-spike rows", 1e-6}, noise}, Spiky},
		{"block-coherent", "G5: [[G, 0], [0, I_q]] plus delta dense noise (Blendenpik's coherent case)",
			[]Knob{n(4000), d(20), {"q", "size of the identity block", 2}, {"delta", "dense noise level", 1e-8}, noise}, BlockCoherent},
		{"sparse", "G6: CSR with z N(0,1) entries per row and one forced entry per column",
			[]Knob{n(20000), d(200), {"z", "stored entries per row", 3}, noise}, Sparse},
		{"sparse-illcond", "CSR with the G6 pattern, unit columns scaled to condition number ≈ kappa",
			[]Knob{n(100000), d(500), {"density", "fraction of stored entries per row", 0.01}, kappa(1e6), noise}, SparseIllCond},
	}
}

// Lookup returns the generator called name, or an error listing the names.
func Lookup(name string) (Generator, error) {
	gs := Generators()
	names := make([]string, len(gs))
	for i, g := range gs {
		if g.Name == name {
			return g, nil
		}
		names[i] = g.Name
	}
	return Generator{}, fmt.Errorf("testmat: unknown generator %q (known: %s)", name, strings.Join(names, ", "))
}

// name formats an instance name from the generator name and the knobs used.
func name(gen string, p Params, knobs ...string) string {
	parts := make([]string, len(knobs))
	for i, k := range knobs {
		parts[i] = fmt.Sprintf("%s=%.4g", k, p.Get(k))
	}
	return gen + "(" + strings.Join(parts, ",") + ")"
}

// Validation helpers: each returns an error naming the parameter. The
// negated comparisons also reject NaN.

func checkShape(p Params) error {
	if p.D < 1 {
		return fmt.Errorf("testmat: d = %d, need d >= 1", p.D)
	}
	if p.N < p.D {
		return fmt.Errorf("testmat: n = %d < d = %d, need a tall matrix (n >= d)", p.N, p.D)
	}
	if int64(p.N)*int64(p.D) > 1<<34 {
		return fmt.Errorf("testmat: n·d = %d·%d is too large to hold in memory", p.N, p.D)
	}
	return nil
}

func checkKappa(k float64) error {
	if !(k >= 1) || math.IsInf(k, 0) {
		return fmt.Errorf("testmat: kappa = %v, need a finite kappa >= 1", k)
	}
	return nil
}

func checkNonNeg(what string, v float64) error {
	if !(v >= 0) || math.IsInf(v, 0) {
		return fmt.Errorf("testmat: %s = %v, need a finite value >= 0", what, v)
	}
	return nil
}
