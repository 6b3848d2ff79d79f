// Command gcoind runs a GradientCoin node: the chain with its proof of
// gradient work, the mempool, an optional miner and the HTTP API
// (papers/gradientcoin.md sections 2, 5, 8 and 9). See ledger/README.md.
//
//	gcoind --datadir DIR --http 127.0.0.1:8645 --mine           # dev network, miner key in DIR
//	gcoind --datadir DIR --genesis FILE --mine --miner-addr ADDR
//	gcoind genesis [--fast] [--alloc ADDR=AMOUNT]... [--out FILE]
//	gcoind verify --datadir DIR
//
// The node stops cleanly on SIGINT or SIGTERM: the HTTP server drains,
// the miner abandons its job, and the store is closed.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	cmd := newRootCmd()
	cmd.SetArgs(os.Args[1:])
	err := cmd.ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gcoind:", err)
		var ue *usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}
