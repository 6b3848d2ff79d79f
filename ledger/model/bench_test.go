package model

import (
	"testing"

	"github.com/sketchwork/sketchwork/ledger/corpus"
	"github.com/sketchwork/sketchwork/ledger/hashx"
)

// benchState returns weights after 20 rounds (so logits are not all equal)
// and a verification batch.
func benchState(b *testing.B) (*corpus.Corpus, *Weights, []corpus.Window) {
	c := corpus.Embedded()
	w := NewGenesis()
	for r := 0; r < 20; r++ {
		w, _ = Train(w, c, hashx.Tagged("bench", u64(uint64(r))), DefaultParams())
	}
	return c, w, c.HeldOutBatch(nil, hashx.Tagged("bench-verify"), 0, 256)
}

// BenchmarkTry is one mining try of gradientcoin.md §5.1: K = 8 SGD steps of
// B = 64 windows from the parent's weights (including batch selection and
// the weight copy) and the mean loss on a VB = 256 verification batch, on
// one goroutine. The specification's prototype took ~4 ms. "reuse" trains
// into a reused candidate buffer (Trainer.TrainTo), "alloc" allocates the
// candidate (Train).
func BenchmarkTry(b *testing.B) {
	c, w, vb := benchState(b)
	tr := NewTrainer()
	p := DefaultParams()
	b.Run("reuse", func(b *testing.B) {
		cand := NewGenesis()
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			_ = tr.TrainTo(cand, w, c, hashx.Tagged(hashx.TagTrain, u64(uint64(i))), p)
			sink = MeanLoss(cand, vb)
		}
	})
	b.Run("alloc", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			cand, _ := tr.Train(w, c, hashx.Tagged(hashx.TagTrain, u64(uint64(i))), p)
			sink = MeanLoss(cand, vb)
		}
	})
}

func BenchmarkStep64(b *testing.B) {
	c, w, _ := benchState(b)
	tr := NewTrainer()
	batch := c.TrainBatch(nil, hashx.Tagged("step"), 0, 64)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tr.Step(w, batch, 1, 2)
	}
}

func BenchmarkMeanLoss256(b *testing.B) {
	_, w, vb := benchState(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sink = MeanLoss(w, vb)
	}
}

func BenchmarkEvalLoss2048(b *testing.B) {
	c, w, _ := benchState(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sink = EvalLoss(w, c, 2)
	}
}

func BenchmarkRoot(b *testing.B) {
	_, w, _ := benchState(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = w.Root()
	}
}

func BenchmarkClone(b *testing.B) {
	w := NewGenesis()
	for i := 0; i < b.N; i++ {
		_ = w.Clone()
	}
}

func BenchmarkGenerate100(b *testing.B) {
	_, w, _ := benchState(b)
	p := GenParams{MaxTokens: 100, TemperatureMilli: 800, TopK: 20}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.Seed = uint64(i)
		_, _ = Generate(w, []byte("The "), p)
	}
}

var sink int64
