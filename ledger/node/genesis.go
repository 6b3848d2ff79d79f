package node

import (
	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/corpus"
	"github.com/sketchwork/sketchwork/ledger/model"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// DevGenesis returns the built-in dev network on the embedded corpus
// (consensus.NewDevGenesis): test-net parameters, 1 s target spacing with
// retargeting, the faucet allocation of consensus.DevFaucetKey.
func DevGenesis() (*consensus.Genesis, error) {
	c := corpus.Embedded()
	return consensus.NewDevGenesis(c.Root(), model.GenesisRoot())
}

// FastDevGenesis is DevGenesis with a trivial, fixed proof-of-work target
// (2^246, about 1000 hashes per block, NoRetarget) under the network name
// "dev-fast": blocks cost little more than their training, for tests and
// experiments that mine hundreds of blocks in seconds. Its genesis hash
// differs from the dev network's, so the two never mix.
func FastDevGenesis() (*consensus.Genesis, error) {
	g, err := DevGenesis()
	if err != nil {
		return nil, err
	}
	g.Params.Name = "dev-fast"
	g.Params.NoRetarget = true
	g.Params.GenesisTarget = types.TargetPow2(246)
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return g, nil
}
