package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/big"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sketchwork/sketchwork/ledger/api"
	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// Options configure a scenario run.
type Options struct {
	// Dir is the working directory (data directories, logs, genesis).
	Dir string
	Bin Binaries
	// Short runs the CI-sized version.
	Short bool
	// Seed drives the harness's random choices (victims, kill times).
	Seed uint64
	Log  io.Writer
	// Nodes overrides the scenario's node count (0 = its default).
	Nodes int
	// Spacing overrides the target block interval (0 = 1 s, or 250 ms in
	// short runs).
	Spacing time.Duration
	// EvilModes overrides the malicious scenario's list of modes.
	EvilModes []string
}

// Scenarios lists the runnable scenarios in order.
var Scenarios = []string{"convergence", "partition", "crash", "malicious", "wallet", "serving", "txrate", "sync"}

// Run runs the named scenario and returns its report (its checks say
// whether it passed; an error means it could not run).
func Run(ctx context.Context, name string, o Options) (*Report, error) {
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Spacing == 0 {
		o.Spacing = time.Second
		if o.Short {
			o.Spacing = 250 * time.Millisecond
		}
	}
	r := &Report{Scenario: name, Short: o.Short, Started: time.Now()}
	var err error
	switch name {
	case "convergence":
		err = runConvergence(ctx, o, r)
	case "partition":
		err = runPartition(ctx, o, r)
	case "crash":
		err = runCrash(ctx, o, r)
	case "malicious":
		err = runMalicious(ctx, o, r)
	case "wallet":
		err = runWallet(ctx, o, r)
	case "serving":
		err = runServing(ctx, o, r)
	case "txrate":
		err = runTxRate(ctx, o, r)
	case "sync":
		err = runSync(ctx, o, r)
	default:
		return nil, fmt.Errorf("harness: unknown scenario %q (scenarios: %s)", name, strings.Join(Scenarios, ", "))
	}
	r.Seconds = time.Since(r.Started).Seconds()
	return r, err
}

// newCluster builds a cluster of n nodes, the first miners of which mine,
// on a fresh genesis, in o.Dir/name.
func newCluster(o Options, name string, n, miners int, g GenesisOptions) (*Cluster, error) {
	if g.Spacing == 0 {
		g.Spacing = o.Spacing
	}
	gen, err := NewGenesis(g)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(o.Dir, name)
	_ = os.RemoveAll(dir)
	c, err := NewCluster(Config{Dir: dir, Bin: o.Bin, Genesis: gen, Log: o.Log, StatusInterval: time.Second})
	if err != nil {
		return nil, err
	}
	for i := 0; i < n; i++ {
		c.Add(i < miners)
	}
	return c, nil
}

