package node_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"sort"
	"testing"
	"time"

	"github.com/sketchwork/sketchwork/ledger/api"
	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/mempool"
	"github.com/sketchwork/sketchwork/ledger/node"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// benchNode serves an in-memory dev-fast node whose genesis funds the
// given keys, with mempool limits raised so a benchmark can queue many
// transactions, over a real loopback HTTP server.
func benchNode(b *testing.B, funded []*keys.PrivateKey) (*node.Node, *api.Client) {
	b.Helper()
	g, err := node.FastDevGenesis()
	if err != nil {
		b.Fatal(err)
	}
	for _, k := range funded {
		g.Alloc = append(g.Alloc, consensus.Allocation{Address: k.Address(), Amount: 1000 * consensus.Coin})
	}
	n, err := node.Open(node.Config{InMemory: true, Genesis: g, Logger: slog.New(slog.DiscardHandler),
		API:     api.Options{Rate: -1},
		Mempool: mempool.Config{MaxTxs: 1 << 22, MaxBytes: 1 << 30, MaxPerSender: 1 << 20}})
	if err != nil {
		b.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(n.Handler())
	b.Cleanup(func() { srv.Close(); _ = n.Close() })
	c, err := api.NewClient(srv.URL, srv.Client())
	if err != nil {
		b.Fatal(err)
	}
	return n, c
}

func benchKeys(m int) []*keys.PrivateKey {
	ks := make([]*keys.PrivateKey, m)
	for i := range ks {
		s := sha256.Sum256([]byte(fmt.Sprintf("bench sender %d", i)))
		ks[i], _ = keys.FromSeed(s[:])
	}
	return ks
}

// BenchmarkHTTPSubmitTx measures POST /v1/tx end to end over loopback
// HTTP: JSON, hex decoding, ed25519 verification and mempool admission.
// Transactions are signed before the timer starts; senders rotate so that
// no sender's queue grows long. Reports transactions per second.
func BenchmarkHTTPSubmitTx(b *testing.B) {
	for _, par := range []int{1, 8} {
		b.Run(fmt.Sprintf("clients=%d", par), func(b *testing.B) {
			ks := benchKeys(256)
			n, c := benchNode(b, ks)
			chainID := n.Genesis().Params.ChainID
			txs := make([]*types.Tx, b.N)
			for i := range txs {
				k := ks[i%len(ks)]
				tx := &types.Tx{Version: 1, ChainID: chainID, From: k.Address(), To: keys.Address{1}, Amount: 1, Fee: 1, Nonce: uint64(i / len(ks))}
				if err := tx.Sign(k); err != nil {
					b.Fatal(err)
				}
				txs[i] = tx
			}
			ctx := context.Background()
			b.ResetTimer()
			start := time.Now()
			next := make(chan *types.Tx, len(txs))
			for _, tx := range txs {
				next <- tx
			}
			close(next)
			errs := make(chan error, par)
			for w := 0; w < par; w++ {
				go func() {
					for tx := range next {
						if _, err := c.SubmitTx(ctx, tx); err != nil {
							errs <- err
							return
						}
					}
					errs <- nil
				}()
			}
			for w := 0; w < par; w++ {
				if err := <-errs; err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tx/s")
			if n.Pool().Len() != b.N {
				b.Fatalf("pool holds %d of %d", n.Pool().Len(), b.N)
			}
		})
	}
}

// BenchmarkHTTPGenerate measures POST /v1/generate over loopback HTTP on a
// model trained for 50 blocks: median and 95th-percentile latency.
func BenchmarkHTTPGenerate(b *testing.B) {
	n, c := benchNode(b, nil)
	for i := 0; i < 50; i++ {
		if _, _, err := n.GenerateBlock(context.Background(), keys.Address{2}); err != nil {
			b.Fatal(err)
		}
	}
	for _, tokens := range []int{128, 512} {
		b.Run(fmt.Sprintf("tokens=%d", tokens), func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			ctx := context.Background()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				if _, err := c.Generate(ctx, api.Generate{Prompt: "The river ", MaxTokens: &tokens, TemperatureMilli: 700, Seed: uint64(i)}); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds()), "p95-µs")
		})
	}
}
