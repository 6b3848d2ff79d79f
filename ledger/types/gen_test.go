package types

import (
	"pgregory.net/rapid"

	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/keys"
)

// Generators shared by the property tests of this package.

func genBytes32(t *rapid.T, label string) [32]byte {
	var a [32]byte
	copy(a[:], rapid.SliceOfN(rapid.Byte(), 32, 32).Draw(t, label))
	return a
}

func genTx(t *rapid.T, label string) *Tx {
	tx := &Tx{
		Version: rapid.Uint8().Draw(t, label+".version"),
		ChainID: rapid.Uint32().Draw(t, label+".chain"),
		From:    keys.Address(genBytes32(t, label+".from")),
		To:      keys.Address(genBytes32(t, label+".to")),
		Amount:  rapid.Uint64().Draw(t, label+".amount"),
		Fee:     rapid.Uint64().Draw(t, label+".fee"),
		Nonce:   rapid.Uint64().Draw(t, label+".nonce"),
	}
	memo := rapid.SliceOfN(rapid.Byte(), 0, MaxMemo).Draw(t, label+".memo")
	if len(memo) > 0 {
		tx.Memo = memo
	}
	copy(tx.Sig[:], rapid.SliceOfN(rapid.Byte(), 64, 64).Draw(t, label+".sig"))
	return tx
}

func genHeader(t *rapid.T) Header {
	return Header{
		Version:    rapid.Uint32().Draw(t, "version"),
		Height:     rapid.Uint64().Draw(t, "height"),
		PrevHash:   hashx.Hash(genBytes32(t, "prev")),
		TxRoot:     hashx.Hash(genBytes32(t, "txroot")),
		StateRoot:  hashx.Hash(genBytes32(t, "stateroot")),
		ModelRoot:  hashx.Hash(genBytes32(t, "modelroot")),
		Miner:      keys.Address(genBytes32(t, "miner")),
		TrainNonce: rapid.Uint64().Draw(t, "trainnonce"),
		LossBefore: rapid.Int64().Draw(t, "lossbefore"),
		LossAfter:  rapid.Int64().Draw(t, "lossafter"),
		Time:       rapid.Int64().Draw(t, "time"),
		Target:     Target(genBytes32(t, "target")),
		Nonce:      rapid.Uint64().Draw(t, "nonce"),
	}
}