// startAll starts the cluster's nodes in order (each bootstraps from the
// ones before it).
func startAll(ctx context.Context, c *Cluster) error {
	for _, p := range c.Procs {
		if err := c.Start(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// warmUp starts every node of c and waits until all of them agree on a tip
// of at least height blocks.
func warmUp(ctx context.Context, c *Cluster, height uint64, timeout time.Duration) error {
	if err := startAll(ctx, c); err != nil {
		return err
	}
	if _, _, err := c.WaitConverged(ctx, c.Procs, height, timeout); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	return nil
}

func nodesOr(o Options, def int) int {
	if o.Nodes > 0 {
		return o.Nodes
	}
	return def
}

// genesisOf rebuilds the cluster's genesis for signing.
func genesisOf(c *Cluster) *consensus.Genesis { return c.cfg.Genesis }

// collectPropagation merges the nodes' arrival logs into per-block rows
// and fills the propagation and verification metrics.
func collectPropagation(ctx context.Context, c *Cluster, r *Report, from uint64) {
	type agg struct {
		height  uint64
		times   []int64
		verify  []float64
		sources []string
	}
	blocks := map[string]*agg{}
	for _, p := range c.Procs {
		if !p.Running() || p.Evil != "" {
			continue
		}
		arr, err := c.Arrivals(ctx, p, from)
		if err != nil {
			continue
		}
		for _, a := range arr {
			b := blocks[a.Hash]
			if b == nil {
				b = &agg{height: a.Height}
				blocks[a.Hash] = b
			}
			b.times = append(b.times, a.At)
			b.sources = append(b.sources, a.Source)
			if a.Source != "local" && a.VerifyMicros > 0 {
				b.verify = append(b.verify, float64(a.VerifyMicros)/1000)
			}
		}
	}
	live := 0
	for _, p := range c.Procs {
		if p.Running() && p.Evil == "" {
			live++
		}
	}
	var props, verifies []float64
	for h, b := range blocks {
		sort.Slice(b.times, func(i, j int) bool { return b.times[i] < b.times[j] })
		row := BlockRow{Height: b.height, Hash: h, Nodes: len(b.times), VerifyMsMedian: quantile(b.verify, 0.5)}
		hasLocal := false
		for _, s := range b.sources {
			hasLocal = hasLocal || s == "local"
		}
		if len(b.times) == live && hasLocal {
			row.PropagationMs = float64(b.times[len(b.times)-1] - b.times[0])
			props = append(props, row.PropagationMs)
		}
		verifies = append(verifies, b.verify...)
		r.Blocks = append(r.Blocks, row)
	}
	sort.Slice(r.Blocks, func(i, j int) bool { return r.Blocks[i].Height < r.Blocks[j].Height })
	r.Metric("propagation_blocks", float64(len(props)))
	r.Metric("propagation_p50_ms", quantile(props, 0.5))
	r.Metric("propagation_p95_ms", quantile(props, 0.95))
	r.Metric("verify_ms_p50", quantile(verifies, 0.5))
	r.Metric("verify_ms_p95", quantile(verifies, 0.95))
}

// collectNetStats adds reorg, orphan and training-try figures over the
// running honest nodes.
func collectNetStats(ctx context.Context, c *Cluster, r *Report) {
	var reorgs, depth, orphans int64
	var tries, blocks float64
	for _, p := range c.Procs {
		if !p.Running() || p.Evil != "" {
			continue
		}
		if info, err := c.Info(ctx, p); err == nil {
			reorgs += info.Stats.Reorgs
			depth = max(depth, info.Stats.MaxReorgDepth)
			orphans += info.Stats.Orphans
		}
		if text, err := p.Client.Metrics(ctx); err == nil {
			for _, line := range strings.Split(text, "\n") {
				name, val, ok := strings.Cut(line, " ")
				if !ok {
					continue
				}
				var v float64
				if _, err := fmt.Sscan(val, &v); err != nil {
					continue
				}
				switch name {
				case "gcoin_miner_training_tries_total":
					tries += v
				case "gcoin_miner_blocks_total":
					blocks += v
				}
			}
		}
	}
	r.Metric("reorgs_total", float64(reorgs))
	r.Metric("reorg_depth_max", float64(depth))
	r.Metric("orphans_total", float64(orphans))
	if blocks > 0 {
		r.Metric("training_tries_per_block", tries/blocks)
	}
}

// collectLoss reads node p's loss history into r.Loss.
func collectLoss(ctx context.Context, p *Proc, r *Report, to uint64) {
	for from := uint64(0); from <= to; from += 1000 {
		pts, err := p.Client.Loss(ctx, from, min(from+999, to))
		if err != nil {
			r.Notes = append(r.Notes, "loss history: "+err.Error())
			return
		}
		for _, pt := range pts {
			row := LossRow{Height: pt.Height, LossAfter: pt.LossAfter}
			if pt.EvalLoss != nil {
				row.EvalLoss = *pt.EvalLoss
			}
			r.Loss = append(r.Loss, row)
		}
	}
}

// bandwidth sums the nodes' p2p byte counters.
func bandwidth(ctx context.Context, c *Cluster) (in, out int64) {
	for _, p := range c.Procs {
		if !p.Running() {
			continue
		}
		if info, err := c.Info(ctx, p); err == nil {
			in += info.Stats.BytesIn
			out += info.Stats.BytesOut
		}
	}
	return in, out
}

// runConvergence: 4 nodes, 2 miners; mine, stop, and all nodes report the
// same tip, state root and model root within 10 s; held-out loss falls.
func runConvergence(ctx context.Context, o Options, r *Report) error {
	n := nodesOr(o, 4)
	r.Nodes = n
	c, err := newCluster(o, "convergence", n, 2, GenesisOptions{})
	if err != nil {
		return err
	}
	defer c.Close()
	if err := startAll(ctx, c); err != nil {
		return err
	}
	mineFor, minHeight := 60*time.Second, uint64(200)
	if o.Short {
		mineFor, minHeight = 15*time.Second, 0
	}
	start := time.Now()
	for time.Since(start) < mineFor || (minHeight > 0 && c.heightOf(ctx, c.Procs[0]) < minHeight && time.Since(start) < 6*mineFor) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	mined := time.Since(start)
	c.stopMining(ctx, c.Procs[:2])
	took, tip, err := c.WaitConverged(ctx, c.Procs, 0, 10*time.Second)
	r.Check("converged within 10 s after mining stopped", err == nil, "took %.2f s at height %d", took.Seconds(), tip.Height)
	r.Metric("converge_after_stop_s", took.Seconds())
	r.Metric("height", float64(tip.Height))
	r.Metric("blocks_per_s", float64(tip.Height)/mined.Seconds())
	r.Metric("target_spacing_s", o.Spacing.Seconds())
	in, out := bandwidth(ctx, c)
	if tip.Height > 0 {
		r.Metric("bytes_per_block_per_node", float64(in+out)/2/float64(tip.Height)/float64(n))
	}
	collectPropagation(ctx, c, r, 1)
	collectNetStats(ctx, c, r)
	collectLoss(ctx, c.Procs[0], r, tip.Height)
	if len(r.Loss) > 1 {
		first, last := r.Loss[0].EvalLoss, r.Loss[len(r.Loss)-1].EvalLoss
		g, _ := c.Procs[0].Client.Loss(ctx, 0, 0)
		if len(g) == 1 && g[0].EvalLoss != nil {
			first = *g[0].EvalLoss
		}
		r.Metric("eval_loss_genesis", first)
		r.Metric("eval_loss_final", last)
		r.Check("held-out loss falls", last < first, "eval loss %.4f -> %.4f nats over %d blocks", first, last, tip.Height)
		if tip.Height >= 200 {
			var at200 float64
			for _, l := range r.Loss {
				if l.Height == 200 {
					at200 = l.EvalLoss
				}
			}
			r.Check("eval loss at height 200 below genesis - 1 nat", at200 < first-1, "%.4f vs %.4f", at200, first)
		}
	}
	var intervals []float64
	prev := int64(0)
	for h := uint64(1); h <= tip.Height; h++ {
		b, err := c.Procs[0].Client.Block(ctx, fmt.Sprint(h))
		if err != nil {
			break
		}
		if h > 1 {
			intervals = append(intervals, float64(b.Time-prev)/1000)
		}
		prev = b.Time
	}
	if len(intervals) > 0 {
		sum := 0.0
		for _, x := range intervals {
			sum += x
		}
		r.Metric("block_interval_mean_s", sum/float64(len(intervals)))
		r.Metric("block_interval_p95_s", quantile(intervals, 0.95))
	}
	return nil
}

// stopMining switches off the miners so that the network can converge:
// all but the first stop, then the first mines one more block on top of
// the best tip before it stops too. Two miners that stop at the same
// moment may leave two tips of equal work, and first-seen fork choice
// keeps such a tie forever; a last block from a single miner breaks it.
func (c *Cluster) stopMining(ctx context.Context, miners []*Proc) {
	if len(miners) == 0 {
		return
	}
	for _, p := range miners[1:] {
		_ = c.SetMining(ctx, p, false)
	}
	best := uint64(0)
	for _, p := range c.Procs {
		if p.Running() && p.Evil == "" {
			best = max(best, c.heightOf(ctx, p))
		}
	}
	_ = c.SetMining(ctx, miners[0], true)
	deadline := time.Now().Add(30 * time.Second)
	for c.heightOf(ctx, miners[0]) <= best && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
	}
	_ = c.SetMining(ctx, miners[0], false)
}

// heightOf returns p's height (0 on error).
func (c *Cluster) heightOf(ctx context.Context, p *Proc) uint64 {
	st, err := p.Client.Status(ctx)
	if err != nil {
		return 0
	}
	return st.Height
}

// waitTx polls until tx id is confirmed on every given node.
func (c *Cluster) waitTx(ctx context.Context, ps []*Proc, id hashx.Hash, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		ok := true
		for _, p := range ps {
			tx, err := p.Client.Tx(ctx, id)
			if err != nil || tx.Status != api.TxConfirmed {
				ok = false
				break
			}
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("tx %s not confirmed on all nodes after %v", id.String()[:16], timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// confirmed reports whether tx id is confirmed on p.
func confirmed(ctx context.Context, p *Proc, id hashx.Hash) bool {
	tx, err := p.Client.Tx(ctx, id)
	return err == nil && tx.Status == api.TxConfirmed
}

// runPartition: split 2+2 with a miner on each side, the same sender
// nonce spent differently on each side; after the heal every node follows
// the side with more work, exactly one conflicting transaction survives
// and the losing side's other transaction is re-mined.
func runPartition(ctx context.Context, o Options, r *Report) error {
	carol := Key(o.Seed, "carol")
	c, err := newCluster(o, "partition", 4, 0, GenesisOptions{Alloc: []keys.Address{carol.Address()}, AllocAmount: 1000 * consensus.Coin})
	if err != nil {
		return err
	}
	defer c.Close()
	r.Nodes = 4
	c.Procs[0].Mine, c.Procs[2].Mine = true, true
	if err := warmUp(ctx, c, 5, 60*time.Second); err != nil {
		return err
	}
	g := genesisOf(c)
	a, b := c.Procs[:2], c.Procs[2:]
	for _, p := range a {
		if err := c.Partition(ctx, p, b); err != nil {
			return err
		}
	}
	for _, p := range b {
		if err := c.Partition(ctx, p, a); err != nil {
			return err
		}
	}
	split := 30 * time.Second
	if o.Short {
		split = 8 * time.Second
	}
	// Side A mines briefly, side B the whole time: B gets more work.
	faucet := consensus.DevFaucetKey()
	acct, err := c.Procs[0].Client.Account(ctx, faucet.Address())
	if err != nil {
		return err
	}
	nonce := acct.Nonce
	alice, bob, dave := Key(o.Seed, "alice").Address(), Key(o.Seed, "bob").Address(), Key(o.Seed, "dave").Address()
	txA := SignedTx(g, faucet, alice, 5*consensus.Coin, 10*g.Params.MinFee, nonce)
	txB := SignedTx(g, faucet, bob, 7*consensus.Coin, 10*g.Params.MinFee, nonce)
	cn, err := c.Procs[0].Client.Account(ctx, carol.Address())
	if err != nil {
		return err
	}
	txC := SignedTx(g, carol, dave, 3*consensus.Coin, 10*g.Params.MinFee, cn.Nonce)
	if _, err := c.Procs[1].Client.SubmitTx(ctx, txA); err != nil {
		return fmt.Errorf("txA: %w", err)
	}
	if _, err := c.Procs[1].Client.SubmitTx(ctx, txC); err != nil {
		return fmt.Errorf("txC: %w", err)
	}
	if _, err := c.Procs[3].Client.SubmitTx(ctx, txB); err != nil {
		return fmt.Errorf("txB: %w", err)
	}
	errA := c.waitTx(ctx, a, txA.ID(), split)
	_ = c.SetMining(ctx, c.Procs[0], false)
	r.Check("side A mined its spend", errA == nil && confirmed(ctx, c.Procs[0], txC.ID()), "%v", errA)
	time.Sleep(split)
	tb, _ := c.TipOf(ctx, c.Procs[2])
	ta, _ := c.TipOf(ctx, c.Procs[0])
	r.Check("sides diverged", ta.Hash != tb.Hash && confirmed(ctx, c.Procs[2], txB.ID()),
		"side A height %d, side B height %d", ta.Height, tb.Height)
	_ = c.SetMining(ctx, c.Procs[2], false)
	time.Sleep(500 * time.Millisecond)
	heavier := c.Procs[2]
	if workOf(ctx, c.Procs[2]).Cmp(workOf(ctx, c.Procs[0])) <= 0 {
		heavier = c.Procs[0]
	}
	want, _ := c.TipOf(ctx, heavier)
	healAt := time.Now()
	for _, p := range c.Procs {
		if err := c.Heal(ctx, p); err != nil {
			return err
		}
	}
	took, tip, err := c.WaitConverged(ctx, c.Procs, 0, 15*time.Second)
	_ = healAt
	r.Metric("converge_after_heal_s", took.Seconds())
	r.Check("converged within 15 s after the heal", err == nil, "%.2f s", took.Seconds())
	r.Check("converged on the side with more work", tip.Hash == want.Hash, "tip %s at %d, heavier side %s at %d",
		tip.Hash.String()[:12], tip.Height, want.Hash.String()[:12], want.Height)
	nA, nB := 0, 0
	for _, p := range c.Procs {
		if confirmed(ctx, p, txA.ID()) {
			nA++
		}
		if confirmed(ctx, p, txB.ID()) {
			nB++
		}
	}
	r.Check("exactly one conflicting spend survives", (nA == 4 && nB == 0) || (nA == 0 && nB == 4),
		"txA confirmed on %d nodes, txB on %d", nA, nB)
	// The losing side's other transaction is mined again.
	_ = c.SetMining(ctx, c.Procs[0], true)
	errC := c.waitTx(ctx, c.Procs, txC.ID(), 30*time.Second)
	r.Check("the losing side's other transaction is re-mined", errC == nil, "%v", errC)
	collectNetStats(ctx, c, r)
	_ = c.SetMining(ctx, c.Procs[0], false)
	return nil
}

// workOf returns p's chain work (0 on error).
func workOf(ctx context.Context, p *Proc) *big.Int {
	w := new(big.Int)
	if st, err := p.Client.Status(ctx); err == nil {
		w.SetString(st.ChainWork, 10)
	}
	return w
}

// runCrash: SIGKILL a random node repeatedly (while mining, while
// syncing right after a restart, and right after a partition heals, i.e.
// mid-reorg); no lost blocks, roots re-verify, rejoin within 10 s.
func runCrash(ctx context.Context, o Options, r *Report) error {
	c, err := newCluster(o, "crash", 4, 2, GenesisOptions{})
	if err != nil {
		return err
	}
	defer c.Close()
	r.Nodes = 4
	if err := warmUp(ctx, c, 5, 60*time.Second); err != nil {
		return err
	}
	kills := 10
	if o.Short {
		kills = 3
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0xc2a5))
	var rejoins []float64
	lost, verifyFail, slow := 0, 0, 0
	for k := 0; k < kills; k++ {
		var victim *Proc
		phase := []string{"mining", "syncing", "mid-reorg"}[k%3]
		switch phase {
		case "mining":
			victim = c.Procs[rng.IntN(2)]
			time.Sleep(time.Duration(200+rng.IntN(1500)) * time.Millisecond)
		case "syncing":
			victim = c.Procs[2+rng.IntN(2)]
			_ = c.Kill(victim)
			time.Sleep(2 * time.Second)
			if err := c.Start(ctx, victim); err != nil {
				return err
			}
			time.Sleep(time.Duration(50+rng.IntN(300)) * time.Millisecond)
		case "mid-reorg":
			victim = c.Procs[2+rng.IntN(2)]
			others := []*Proc{}
			for _, p := range c.Procs {
				if p != victim {
					others = append(others, p)
				}
			}
			_ = c.Partition(ctx, victim, others)
			for _, p := range others {
				_ = c.Partition(ctx, p, []*Proc{victim})
			}
			_ = c.SetMining(ctx, victim, true)
			time.Sleep(3 * time.Second)
			_ = c.SetMining(ctx, victim, false)
			for _, p := range c.Procs {
				_ = c.Heal(ctx, p)
			}
			time.Sleep(time.Duration(20+rng.IntN(200)) * time.Millisecond)
		}
		st, err := victim.Client.Status(ctx)
		committed := uint64(0)
		if err == nil {
			committed = st.Height
		}
		if err := c.Kill(victim); err != nil {
			return err
		}
		time.Sleep(time.Duration(300+rng.IntN(1000)) * time.Millisecond)
		restart := time.Now()
		if err := c.Start(ctx, victim); err != nil {
			return fmt.Errorf("restart %d of node %d: %w\n%s", k, victim.I, err, c.tailLog(victim, 20))
		}
		if h := c.heightOf(ctx, victim); h < committed {
			lost++
			r.Notes = append(r.Notes, fmt.Sprintf("kill %d (%s): node %d height %d after restart < %d before", k, phase, victim.I, h, committed))
		}
		if err := c.Verify(ctx, victim); err != nil {
			verifyFail++
			r.Notes = append(r.Notes, fmt.Sprintf("kill %d: verify: %v", k, err))
		}
		// Rejoin: the victim reaches the tip the miners have now.
		target := uint64(0)
		for _, p := range c.Procs {
			if p != victim {
				target = max(target, c.heightOf(ctx, p))
			}
		}
		took := time.Duration(0)
		for {
			if c.heightOf(ctx, victim) >= target {
				break
			}
			took = time.Since(restart)
			if took > 10*time.Second {
				slow++
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		took = time.Since(restart)
		rejoins = append(rejoins, took.Seconds())
		c.logf("kill %d (%s) node %d: committed %d, rejoined in %.2f s", k, phase, victim.I, committed, took.Seconds())
	}
	r.Check("no lost blocks", lost == 0, "%d of %d restarts came back below their committed height", lost, kills)
	r.Check("roots re-verify after every restart", verifyFail == 0, "%d failures", verifyFail)
	r.Check("rejoin within 10 s", slow == 0, "%d of %d restarts took longer; max %.2f s", slow, kills, quantile(rejoins, 1))
	r.Metric("kills", float64(kills))
	r.Metric("rejoin_p50_s", quantile(rejoins, 0.5))
	r.Metric("rejoin_max_s", quantile(rejoins, 1))
	c.stopMining(ctx, c.Procs[:2])
	took, _, err := c.WaitConverged(ctx, c.Procs, 0, 15*time.Second)
	r.Check("converged after the last restart", err == nil, "%.2f s", took.Seconds())
	collectNetStats(ctx, c, r)
	r.Metric("converge_after_restart_s", took.Seconds())
	return nil
}

// runMalicious: an evil node per mode joins the honest network; honest
// nodes never accept its blocks, ban it, and keep converging.
func runMalicious(ctx context.Context, o Options, r *Report) error {
	if o.Bin.Evil == "" {
		return errors.New("malicious: needs gcoind built with -tags evil")
	}
	c, err := newCluster(o, "malicious", 4, 2, GenesisOptions{})
	if err != nil {
		return err
	}
	defer c.Close()
	r.Nodes = 4
	honest := append([]*Proc(nil), c.Procs...)
	if err := warmUp(ctx, c, 3, 60*time.Second); err != nil {
		return err
	}
	modes := []string{"bad-pow", "bad-model", "bad-loss", "copy-update", "saturate", "overpay", "bad-sig", "replay", "oversize", "garbage", "timewarp"}
	if o.Short {
		modes = []string{"bad-model", "copy-update", "garbage"}
	}
	if len(o.EvilModes) > 0 {
		modes = o.EvilModes
	}
	evilAddr := Key(o.Seed, "evil miner").Address()
	var banTimes []float64
	for _, mode := range modes {
		ev := c.Add(false)
		ev.Evil = mode
		ev.MinerAddr = evilAddr
		if err := c.Start(ctx, ev); err != nil {
			return err
		}
		start := time.Now()
		banned, firstBan, reason := 0, time.Time{}, ""
		for time.Since(start) < 45*time.Second {
			banned = 0
			for _, p := range honest {
				bans, err := c.Bans(ctx, p)
				if err != nil {
					continue
				}
				for _, b := range bans {
					if b.Peer == ev.ID && !b.Until.IsZero() && b.Until.After(time.Now()) {
						banned++
						if reason == "" {
							reason = b.Reason
							if len(reason) > 90 {
								reason = reason[:90] + "..."
							}
						}
					}
				}
			}
			if banned == len(honest) {
				break
			}
			// An honest node the attacker never reached cannot ban it:
			// once one has, give the others 5 s.
			if banned > 0 && firstBan.IsZero() {
				firstBan = time.Now()
			}
			if !firstBan.IsZero() && time.Since(firstBan) > 5*time.Second {
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
		// Every honest node the evil one connected to bans it; a node it
		// never reached cannot.
		r.Check("mode "+mode+": attacker banned", banned >= 2, "%d of %d honest nodes banned it in %.1f s (%s)",
			banned, len(honest), time.Since(start).Seconds(), reason)
		banTimes = append(banTimes, time.Since(start).Seconds())
		if banned < 2 {
			if info, err := c.Info(ctx, ev); err == nil {
				r.Notes = append(r.Notes, fmt.Sprintf("mode %s: attacker height %d, %d peers, stats %+v",
					mode, c.heightOf(ctx, ev), len(info.Peers), info.Stats))
			}
		}
		_ = c.Kill(ev)
	}
	c.stopMining(ctx, c.Procs[:2])
	took, tip, err := c.WaitConverged(ctx, honest, 0, 15*time.Second)
	r.Check("honest nodes keep converging", err == nil, "%.2f s at height %d", took.Seconds(), tip.Height)
	evilBlocks := 0
	for h := uint64(1); h <= tip.Height; h++ {
		b, err := honest[0].Client.Block(ctx, fmt.Sprint(h))
		if err == nil && b.Miner == evilAddr {
			evilBlocks++
		}
	}
	r.Check("no attacker block on the honest main chain", evilBlocks == 0, "%d attacker blocks in %d", evilBlocks, tip.Height)
	r.Metric("modes", float64(len(modes)))
	r.Metric("ban_time_p50_s", quantile(banTimes, 0.5))
	r.Metric("ban_time_max_s", quantile(banTimes, 1))
	return nil
}

// runWallet: `gcoin send` is confirmed on every node; a double spend with
// the same nonce is rejected.
func runWallet(ctx context.Context, o Options, r *Report) error {
	if o.Bin.Gcoin == "" {
		return errors.New("wallet: needs the gcoin binary")
	}
	c, err := newCluster(o, "wallet", 4, 2, GenesisOptions{})
	if err != nil {
		return err
	}
	defer c.Close()
	r.Nodes = 4
	if err := warmUp(ctx, c, 2, 60*time.Second); err != nil {
		return err
	}
	g := genesisOf(c)
	keyFile := filepath.Join(c.cfg.Dir, "faucet.key")
	gcoin := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, o.Bin.Gcoin, append([]string{"--node", c.Procs[3].base, "--key", keyFile}, args...)...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := gcoin("key", "import-dev-faucet"); err != nil {
		return fmt.Errorf("gcoin key import-dev-faucet: %v: %s", err, out)
	}
	to := Key(o.Seed, "wallet recipient").Address()
	start := time.Now()
	out, err := gcoin("--json", "send", "--to", to.String(), "--amount", "1.5")
	r.Check("gcoin send confirmed", err == nil, "%s", strings.TrimSpace(lastLine(out)))
	r.Metric("send_confirm_s", time.Since(start).Seconds())
	// Every node sees the payment.
	deadline := time.Now().Add(15 * time.Second)
	seen := 0
	for time.Now().Before(deadline) {
		seen = 0
		for _, p := range c.Procs {
			if a, err := p.Client.Account(ctx, to); err == nil && a.Balance == 150_000_000 {
				seen++
			}
		}
		if seen == len(c.Procs) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	r.Check("payment visible on all nodes", seen == len(c.Procs), "%d of %d nodes show 1.5 GC", seen, len(c.Procs))
	// Double spends: the confirmed nonce again, and a pending nonce spent twice.
	faucet := consensus.DevFaucetKey()
	acct, err := c.Procs[0].Client.Account(ctx, faucet.Address())
	if err != nil {
		return err
	}
	c.stopMining(ctx, c.Procs[:2])
	_, _, _ = c.WaitConverged(ctx, c.Procs, 0, 10*time.Second)
	replay := SignedTx(g, faucet, Key(o.Seed, "thief").Address(), consensus.Coin, g.Params.MinFee, acct.Nonce-1)
	_, err = c.Procs[1].Client.SubmitTx(ctx, replay)
	r.Check("spending a confirmed nonce again is rejected", err != nil, "%v", err)
	first := SignedTx(g, faucet, Key(o.Seed, "x").Address(), consensus.Coin, g.Params.MinFee, acct.Nonce)
	second := SignedTx(g, faucet, Key(o.Seed, "y").Address(), consensus.Coin, g.Params.MinFee, acct.Nonce)
	_, err1 := c.Procs[0].Client.SubmitTx(ctx, first)
	time.Sleep(time.Second) // gossip reaches the other nodes
	_, err2 := c.Procs[2].Client.SubmitTx(ctx, second)
	r.Check("a pending nonce spent twice is rejected", err1 == nil && err2 != nil, "first: %v; second: %v", err1, err2)
	return nil
}

// waitStable waits until every node reports the same tip and that tip stays
// the same for a second: a block that a miner finished while it was being
// stopped may still arrive just after a first convergence.
func (c *Cluster) waitStable(ctx context.Context, ps []*Proc, timeout time.Duration) (Tip, error) {
	deadline := time.Now().Add(timeout)
	for {
		_, first, err := c.WaitConverged(ctx, ps, 0, time.Until(deadline))
		if err != nil {
			return Tip{}, err
		}
		time.Sleep(time.Second)
		_, again, err := c.WaitConverged(ctx, ps, 0, time.Until(deadline))
		if err != nil {
			return Tip{}, err
		}
		if again.Hash == first.Hash {
			return again, nil
		}
		if time.Now().After(deadline) {
			return Tip{}, fmt.Errorf("tip still moving after %s", timeout)
		}
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// runServing: /v1/generate with the same height, prompt and seed returns
// identical text from every node.
func runServing(ctx context.Context, o Options, r *Report) error {
	c, err := newCluster(o, "serving", 4, 2, GenesisOptions{})
	if err != nil {
		return err
	}
	defer c.Close()
	r.Nodes = 4
	if err := warmUp(ctx, c, 20, 90*time.Second); err != nil {
		return err
	}
	c.stopMining(ctx, c.Procs[:2])
	tip, err := c.waitStable(ctx, c.Procs, 10*time.Second)
	if err != nil {
		return err
	}
	prompts := []string{"The river ", "Once upon a time", "In the town"}
	same := 0
	for i, prompt := range prompts {
		var texts []string
		mt := 80
		for _, p := range c.Procs {
			g, err := p.Client.Generate(ctx, api.Generate{Prompt: prompt, MaxTokens: &mt, TemperatureMilli: 800, TopK: 8, Seed: uint64(i + 1)})
			if err != nil {
				return err
			}
			if g.Height != tip.Height {
				return fmt.Errorf("node %d generated at height %d, not %d", p.I, g.Height, tip.Height)
			}
			texts = append(texts, g.Text)
		}
		ok := true
		for _, t := range texts[1:] {
			ok = ok && t == texts[0]
		}
		if ok {
			same++
		}
		r.Notes = append(r.Notes, fmt.Sprintf("height %d prompt %q seed %d: %q", tip.Height, prompt, i+1, texts[0]))
	}
	r.Check("identical text from every node", same == len(prompts), "%d of %d prompts identical on all %d nodes at height %d",
		same, len(prompts), len(c.Procs), tip.Height)
	return nil
}

// runTxRate measures how many transactions per second one node's mempool
// accepts through POST /v1/tx (pre-signed transfers from many senders,
// concurrent clients).
func runTxRate(ctx context.Context, o Options, r *Report) error {
	senders, perSender := 100, 40
	if o.Short {
		senders, perSender = 25, 20
	}
	var ks []*keys.PrivateKey
	var addrs []keys.Address
	for i := 0; i < senders; i++ {
		k := Key(o.Seed, fmt.Sprintf("load %d", i))
		ks = append(ks, k)
		addrs = append(addrs, k.Address())
	}
	c, err := newCluster(o, "txrate", 1, 0, GenesisOptions{Alloc: addrs, AllocAmount: 1000 * consensus.Coin})
	if err != nil {
		return err
	}
	defer c.Close()
	r.Nodes = 1
	if err := startAll(ctx, c); err != nil {
		return err
	}
	g := genesisOf(c)
	to := Key(o.Seed, "sink").Address()
	txs := make([][]*types.Tx, senders)
	for i, k := range ks {
		for n := 0; n < perSender; n++ {
			txs[i] = append(txs[i], SignedTx(g, k, to, 1000, g.Params.MinFee, uint64(n)))
		}
	}
	p := c.Procs[0]
	workers := 16
	var accepted, rejected atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	next := atomic.Int64{}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= senders {
					return
				}
				for _, tx := range txs[i] {
					if _, err := p.Client.SubmitTx(ctx, tx); err != nil {
						rejected.Add(1)
					} else {
						accepted.Add(1)
					}
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	rate := float64(accepted.Load()) / el.Seconds()
	st, _ := p.Client.Status(ctx)
	r.Metric("txs_accepted", float64(accepted.Load()))
	r.Metric("txs_rejected", float64(rejected.Load()))
	r.Metric("tx_accept_per_s", rate)
	r.Check("all transactions accepted", rejected.Load() == 0 && st != nil && st.Mempool == senders*perSender,
		"%d accepted, %d rejected, mempool %d", accepted.Load(), rejected.Load(), mempoolOf(st))
	r.Check("at least 1000 tx/s into the mempool", rate >= 1000, "%.0f tx/s (%d over HTTP with %d clients)", rate, accepted.Load(), workers)
	return nil
}

func mempoolOf(st *api.Status) int {
	if st == nil {
		return -1
	}
	return st.Mempool
}

// runSync: a fresh node syncs N blocks (1000, or 300 in short runs) from
// a peer; the figure is the time from its start to the peer's tip.
func runSync(ctx context.Context, o Options, r *Report) error {
	blocks := uint64(1000)
	if o.Short {
		blocks = 300
	}
	c, err := newCluster(o, "sync", 1, 1, GenesisOptions{Fast: true})
	if err != nil {
		return err
	}
	defer c.Close()
	if err := startAll(ctx, c); err != nil {
		return err
	}
	src := c.Procs[0]
	start := time.Now()
	for c.heightOf(ctx, src) < blocks {
		if time.Since(start) > 10*time.Minute {
			return errors.New("sync: the source node did not mine enough blocks")
		}
		time.Sleep(200 * time.Millisecond)
	}
	_ = c.SetMining(ctx, src, false)
	time.Sleep(300 * time.Millisecond)
	tip, err := c.TipOf(ctx, src)
	if err != nil {
		return err
	}
	r.Metric("source_mine_s", time.Since(start).Seconds())
	fresh := c.Add(false)
	t0 := time.Now()
	if err := c.Start(ctx, fresh); err != nil {
		return err
	}
	took, got, err := c.WaitConverged(ctx, []*Proc{src, fresh}, tip.Height, 5*time.Minute)
	total := time.Since(t0)
	r.Nodes = 2
	r.Metric("sync_blocks", float64(tip.Height))
	r.Metric("sync_s", total.Seconds())
	r.Metric("sync_blocks_per_s", float64(tip.Height)/total.Seconds())
	r.Check("fresh node reaches the tip", err == nil && got.Hash == tip.Hash, "%d blocks in %.2f s (%.2f s after start)", tip.Height, total.Seconds(), took.Seconds())
	if !o.Short {
		r.Check("1000 blocks in under 30 s", total < 30*time.Second && tip.Height >= 1000, "%.2f s", total.Seconds())
	}
	return nil
}
