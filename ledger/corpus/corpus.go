package corpus

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/sketchwork/sketchwork/ledger/hashx"
)

// V is the vocabulary size: bytes 32..126 are symbols 0..94 and '\n' is 95.
const V = 96

// Newline is the symbol of '\n'.
const Newline uint8 = 95

// Unknown is the symbol of '?', to which every byte outside 32..126 and '\n'
// is mapped.
const Unknown uint8 = '?' - 32

// ChunkSize is the chunk length, in symbols, of the CorpusRoot Merkle tree.
const ChunkSize = 4096

// HeldOutBlock and HeldOutEvery define the held-out split: window i is
// held out when (i/HeldOutBlock) % HeldOutEvery == 0.
const (
	HeldOutBlock = 4096
	HeldOutEvery = 10
)

// EvalWindows is the size of the fixed evaluation set (the first held-out
// windows) used for eval_loss outside consensus (gradientcoin.md §10.4).
const EvalWindows = 2048

// Symbol maps a byte to its symbol.
func Symbol(b byte) uint8 {
	switch {
	case b >= 32 && b <= 126:
		return b - 32
	case b == '\n':
		return Newline
	default:
		return Unknown
	}
}

// Byte maps a symbol back to its byte. It panics if s >= V.
func Byte(s uint8) byte {
	switch {
	case s < Newline:
		return s + 32
	case s == Newline:
		return '\n'
	default:
		panic(fmt.Sprintf("corpus: symbol %d out of range [0, %d)", s, V))
	}
}

// Normalize maps every byte of text to its symbol.
func Normalize(text []byte) []uint8 {
	out := make([]uint8, len(text))
	for i, b := range text {
		out[i] = Symbol(b)
	}
	return out
}

// Text maps symbols back to bytes. It panics on a symbol >= V.
func Text(syms []uint8) []byte {
	out := make([]byte, len(syms))
	for i, s := range syms {
		out[i] = Byte(s)
	}
	return out
}

// Root is the RFC 6962 Merkle root over ChunkSize-symbol chunks of a
// normalised symbol stream (the last chunk may be shorter); each symbol is
// one byte. An empty stream has the empty-tree root.
func Root(syms []uint8) hashx.Hash {
	var leaves [][]byte
	for lo := 0; lo < len(syms); lo += ChunkSize {
		leaves = append(leaves, syms[lo:min(lo+ChunkSize, len(syms))])
	}
	return hashx.MerkleRoot(leaves)
}

// Window is one training example: the three previous symbols (C1 the most
// recent) and the target symbol Y.
type Window struct {
	C1, C2, C3, Y uint8
}

// IsHeldOut reports whether window i belongs to the held-out split.
func IsHeldOut(i int) bool { return (i/HeldOutBlock)%HeldOutEvery == 0 }

// SelectIndex returns uint64LE(SHA256("gc/idx/v1"||seed||u64(k)||u64(j))[0:8])
// mod n, the position that selection (seed, k, j) picks in a list of length
// n > 0 (gradientcoin.md §4.3; u64 is 8 little-endian bytes). It equals
// hashx.Tagged(hashx.TagIndex, seed, u64(k), u64(j)) reduced mod n but
// hashes a stack buffer, so it does not allocate.
func SelectIndex(seed hashx.Hash, k, j uint64, n int) int {
	if n <= 0 {
		panic("corpus: SelectIndex from an empty list")
	}
	const tl = len(hashx.TagIndex)
	var buf [tl + hashx.Size + 16]byte
	copy(buf[:], hashx.TagIndex)
	copy(buf[tl:], seed[:])
	binary.LittleEndian.PutUint64(buf[tl+hashx.Size:], k)
	binary.LittleEndian.PutUint64(buf[tl+hashx.Size+8:], j)
	h := sha256.Sum256(buf[:])
	return int(binary.LittleEndian.Uint64(h[:8]) % uint64(n))
}

