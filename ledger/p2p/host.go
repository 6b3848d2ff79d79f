package p2p

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/metrics"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"

	"github.com/sketchwork/sketchwork/internal/fileutil"
)

// Connection-manager watermarks (section 6: 16/32).
const (
	DefaultLowWater  = 16
	DefaultHighWater = 32
)

// HostConfig configures the libp2p host Open builds.
type HostConfig struct {
	// Listen lists the multiaddrs to listen on (nil = /ip4/127.0.0.1/tcp/0:
	// loopback, any free port; read the bound port back with Node.Addrs).
	Listen []string
	// KeyFile holds the node's Ed25519 libp2p identity (separate from
	// wallet keys). It is created (mode 0600, written atomically) when
	// absent. "" = an ephemeral identity.
	KeyFile string
	// LowWater and HighWater are the connection manager's watermarks
	// (0 = 16 and 32).
	LowWater, HighWater int
}

// LoadOrCreateIdentity reads an Ed25519 libp2p key from path, or creates
// one there (crypto/rand) if the file does not exist.
func LoadOrCreateIdentity(path string) (crypto.PrivKey, error) {
	data, err := os.ReadFile(path)
	if err == nil {
		k, err := crypto.UnmarshalPrivateKey(data)
		if err != nil {
			return nil, fmt.Errorf("p2p: identity %s: %w", path, err)
		}
		return k, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("p2p: identity: %w", err)
	}
	k, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		return nil, err
	}
	raw, err := crypto.MarshalPrivateKey(k)
	if err != nil {
		return nil, err
	}
	if err := fileutil.WriteFileAtomic(path, raw, 0o600); err != nil {
		return nil, fmt.Errorf("p2p: identity: %w", err)
	}
	return k, nil
}

// IdentityFromSeed derives an Ed25519 libp2p key from a 32-byte seed read
// from src: deterministic peer keys for tests only (go-libp2p
// examples/echo does the same with a seeded reader).
func IdentityFromSeed(src io.Reader) (crypto.PrivKey, error) {
	k, _, err := crypto.GenerateEd25519Key(src)
	return k, err
}

// Open builds a libp2p host (TCP, Noise, Yamux; the connection manager,
// the ban-enforcing connection gater, libp2p's default resource manager
// and a bandwidth counter) and a Node on it. Start the node next.
func Open(cfg Config, hc HostConfig) (*Node, error) {
	if cfg.Chain == nil {
		return nil, errors.New("p2p: Config.Chain is required")
	}
	rc := cfg.resolve()
	b := newBans(rc.BanThreshold, rc.BanDuration, rc.BanIP, rc.Now)
	var key crypto.PrivKey
	var err error
	if hc.KeyFile != "" {
		key, err = LoadOrCreateIdentity(hc.KeyFile)
	} else {
		key, _, err = crypto.GenerateEd25519Key(rand.Reader)
	}
	if err != nil {
		return nil, err
	}
	listen := hc.Listen
	if len(listen) == 0 {
		listen = []string{"/ip4/127.0.0.1/tcp/0"}
	}
	lo, hi := hc.LowWater, hc.HighWater
	if lo <= 0 {
		lo = DefaultLowWater
	}
	if hi <= 0 {
		hi = DefaultHighWater
	}
	cm, err := connmgr.NewConnManager(lo, hi)
	if err != nil {
		return nil, err
	}
	bw := metrics.NewBandwidthCounter()
	h, err := libp2p.New(
		libp2p.Identity(key),
		libp2p.ListenAddrStrings(listen...),
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.Security(noise.ID, noise.New),
		libp2p.Muxer(yamux.ID, yamux.DefaultTransport),
		libp2p.ConnectionManager(cm),
		libp2p.ConnectionGater(gater{b}),
		libp2p.BandwidthReporter(bw),
		libp2p.DisableRelay(),
		libp2p.UserAgent("gcoind/"+fmt.Sprint(ProtoVersion)),
	)
	if err != nil {
		return nil, fmt.Errorf("p2p: host: %w", err)
	}
	n, err := newNode(cfg, h, b)
	if err != nil {
		_ = h.Close()
		return nil, err
	}
	n.bw = bw
	return n, nil
}
