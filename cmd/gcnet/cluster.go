// The harness: local multi-process GradientCoin networks
// (papers/gradientcoin.md section 10.4). It builds gcoind (and its evil
// variant), writes a genesis, starts N gcoind processes on loopback
// addresses 127.0.0.1..127.0.0.N (Linux; 127.0.0.1 elsewhere) with their
// own data directories and ports chosen by the kernel (port 0, read back
// from the node), drives the scenarios and collects metrics into a Report
// (JSON + CSV). Nodes talk over real libp2p TCP connections; the harness
// talks to them over their HTTP APIs only, including the test-only admin
// endpoints (partition, heal, verify) enabled by gcoind --test-admin.

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sketchwork/sketchwork/ledger/api"
	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/p2p"
)

// Binaries are the programs a cluster runs.
type Binaries struct {
	// Gcoind is the node; Evil is gcoind built with -tags evil (only the
	// malicious scenario needs it); Gcoin is the wallet.
	Gcoind, Evil, Gcoin string
}

// Build compiles gcoind, gcoind -tags evil and gcoin from the module at
// root into dir. evil and gcoin may be skipped.
func Build(ctx context.Context, root, dir string, evil, gcoin bool, log io.Writer) (Binaries, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Binaries{}, err
	}
	b := Binaries{Gcoind: filepath.Join(dir, "gcoind")}
	jobs := [][]string{{"build", "-o", b.Gcoind, "./cmd/gcoind"}}
	if evil {
		b.Evil = filepath.Join(dir, "gcoind-evil")
		jobs = append(jobs, []string{"build", "-tags", "evil", "-o", b.Evil, "./cmd/gcoind"})
	}
	if gcoin {
		b.Gcoin = filepath.Join(dir, "gcoin")
		jobs = append(jobs, []string{"build", "-o", b.Gcoin, "./cmd/gcoin"})
	}
	for _, args := range jobs {
		cmd := exec.CommandContext(ctx, goTool(), args...)
		cmd.Dir = root
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Run(); err != nil {
			return Binaries{}, fmt.Errorf("harness: go %s: %w", strings.Join(args, " "), err)
		}
	}
	return b, nil
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// ModuleRoot finds the directory holding go.mod, from dir upwards.
func ModuleRoot(dir string) (string, error) {
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("harness: go.mod not found")
		}
		dir = parent
	}
}

// Config configures a Cluster.
type Config struct {
	// Dir holds the genesis file and one data directory per node.
	Dir string
	Bin Binaries
	// Genesis is the network (NewGenesis builds the usual one).
	Genesis *consensus.Genesis
	// Log receives harness progress lines (nil = discard).
	Log io.Writer
	// StatusInterval is the nodes' p2p status poll (0 = gcoind's default).
	StatusInterval time.Duration
}

// Proc is one gcoind process of a cluster.
type Proc struct {
	I    int
	IP   string
	Dir  string
	Mine bool
	// Evil is the misbehaviour mode list (evil binary only).
	Evil string
	// MinerAddr, if set, receives the node's rewards.
	MinerAddr keys.Address

	HTTPPort, P2PPort int
	ID                string // libp2p peer ID
	Addr              string // full multiaddr with /p2p/<id>
	Client            *api.Client
	base              string

	cmd    *exec.Cmd
	done   chan struct{}
	logf   *os.File
	starts int
}

// Cluster is a set of gcoind processes on one genesis.
type Cluster struct {
	cfg     Config
	genesis string
	mu      sync.Mutex
	Procs   []*Proc
	hc      *http.Client
}

// NewCluster prepares a cluster in cfg.Dir (nothing runs until Start).
func NewCluster(cfg Config) (*Cluster, error) {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, err
	}
	b, err := cfg.Genesis.MarshalIndent()
	if err != nil {
		return nil, err
	}
	gpath := filepath.Join(cfg.Dir, "genesis.json")
	if err := os.WriteFile(gpath, b, 0o644); err != nil {
		return nil, err
	}
	return &Cluster{cfg: cfg, genesis: gpath, hc: &http.Client{Timeout: 15 * time.Second}}, nil
}

// ipFor returns node i's loopback address: 127.0.0.(i+1) on Linux, where
// the whole 127/8 block is local, and 127.0.0.1 elsewhere.
func ipFor(i int) string {
	if runtime.GOOS == "linux" {
		return fmt.Sprintf("127.0.0.%d", i+1)
	}
	return "127.0.0.1"
}

// Add registers a node (not started).
func (c *Cluster) Add(mine bool) *Proc {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := len(c.Procs)
	p := &Proc{I: i, IP: ipFor(i), Dir: filepath.Join(c.cfg.Dir, fmt.Sprintf("node%d", i)), Mine: mine}
	c.Procs = append(c.Procs, p)
	return p
}