// Corpus is an immutable normalised symbol stream with its windows, its
// training/held-out split and its root. It is safe for concurrent use.
type Corpus struct {
	syms    []uint8
	root    hashx.Hash
	train   []uint32 // window indices of the training split, ascending
	heldOut []uint32 // window indices of the held-out split, ascending
}

// MinSymbols is the smallest corpus with both a training and a held-out
// window: held-out windows start at 0, training windows at HeldOutBlock.
const MinSymbols = HeldOutBlock + 4

// New normalises text and builds its corpus. It returns an error if the
// text is too short to have both a training and a held-out window, or too
// long for 32-bit window indices.
func New(text []byte) (*Corpus, error) {
	if len(text) < MinSymbols {
		return nil, fmt.Errorf("corpus: %d bytes of text give no training window (need at least %d)", len(text), MinSymbols)
	}
	if uint64(len(text)) > 1<<32 {
		return nil, fmt.Errorf("corpus: %d bytes of text exceed the 2^32 limit", len(text))
	}
	syms := Normalize(text)
	c := &Corpus{syms: syms, root: Root(syms)}
	n := len(syms) - 3
	for i := 0; i < n; i++ {
		if IsHeldOut(i) {
			c.heldOut = append(c.heldOut, uint32(i))
		} else {
			c.train = append(c.train, uint32(i))
		}
	}
	return c, nil
}

// Root returns the CorpusRoot.
func (c *Corpus) Root() hashx.Hash { return c.root }

// Len returns the number of symbols.
func (c *Corpus) Len() int { return len(c.syms) }

// Symbols returns the symbol stream. The caller must not modify it.
func (c *Corpus) Symbols() []uint8 { return c.syms }

// NumWindows returns the number of windows, Len()-3.
func (c *Corpus) NumWindows() int { return len(c.syms) - 3 }

// Window returns window i: C3 = s[i], C2 = s[i+1], C1 = s[i+2], Y = s[i+3].
// It panics if i is out of range.
func (c *Corpus) Window(i int) Window {
	s := c.syms[i : i+4 : i+4]
	return Window{C1: s[2], C2: s[1], C3: s[0], Y: s[3]}
}

// Train returns the ascending window indices of the training split. The
// caller must not modify it.
func (c *Corpus) Train() []uint32 { return c.train }

// HeldOut returns the ascending window indices of the held-out split. The
// caller must not modify it.
func (c *Corpus) HeldOut() []uint32 { return c.heldOut }

// TrainBatch appends to dst the n training windows selected by (seed, k):
// window Train()[SelectIndex(seed, k, j, len(Train()))] for j = 0..n-1.
// Step k of a training run uses TrainBatch(dst, seed, k, B).
func (c *Corpus) TrainBatch(dst []Window, seed hashx.Hash, k uint64, n int) []Window {
	return c.appendSelected(dst, c.train, seed, k, n)
}

// HeldOutBatch appends to dst the n held-out windows selected by (seed, k),
// as TrainBatch does for the training split. The verification batch of a
// block is HeldOutBatch(dst, vseed, 0, VB) with vseed =
// H_"gc/verify/v1"(parent hash).
func (c *Corpus) HeldOutBatch(dst []Window, seed hashx.Hash, k uint64, n int) []Window {
	return c.appendSelected(dst, c.heldOut, seed, k, n)
}

func (c *Corpus) appendSelected(dst []Window, list []uint32, seed hashx.Hash, k uint64, n int) []Window {
	for j := 0; j < n; j++ {
		dst = append(dst, c.Window(int(list[SelectIndex(seed, k, uint64(j), len(list))])))
	}
	return dst
}

// EvalSet returns the first min(n, len(HeldOut())) held-out windows in
// corpus order: the fixed evaluation set of eval_loss (n = EvalWindows).
func (c *Corpus) EvalSet(n int) []Window {
	n = min(n, len(c.heldOut))
	out := make([]Window, n)
	for j := range out {
		out[j] = c.Window(int(c.heldOut[j]))
	}
	return out
}
