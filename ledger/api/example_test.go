package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"

	"github.com/sketchwork/sketchwork/ledger/api"
	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/node"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// Serve a node's API and use it through a Client: check a balance, send a
// signed transfer from the dev faucet, mine it, and generate text.
func ExampleClient() {
	g, _ := node.FastDevGenesis()
	n, err := node.Open(node.Config{InMemory: true, Genesis: g, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		panic(err)
	}
	defer n.Close()
	srv := httptest.NewServer(n.Handler()) // gcoind serves api.NewHTTPServer(n.Handler()) instead
	defer srv.Close()
	c, _ := api.NewClient(srv.URL, nil)
	ctx := context.Background()

	faucet := consensus.DevFaucetKey()
	bob := keys.Address{0xb0}
	st, _ := c.Status(ctx)
	acct, _ := c.Account(ctx, faucet.Address())
	tx := &types.Tx{Version: 1, ChainID: st.ChainID, From: faucet.Address(), To: bob,
		Amount: 150_000_000, Fee: st.MinFee, Nonce: acct.PendingNonce}
	_ = tx.Sign(faucet)
	id, err := c.SubmitTx(ctx, tx)
	fmt.Println("submitted:", id == tx.ID(), err)
	_, _, _ = n.GenerateBlock(ctx, keys.Address{0x11})
	t, _ := c.Tx(ctx, id)
	fmt.Println("status:", t.Status, "at height", t.Height)
	b, _ := c.Account(ctx, bob)
	fmt.Println("bob:", b.BalanceGC, "GC")

	tokens := 20
	out, _ := c.Generate(ctx, api.Generate{Prompt: "The ", MaxTokens: &tokens, Seed: 1})
	fmt.Println("generated", len(out.Text), "symbols at height", out.Height)
	// Output:
	// submitted: true <nil>
	// status: confirmed at height 1
	// bob: 1.5 GC
	// generated 20 symbols at height 1
}

func ExampleParseAmount() {
	for _, s := range []string{"1.5", "0.00000001", "2500u", "3 GC"} {
		v, _ := api.ParseAmount(s)
		fmt.Println(s, "=", v, "units =", api.FormatGC(v), "GC")
	}
	// Output:
	// 1.5 = 150000000 units = 1.5 GC
	// 0.00000001 = 1 units = 0.00000001 GC
	// 2500u = 2500 units = 0.000025 GC
	// 3 GC = 300000000 units = 3 GC
}
