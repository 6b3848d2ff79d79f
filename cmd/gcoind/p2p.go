package main

import (
	"net/http"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/spf13/pflag"

	"github.com/sketchwork/sketchwork/ledger/node"
	"github.com/sketchwork/sketchwork/ledger/p2p"
)

// P2PKeyFile is the node's libp2p identity in the data directory
// (separate from wallet and miner keys).
const P2PKeyFile = "p2p.key"

// BanFile keeps the node's bans across restarts (in the data directory).
const BanFile = "p2p-bans.json"

// DefaultP2PListen is the default peer-to-peer listen address: loopback,
// like the HTTP API; pass --p2p-listen /ip4/0.0.0.0/tcp/8646 to accept
// peers from other machines.
const DefaultP2PListen = "/ip4/127.0.0.1/tcp/8646"

// p2pFlags are gcoind's peer-to-peer flags.
type p2pFlags struct {
	listen, bootstrap []string
	noP2P, mdns, dht  bool
	testAdmin         bool
	statusInterval    time.Duration
	apiRate           float64
	extra             extraFlags // build-tag dependent (package evil)
	net               atomic.Pointer[p2p.Node]
}

func (f *p2pFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.listen, "p2p-listen", []string{DefaultP2PListen}, "peer-to-peer listen multiaddr (repeatable; port 0 picks a free one)")
	fs.StringArrayVar(&f.bootstrap, "bootstrap", nil, "peer to dial at start and when connections drop (multiaddr with /p2p/ID; repeatable)")
	fs.BoolVar(&f.noP2P, "no-p2p", false, "run without the peer-to-peer network")
	fs.BoolVar(&f.mdns, "mdns", false, "discover peers on the local network with mDNS")
	fs.BoolVar(&f.dht, "dht", false, "discover peers through a kad-dht (server mode, /gc prefix)")
	fs.BoolVar(&f.testAdmin, "test-admin", false, "serve test-only admin endpoints: POST /admin/partition, /admin/heal, GET /admin/verify (chain consistency and tip roots)")
	fs.DurationVar(&f.statusInterval, "p2p-status-interval", 0, "status poll period, the sync backstop (0 = 5s)")
	fs.Float64Var(&f.apiRate, "api-rate", 0, "per-IP API rate limit in requests/s (0 = default 20, negative = off, for local harnesses)")
	f.extra.register(fs)
}

// configure adds the network's HTTP endpoints and the API rate to cfg.
// The p2p node itself is built after the node (it needs the chain).
func (f *p2pFlags) configure(cfg *node.Config, nd **node.Node) {
	if f.apiRate != 0 {
		cfg.API.Rate = f.apiRate
	}
	cfg.WrapHTTP = func(apiHandler http.Handler) http.Handler {
		mux := http.NewServeMux()
		mux.Handle("/", apiHandler)
		p2pHandler := func(w http.ResponseWriter, r *http.Request) {
			n := f.net.Load()
			if n == nil {
				http.Error(w, `{"error":"peer-to-peer network disabled","code":"unavailable"}`, http.StatusServiceUnavailable)
				return
			}
			n.Handler(f.testAdmin).ServeHTTP(w, r)
		}
		mux.HandleFunc("/v1/p2p/", p2pHandler)
		if f.testAdmin {
			mux.HandleFunc("POST /admin/partition", p2pHandler)
			mux.HandleFunc("POST /admin/heal", p2pHandler)
			mux.HandleFunc("GET /admin/verify", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				// The chain's own check, under its writer lock: index,
				// heights, undo records, snapshots, tx index, and the tip's
				// StateRoot and ModelRoot recomputed from the stored accounts
				// and weights. bbolt's page check (gcoind verify) is left to
				// stopped nodes: run in a read transaction next to a writer
				// it can report pages that a newer transaction freed.
				if err := (*nd).Chain().CheckConsistency(); err != nil {
					w.WriteHeader(http.StatusInternalServerError)
					_, _ = w.Write([]byte(`{"ok":false,"error":` + quote(err.Error()) + "}\n"))
					return
				}
				s := (*nd).Chain().Snapshot()
				_, _ = w.Write([]byte(`{"ok":true,"height":` + itoa(s.Height) + `,"state_root":"` + s.Header.StateRoot.String() +
					`","model_root":"` + s.Header.ModelRoot.String() + "\"}\n"))
			})
		}
		return mux
	}
}

// start builds and starts the p2p node for n and plugs it in.
func (f *p2pFlags) start(n *node.Node, dataDir string) (*p2p.Node, error) {
	if f.noP2P {
		return nil, nil
	}
	cfg := p2p.Config{
		Chain:          n.Chain(),
		Pool:           n.Pool(),
		SubmitBlock:    n.SubmitBlock,
		SubmitTx:       n.SubmitTx,
		Logger:         n.Logger().With("component", "p2p"),
		Bootstrap:      f.bootstrap,
		MDNS:           f.mdns,
		DHT:            f.dht,
		StatusInterval: f.statusInterval,
		// Bans also cover the offender's IP (never a loopback address).
		BanIP: true,
	}
	keyFile := ""
	if dataDir != "" {
		keyFile = filepath.Join(dataDir, P2PKeyFile)
		cfg.BanFile = filepath.Join(dataDir, BanFile)
	}
	net, err := p2p.Open(cfg, p2p.HostConfig{Listen: f.listen, KeyFile: keyFile})
	if err != nil {
		return nil, err
	}
	if err := net.Start(); err != nil {
		_ = net.Close()
		return nil, err
	}
	n.SetNetwork(net)
	f.net.Store(net)
	n.Logger().Info("p2p listening", "id", net.ID(), "addrs", net.Addrs())
	return net, nil
}

func itoa(v uint64) string {
	b := []byte{}
	if v == 0 {
		return "0"
	}
	for v > 0 {
		b = append([]byte{byte('0' + v%10)}, b...)
		v /= 10
	}
	return string(b)
}

func quote(s string) string {
	out := []byte{'"'}
	for _, c := range []byte(s) {
		switch {
		case c == '"' || c == '\\':
			out = append(out, '\\', c)
		case c < 0x20:
			out = append(out, ' ')
		default:
			out = append(out, c)
		}
	}
	return string(append(out, '"'))
}
