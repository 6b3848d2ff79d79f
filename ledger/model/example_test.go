package model_test

import (
	"fmt"

	"github.com/sketchwork/sketchwork/ledger/corpus"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/model"
)

// One block's training update and its check: train from the parent's
// weights with a seed, then compare the mean loss on the verification batch
// before and after.
func ExampleTrain() {
	c := corpus.Embedded()
	parent := model.NewGenesis()
	parentHash := hashx.Tagged(hashx.TagHeader, []byte("example parent"))

	vseed := hashx.Tagged(hashx.TagVerify, parentHash[:])
	vbatch := c.HeldOutBatch(nil, vseed, 0, 256)
	before := model.MeanLoss(parent, vbatch)

	seed := hashx.Tagged(hashx.TagTrain, parentHash[:], []byte("miner and nonce"))
	w, err := model.Train(parent, c, seed, model.DefaultParams())
	if err != nil {
		panic(err)
	}
	after := model.MeanLoss(w, vbatch)

	fmt.Printf("loss before %.4f nats, after %.4f nats, accepted %v\n",
		float64(before)/(1<<24), float64(after)/(1<<24), after <= before)
	fmt.Println("parent unchanged:", parent.Equal(model.NewGenesis()))
	// Output:
	// loss before 4.5643 nats, after 4.2118 nats, accepted true
	// parent unchanged: true
}

// Greedy and sampled continuations after a few training rounds. The output is
// the same on every machine.
func ExampleGenerate() {
	c := corpus.Embedded()
	w := model.NewGenesis()
	for r := 0; r < 30; r++ {
		w, _ = model.Train(w, c, hashx.Tagged(hashx.TagTrain, []byte{byte(r)}), model.DefaultParams())
	}
	greedy, _ := model.Generate(w, []byte("The "), model.GenParams{MaxTokens: 24})
	sampled, _ := model.Generate(w, []byte("The "), model.GenParams{MaxTokens: 24, TemperatureMilli: 700, TopK: 10, Seed: 5})
	fmt.Printf("%q\n%q\n", greedy, sampled)
	// Output:
	// "the the the the the the "
	// "and and andes sirhe he s"
}
