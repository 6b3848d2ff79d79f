package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sketchwork/sketchwork/ledger/keys"
)

func TestUnknownScenarioIsUsageError(t *testing.T) {
	cmd := newRootCmd()
	cmd.SetArgs([]string{"run", "no-such-scenario", "--bin", "/bin/true"})
	cmd.SetOut(new(bytes.Buffer))
	cmd.SetErr(new(bytes.Buffer))
	err := cmd.Execute()
	var ue *usageError
	if !errors.As(err, &ue) {
		t.Fatalf("want a usage error, got %v", err)
	}
}

func TestQuantile(t *testing.T) {
	xs := []float64{5, 1, 4, 2, 3}
	if q := quantile(xs, 0.5); q != 3 {
		t.Fatalf("median %g", q)
	}
	if q := quantile(xs, 1); q != 5 {
		t.Fatalf("max %g", q)
	}
	if q := quantile(xs, 0); q != 1 {
		t.Fatalf("min %g", q)
	}
	if quantile(nil, 0.5) != 0 {
		t.Fatal("empty")
	}
	if xs[0] != 5 {
		t.Fatal("input modified")
	}
}

func TestReportFiles(t *testing.T) {
	r := &Report{Scenario: "x"}
	if r.Pass() {
		t.Fatal("a report without checks passes")
	}
	r.Check("a", true, "fine")
	r.Metric("m", 1.5)
	r.Loss = []LossRow{{Height: 1, LossAfter: 4, EvalLoss: 4.1}}
	if !r.Pass() {
		t.Fatal("passing report fails")
	}
	r.Check("b", false, "broken")
	if r.Pass() {
		t.Fatal("failing check ignored")
	}
	dir := t.TempDir()
	if err := r.Write(dir); err != nil {
		t.Fatal(err)
	}
	var back Report
	b, err := os.ReadFile(filepath.Join(dir, "x.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &back); err != nil || len(back.Checks) != 2 || back.Metrics["m"] != 1.5 {
		t.Fatalf("json round trip: %v %+v", err, back)
	}
	f, err := os.Open(filepath.Join(dir, "x-loss.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) != 2 || rows[1][0] != "1" {
		t.Fatalf("loss csv: %v %v", err, rows)
	}
}

func TestGenesisAllocations(t *testing.T) {
	k := Key(1, "a")
	g, err := NewGenesis(GenesisOptions{Alloc: []keys.Address{k.Address()}, AllocAmount: 7})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range g.Alloc {
		found = found || (a.Address == k.Address() && a.Amount == 7)
	}
	if !found || g.Params.Name != "gcnet" {
		t.Fatalf("genesis: %+v", g.Alloc)
	}
	if Key(1, "a").Address() != k.Address() || Key(2, "a").Address() == k.Address() {
		t.Fatal("keys not deterministic per seed")
	}
}
