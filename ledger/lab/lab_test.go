package lab

import (
	"context"
	"strings"
	"testing"

	"github.com/sketchwork/sketchwork/experiment"
)

// TestGradientCoinLossQuick runs the experiment at its quick size: every
// check must pass and the figure must cover every height.
func TestGradientCoinLossQuick(t *testing.T) {
	e := Experiments()[0]
	if e.Name != "gradientcoin-loss" || e.Reconstruction == "" {
		t.Fatalf("experiment %q (reconstruction %q)", e.Name, e.Reconstruction)
	}
	var last float64
	o, err := e.Run(context.Background(), experiment.Config{Seed: 1, Progress: func(f float64) { last = f }})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range o.Checks {
		t.Logf("%v %s: %s", c.Pass, c.Name, c.Detail)
	}
	if !o.Pass() {
		t.Error("a check failed")
	}
	if len(o.Figures) != 1 || len(o.Figures[0].Series[0].X) != QuickBlocks+1 {
		t.Errorf("figure does not cover heights 0..%d", QuickBlocks)
	}
	if last != 1 {
		t.Errorf("progress ended at %v", last)
	}
	for _, tab := range o.Tables {
		t.Log("\n" + tab.Markdown())
	}
}

// TestLossCheckCanFail: after only 3 blocks the model is far from 1 nat
// below uniform, so the main check must fail (it is not vacuous), while the
// bookkeeping checks still pass; and the same seed gives the same chain.
func TestLossCheckCanFail(t *testing.T) {
	o1, err := run(context.Background(), experiment.Config{Seed: 9}, 3)
	if err != nil {
		t.Fatal(err)
	}
	var mainFailed bool
	for _, c := range o1.Checks {
		if strings.Contains(c.Name, "1 nat below") {
			mainFailed = !c.Pass
		} else if strings.Contains(c.Name, "replaying") && !c.Pass {
			t.Errorf("replay check failed: %s", c.Detail)
		}
	}
	if !mainFailed {
		t.Error("the 1-nat check passed after 3 blocks")
	}
	o2, err := run(context.Background(), experiment.Config{Seed: 9}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := o1.Tables[0].Markdown(), o2.Tables[0].Markdown(); a != b {
		t.Errorf("same seed, different chains:\n%s\n%s", a, b)
	}
}
