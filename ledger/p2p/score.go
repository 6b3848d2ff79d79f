package p2p

import (
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
)

// score returns p's ban score (0 for a peer without a record).
func (b *bans) score(p peer.ID) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if bi := b.scores[p]; bi != nil {
		return bi.Score
	}
	return 0
}

// peerScore returns gossipsub peer-score parameters that tie gossipsub's
// own view of a peer to ours (section 7: a ValidationReject lowers the
// sender's gossipsub score). Each invalid message a peer delivers counts
// -100 on its topic (squared, decaying by half each second), and the
// application score is minus the ban score, so a peer that misbehaves is
// first excluded from gossip (-50), then from our publications (-100),
// then its messages are ignored altogether (-200), before the ban closes
// the connection. Mesh-delivery penalties are off: a small cluster cannot
// calibrate them, and the status poll covers slow peers. IP colocation is
// off because local networks share an address.
func (n *Node) peerScore() (*pubsub.PeerScoreParams, *pubsub.PeerScoreThresholds) {
	topic := func() *pubsub.TopicScoreParams {
		return &pubsub.TopicScoreParams{
			TopicWeight:                     1,
			TimeInMeshWeight:                0.01,
			TimeInMeshQuantum:               time.Second,
			TimeInMeshCap:                   10,
			FirstMessageDeliveriesWeight:    1,
			FirstMessageDeliveriesDecay:     0.9,
			FirstMessageDeliveriesCap:       10,
			MeshMessageDeliveriesWeight:     0,
			MeshMessageDeliveriesDecay:      0.5,
			MeshMessageDeliveriesCap:        10,
			MeshMessageDeliveriesThreshold:  1,
			MeshMessageDeliveriesActivation: time.Minute,
			MeshMessageDeliveriesWindow:     10 * time.Millisecond,
			MeshFailurePenaltyWeight:        0,
			MeshFailurePenaltyDecay:         0.5,
			InvalidMessageDeliveriesWeight:  -100,
			InvalidMessageDeliveriesDecay:   0.5,
		}
	}
	params := &pubsub.PeerScoreParams{
		Topics: map[string]*pubsub.TopicScoreParams{
			n.proto.BlockTopic: topic(),
			n.proto.TxTopic:    topic(),
		},
		AppSpecificScore:          func(p peer.ID) float64 { return -float64(n.bans.score(p)) },
		AppSpecificWeight:         1,
		IPColocationFactorWeight:  0,
		BehaviourPenaltyWeight:    -1,
		BehaviourPenaltyThreshold: 2,
		BehaviourPenaltyDecay:     0.9,
		DecayInterval:             time.Second,
		DecayToZero:               0.01,
		RetainScore:               time.Hour,
	}
	thresholds := &pubsub.PeerScoreThresholds{
		GossipThreshold:             -50,
		PublishThreshold:            -100,
		GraylistThreshold:           -200,
		AcceptPXThreshold:           1,
		OpportunisticGraftThreshold: 2,
	}
	return params, thresholds
}

// GossipScores returns gossipsub's current score of each peer it knows
// (the peer-score inspector, refreshed every second).
func (n *Node) GossipScores() map[string]float64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make(map[string]float64, len(n.gscores))
	for p, s := range n.gscores {
		out[p.String()] = s
	}
	return out
}
