package node

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/sketchwork/sketchwork/ledger/api"
	"github.com/sketchwork/sketchwork/ledger/chain"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/model"
)

// maxEvalCache bounds the eval-loss cache (a few MB); beyond it the cache
// starts over.
const maxEvalCache = 1 << 17

// evalCache maps block hashes to the eval loss (Q8.24) of the model they
// commit to. Eval losses are outside consensus (corpus.EvalSet, section
// 10.4) but computed with the same integer code, so they too are equal on
// every node.
type evalCache struct {
	mu sync.Mutex
	m  map[hashx.Hash]int64
}

func newEvalCache() *evalCache { return &evalCache{m: map[hashx.Hash]int64{}} }

func (c *evalCache) get(h hashx.Hash) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[h]
	return v, ok
}

func (c *evalCache) put(h hashx.Hash, v int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxEvalCache {
		c.m = map[hashx.Hash]int64{}
	}
	c.m[h] = v
}

func (n *Node) evalWorkers() int {
	if n.cfg.EvalWorkers > 0 {
		return n.cfg.EvalWorkers
	}
	return 2
}

// EvalLoss returns the eval loss of the snapshot's model (cached by block
// hash; about 1.5 ms to compute on two goroutines).
func (n *Node) EvalLoss(s *chain.Snapshot) int64 {
	if v, ok := n.evals.get(s.Hash); ok {
		return v
	}
	v := model.EvalLoss(s.Weights, n.corpus, n.evalWorkers())
	n.evals.put(s.Hash, v)
	return v
}

// LossHistory implements api.Backend: the eval losses of the main-chain
// blocks at heights from..to. Heights the node has not evaluated yet (it
// evaluates every tip it sees) are computed by replaying from the chain's
// nearest weight snapshot (chain.WeightsAt) and then block by block, about
// 3.5 ms per height; each replayed model is checked against its header's
// ModelRoot, and a block that left the main chain meanwhile is left out.
func (n *Node) LossHistory(ctx context.Context, from, to uint64) (map[hashx.Hash]int64, error) {
	out := make(map[hashx.Hash]int64, to-from+1)
	eng := n.chain.Engine()
	var parent *model.Weights // weights of block prev (read-only: may be the tip's)
	var prev hashx.Hash
	bufs := [2]*model.Weights{new(model.Weights), new(model.Weights)}
	bi := 0
	for h := from; h <= to; h++ {
		hdr, ok := n.chain.HeaderAtHeight(h)
		if !ok {
			break
		}
		hash := hdr.Hash()
		if v, ok := n.evals.get(hash); ok {
			out[hash] = v
			parent = nil
			continue
		}
		if err := ctx.Err(); err != nil {
			return out, err
		}
		var cur *model.Weights
		if parent != nil && hdr.PrevHash == prev {
			dst := bufs[bi]
			if dst == parent {
				bi ^= 1
				dst = bufs[bi]
			}
			eng.ReplayTo(dst, parent, hdr.PrevHash, hdr.Miner, hdr.TrainNonce)
			if dst.Root() == hdr.ModelRoot {
				cur = dst
				bi ^= 1
			}
		}
		if cur == nil {
			ws, err := n.chain.WeightsAt(hash)
			if err != nil {
				if now, ok := n.chain.HashAtHeight(h); !ok || now != hash {
					parent = nil // the block left the main chain meanwhile
					continue
				}
				return out, fmt.Errorf("weights of block %d: %w", h, err)
			}
			cur = ws
		}
		v := model.EvalLoss(cur, n.corpus, n.evalWorkers())
		n.evals.put(hash, v)
		out[hash] = v
		parent, prev = cur, hash
	}
	return out, nil
}

// trackTips follows the chain's tip events: it evaluates every new tip's
// model (so loss history is cheap) and logs tip changes.
func (n *Node) trackTips() {
	defer n.wg.Done()
	sub := n.chain.Subscribe(64)
	defer sub.Close()
	n.EvalLoss(n.chain.Snapshot())
	for {
		select {
		case <-n.ctx.Done():
			return
		case ev := <-sub.C:
			s := ev.Snapshot
			n.stats.tipChanges.Add(1)
			t0 := time.Now()
			v := n.EvalLoss(s)
			if len(ev.Disconnected) > 0 {
				n.stats.reorgs.Add(1)
				n.log.Info("chain reorganised", "height", s.Height, "tip", s.Hash,
					"disconnected", len(ev.Disconnected), "connected", len(ev.Connected))
			}
			n.log.Debug("new tip", "height", s.Height, "tip", s.Hash, "txs_connected", len(ev.Connected),
				"eval_loss", float64(v)/(1<<24), "eval_ms", time.Since(t0).Milliseconds(), "missed_events", ev.Missed)
		}
	}
}

// WriteMetrics implements api.MetricsWriter with the node's own counters.
func (n *Node) WriteMetrics(p *api.PromWriter) {
	for _, e := range []struct {
		result string
		v      uint64
	}{{"accepted", n.stats.blocksAccepted.Load()}, {"orphan", n.stats.blocksOrphan.Load()},
		{"duplicate", n.stats.blocksDuplicate.Load()}, {"rejected", n.stats.blocksRejected.Load()}} {
		p.Sample("gcoin_node_blocks_submitted_total", "counter", "Blocks handed to the chain, by outcome.", float64(e.v), "result", e.result)
	}
	p.Sample("gcoin_node_txs_submitted_total", "counter", "Transactions offered to the mempool, by outcome.", float64(n.stats.txAccepted.Load()), "result", "accepted")
	p.Sample("gcoin_node_txs_submitted_total", "counter", "Transactions offered to the mempool, by outcome.", float64(n.stats.txRejected.Load()), "result", "rejected")
	p.Sample("gcoin_node_tip_changes_total", "counter", "Tip changes seen.", float64(n.stats.tipChanges.Load()))
	p.Sample("gcoin_node_reorgs_total", "counter", "Tip changes that disconnected blocks.", float64(n.stats.reorgs.Load()))
	p.Sample("gcoin_node_uptime_seconds", "gauge", "Time since the node was opened.", time.Since(n.started0).Seconds())
}