// Running reports whether p's process is alive.
func (p *Proc) Running() bool {
	if p.done == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// bootstrapFor lists the addresses of every other node that has run.
func (c *Cluster) bootstrapFor(p *Proc) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, q := range c.Procs {
		if q != p && q.Addr != "" && q.Evil == "" {
			out = append(out, q.Addr)
		}
	}
	return out
}

// Start launches p (again, after a stop or kill, on the same ports, data
// directory and identity) and waits until its API answers and its p2p
// identity is known.
func (c *Cluster) Start(ctx context.Context, p *Proc) error {
	if p.Running() {
		return fmt.Errorf("harness: node %d already running", p.I)
	}
	if err := os.MkdirAll(p.Dir, 0o700); err != nil {
		return err
	}
	_ = os.Remove(filepath.Join(p.Dir, "http.addr"))
	bin := c.cfg.Bin.Gcoind
	if p.Evil != "" {
		bin = c.cfg.Bin.Evil
		if bin == "" {
			return errors.New("harness: an evil node needs the evil binary")
		}
	}
	args := []string{"--datadir", p.Dir, "--genesis", c.genesis,
		"--http", fmt.Sprintf("%s:%d", p.IP, p.HTTPPort),
		"--p2p-listen", fmt.Sprintf("/ip4/%s/tcp/%d", p.IP, p.P2PPort),
		"--test-admin", "--api-rate", "-1", "--log-level", "info"}
	for _, b := range c.bootstrapFor(p) {
		args = append(args, "--bootstrap", b)
	}
	if c.cfg.StatusInterval > 0 {
		args = append(args, "--p2p-status-interval", c.cfg.StatusInterval.String())
	}
	if p.Mine {
		args = append(args, "--mine")
	}
	if !p.MinerAddr.IsZero() {
		args = append(args, "--miner-addr", p.MinerAddr.String())
	}
	if p.Evil != "" {
		args = append(args, "--evil", p.Evil)
	}
	logf, err := os.OpenFile(filepath.Join(c.cfg.Dir, fmt.Sprintf("node%d.log", p.I)), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	fmt.Fprintf(logf, "=== start %d: %s %s\n", p.starts, bin, strings.Join(args, " "))
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	p.starts++
	p.cmd, p.logf, p.done = cmd, logf, make(chan struct{})
	go func(done chan struct{}) {
		_ = cmd.Wait()
		logf.Close()
		close(done)
	}(p.done)
	// Wait for http.addr.
	deadline := time.Now().Add(60 * time.Second)
	var addr string
	for {
		if b, err := os.ReadFile(filepath.Join(p.Dir, "http.addr")); err == nil && len(b) > 0 {
			addr = strings.TrimSpace(string(b))
			break
		}
		if !p.Running() {
			return fmt.Errorf("harness: node %d exited during start (see %s)", p.I, logf.Name())
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("harness: node %d did not start in time", p.I)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, port, ok := strings.Cut(addr, ":"); ok {
		p.HTTPPort, _ = strconv.Atoi(port)
	}
	p.base = "http://" + addr
	p.Client, err = api.NewClient(p.base, c.hc)
	if err != nil {
		return err
	}
	var info p2p.Info
	if err := c.getJSON(ctx, p, "/v1/p2p/info", &info); err != nil {
		return fmt.Errorf("harness: node %d p2p info: %w", p.I, err)
	}
	p.ID = info.ID
	for _, a := range info.Addrs {
		if strings.Contains(a, "/ip4/"+p.IP+"/tcp/") {
			p.Addr = a
			rest := strings.TrimPrefix(a, "/ip4/"+p.IP+"/tcp/")
			port, _, _ := strings.Cut(rest, "/")
			p.P2PPort, _ = strconv.Atoi(port)
		}
	}
	if p.Addr == "" && len(info.Addrs) > 0 {
		p.Addr = info.Addrs[0]
	}
	c.logf("node %d up: http %s p2p %s mine=%v evil=%q", p.I, addr, p.Addr, p.Mine, p.Evil)
	return nil
}

// Kill sends SIGKILL to p and waits for it to exit.
func (c *Cluster) Kill(p *Proc) error {
	if !p.Running() {
		return nil
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	<-p.done
	c.logf("node %d killed", p.I)
	return nil
}

// Stop sends SIGTERM to p and waits (SIGKILL after 15 s).
func (c *Cluster) Stop(p *Proc) error {
	if !p.Running() {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(15 * time.Second):
		return c.Kill(p)
	}
}

// Close stops every node.
func (c *Cluster) Close() {
	var wg sync.WaitGroup
	for _, p := range c.Procs {
		wg.Add(1)
		go func(p *Proc) {
			defer wg.Done()
			_ = c.Stop(p)
		}(p)
	}
	wg.Wait()
}

func (c *Cluster) logf(format string, args ...any) {
	fmt.Fprintf(c.cfg.Log, "%s gcnet: %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

// getJSON fetches a JSON document from p's API.
func (c *Cluster) getJSON(ctx context.Context, p *Proc, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base+path, nil)
	if err != nil {
		return err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("GET %s: %s: %s", path, resp.Status, strings.TrimSpace(string(b)))
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// postJSON posts a JSON body to p's API.
func (c *Cluster) postJSON(ctx context.Context, p *Proc, path string, body, v any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = strings.NewReader(string(b))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.base+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("POST %s: %s: %s", path, resp.Status, strings.TrimSpace(string(b)))
	}
	if v == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// Info returns p's p2p info.
func (c *Cluster) Info(ctx context.Context, p *Proc) (*p2p.Info, error) {
	var info p2p.Info
	return &info, c.getJSON(ctx, p, "/v1/p2p/info", &info)
}

// Arrivals returns p's recorded block arrivals from height from.
func (c *Cluster) Arrivals(ctx context.Context, p *Proc, from uint64) ([]p2p.Arrival, error) {
	var out []p2p.Arrival
	return out, c.getJSON(ctx, p, fmt.Sprintf("/v1/p2p/arrivals?from=%d", from), &out)
}

// Bans returns p's ban records.
func (c *Cluster) Bans(ctx context.Context, p *Proc) ([]p2p.BanInfo, error) {
	var out []p2p.BanInfo
	return out, c.getJSON(ctx, p, "/v1/p2p/bans", &out)
}

// Partition cuts p off from the given peers (test admin endpoint).
func (c *Cluster) Partition(ctx context.Context, p *Proc, from []*Proc) error {
	var ids []string
	for _, q := range from {
		ids = append(ids, q.ID)
	}
	return c.postJSON(ctx, p, "/admin/partition", p2p.PartitionRequest{Deny: ids}, nil)
}

// Heal lifts p's partition.
func (c *Cluster) Heal(ctx context.Context, p *Proc) error {
	return c.postJSON(ctx, p, "/admin/heal", nil, nil)
}

// Verify asks p to re-verify its tip's StateRoot and ModelRoot and its
// store (GET /admin/verify).
func (c *Cluster) Verify(ctx context.Context, p *Proc) error {
	var v map[string]any
	return c.getJSON(ctx, p, "/admin/verify", &v)
}

// Tip is what a node reports about its best chain.
type Tip struct {
	Height    uint64
	Hash      hashx.Hash
	StateRoot hashx.Hash
	ModelRoot hashx.Hash
}

// TipOf returns p's tip with its roots.
func (c *Cluster) TipOf(ctx context.Context, p *Proc) (Tip, error) {
	b, err := p.Client.Block(ctx, "tip")
	if err != nil {
		return Tip{}, err
	}
	return Tip{Height: b.Height, Hash: b.Hash, StateRoot: b.StateRoot, ModelRoot: b.ModelRoot}, nil
}

// Tips returns the tips of the given nodes (an error if any fails).
func (c *Cluster) Tips(ctx context.Context, ps []*Proc) ([]Tip, error) {
	out := make([]Tip, len(ps))
	for i, p := range ps {
		t, err := c.TipOf(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("node %d: %w", p.I, err)
		}
		out[i] = t
	}
	return out, nil
}

// Converged reports whether the nodes share tip, state root and model
// root, and returns the common tip.
func (c *Cluster) Converged(ctx context.Context, ps []*Proc) (bool, Tip) {
	tips, err := c.Tips(ctx, ps)
	if err != nil || len(tips) == 0 {
		return false, Tip{}
	}
	for _, t := range tips[1:] {
		if t != tips[0] {
			return false, tips[0]
		}
	}
	return true, tips[0]
}

// WaitConverged polls every 100 ms until the nodes converge (and, if
// minHeight > 0, reach it) or timeout passes; it returns the time it took.
func (c *Cluster) WaitConverged(ctx context.Context, ps []*Proc, minHeight uint64, timeout time.Duration) (time.Duration, Tip, error) {
	start := time.Now()
	for {
		ok, tip := c.Converged(ctx, ps)
		if ok && tip.Height >= minHeight {
			return time.Since(start), tip, nil
		}
		if time.Since(start) > timeout {
			var parts []string
			if tips, err := c.Tips(ctx, ps); err == nil {
				for i, t := range tips {
					parts = append(parts, fmt.Sprintf("node %d: height %d tip %s", ps[i].I, t.Height, t.Hash.String()[:12]))
				}
			}
			return time.Since(start), tip, fmt.Errorf("not converged after %v (%s)", timeout, strings.Join(parts, "; "))
		}
		select {
		case <-ctx.Done():
			return time.Since(start), tip, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// SetMining switches p's miner on or off.
func (c *Cluster) SetMining(ctx context.Context, p *Proc, on bool) error {
	_, err := p.Client.Mine(ctx, on)
	return err
}

// tailLog returns the last lines of p's log (for failure reports).
func (c *Cluster) tailLog(p *Proc, n int) string {
	f, err := os.Open(filepath.Join(c.cfg.Dir, fmt.Sprintf("node%d.log", p.I)))
	if err != nil {
		return ""
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}
