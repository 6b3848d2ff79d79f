package p2p

import (
	"net"
	"sort"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"

	"github.com/sketchwork/sketchwork/ledger/consensus"
)

// Ban defaults follow btcd's (DefaultBanThreshold 100, DefaultBanDuration
// 24 h), section 6.
const (
	DefaultBanThreshold = 100
	DefaultBanDuration  = 24 * time.Hour
)

// Penalties added to a peer's ban score (section 6).
const (
	// PenaltyMalformed: bytes that do not decode, oversize frames and
	// messages, unknown versions.
	PenaltyMalformed = 50
	// PenaltyBadSig: a transaction whose signature or fields are invalid.
	PenaltyBadSig = 20
	// PenaltyInvalid: a block (valid PoW or not) or header that breaks a
	// consensus rule.
	PenaltyInvalid = 100
	// PenaltyMinor: a soft offence that an honest peer may commit by
	// accident (a time slightly in the future, a child of a block we hold
	// invalid, unrequested data).
	PenaltyMinor = 20
)

// blockPenalty maps the rule code of a rejected block or header to the ban
// score its sender earns.
func blockPenalty(code consensus.ErrorCode) int {
	switch {
	case code.IsPolicy(), code == consensus.ErrDuplicateBlock, code == consensus.ErrUnknownParent:
		return 0
	case code == consensus.ErrMalformed || code == consensus.ErrOversize:
		return PenaltyMalformed
	case code == consensus.ErrTimeTooNew || code == consensus.ErrInvalidParent:
		return PenaltyMinor
	}
	return PenaltyInvalid
}

// txPenalty maps the rule code of a rejected gossip transaction to a ban
// score: context-free faults are the sender's, state-dependent ones
// (nonces, balances, pool policy) may be honest races and cost nothing.
func txPenalty(code consensus.ErrorCode) int {
	switch code {
	case consensus.ErrMalformed, consensus.ErrOversize:
		return PenaltyMalformed
	case consensus.ErrBadSignature, consensus.ErrBadVersion, consensus.ErrBadChainID,
		consensus.ErrSelfTransfer, consensus.ErrZeroAmount, consensus.ErrFeeTooLow,
		consensus.ErrBadCoinbase, consensus.ErrOverflow:
		return PenaltyBadSig
	}
	return 0
}

// BanInfo describes one peer's misbehaviour record.
type BanInfo struct {
	Peer   string    `json:"peer"`
	Score  int       `json:"score"`
	Until  time.Time `json:"until,omitempty"`
	Reason string    `json:"reason,omitempty"`
}

// bans tracks ban scores by peer ID and banned IPs. It is the state behind
// the connection gater.
type bans struct {
	mu        sync.Mutex
	threshold int
	duration  time.Duration
	banIP     bool
	now       func() time.Time
	scores    map[peer.ID]*BanInfo
	ips       map[string]time.Time // banned IP -> until
	deny      map[peer.ID]bool     // partition deny list (test admin)
}

func newBans(threshold int, duration time.Duration, banIP bool, now func() time.Time) *bans {
	return &bans{threshold: threshold, duration: duration, banIP: banIP, now: now,
		scores: map[peer.ID]*BanInfo{}, ips: map[string]time.Time{}, deny: map[peer.ID]bool{}}
}

// add raises p's score by delta and reports whether p is (now) banned.
// ip, if non-nil, is banned with the peer when it is not a loopback address
// (loopback networks share one address, section 6).
func (b *bans) add(p peer.ID, delta int, reason string, ip net.IP) (banned, newly bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	bi := b.scores[p]
	if bi == nil {
		bi = &BanInfo{Peer: p.String()}
		b.scores[p] = bi
	}
	now := b.now()
	if !bi.Until.IsZero() && now.Before(bi.Until) {
		return true, false
	}
	bi.Score += delta
	if bi.Score < b.threshold {
		return false, false
	}
	bi.Until = now.Add(b.duration)
	bi.Reason = reason
	if b.banIP && ip != nil && !ip.IsLoopback() {
		b.ips[ip.String()] = bi.Until
	}
	return true, true
}

// banned reports whether p is banned or denied.
func (b *bans) banned(p peer.ID) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.deny[p] {
		return true
	}
	bi := b.scores[p]
	if bi == nil || bi.Until.IsZero() {
		return false
	}
	if b.now().Before(bi.Until) {
		return true
	}
	// Expired: forgive.
	bi.Until = time.Time{}
	bi.Score = 0
	return false
}

func (b *bans) ipBanned(a ma.Multiaddr) bool {
	ip, err := manet.ToIP(a)
	if err != nil {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	until, ok := b.ips[ip.String()]
	if !ok {
		return false
	}
	if b.now().Before(until) {
		return true
	}
	delete(b.ips, ip.String())
	return false
}

func (b *bans) setDeny(ps []peer.ID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.deny = map[peer.ID]bool{}
	for _, p := range ps {
		b.deny[p] = true
	}
}

func (b *bans) list() []BanInfo {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]BanInfo, 0, len(b.scores))
	for _, bi := range b.scores {
		out = append(out, *bi)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Peer < out[j].Peer })
	return out
}

// gater is the libp2p ConnectionGater that enforces bans and the partition
// deny list on dials and accepted connections.
type gater struct{ b *bans }

func (g gater) InterceptPeerDial(p peer.ID) bool { return !g.b.banned(p) }

func (g gater) InterceptAddrDial(p peer.ID, a ma.Multiaddr) bool {
	return !g.b.banned(p) && !g.b.ipBanned(a)
}

func (g gater) InterceptAccept(cm network.ConnMultiaddrs) bool {
	return !g.b.ipBanned(cm.RemoteMultiaddr())
}

func (g gater) InterceptSecured(_ network.Direction, p peer.ID, _ network.ConnMultiaddrs) bool {
	return !g.b.banned(p)
}

func (g gater) InterceptUpgraded(network.Conn) (bool, control.DisconnectReason) { return true, 0 }
