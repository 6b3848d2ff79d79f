package consensus_test

import (
	"fmt"

	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/types"
)

func ExampleNewDevGenesis() {
	// The chain code passes the real corpus and initial model roots here.
	g, err := consensus.NewDevGenesis(hashx.Tagged("corpus"), hashx.Tagged("model"))
	if err != nil {
		panic(err)
	}
	data, _ := g.MarshalIndent()
	back, err := consensus.ParseGenesis(data)
	fmt.Println(err, back.Hash() == g.Hash(), g.Params.Name, g.Params.ChainID)
	// Output: <nil> true dev 1337
}

func ExampleRetarget() {
	p := consensus.MainParams()
	old := types.TargetPow2(230)
	window := int64(p.RetargetWindow) * p.TargetSpacing
	// Blocks came twice as slowly as intended: the target doubles (easier).
	fmt.Println(consensus.Retarget(&p, old, 2*window) == types.TargetPow2(231))
	// Output: true
}

func ExampleIsCode() {
	p := consensus.TestParams()
	err := consensus.CheckProofOfWork(&p, hashx.Hash{0xff}, types.TargetPow2(240))
	fmt.Println(consensus.IsCode(err, consensus.ErrBadPoW))
	// Output: true
}
