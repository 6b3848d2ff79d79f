package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/keys"
)

func runCmd(args ...string) (string, string, error) {
	cmd := newRootCmd()
	var out, errb bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), errb.String(), err
}

// TestGenesisCommand: the written genesis parses, carries the extra
// allocation, and --fast selects the dev-fast network.
func TestGenesisCommand(t *testing.T) {
	addr := keys.Address{5}
	out, _, err := runCmd("genesis", "--fast", "--alloc", addr.String()+"=2.5")
	if err != nil {
		t.Fatal(err)
	}
	g, err := consensus.ParseGenesis([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if g.Params.Name != "dev-fast" || !g.Params.NoRetarget || len(g.Alloc) != 2 {
		t.Errorf("genesis %+v", g)
	}
	var found bool
	for _, a := range g.Alloc {
		found = found || (a.Address == addr && a.Amount == 250_000_000)
	}
	if !found {
		t.Error("allocation missing")
	}
	file := filepath.Join(t.TempDir(), "g.json")
	if _, errOut, err := runCmd("genesis", "--out", file); err != nil || !strings.Contains(errOut, "network dev") {
		t.Fatalf("--out: %v %s", err, errOut)
	}
	if g2, err := consensus.LoadGenesisFile(file); err != nil || g2.Params.Name != "dev" {
		t.Errorf("written file: %v", err)
	}
}

// TestUsageErrors: bad flags and arguments are usage errors (exit 2).
func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--bogus"},
		{"extra-arg"},
		{"--log-level", "loud", "--datadir", t.TempDir()},
		{"--miner-addr", "xyz", "--datadir", t.TempDir()},
		{"genesis", "--alloc", "nothing"},
		{"genesis", "--alloc", keys.Address{1}.String() + "=-1"},
	} {
		_, _, err := runCmd(args...)
		var ue *usageError
		if !errors.As(err, &ue) {
			t.Errorf("gcoind %v: %v, want a usage error", args, err)
		}
	}
}
