// Command gcnet runs local multi-node GradientCoin networks: `gcnet up`
// starts N gcoind processes on loopback addresses and prints their status
// until they converge; `gcnet run SCENARIO...` drives the scenarios of
// papers/gradientcoin.md section 10.4 (convergence, partition, crash,
// malicious, wallet, serving) and the benchmarks (txrate, sync), and writes
// a JSON and CSV report per scenario.
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
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gcnet:", err)
		var ue *usageError
		var nm *notMetError
		switch {
		case errors.As(err, &ue):
			os.Exit(2)
		case errors.As(err, &nm):
			os.Exit(1)
		}
		os.Exit(1)
	}
}
