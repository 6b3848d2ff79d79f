package main

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/sketchwork/sketchwork/internal/fileutil"
	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/node"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// GenesisOptions shape the harness network.
type GenesisOptions struct {
	// Spacing is the target block interval (0 = 1 s, the test-net value).
	Spacing time.Duration
	// Fast uses the dev-fast profile: a trivial fixed target (2^246,
	// NoRetarget), for benchmarks that need many blocks quickly.
	Fast bool
	// Alloc funds extra addresses with AllocAmount each.
	Alloc       []keys.Address
	AllocAmount uint64
}

// NewGenesis builds the harness network: the dev network (test-net
// parameters, the dev faucet funded) named "gcnet", with the given spacing
// and allocations.
func NewGenesis(o GenesisOptions) (*consensus.Genesis, error) {
	var g *consensus.Genesis
	var err error
	if o.Fast {
		g, err = node.FastDevGenesis()
	} else {
		g, err = node.DevGenesis()
	}
	if err != nil {
		return nil, err
	}
	g.Params.Name = "gcnet"
	if o.Fast {
		g.Params.Name = "gcnet-fast"
	}
	if o.Spacing > 0 {
		g.Params.TargetSpacing = o.Spacing.Milliseconds()
	}
	for _, a := range o.Alloc {
		g.Alloc = append(g.Alloc, consensus.Allocation{Address: a, Amount: o.AllocAmount})
	}
	// Genesis time: now, so that block times follow the wall clock from
	// the start (the MTP rule then never makes early blocks wait).
	g.Time = time.Now().Add(-time.Minute).UnixMilli()
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return g, nil
}

// Key returns the harness's deterministic key named name under seed.
func Key(seed uint64, name string) *keys.PrivateKey {
	s := sha256.Sum256([]byte(fmt.Sprintf("gcnet key %d %s", seed, name)))
	k, err := keys.FromSeed(s[:])
	if err != nil {
		panic(err)
	}
	return k
}

// SignedTx returns a signed transfer on network g.
func SignedTx(g *consensus.Genesis, from *keys.PrivateKey, to keys.Address, amount, fee, nonce uint64) *types.Tx {
	tx := &types.Tx{Version: types.TxVersion, ChainID: g.Params.ChainID, From: from.Address(), To: to,
		Amount: amount, Fee: fee, Nonce: nonce}
	if err := tx.Sign(from); err != nil {
		panic(err)
	}
	return tx
}

// Check is one pass/fail assertion of a scenario.
type Check struct {
	Name   string `json:"name"`
	Pass   bool   `json:"pass"`
	Detail string `json:"detail"`
}

// Report is what a scenario run produces.
type Report struct {
	Scenario string             `json:"scenario"`
	Short    bool               `json:"short"`
	Nodes    int                `json:"nodes"`
	Started  time.Time          `json:"started"`
	Seconds  float64            `json:"seconds"`
	Checks   []Check            `json:"checks"`
	Metrics  map[string]float64 `json:"metrics"`
	Notes    []string           `json:"notes,omitempty"`
	// Loss is eval_loss and LossAfter by height (node 0's main chain).
	Loss []LossRow `json:"loss,omitempty"`
	// Blocks has one row per block: propagation and verification.
	Blocks []BlockRow `json:"blocks,omitempty"`
}

// LossRow is one point of the loss-vs-height series.
type LossRow struct {
	Height    uint64  `json:"height"`
	LossAfter float64 `json:"loss_after"`
	EvalLoss  float64 `json:"eval_loss"`
}

// BlockRow describes one block's propagation.
type BlockRow struct {
	Height uint64 `json:"height"`
	Hash   string `json:"hash"`
	// PropagationMs is the time from the first arrival (the miner's own
	// acceptance) to the last node's arrival.
	PropagationMs float64 `json:"propagation_ms"`
	// Nodes is how many nodes recorded the block.
	Nodes int `json:"nodes"`
	// VerifyMsMedian is the median ProcessBlock time over receiving nodes.
	VerifyMsMedian float64 `json:"verify_ms_median"`
}

// Check records an assertion.
func (r *Report) Check(name string, pass bool, format string, args ...any) bool {
	r.Checks = append(r.Checks, Check{Name: name, Pass: pass, Detail: fmt.Sprintf(format, args...)})
	return pass
}

// Pass reports whether every check passed (and there is at least one).
func (r *Report) Pass() bool {
	if len(r.Checks) == 0 {
		return false
	}
	for _, c := range r.Checks {
		if !c.Pass {
			return false
		}
	}
	return true
}

// Metric records a figure.
func (r *Report) Metric(name string, v float64) {
	if r.Metrics == nil {
		r.Metrics = map[string]float64{}
	}
	r.Metrics[name] = v
}

// Write writes dir/<scenario>.json, dir/<scenario>-metrics.csv and, when
// there are series, dir/<scenario>-loss.csv and dir/<scenario>-blocks.csv.
func (r *Report) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := fileutil.WriteFileAtomic(filepath.Join(dir, r.Scenario+".json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	var names []string
	for k := range r.Metrics {
		names = append(names, k)
	}
	sort.Strings(names)
	rows := [][]string{{"scenario", "metric", "value"}}
	for _, k := range names {
		rows = append(rows, []string{r.Scenario, k, strconv.FormatFloat(r.Metrics[k], 'g', 6, 64)})
	}
	if err := writeCSV(filepath.Join(dir, r.Scenario+"-metrics.csv"), rows); err != nil {
		return err
	}
	if len(r.Loss) > 0 {
		rows := [][]string{{"height", "loss_after", "eval_loss"}}
		for _, l := range r.Loss {
			rows = append(rows, []string{strconv.FormatUint(l.Height, 10), fmt.Sprintf("%.6f", l.LossAfter), fmt.Sprintf("%.6f", l.EvalLoss)})
		}
		if err := writeCSV(filepath.Join(dir, r.Scenario+"-loss.csv"), rows); err != nil {
			return err
		}
	}
	if len(r.Blocks) > 0 {
		rows := [][]string{{"height", "hash", "propagation_ms", "nodes", "verify_ms_median"}}
		for _, bl := range r.Blocks {
			rows = append(rows, []string{strconv.FormatUint(bl.Height, 10), bl.Hash, fmt.Sprintf("%.3f", bl.PropagationMs),
				strconv.Itoa(bl.Nodes), fmt.Sprintf("%.3f", bl.VerifyMsMedian)})
		}
		if err := writeCSV(filepath.Join(dir, r.Scenario+"-blocks.csv"), rows); err != nil {
			return err
		}
	}
	return nil
}

func writeCSV(path string, rows [][]string) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*.csv")
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	if err := w.WriteAll(rows); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), path)
}

// quantile returns the q-quantile of xs (nearest rank; 0 for none).
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	i := int(q*float64(len(s)-1) + 0.5)
	return s[min(max(i, 0), len(s)-1)]
}
