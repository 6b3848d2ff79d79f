package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sketchwork/sketchwork/ledger/api"
	"github.com/sketchwork/sketchwork/ledger/node"
)

// buildGcoind compiles this command into dir.
func buildGcoind(t *testing.T, dir string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(dir, "gcoind")
	out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// proc is one gcoind process.
type proc struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	done   chan error
}

func startGcoind(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, args...), stderr: new(bytes.Buffer), done: make(chan error, 1)}
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// waitAddr waits for the bound address in DATADIR/http.addr; it returns
// "" if the process exits first.
func waitAddr(t *testing.T, p *proc, dataDir string, d time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(filepath.Join(dataDir, node.HTTPAddrFile)); err == nil && strings.HasSuffix(string(b), "\n") {
			return strings.TrimSpace(string(b))
		}
		select {
		case err := <-p.done:
			p.done <- err
			t.Fatalf("gcoind exited before listening: %v\n%s", err, p.stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("no %s after %v\n%s", node.HTTPAddrFile, d, p.stderr.String())
	return ""
}

func height(ctx context.Context, c *api.Client) (uint64, error) {
	s, err := c.Status(ctx)
	if err != nil {
		return 0, err
	}
	return s.Height, nil
}

// TestKillRestart builds gcoind, starts a mining node on the dev network
// with a free port, SIGKILLs it at random moments (including during
// startup) nine times, and checks after each restart that it opens
// cleanly (chain.Open re-verifies the tip's StateRoot and ModelRoot and
// refuses a store that does not match) and that its height never goes
// below the last committed height it reported. Finally a SIGTERM stops it
// cleanly and `gcoind verify` checks the store.
func TestKillRestart(t *testing.T) {
	tmp := t.TempDir()
	bin := buildGcoind(t, tmp)
	dataDir := filepath.Join(tmp, "data")
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("GCOIND_KILL_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("kill schedule seed %d (set GCOIND_KILL_SEED to replay)", seed)
	rng := rand.New(rand.NewPCG(seed, 0x6b696c6c))
	hc := &http.Client{Timeout: 2 * time.Second}
	args := []string{"--datadir", dataDir, "--http", "127.0.0.1:0", "--mine"}

	var reported uint64 // highest committed height the node reported
	const kills = 9
	for i := 0; i < kills; i++ {
		_ = os.Remove(filepath.Join(dataDir, node.HTTPAddrFile))
		p := startGcoind(t, bin, args...)
		start := time.Now()
		// Kill moments between 0 and 1.5 s after the start; the first
		// tenth of that range often lands before the node listens.
		killAt := time.Duration(rng.Int64N(int64(1500 * time.Millisecond)))
		if killAt > 150*time.Millisecond || i == 0 {
			addr := waitAddr(t, p, dataDir, 60*time.Second)
			c, err := api.NewClient("http://"+addr, hc)
			if err != nil {
				t.Fatal(err)
			}
			h, err := height(context.Background(), c)
			if err != nil {
				t.Fatalf("run %d: status: %v", i, err)
			}
			if h < reported {
				t.Fatalf("run %d: restarted at height %d, below the %d it reported before the kill", i, h, reported)
			}
			reported = h
			for time.Since(start) < killAt {
				if h, err := height(context.Background(), c); err == nil && h > reported {
					reported = h
				}
				time.Sleep(60 * time.Millisecond) // below the API's 20 requests/s per IP
			}
			hc.CloseIdleConnections()
		} else {
			time.Sleep(killAt)
		}
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		err := <-p.done
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("run %d: process ended with %v before the kill\n%s", i, err, p.stderr.String())
		}
		t.Logf("run %d: killed %v after start, reported height %d", i, killAt.Round(time.Millisecond), reported)
	}

	// A last run: the height is kept, and SIGTERM stops the node cleanly.
	_ = os.Remove(filepath.Join(dataDir, node.HTTPAddrFile))
	p := startGcoind(t, bin, args...)
	addr := waitAddr(t, p, dataDir, 60*time.Second)
	c, _ := api.NewClient("http://"+addr, hc)
	h, err := height(context.Background(), c)
	if err != nil || h < reported {
		t.Fatalf("final restart at height %d (%v), reported %d before", h, err, reported)
	}
	if h == 0 {
		t.Fatal("no block was ever mined")
	}
	hc.CloseIdleConnections()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("SIGTERM: exit %v\n%s", err, p.stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("gcoind did not stop within 20 s of SIGTERM")
	}
	logs := p.stderr.String()
	for _, want := range []string{"shutting down on signal", "node stopped"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	if _, err := os.Stat(filepath.Join(dataDir, node.HTTPAddrFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("http.addr left after a clean stop: %v", err)
	}
	out, err := exec.Command(bin, "verify", "--datadir", dataDir).CombinedOutput()
	var vh uint64
	if _, serr := fmt.Sscanf(string(out), "ok: network dev, height %d,", &vh); err != nil || serr != nil || vh < h {
		t.Fatalf("gcoind verify (height %d before SIGTERM): %v\n%s", h, err, out)
	}
	t.Logf("final height %d; %s", h, strings.TrimSpace(string(out)))
}
