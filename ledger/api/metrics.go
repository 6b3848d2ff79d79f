package api

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

type reqKey struct {
	route  string
	status int
}

type syncCounter struct {
	mu sync.Mutex
	m  map[reqKey]uint64
}

func (c *syncCounter) inc(k reqKey) {
	c.mu.Lock()
	c.m[k]++
	c.mu.Unlock()
}

func (c *syncCounter) snapshot() []struct {
	k reqKey
	v uint64
} {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]struct {
		k reqKey
		v uint64
	}, 0, len(c.m))
	for k, v := range c.m {
		out = append(out, struct {
			k reqKey
			v uint64
		}{k, v})
	}
	slices.SortFunc(out, func(a, b struct {
		k reqKey
		v uint64
	}) int {
		if c := cmp.Compare(a.k.route, b.k.route); c != 0 {
			return c
		}
		return cmp.Compare(a.k.status, b.k.status)
	})
	return out
}

// PromWriter writes Prometheus text exposition format (version 0.0.4):
// a HELP and TYPE line once per metric family, then samples.
type PromWriter struct {
	w    io.Writer
	seen map[string]bool
}

// NewPromWriter returns a writer of metric families to w.
func NewPromWriter(w io.Writer) *PromWriter { return &PromWriter{w: w, seen: map[string]bool{}} }

// Sample writes one sample of family name (typ "gauge" or "counter");
// labels are name/value pairs.
func (p *PromWriter) Sample(name, typ, help string, v float64, labels ...string) {
	if !p.seen[name] {
		p.seen[name] = true
		fmt.Fprintf(p.w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}
	var sb strings.Builder
	sb.WriteString(name)
	if len(labels) > 0 {
		sb.WriteByte('{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(labels[i])
			sb.WriteString(`="`)
			sb.WriteString(escapeLabel(labels[i+1]))
			sb.WriteByte('"')
		}
		sb.WriteByte('}')
	}
	sb.WriteByte(' ')
	sb.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
	sb.WriteByte('\n')
	io.WriteString(p.w, sb.String())
}

func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	p := NewPromWriter(bw)
	ch := s.b.Chain()
	snap := ch.Snapshot()
	work, _ := new(big.Float).SetInt(snap.ChainWork).Float64()
	p.Sample("gcoin_chain_height", "gauge", "Height of the best chain tip.", float64(snap.Height))
	p.Sample("gcoin_chain_work", "gauge", "Cumulative expected hashes of the best chain.", work)
	p.Sample("gcoin_chain_tip_time_seconds", "gauge", "Header time of the tip (unix seconds).", float64(snap.Header.Time)/1000)
	p.Sample("gcoin_model_loss_after_nats", "gauge", "LossAfter of the tip header (verification batch).", nats(snap.Header.LossAfter))
	p.Sample("gcoin_model_eval_loss_nats", "gauge", "Loss of the tip model on the fixed evaluation set.", nats(s.b.EvalLoss(snap)))
	p.Sample("gcoin_mempool_txs", "gauge", "Pending transactions.", float64(s.b.Pool().Len()))
	p.Sample("gcoin_mempool_bytes", "gauge", "Encoded size of the pending transactions.", float64(s.b.Pool().Bytes()))
	p.Sample("gcoin_peers", "gauge", "Connected peers.", float64(s.b.Peers()))
	syncing := 0.0
	if s.b.Syncing() {
		syncing = 1
	}
	p.Sample("gcoin_syncing", "gauge", "1 while catching up with a peer that has more work.", syncing)
	if ms, ok := s.b.MinerStats(); ok {
		on := 0.0
		if ms.Mining {
			on = 1
		}
		p.Sample("gcoin_miner_mining", "gauge", "1 while mining is enabled.", on)
		p.Sample("gcoin_miner_blocks_total", "counter", "Mined blocks committed on the main chain.", float64(ms.Blocks))
		p.Sample("gcoin_miner_side_blocks_total", "counter", "Mined blocks accepted on a side branch.", float64(ms.SideBlocks))
		p.Sample("gcoin_miner_rejected_total", "counter", "Mined blocks the chain rejected.", float64(ms.Rejected))
		p.Sample("gcoin_miner_stale_jobs_total", "counter", "Mining jobs abandoned because the tip changed.", float64(ms.Stale))
		p.Sample("gcoin_miner_training_tries_total", "counter", "Training tries (K SGD steps and a verification loss each).", float64(ms.Tries))
		p.Sample("gcoin_miner_failed_rounds_total", "counter", "Seed-search rounds without an improving update.", float64(ms.FailedRounds))
		p.Sample("gcoin_miner_hashes_total", "counter", "Header hash attempts.", float64(ms.Hashes))
		p.Sample("gcoin_miner_train_seconds_total", "counter", "Time spent searching training updates.", ms.TrainTime.Seconds())
		p.Sample("gcoin_miner_grind_seconds_total", "counter", "Time spent grinding header nonces.", ms.GrindTime.Seconds())
		p.Sample("gcoin_miner_last_block_tries", "gauge", "Training tries of the last mined block.", float64(ms.Last.Tries))
		p.Sample("gcoin_miner_last_block_hashes", "gauge", "Hash attempts of the last mined block.", float64(ms.Last.Hashes))
		p.Sample("gcoin_miner_last_block_seconds", "gauge", "Job time of the last mined block.", ms.Last.Elapsed.Seconds())
	}
	p.Sample("gcoin_api_tx_accepted_total", "counter", "Transactions admitted through POST /v1/tx.", float64(s.m.txAccepted.Load()))
	p.Sample("gcoin_api_tx_rejected_total", "counter", "Transactions rejected by POST /v1/tx.", float64(s.m.txRejected.Load()))
	p.Sample("gcoin_api_generations_total", "counter", "Completed generations.", float64(s.m.genCount.Load()))
	p.Sample("gcoin_api_generation_seconds_total", "counter", "Time spent generating.", float64(s.m.genNanos.Load())/1e9)
	p.Sample("gcoin_api_generated_tokens_total", "counter", "Generated symbols.", float64(s.m.genTokens.Load()))
	p.Sample("gcoin_api_generation_busy_total", "counter", "Generations refused because all slots were busy.", float64(s.m.genBusy.Load()))
	p.Sample("gcoin_api_rate_limited_total", "counter", "Requests refused by the per-IP rate limit.", float64(s.m.rateLimited.Load()))
	for _, e := range s.m.reqs.snapshot() {
		p.Sample("gcoin_api_requests_total", "counter", "HTTP requests by route and status.", float64(e.v),
			"route", e.k.route, "code", strconv.Itoa(e.k.status))
	}
	if mw, ok := s.b.(MetricsWriter); ok {
		mw.WriteMetrics(p)
	}
}
