package chain_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/sketchwork/sketchwork/ledger/chaintest"
	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/corpus"
	"github.com/sketchwork/sketchwork/ledger/model"
	"github.com/sketchwork/sketchwork/ledger/types"
)

var regen = flag.Bool("regen", false, "rewrite testdata/golden.json from the current code")

const goldenPath = "testdata/golden.json"

type goldenBlock struct {
	Height    uint64 `json:"height"`
	Hash      string `json:"block_hash"`
	StateRoot string `json:"state_root"`
	ModelRoot string `json:"model_root"`
	LossAfter int64  `json:"loss_after"`
	Target    string `json:"target"`
	Txs       int    `json:"txs"`
}

type goldenFile struct {
	Note        string        `json:"note"`
	GenesisHash string        `json:"genesis_hash"`
	Blocks      []goldenBlock `json:"blocks"`
}

// goldenChain mines the 100-block golden chain on the built-in dev genesis
// (test-net parameters, retargeting on, target 2^240): miner
// Key("golden-miner"), block i at genesis time + 1100*i ms (so the
// retargets at 40, 60, 80 and 100 each ease the target by 10%), the faucet
// paying alice, bob and carol in every fifth block and alice paying bob in
// every seventh.
func goldenChain(t *testing.T) (*chaintest.Generator, []string) {
	c := corpus.Embedded()
	g0, err := consensus.NewDevGenesis(c.Root(), model.GenesisRoot())
	if err != nil {
		t.Fatal(err)
	}
	g, err := chaintest.NewGenerator(chaintest.Options{Genesis: g0, Miner: chaintest.Key("golden-miner").Address()})
	if err != nil {
		t.Fatal(err)
	}
	alice := chaintest.Key("alice")
	names := []string{"genesis"}
	for h := 1; h <= 100; h++ {
		parent := names[h-1]
		var txs []*types.Tx
		if h%5 == 0 {
			for i, k := range []string{"alice", "bob", "carol"} {
				txs = append(txs, g.Spend(parent, chaintest.Key(k).Address(), uint64(1000*h+i), uint64(i)))
			}
		}
		if h%7 == 0 {
			if a := g.Get(parent).State.Account(alice.Address()); a.Balance > 10 {
				txs = append(txs, g.Tx(alice, chaintest.Key("bob").Address(), a.Balance/3, 2, a.Nonce))
			}
		}
		name := fmt.Sprintf("g%d", h)
		if _, err := g.NextBlock(name, parent, chaintest.WithSpacing(1100), chaintest.WithTxs(txs...)); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	return g, names
}

// TestGolden pins the block hash, state root and model root after 1, 10
// and 100 mined blocks of the dev chain. The values must be identical
// under GOAMD64=v1 and v3 and on every architecture; every block also
// passes full validation by a chain.
func TestGolden(t *testing.T) {
	if testing.Short() {
		t.Skip("mines 100 blocks at the dev target (~2 s)")
	}
	g, names := goldenChain(t)
	c, _ := openMem(t, g, nil)
	for _, n := range names[1:] {
		if res, err := c.ProcessBlock(g.Get(n).Block); err != nil || !res.MainChain {
			t.Fatalf("%s: %v %v", n, res.Status, err)
		}
	}
	got := goldenFile{
		Note:        "Regenerate with: go test ./ledger/chain -run TestGolden -regen. See goldenChain for how the chain is mined.",
		GenesisHash: g.Genesis.Hash().String(),
	}
	for _, h := range []int{1, 10, 100} {
		b := g.Get(names[h]).Block
		got.Blocks = append(got.Blocks, goldenBlock{Height: uint64(h), Hash: b.Hash().String(), StateRoot: b.Header.StateRoot.String(),
			ModelRoot: b.Header.ModelRoot.String(), LossAfter: b.Header.LossAfter, Target: b.Header.Target.String(), Txs: len(b.Txs)})
	}
	if s := c.Snapshot(); s.Height != 100 || s.Hash.String() != got.Blocks[2].Hash {
		t.Fatal("chain tip is not the 100th golden block")
	}
	if *regen {
		out, _ := json.MarshalIndent(got, "", "  ")
		if err := os.WriteFile(goldenPath, append(out, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("rewrote", goldenPath)
		return
	}
	raw, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	var want goldenFile
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	if got.GenesisHash != want.GenesisHash {
		t.Errorf("genesis hash %s, golden %s", got.GenesisHash, want.GenesisHash)
	}
	if len(want.Blocks) != len(got.Blocks) {
		t.Fatalf("golden has %d blocks", len(want.Blocks))
	}
	for i := range want.Blocks {
		if got.Blocks[i] != want.Blocks[i] {
			t.Errorf("height %d:\n got %+v\nwant %+v", want.Blocks[i].Height, got.Blocks[i], want.Blocks[i])
		}
	}
}
