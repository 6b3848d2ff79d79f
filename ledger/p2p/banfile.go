package p2p

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/sketchwork/sketchwork/internal/fileutil"
)

// banRecord is one persisted ban.
type banRecord struct {
	Peer   string    `json:"peer"`
	Until  time.Time `json:"until"`
	Reason string    `json:"reason"`
}

// loadBans reads the bans in force from path (a missing file is no bans).
func (b *bans) load(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var recs []banRecord
	if err := json.Unmarshal(data, &recs); err != nil {
		return fmt.Errorf("p2p: ban file %s: %w", path, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	for _, r := range recs {
		p, err := peer.Decode(r.Peer)
		if err != nil || !r.Until.After(now) {
			continue
		}
		b.scores[p] = &BanInfo{Peer: r.Peer, Score: b.threshold, Until: r.Until, Reason: r.Reason}
	}
	return nil
}

// save writes the bans in force to path atomically.
func (b *bans) save(path string) error {
	b.mu.Lock()
	now := b.now()
	var recs []banRecord
	for _, bi := range b.scores {
		if bi.Until.After(now) {
			recs = append(recs, banRecord{Peer: bi.Peer, Until: bi.Until, Reason: bi.Reason})
		}
	}
	b.mu.Unlock()
	data, err := json.MarshalIndent(recs, "", "  ")
	if err != nil {
		return err
	}
	return fileutil.WriteFileAtomic(path, append(data, '\n'), 0o600)
}
