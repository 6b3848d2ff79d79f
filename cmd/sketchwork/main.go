// Command sketchwork is the numerical command line of Sketchwork: reproduce
// the papers' experiments, sketch and solve problems from files, generate test
// instances and run benchmarks. See `sketchwork help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/sketchwork/sketchwork/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	cmd := cli.NewRootCmd(cli.Deps{Registry: cli.DefaultRegistry})
	cmd.SetContext(ctx)
	code := cli.Execute(cmd, os.Args[1:])
	stop()
	os.Exit(code)
}
