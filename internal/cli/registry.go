package cli

import (
	"github.com/sketchwork/sketchwork/experiment"
	"github.com/sketchwork/sketchwork/ledger/lab"
)

// DefaultRegistry builds the registry of everything the module ships: the
// numerical experiments of package experiment, and the experiments that
// other parts of the module (the GradientCoin ledger) register from their own
// side.
func DefaultRegistry() (*experiment.Registry, error) {
	r := experiment.NewRegistry()
	if err := experiment.Builtin(r); err != nil {
		return nil, err
	}
	if err := r.Add(lab.Experiments()...); err != nil {
		return nil, err
	}
	return r, nil
}
