// Package hashx holds GradientCoin's hash primitives: the 32-byte Hash type,
// domain-tagged SHA-256 and RFC 6962 Merkle trees with inclusion proofs.
//
// # Rules (papers/gradientcoin.md section 3.1)
//
// Tagged hashing is H_tag(x) = SHA256(tag || x), where tag is one of the
// version-suffixed strings TagTx, TagHeader, TagTrain, TagVerify, TagIndex and
// TagGen. The tag keeps hashes of different object kinds in disjoint domains:
// a transaction encoding can never be presented as a header hash and so on.
//
// Merkle trees follow RFC 6962 section 2.1 exactly:
//
//	MTH({})       = SHA256("")
//	MTH({d0})     = SHA256(0x00 || d0)
//	MTH(D[0:n])   = SHA256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))
//
// where k is the largest power of two strictly smaller than n. No leaf is ever
// duplicated, so the Bitcoin odd-leaf mutation (CVE-2012-2459: the lists
// [a,b,c] and [a,b,c,c] share a root) cannot happen here, and the 0x00/0x01
// prefixes keep leaves and interior nodes apart (no second-preimage by
// presenting a node as a leaf).
//
// Inclusion proofs are RFC 6962 audit paths (deepest sibling first), verified
// with the algorithm of RFC 9162 section 2.1.3.2. They let a node check one
// 4 KiB model chunk against a header's ModelRoot without the whole model.
//
// # Cost
//
// MerkleRoot over n leaves costs n leaf hashes plus n-1 node hashes and one
// []Hash of n entries; MerkleProof recomputes the tree (O(n)); VerifyProof is
// O(log n) hashes and allocates nothing.
//
// This package uses only the Go standard library: it is on the consensus path.
package hashx
