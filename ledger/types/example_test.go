package types_test

import (
	"bytes"
	"fmt"

	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/types"
)

func ExampleTx_Sign() {
	alice, _ := keys.FromSeed(bytes.Repeat([]byte{1}, 32)) // tests only
	bob, _ := keys.FromSeed(bytes.Repeat([]byte{2}, 32))
	tx := &types.Tx{Version: types.TxVersion, ChainID: 1337, From: alice.Address(), To: bob.Address(),
		Amount: 100_000_000, Fee: 1000, Nonce: 0}
	if err := tx.Sign(alice); err != nil {
		panic(err)
	}
	back, err := types.DecodeTx(tx.Encode())
	fmt.Println(err, back.VerifySig(), back.ID() == tx.ID(), len(tx.Encode()))
	// Output: <nil> true true 158
}
