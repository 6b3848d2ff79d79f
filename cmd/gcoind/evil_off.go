//go:build !evil

package main

import (
	"context"

	"github.com/spf13/pflag"

	"github.com/sketchwork/sketchwork/ledger/node"
	"github.com/sketchwork/sketchwork/ledger/p2p"
)

// extraFlags are the flags of test-only builds; production builds have
// none (the misbehaviour modes exist only with the build tag evil).
type extraFlags struct{}

func (extraFlags) register(*pflag.FlagSet) {}

func (extraFlags) run(context.Context, *node.Node, *p2p.Node) {}
