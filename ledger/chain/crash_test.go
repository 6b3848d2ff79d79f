package chain_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sketchwork/sketchwork/ledger/chain"
	"github.com/sketchwork/sketchwork/ledger/chaintest"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/pogw"
	"github.com/sketchwork/sketchwork/ledger/state"
	"github.com/sketchwork/sketchwork/ledger/store"
	"github.com/sketchwork/sketchwork/ledger/store/boltstore"
	"github.com/sketchwork/sketchwork/ledger/types"
)

const crashEnv = "GC_CHAIN_CRASH_CHILD_DIR"

// TestCrashChild is the child process of TestCrashRecovery: it opens the
// chain in the given directory (bbolt, fsync on) and mines and connects
// blocks until it is killed, with a one-block reorg every fifth round. It
// prints "COMMITTED <height> <hash>" after ProcessBlock returned Accepted
// (so after the commit) and "TIP <height> <hash>" after each tip change.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashEnv)
	if dir == "" {
		t.Skip("helper process of TestCrashRecovery")
	}
	if err := crashChild(dir); err != nil {
		fmt.Println("ERROR", err)
		os.Exit(3)
	}
}

func crashChild(dir string) error {
	g, err := chaintest.NewGenerator(chaintest.Options{})
	if err != nil {
		return err
	}
	db, err := boltstore.Open(filepath.Join(dir, "chain.db"), boltstore.Options{})
	if err != nil {
		return err
	}
	c, err := g.OpenChain(db, nil)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(os.Stdout)
	report := func(b *types.Block, res chain.Result) {
		fmt.Fprintf(out, "COMMITTED %d %s\n", b.Header.Height, b.Hash())
		s := c.Snapshot()
		fmt.Fprintf(out, "TIP %d %s\n", s.Height, s.Hash)
		out.Flush()
	}
	fmt.Fprintln(out, "READY")
	out.Flush()
	miner, other := chaintest.Key("crash-miner").Address(), chaintest.Key("crash-other").Address()
	var prev *chain.Snapshot
	for round := 0; ; round++ {
		tip := c.Snapshot()
		if round%5 == 4 && prev != nil && prev.Hash == tip.Header.PrevHash {
			// Fork from the tip's parent: s1 ties, s2 wins (reorg depth 1).
			m1, err := g.Engine.Mine(context.Background(), prev.Template(other, nil), pogw.MineOptions{Now: fixed(prev.Header.Time + 1500)})
			if err != nil {
				return err
			}
			st := prev.State.Clone()
			ov, err := state.ConnectBlock(&g.Params, st, m1.Block, state.Options{})
			if err != nil {
				return err
			}
			ov.Commit()
			h1 := m1.Block.Header
			t2 := &pogw.Template{Parent: m1.Block.Hash(), Height: h1.Height + 1, Target: h1.Target, MinTime: h1.Time + 1,
				ParentState: st, ParentWeights: m1.Update.Weights, Miner: other}
			m2, err := g.Engine.Mine(context.Background(), t2, pogw.MineOptions{Now: fixed(h1.Time + 1000)})
			if err != nil {
				return err
			}
			for _, b := range []*types.Block{m1.Block, m2.Block} {
				res, err := c.ProcessBlock(b)
				if err != nil {
					return err
				}
				report(b, res)
			}
			prev = nil
			continue
		}
		m, err := g.Engine.Mine(context.Background(), tip.Template(miner, nil), pogw.MineOptions{Now: fixed(tip.Header.Time + 1000)})
		if err != nil {
			return err
		}
		res, err := c.ProcessBlock(m.Block)
		if err != nil {
			return err
		}
		report(m.Block, res)
		prev = tip
	}
}

func fixed(t int64) func() int64 { return func() int64 { return t } }

type crashLog struct {
	committed map[hashx.Hash]uint64
	maxTip    uint64
	lines     int
	err       string
}

func readCrashLog(sc *bufio.Scanner, log *crashLog, ready chan<- struct{}) {
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 1 && f[0] == "READY":
			close(ready)
			ready = nil
		case len(f) == 3 && (f[0] == "COMMITTED" || f[0] == "TIP"):
			h, err1 := strconv.ParseUint(f[1], 10, 64)
			hash, err2 := hashx.ParseHash(f[2])
			if err1 != nil || err2 != nil {
				continue // a line torn by the kill
			}
			log.lines++
			if f[0] == "COMMITTED" {
				log.committed[hash] = h
			} else {
				log.maxTip = max(log.maxTip, h)
			}
		case len(f) > 0 && f[0] == "ERROR":
			log.err = sc.Text()
		}
	}
	if ready != nil {
		close(ready)
	}
}

// TestCrashRecovery kills (SIGKILL) a child process that is connecting
// blocks to a bbolt store at random moments, 16 times, and after each kill
// reopens the store: bbolt's page check passes, the chain opens (which
// re-verifies the tip's StateRoot and ModelRoot), its height never goes
// back below the highest tip the child reported, every block the child
// reported as committed is stored, and the full consistency check passes.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns and kills child processes (~10 s)")
	}
	dir := t.TempDir()
	g, err := chaintest.NewGenerator(chaintest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(20260501, 7)) // fixed seed: reproducible kill schedule
	log := &crashLog{committed: map[hashx.Hash]uint64{}}
	const runs = 16
	var killedAfter []int
	for run := 0; run < runs; run++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir)
		pipe, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ready := make(chan struct{})
		done := make(chan struct{})
		before := log.lines
		go func() {
			readCrashLog(bufio.NewScanner(pipe), log, ready)
			close(done)
		}()
		select {
		case <-ready:
		case <-time.After(60 * time.Second):
			cmd.Process.Kill()
			t.Fatal("child did not start")
		}
		time.Sleep(time.Duration(20+rng.IntN(500)) * time.Millisecond)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		<-done
		werr := cmd.Wait()
		var exitErr *exec.ExitError
		if !errors.As(werr, &exitErr) || exitErr.ExitCode() != -1 {
			t.Fatalf("run %d: child ended with %v before the kill (%s)", run, werr, log.err)
		}
		killedAfter = append(killedAfter, (log.lines-before)/2)

		db, err := boltstore.Open(filepath.Join(dir, "chain.db"), boltstore.Options{})
		if err != nil {
			t.Fatalf("run %d: reopen: %v", run, err)
		}
		if err := db.Check(); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		c, err := g.OpenChain(db, nil)
		if err != nil {
			t.Fatalf("run %d: chain does not open after the kill: %v", run, err)
		}
		s := c.Snapshot()
		if s.Height < log.maxTip {
			t.Fatalf("run %d: height %d after restart, the child had reported %d", run, s.Height, log.maxTip)
		}
		for h, height := range log.committed {
			info, ok := c.BlockInfo(h)
			if !ok || info.Status&store.StatusBody == 0 || info.Height != height {
				t.Fatalf("run %d: committed block %s (height %d) lost", run, h, height)
			}
			if _, err := c.BlockByHash(h); err != nil {
				t.Fatalf("run %d: body of %s: %v", run, h, err)
			}
		}
		if err := c.CheckConsistency(); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d kills; blocks reported per run %v; %d committed blocks tracked; final height >= %d",
		runs, killedAfter, len(log.committed), log.maxTip)
}
