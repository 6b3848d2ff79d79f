// Package rng derives independent, reproducible random streams from one user
// seed. It is the only source of randomness in Sketchwork's library code:
// nothing reads math/rand's global state.
//
// Three kinds of stream are offered:
//
//   - Key(seed, labels...) hashes a seed and a path of labels into a 64-bit
//     sub-seed, so that components ("sketch/buckets", "gen/noise", ...) draw
//     from independent streams that do not shift when another component draws
//     more numbers.
//   - Derive(seed, labels...) returns a *rand.Rand (ChaCha8) for sequential use
//     by one goroutine.
//   - Counter is counter-based randomness (regression.md section 2.1): value i
//     of the stream is a pure function of (key, i), so any goroutine can draw
//     the randomness of row i without coordination and results are
//     bit-identical for any GOMAXPROCS.
//
// Cost: Key and Derive hash their labels (SHA-256, a few hundred ns); Counter.At
// is three multiply-xorshift rounds.
package rng

import (
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
	"strconv"
)

// golden is 2^64/phi, the SplitMix64 increment.
const golden = 0x9E3779B97F4A7C15

// SplitMix64 is the finaliser of the SplitMix64 generator (Steele, Lea and
// Flood 2014): a bijective mixing of x with good avalanche.
func SplitMix64(x uint64) uint64 {
	x += golden
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}

// Key hashes a seed and a path of labels into a sub-seed. Different label paths
// give statistically independent sub-seeds; the same path always gives the
// same value on every platform.
func Key(seed uint64, labels ...string) uint64 {
	sum := keyBytes(seed, labels)
	return binary.LittleEndian.Uint64(sum[:8])
}

func keyBytes(seed uint64, labels []string) [32]byte {
	h := sha256.New()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	h.Write([]byte("sketchwork/rng/v1"))
	h.Write(b[:])
	for _, l := range labels {
		binary.LittleEndian.PutUint64(b[:], uint64(len(l)))
		h.Write(b[:])
		h.Write([]byte(l))
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// Derive returns a generator keyed by seed and labels (ChaCha8 keyed by the
// SHA-256 of both). It must not be shared between goroutines.
func Derive(seed uint64, labels ...string) *rand.Rand {
	return rand.New(rand.NewChaCha8(keyBytes(seed, labels)))
}

// Label formats an integer label, for paths such as Derive(seed, "block", Label(i)).
func Label(i int) string { return strconv.Itoa(i) }

// Stream returns a PCG generator for stream id under key: the panel-per-stream
// scheme of regression.md section 2.1 (one stream per row panel of a Gaussian
// sketch, whatever goroutine generates it).
func Stream(key, id uint64) *rand.Rand {
	return rand.New(rand.NewPCG(key, SplitMix64(id^golden)))
}

// Counter is counter-based randomness: At(i) is a pure function of the key and
// i. The zero Counter is a valid stream keyed by 0.
type Counter struct{ key uint64 }

// NewCounter returns the counter stream with the given key (usually from Key).
func NewCounter(key uint64) Counter { return Counter{key: SplitMix64(key)} }

// At returns the i-th 64-bit value of the stream.
func (c Counter) At(i uint64) uint64 { return SplitMix64(c.key ^ SplitMix64(i)) }

// Bucket maps a random 64-bit value to [0, n) without modulo bias beyond
// 2^-32 (Lemire's multiply-shift on the high 32 bits).
func Bucket(z uint64, n int) int {
	return int((uint64(uint32(z>>32)) * uint64(n)) >> 32)
}

// Sign maps a random 64-bit value to +1 or -1 from its lowest bit.
func Sign(z uint64) float64 {
	if z&1 == 0 {
		return 1
	}
	return -1
}

// Unit maps a random 64-bit value to a uniform float64 in [0, 1) with 53 random bits.
func Unit(z uint64) float64 { return float64(z>>11) * 0x1p-53 }
