//go:build evil

package main

import (
	"context"
	"crypto/rand"
	"time"

	"github.com/spf13/pflag"

	"github.com/sketchwork/sketchwork/ledger/evil"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/node"
	"github.com/sketchwork/sketchwork/ledger/p2p"
)

// extraFlags adds --evil to gcoind built with -tags evil (tests only).
type extraFlags struct {
	modes    string
	interval time.Duration
}

func (e *extraFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&e.modes, "evil", "", "TEST BUILD: misbehave with these modes (comma-separated, or all)")
	fs.DurationVar(&e.interval, "evil-interval", 500*time.Millisecond, "TEST BUILD: time between two misbehaviours")
}

// run starts the attacker loop when --evil is set.
func (e *extraFlags) run(ctx context.Context, n *node.Node, net *p2p.Node) {
	if e.modes == "" || net == nil {
		return
	}
	modes, err := evil.ParseModes(e.modes)
	if err != nil {
		n.Logger().Error("evil", "err", err)
		return
	}
	k, err := keys.Generate(rand.Reader)
	if err != nil {
		return
	}
	miner := k.Address()
	if m := n.Miner(); m != nil {
		miner = m.Address()
	}
	a := &evil.Attacker{Chain: n.Chain(), Node: net, Miner: miner, Key: k, Log: n.Logger().With("component", "evil")}
	n.Logger().Warn("EVIL BUILD: misbehaving", "modes", modes)
	go func() {
		// Attack from the network's tip: wait until synced with the peers.
		for ctx.Err() == nil {
			best := uint64(0)
			peers := net.PeerList()
			for _, p := range peers {
				best = max(best, p.BestHeight)
			}
			if len(peers) > 0 && best > 0 && n.Chain().Snapshot().Height >= best {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		a.Run(ctx, modes, e.interval)
	}()
}
