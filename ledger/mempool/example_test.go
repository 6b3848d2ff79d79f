package mempool_test

import (
	"bytes"
	"fmt"

	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/mempool"
	"github.com/sketchwork/sketchwork/ledger/state"
	"github.com/sketchwork/sketchwork/ledger/types"
)

func Example() {
	p := consensus.TestParams()
	alice, _ := keys.FromSeed(bytes.Repeat([]byte{1}, 32)) // tests only
	bob, _ := keys.FromSeed(bytes.Repeat([]byte{2}, 32))
	tip, _ := state.FromEntries([]state.Entry{{Addr: alice.Address(), Acct: types.Account{Balance: 1000}}})

	pool := mempool.New(&p, mempool.Config{})
	send := func(nonce, fee, amount uint64) error {
		tx := &types.Tx{Version: 1, ChainID: p.ChainID, From: alice.Address(), To: bob.Address(),
			Amount: amount, Fee: fee, Nonce: nonce}
		tx.Sign(alice)
		_, err := pool.Add(tx, tip)
		return err
	}
	fmt.Println(send(0, 10, 100), send(1, 10, 100))
	code, _ := consensus.CodeOf(send(0, 10, 90)) // same slot, fee not 10% higher
	fmt.Println(code, send(0, 11, 90))
	fmt.Println(len(pool.Template(tip, 999, 1<<18)), pool.PendingNonce(alice.Address(), tip))
	// Output:
	// <nil> <nil>
	// ErrReplacementFee <nil>
	// 2 2
}
