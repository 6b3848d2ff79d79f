package p2p

import (
	"context"
	"fmt"
	"sync"
	"time"

	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/discovery/mdns"
	drouting "github.com/libp2p/go-libp2p/p2p/discovery/routing"
	dutil "github.com/libp2p/go-libp2p/p2p/discovery/util"
)

// dialTimeout bounds one discovery dial.
const dialTimeout = 3 * time.Second

// maxDialsPerRound bounds how many peers one redial round tries.
const maxDialsPerRound = 16

// discoveryLoop redials bootstrap and known peers whenever the node has
// fewer than MinPeers connections (after a partition heals, a peer
// restarts, or a connection drops), every StatusInterval.
func (n *Node) discoveryLoop() {
	n.redial()
	t := time.NewTicker(n.cfg.StatusInterval)
	defer t.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-t.C:
			if n.PeerCount() < n.cfg.MinPeers {
				n.redial()
			}
		}
	}
}

// redial dials bootstrap peers and peers with known addresses that are
// neither connected, banned nor denied.
func (n *Node) redial() {
	cands := map[peer.ID]peer.AddrInfo{}
	for _, ai := range n.bootstrap {
		cands[ai.ID] = ai
	}
	for _, p := range n.h.Peerstore().PeersWithAddrs() {
		if _, ok := cands[p]; !ok {
			cands[p] = n.h.Peerstore().PeerInfo(p)
		}
	}
	var wg sync.WaitGroup
	dials := 0
	for p, ai := range cands {
		if p == n.h.ID() || n.bans.banned(p) || n.h.Network().Connectedness(p) == network.Connected {
			continue
		}
		if dials++; dials > maxDialsPerRound {
			break
		}
		wg.Add(1)
		go func(ai peer.AddrInfo) {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(n.ctx, dialTimeout)
			defer cancel()
			if err := n.h.Connect(ctx, ai); err != nil {
				n.log.Debug("p2p: dial failed", "peer", ai.ID, "err", err)
			}
		}(ai)
	}
	wg.Wait()
}

// mdnsNotifee connects to peers found on the local network.
type mdnsNotifee struct{ n *Node }

func (m mdnsNotifee) HandlePeerFound(ai peer.AddrInfo) {
	n := m.n
	if ai.ID == n.h.ID() || n.bans.banned(ai.ID) || n.ctx.Err() != nil {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(n.ctx, dialTimeout)
		defer cancel()
		_ = n.h.Connect(ctx, ai)
	}()
}

// startDiscovery starts mDNS and the DHT when configured (section 7):
// mDNS under the service name gc-<net>; a kad-dht forced into server mode
// (on loopback and private networks auto mode would leave every node a
// client) with the /gc protocol prefix, advertising the rendezvous string
// gc/<net>/v1 in a loop after the bootstrap peers are connected, and
// searching for peers every DHTInterval.
func (n *Node) startDiscovery() error {
	if n.cfg.MDNS {
		svc := mdns.NewMdnsService(n.h, "gc-"+n.cfg.Network, mdnsNotifee{n})
		if err := svc.Start(); err != nil {
			return fmt.Errorf("p2p: mdns: %w", err)
		}
		n.mu.Lock()
		n.extra = append(n.extra, svc)
		n.mu.Unlock()
	}
	if n.cfg.DHT {
		d, err := dht.New(n.h, dht.Mode(dht.ModeServer), dht.ProtocolPrefix("/gc"),
			dht.BootstrapPeers(n.bootstrap...))
		if err != nil {
			return fmt.Errorf("p2p: dht: %w", err)
		}
		n.mu.Lock()
		n.extra = append(n.extra, d)
		n.mu.Unlock()
		n.goLoop(func() { n.dhtLoop(d) })
	}
	return nil
}

func (n *Node) dhtLoop(d *dht.IpfsDHT) {
	ns := "gc/" + n.cfg.Network + "/v1"
	// Advertising into an empty routing table fails: wait for peers.
	for n.PeerCount() == 0 {
		select {
		case <-n.ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
	if err := d.Bootstrap(n.ctx); err != nil {
		n.log.Info("p2p: dht bootstrap", "err", err)
	}
	rd := drouting.NewRoutingDiscovery(d)
	n.goLoop(func() { dutil.Advertise(n.ctx, rd, ns) })
	t := time.NewTicker(n.cfg.DHTInterval)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(n.ctx, n.cfg.DHTInterval)
		ch, err := rd.FindPeers(ctx, ns)
		if err == nil {
			for ai := range ch {
				if ai.ID == n.h.ID() || len(ai.Addrs) == 0 || n.bans.banned(ai.ID) ||
					n.h.Network().Connectedness(ai.ID) == network.Connected {
					continue
				}
				dctx, dcancel := context.WithTimeout(n.ctx, dialTimeout)
				_ = n.h.Connect(dctx, ai)
				dcancel()
			}
		}
		cancel()
		select {
		case <-n.ctx.Done():
			return
		case <-t.C:
		}
	}
}
