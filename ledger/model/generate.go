package model

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/bits"

	"github.com/sketchwork/sketchwork/ledger/corpus"
	"github.com/sketchwork/sketchwork/ledger/fixed"
	"github.com/sketchwork/sketchwork/ledger/hashx"
)

// GenParams are the parameters of text generation (gradientcoin.md §9).
type GenParams struct {
	// MaxTokens is the number of symbols to generate (>= 0).
	MaxTokens int `json:"max_tokens"`
	// TemperatureMilli is the sampling temperature in thousandths (>= 0).
	// 0 means greedy decoding: the argmax of the logits, the lowest symbol
	// winning ties. Otherwise logits are scaled as z*1000/TemperatureMilli
	// with Go's truncating integer division.
	TemperatureMilli int64 `json:"temperature_milli"`
	// TopK restricts sampling to the TopK largest scaled logits (ties broken
	// towards the lower symbol). 0, or any value >= V, means all symbols.
	TopK int `json:"top_k"`
	// Seed selects the sampling randomness: draw i uses
	// SHA256("gc/gen/v1" || u64(Seed) || u64(i)), u64 being 8 little-endian
	// bytes.
	Seed uint64 `json:"seed"`
}

// Generate continues prompt with p.MaxTokens symbols sampled from w and
// returns them as text (the prompt is not included). Prompt bytes are
// normalised to symbols; a prompt shorter than 3 symbols is left-padded with
// '\n'. Each step computes the logits of the last three symbols; with a
// positive temperature it scales them, keeps the top-k, sets
// e[v] = ExpQ(z'[v] - max z'), S = sum e, draws r = uint64LE of the first 8
// bytes of the step's hash and u = floor(r*S / 2^64), and emits the first
// symbol (in index order) whose cumulative e exceeds u. Only integer
// arithmetic is used, so the same (weights, prompt, params) gives the same
// text on every machine. It returns an error for negative parameters.
func Generate(w *Weights, prompt []byte, p GenParams) ([]byte, error) {
	if p.MaxTokens < 0 || p.TemperatureMilli < 0 || p.TopK < 0 {
		return nil, fmt.Errorf("model: generation parameters must be >= 0 (max_tokens %d, temperature_milli %d, top_k %d)",
			p.MaxTokens, p.TemperatureMilli, p.TopK)
	}
	c1, c2, c3 := corpus.Newline, corpus.Newline, corpus.Newline
	for _, b := range prompt {
		c3, c2, c1 = c2, c1, corpus.Symbol(b)
	}
	out := make([]byte, 0, p.MaxTokens)
	var z [V]int64
	for i := 0; i < p.MaxTokens; i++ {
		w.Logits(c1, c2, c3, &z)
		var s uint8
		if p.TemperatureMilli == 0 {
			s = argmax(&z)
		} else {
			s = sample(&z, p, uint64(i))
		}
		out = append(out, corpus.Byte(s))
		c3, c2, c1 = c2, c1, s
	}
	return out, nil
}

// argmax returns the index of the largest logit, the lowest index on ties.
func argmax(z *[V]int64) uint8 {
	best := 0
	for v := 1; v < V; v++ {
		if z[v] > z[best] {
			best = v
		}
	}
	return uint8(best)
}

// sample draws one symbol from the scaled, top-k-restricted distribution.
func sample(z *[V]int64, p GenParams, i uint64) uint8 {
	var zs [V]int64
	for v := range zs {
		zs[v] = z[v] * 1000 / p.TemperatureMilli
	}
	var keep [V]bool
	if p.TopK == 0 || p.TopK >= V {
		for v := range keep {
			keep[v] = true
		}
	} else {
		// Order symbols by (scaled logit descending, index ascending) with an
		// insertion sort and keep the first TopK.
		var idx [V]uint8
		for v := range idx {
			idx[v] = uint8(v)
			for j := v; j > 0 && zs[idx[j]] > zs[idx[j-1]]; j-- {
				idx[j], idx[j-1] = idx[j-1], idx[j]
			}
		}
		for _, v := range idx[:p.TopK] {
			keep[v] = true
		}
	}
	m := zs[argmax(&zs)] // the maximum is always kept
	var e [V]uint64
	var s uint64
	for v := range e {
		if keep[v] {
			e[v] = fixed.ExpQ(zs[v] - m)
			s += e[v]
		}
	}
	u, _ := bits.Mul64(genRandom(p.Seed, i), s) // u = floor(r*S/2^64) in [0, S)
	var cum uint64
	for v := range e {
		cum += e[v]
		if u < cum {
			return uint8(v)
		}
	}
	panic("model: sampling fell off the distribution") // unreachable: u < S
}

// genRandom returns uint64LE(SHA256("gc/gen/v1" || u64(seed) || u64(i))[0:8]).
func genRandom(seed, i uint64) uint64 {
	const tl = len(hashx.TagGen)
	var buf [tl + 16]byte
	copy(buf[:], hashx.TagGen)
	binary.LittleEndian.PutUint64(buf[tl:], seed)
	binary.LittleEndian.PutUint64(buf[tl+8:], i)
	h := sha256.Sum256(buf[:])
	return binary.LittleEndian.Uint64(h[:8])
}
