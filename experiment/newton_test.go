package experiment

import (
	"context"
	"testing"
)

// The quick newton experiments run and their checks pass (newton-cost is
// timing-based and runs in `sketchwork reproduce` only).
func TestNewtonExperiments(t *testing.T) {
	for _, e := range []Experiment{newtonFormulas(), newtonPD(), newtonSampling(), newtonConvergence()} {
		o, err := e.Run(context.Background(), Config{Seed: 1})
		if err != nil {
			t.Fatalf("%s: %v", e.Name, err)
		}
		if len(o.Checks) == 0 {
			t.Errorf("%s: no checks", e.Name)
		}
		for _, c := range o.Checks {
			if !c.Pass {
				t.Errorf("%s: %s failed: %s", e.Name, c.Name, c.Detail)
			}
		}
		if e.Reconstruction == "" {
			t.Errorf("%s: results rest on reconstructed items but carry no label", e.Name)
		}
	}
}
