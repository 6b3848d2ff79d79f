package model

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/sketchwork/sketchwork/ledger/corpus"
	"github.com/sketchwork/sketchwork/ledger/hashx"
)

var regen = flag.Bool("regen", false, "rewrite testdata/golden.json from the current code")

const goldenPath = "testdata/golden.json"

// golden is the content of testdata/golden.json: consensus results that must
// be identical on every machine, architecture and build (GOAMD64=v1/v3,
// arm64). Losses are Q8.24 integers.
type golden struct {
	Note             string        `json:"note"`
	CorpusRoot       string        `json:"corpus_root"`
	GenesisRoot      string        `json:"genesis_model_root"`
	GenesisLoss      int64         `json:"genesis_window_loss"`
	Rounds           []goldenRound `json:"rounds"`
	Generate         []goldenGen   `json:"generate"`
	SyntheticCorpus  string        `json:"synthetic_corpus_root"`
	SyntheticRound10 string        `json:"synthetic_model_root_after_10"`
}

type goldenRound struct {
	Round       int    `json:"round"`
	ModelRoot   string `json:"model_root"`
	HeldOutLoss int64  `json:"heldout_loss"`
	EvalLoss    int64  `json:"eval_loss"`
	VerifyLoss  int64  `json:"verify_loss"`
}

type goldenGen struct {
	Prompt string    `json:"prompt"`
	Params GenParams `json:"params"`
	Text   string    `json:"text"`
}

// goldenSeed is the training seed of golden round r: H_train("golden" || u64(r)).
func goldenSeed(r int) hashx.Hash {
	return hashx.Tagged(hashx.TagTrain, []byte("golden"), u64(uint64(r)))
}

// goldenVerifyBatch is the VB = 256 window verification batch of round r,
// selected from the held-out split by H_verify(H_hdr("golden" || u64(r))).
func goldenVerifyBatch(c *corpus.Corpus, r int) []corpus.Window {
	parent := hashx.Tagged(hashx.TagHeader, []byte("golden"), u64(uint64(r)))
	return c.HeldOutBatch(nil, hashx.Tagged(hashx.TagVerify, parent[:]), 0, 256)
}

func computeGolden(t *testing.T) golden {
	c := corpus.Embedded()
	g := golden{
		Note:        "Regenerate with: go test ./ledger/model -run TestGolden -regen. Round r trains the previous weights with seed H_train(\"golden\"||u64(r)), K=8, B=64, LR=1/2, unconditionally.",
		CorpusRoot:  c.Root().String(),
		GenesisRoot: GenesisRoot().String(),
		GenesisLoss: NewGenesis().Loss(c.Window(0)),
	}
	held := make([]corpus.Window, len(c.HeldOut()))
	for j, i := range c.HeldOut() {
		held[j] = c.Window(int(i))
	}
	w := NewGenesis()
	tr := NewTrainer()
	for r := 1; r <= 100; r++ {
		var err error
		if w, err = tr.Train(w, c, goldenSeed(r), DefaultParams()); err != nil {
			t.Fatal(err)
		}
		if r == 1 || r == 10 || r == 100 {
			g.Rounds = append(g.Rounds, goldenRound{
				Round:       r,
				ModelRoot:   w.Root().String(),
				HeldOutLoss: MeanLossParallel(w, held, 2),
				EvalLoss:    EvalLoss(w, c, 2),
				VerifyLoss:  MeanLoss(w, goldenVerifyBatch(c, r)),
			})
		}
	}
	for _, gen := range []goldenGen{
		{Prompt: "The river", Params: GenParams{MaxTokens: 48}},
		{Prompt: "The river", Params: GenParams{MaxTokens: 48, TemperatureMilli: 800, Seed: 7}},
		{Prompt: "", Params: GenParams{MaxTokens: 48, TemperatureMilli: 1000, TopK: 8, Seed: 1}},
		{Prompt: "Ann said", Params: GenParams{MaxTokens: 48, TemperatureMilli: 250, TopK: 3, Seed: 99}},
	} {
		out, err := Generate(w, []byte(gen.Prompt), gen.Params)
		if err != nil {
			t.Fatal(err)
		}
		gen.Text = string(out)
		g.Generate = append(g.Generate, gen)
	}
	sc, err := corpus.New(corpus.Synthetic(1, 50000))
	if err != nil {
		t.Fatal(err)
	}
	g.SyntheticCorpus = sc.Root().String()
	ws := NewGenesis()
	for r := 1; r <= 10; r++ {
		ws, _ = tr.Train(ws, sc, goldenSeed(r), DefaultParams())
	}
	g.SyntheticRound10 = ws.Root().String()
	return g
}

// TestGolden pins ModelRoot and losses after 1, 10 and 100 training rounds,
// generated text and the corpus roots. CI runs it under GOAMD64=v1 and v3.
func TestGolden(t *testing.T) {
	got := computeGolden(t)
	enc, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	enc = append(enc, '\n')
	if *regen {
		if err := os.MkdirAll(filepath.Dir(goldenPath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenPath, enc, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", goldenPath)
		return
	}
	raw, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("%v (run with -regen to create it)", err)
	}
	var want golden
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatalf("%s: %v", goldenPath, err)
	}
	if want.CorpusRoot != got.CorpusRoot {
		t.Errorf("corpus root %s, golden %s", got.CorpusRoot, want.CorpusRoot)
	}
	if want.GenesisRoot != got.GenesisRoot || want.GenesisLoss != got.GenesisLoss {
		t.Errorf("genesis %s/%d, golden %s/%d", got.GenesisRoot, got.GenesisLoss, want.GenesisRoot, want.GenesisLoss)
	}
	if len(want.Rounds) != len(got.Rounds) {
		t.Fatalf("golden has %d rounds, computed %d", len(want.Rounds), len(got.Rounds))
	}
	for i, r := range got.Rounds {
		if r != want.Rounds[i] {
			t.Errorf("round %d: got %+v, golden %+v", r.Round, r, want.Rounds[i])
		}
	}
	for i, g := range got.Generate {
		if i >= len(want.Generate) || g != want.Generate[i] {
			t.Errorf("generation %d: got %q, golden %+v", i, g.Text, want.Generate[min(i, len(want.Generate)-1)])
		}
	}
	if want.SyntheticCorpus != got.SyntheticCorpus || want.SyntheticRound10 != got.SyntheticRound10 {
		t.Errorf("synthetic %s/%s, golden %s/%s", got.SyntheticCorpus, got.SyntheticRound10, want.SyntheticCorpus, want.SyntheticRound10)
	}
	if !bytes.Equal(raw, enc) && !t.Failed() {
		t.Errorf("%s is not in canonical form; rerun with -regen", goldenPath)
	}
}
