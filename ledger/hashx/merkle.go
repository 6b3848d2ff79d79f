package hashx

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math/bits"
)

// EmptyRoot is the root of the tree with no leaves: SHA256("").
var EmptyRoot = Hash(sha256.Sum256(nil))

// LeafHash returns the RFC 6962 leaf hash SHA256(0x00 || d).
func LeafHash(d []byte) Hash {
	h := sha256.New()
	h.Write([]byte{0x00})
	h.Write(d)
	var out Hash
	h.Sum(out[:0])
	return out
}

// NodeHash returns the RFC 6962 interior node hash SHA256(0x01 || l || r).
func NodeHash(l, r Hash) Hash {
	var buf [1 + 2*Size]byte
	buf[0] = 0x01
	copy(buf[1:], l[:])
	copy(buf[1+Size:], r[:])
	return sha256.Sum256(buf[:])
}

// MerkleRoot returns the RFC 6962 Merkle tree hash of the leaf data.
// An empty list gives EmptyRoot.
func MerkleRoot(leaves [][]byte) Hash {
	if len(leaves) == 0 {
		return EmptyRoot
	}
	level := make([]Hash, len(leaves))
	for i, d := range leaves {
		level[i] = LeafHash(d)
	}
	return reduce(level)
}

// RootFromLeafHashes returns the RFC 6962 root of a tree whose leaf hashes
// (already SHA256(0x00||d)) are given. leafHashes is not modified.
func RootFromLeafHashes(leafHashes []Hash) Hash {
	if len(leafHashes) == 0 {
		return EmptyRoot
	}
	level := make([]Hash, len(leafHashes))
	copy(level, leafHashes)
	return reduce(level)
}

// reduce folds one level into the root in place. Pairing adjacent nodes and
// carrying an unpaired last node up unchanged builds exactly the RFC 6962
// tree (split at the largest power of two below n): the left subtree of every
// node is complete, so the only incomplete subtree is always the rightmost.
// The carried node is promoted, never duplicated.
func reduce(level []Hash) Hash {
	n := len(level)
	for n > 1 {
		half := n / 2
		for i := 0; i < half; i++ {
			level[i] = NodeHash(level[2*i], level[2*i+1])
		}
		if n%2 == 1 {
			level[half] = level[n-1]
			n = half + 1
		} else {
			n = half
		}
	}
	return level[0]
}

// ErrProofIndex is returned by MerkleProof for an index outside the tree.
var ErrProofIndex = errors.New("hashx: proof index out of range")

// MerkleProof returns the RFC 6962 audit path for leaf index in the tree over
// leaves: the sibling subtree hashes from the leaf's level up to the root.
func MerkleProof(leaves [][]byte, index int) ([]Hash, error) {
	if index < 0 || index >= len(leaves) {
		return nil, fmt.Errorf("%w: index %d of %d leaves", ErrProofIndex, index, len(leaves))
	}
	hashes := make([]Hash, len(leaves))
	for i, d := range leaves {
		hashes[i] = LeafHash(d)
	}
	return path(index, hashes, nil), nil
}

// ProofFromLeafHashes is MerkleProof for a tree given by its leaf hashes.
func ProofFromLeafHashes(leafHashes []Hash, index int) ([]Hash, error) {
	if index < 0 || index >= len(leafHashes) {
		return nil, fmt.Errorf("%w: index %d of %d leaves", ErrProofIndex, index, len(leafHashes))
	}
	return path(index, leafHashes, nil), nil
}

// path implements PATH(m, D[n]) of RFC 6962 section 2.1.1, appending the
// deepest sibling first.
func path(m int, d []Hash, out []Hash) []Hash {
	n := len(d)
	if n <= 1 {
		return out
	}
	k := splitPoint(n)
	if m < k {
		out = path(m, d[:k], out)
		return append(out, RootFromLeafHashes(d[k:]))
	}
	out = path(m-k, d[k:], out)
	return append(out, RootFromLeafHashes(d[:k]))
}

// splitPoint returns the largest power of two strictly less than n (n >= 2).
func splitPoint(n int) int {
	return 1 << (bits.Len(uint(n-1)) - 1)
}

// VerifyProof reports whether proof shows that leaf (raw data) is the leaf at
// index in a tree of size leaves whose root is root.
func VerifyProof(root Hash, leaf []byte, index, size uint64, proof []Hash) bool {
	return VerifyProofHash(root, LeafHash(leaf), index, size, proof)
}

// VerifyProofHash is VerifyProof for a leaf given by its leaf hash. It follows
// RFC 9162 section 2.1.3.2 and rejects proofs that are too long or too short.
func VerifyProofHash(root, leafHash Hash, index, size uint64, proof []Hash) bool {
	if index >= size {
		return false
	}
	fn, sn := index, size-1
	r := leafHash
	for _, p := range proof {
		if sn == 0 {
			return false
		}
		if fn&1 == 1 || fn == sn {
			r = NodeHash(p, r)
			if fn&1 == 0 {
				for fn&1 == 0 && fn != 0 {
					fn >>= 1
					sn >>= 1
				}
			}
		} else {
			r = NodeHash(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	return sn == 0 && r == root
}
