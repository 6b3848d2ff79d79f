// Command gcoin is the GradientCoin wallet and client: it keeps ed25519
// keys in local files, signs transactions locally and talks to a node's
// HTTP API (papers/gradientcoin.md section 9). See ledger/README.md.
//
//	gcoin key new [--out FILE]            gcoin key import-dev-faucet
//	gcoin addr                            gcoin balance [ADDR]
//	gcoin send --to ADDR --amount A [--fee F] [--no-wait]
//	gcoin status                          gcoin tx TXID
//	gcoin mine start|stop                 gcoin generate "PROMPT" [--seed N --temp T --max-tokens K]
//	gcoin chat "MESSAGE"
//
// Global flags: --node URL (default http://127.0.0.1:8645 or $GCOIN_NODE),
// --key FILE (default ~/.gcoin/key.json or $GCOIN_KEY), --json.
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
	cmd := newRootCmd(deps{})
	cmd.SetArgs(os.Args[1:])
	err := cmd.ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gcoin:", err)
		var ue *usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}
