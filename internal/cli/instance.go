package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/sketchwork/sketchwork/linalg/testmat"
)

// knobFlags are the size and shape flags shared by every command that can
// generate its instance (`gen`, and `--gen` of the solver commands). Only the
// flags the user set override the generator's defaults.
type knobFlags struct {
	fs   *pflag.FlagSet
	vals map[string]*float64
}

var knobHelp = map[string]string{
	"n": "rows", "d": "columns", "kappa": "condition number", "nu": "degrees of freedom (heavy-tailed)",
	"delta": "background scale (spiky) or noise (block-coherent)", "z": "nonzeros per row (sparse)",
	"density": "fraction of nonzeros per row (sparse-illcond)", "rho": "optimal residual norm (kappa-exact)",
	"noise": "noise standard deviation of b", "q": "identity block size (block-coherent)",
}

func addKnobFlags(fs *pflag.FlagSet) *knobFlags {
	k := &knobFlags{fs: fs, vals: map[string]*float64{}}
	for _, name := range []string{"n", "d", "kappa", "nu", "delta", "z", "density", "rho", "noise", "q"} {
		k.vals[name] = fs.Float64(name, 0, knobHelp[name]+" (generator default when unset)")
	}
	return k
}

// generate builds the named generator's instance with the user's knobs.
func (k *knobFlags) generate(name string, seed uint64) (*testmat.Instance, error) {
	g, err := testmat.Lookup(name)
	if err != nil {
		return nil, err
	}
	p := g.Defaults()
	var reads []string
	for _, kn := range g.Knobs {
		reads = append(reads, kn.Name)
	}
	for name, v := range k.vals {
		if !k.fs.Changed(name) {
			continue
		}
		known := false
		for _, r := range reads {
			known = known || r == name
		}
		if !known {
			return nil, fmt.Errorf("generator %s has no --%s (its knobs: %s)", g.Name, name, strings.Join(reads, ", "))
		}
		if err := p.Set(name, *v); err != nil {
			return nil, err
		}
	}
	return g.Generate(seed, p)
}

// generatorList describes the generators for help texts.
func generatorList() string {
	var b strings.Builder
	for _, g := range testmat.Generators() {
		var ks []string
		for _, kn := range g.Knobs {
			ks = append(ks, fmt.Sprintf("--%s %g", kn.Name, kn.Default))
		}
		fmt.Fprintf(&b, "  %-15s %s\n  %-15s (%s)\n", g.Name, g.Description, "", strings.Join(ks, " "))
	}
	return b.String()
}
