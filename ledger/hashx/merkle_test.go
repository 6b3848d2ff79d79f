package hashx

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
)

// Reference data and tree heads from RFC 6962 / Certificate Transparency
// (merkle_tree_test and merkle_verifier_test of the CT reference code).
var ctLeaves = [][]byte{
	{},
	{0x00},
	{0x10},
	{0x20, 0x21},
	{0x30, 0x31},
	{0x40, 0x41, 0x42, 0x43},
	{0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57},
	{0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f},
}

var ctRoots = []string{
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}

// CT inclusion vectors: zero-based leaf index, tree size, audit path.
var ctInclusion = []struct {
	index, size int
	path        []string
}{
	{0, 1, nil},
	{0, 8, []string{
		"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
		"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
	}},
	{5, 8, []string{
		"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
		"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	}},
	{2, 3, []string{
		"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	}},
	{1, 5, []string{
		"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
	}},
}

// mth is the literal recursive definition of RFC 6962 section 2.1, written
// independently of the iterative reduce used by MerkleRoot.
func mth(d [][]byte) Hash {
	switch len(d) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return sha256.Sum256(append([]byte{0}, d[0]...))
	}
	k := 1
	for k*2 < len(d) {
		k *= 2
	}
	l, r := mth(d[:k]), mth(d[k:])
	return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
}

func mustHash(t *testing.T, s string) Hash {
	t.Helper()
	h, err := ParseHash(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestMerkleRootRFC6962Vectors(t *testing.T) {
	for n := 0; n <= len(ctLeaves); n++ {
		got := MerkleRoot(ctLeaves[:n])
		if got.String() != ctRoots[n] {
			t.Errorf("size %d: root %s, RFC 6962 reference %s", n, got, ctRoots[n])
		}
	}
	if EmptyRoot.String() != ctRoots[0] {
		t.Errorf("EmptyRoot %s, want SHA256(\"\") %s", EmptyRoot, ctRoots[0])
	}
}

func TestInclusionProofRFC6962Vectors(t *testing.T) {
	for _, v := range ctInclusion {
		leaves := ctLeaves[:v.size]
		got, err := MerkleProof(leaves, v.index)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(v.path) {
			t.Fatalf("leaf %d of %d: path length %d, want %d", v.index, v.size, len(got), len(v.path))
		}
		want := make([]Hash, len(v.path))
		for i, s := range v.path {
			want[i] = mustHash(t, s)
			if got[i] != want[i] {
				t.Errorf("leaf %d of %d: path[%d] = %s, want %s", v.index, v.size, i, got[i], want[i])
			}
		}
		root := mustHash(t, ctRoots[v.size])
		if !VerifyProof(root, leaves[v.index], uint64(v.index), uint64(v.size), want) {
			t.Errorf("leaf %d of %d: reference proof does not verify", v.index, v.size)
		}
	}
}

func testLeaves(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte(fmt.Sprintf("leaf-%d", i))
	}
	return out
}

// TestMerkleRootMatchesDefinition checks the iterative root against the
// recursive definition for every size through 130, including 0, 1, 2, 3, 5,
// the powers of two and their neighbours.
func TestMerkleRootMatchesDefinition(t *testing.T) {
	for n := 0; n <= 130; n++ {
		l := testLeaves(n)
		if got, want := MerkleRoot(l), mth(l); got != want {
			t.Fatalf("n=%d: MerkleRoot %s, definition %s", n, got, want)
		}
		hs := make([]Hash, n)
		for i := range l {
			hs[i] = LeafHash(l[i])
		}
		if got := RootFromLeafHashes(hs); got != mth(l) {
			t.Fatalf("n=%d: RootFromLeafHashes differs from definition", n)
		}
	}
}

func TestMerkleSmallShapes(t *testing.T) {
	a, b, c := []byte("a"), []byte("b"), []byte("c")
	la, lb, lc := LeafHash(a), LeafHash(b), LeafHash(c)
	if got := MerkleRoot([][]byte{a}); got != la {
		t.Errorf("1 leaf: root %s, want leaf hash %s", got, la)
	}
	if got := MerkleRoot([][]byte{a, b}); got != NodeHash(la, lb) {
		t.Errorf("2 leaves: wrong root")
	}
	// 3 leaves: split at 2, so H(H(a,b), c): c is promoted, not paired with itself.
	if got := MerkleRoot([][]byte{a, b, c}); got != NodeHash(NodeHash(la, lb), lc) {
		t.Errorf("3 leaves: wrong root")
	}
	// 5 leaves: split at 4.
	l := testLeaves(5)
	lh := func(i int) Hash { return LeafHash(l[i]) }
	want := NodeHash(NodeHash(NodeHash(lh(0), lh(1)), NodeHash(lh(2), lh(3))), lh(4))
	if got := MerkleRoot(l); got != want {
		t.Errorf("5 leaves: wrong root")
	}
}

// TestMerkleRootSensitivity: changing any one leaf, swapping any two distinct
// leaves, or appending/dropping a leaf changes the root.
func TestMerkleRootSensitivity(t *testing.T) {
	for _, n := range []int{1, 2, 3, 4, 5, 7, 8, 9, 16, 17} {
		l := testLeaves(n)
		root := MerkleRoot(l)
		for i := 0; i < n; i++ {
			m := append([][]byte(nil), l...)
			m[i] = append(append([]byte(nil), l[i]...), 'x')
			if MerkleRoot(m) == root {
				t.Fatalf("n=%d: changing leaf %d kept the root", n, i)
			}
			for j := i + 1; j < n; j++ {
				s := append([][]byte(nil), l...)
				s[i], s[j] = s[j], s[i]
				if MerkleRoot(s) == root {
					t.Fatalf("n=%d: swapping leaves %d,%d kept the root", n, i, j)
				}
			}
		}
		if MerkleRoot(l[:n-1]) == root {
			t.Fatalf("n=%d: dropping the last leaf kept the root", n)
		}
	}
}

// TestNoOddLeafDuplication is the CVE-2012-2459 check: in Bitcoin's tree the
// lists L and L+[last] (for odd |L|) share a root. Here, for every size and
// every way of repeating a trailing run of leaves, the roots differ.
func TestNoOddLeafDuplication(t *testing.T) {
	for n := 1; n <= 40; n++ {
		l := testLeaves(n)
		root := MerkleRoot(l)
		for k := 1; k <= n; k++ {
			dup := append(append([][]byte(nil), l...), l[n-k:]...)
			if MerkleRoot(dup) == root {
				t.Fatalf("n=%d: repeating the last %d leaves kept the root", n, k)
			}
		}
	}
	// Leaves and nodes live in different domains: a leaf whose data is the
	// concatenation of two child hashes does not collide with their parent.
	la, lb := LeafHash([]byte("a")), LeafHash([]byte("b"))
	fake := append(la.Bytes(), lb.Bytes()...)
	if MerkleRoot([][]byte{fake}) == NodeHash(la, lb) {
		t.Fatal("leaf/node domain separation broken")
	}
}

func TestProofAllLeavesAllSizes(t *testing.T) {
	for n := 1; n <= 70; n++ {
		l := testLeaves(n)
		root := MerkleRoot(l)
		for i := 0; i < n; i++ {
			p, err := MerkleProof(l, i)
			if err != nil {
				t.Fatal(err)
			}
			if !VerifyProof(root, l[i], uint64(i), uint64(n), p) {
				t.Fatalf("n=%d i=%d: valid proof rejected", n, i)
			}
			// Wrong leaf, wrong index, truncated or extended path,
			// or a flipped bit in any path element must all fail.
			if VerifyProof(root, []byte("other"), uint64(i), uint64(n), p) {
				t.Fatalf("n=%d i=%d: wrong leaf accepted", n, i)
			}
			if n > 1 && VerifyProof(root, l[i], uint64((i+1)%n), uint64(n), p) {
				t.Fatalf("n=%d i=%d: wrong index accepted", n, i)
			}
			// (The tree size is an input the verifier must already trust: a
			// proof for size n can also fit size n+1 when the sibling hash is
			// read as an interior node, so sizes are not probed here.)
			if len(p) > 0 && VerifyProof(root, l[i], uint64(i), uint64(n), p[:len(p)-1]) {
				t.Fatalf("n=%d i=%d: truncated proof accepted", n, i)
			}
			if VerifyProof(root, l[i], uint64(i), uint64(n), append(append([]Hash(nil), p...), root)) {
				t.Fatalf("n=%d i=%d: extended proof accepted", n, i)
			}
			for k := range p {
				q := append([]Hash(nil), p...)
				q[k][k%Size] ^= 1
				if VerifyProof(root, l[i], uint64(i), uint64(n), q) {
					t.Fatalf("n=%d i=%d: corrupted path[%d] accepted", n, i, k)
				}
			}
		}
		if VerifyProof(root, l[0], uint64(n), uint64(n), nil) {
			t.Fatalf("n=%d: index == size accepted", n)
		}
	}
	if _, err := MerkleProof(nil, 0); err == nil {
		t.Fatal("proof of an empty tree should fail")
	}
	if _, err := MerkleProof(testLeaves(3), 3); err == nil {
		t.Fatal("proof index out of range should fail")
	}
}

func TestTagged(t *testing.T) {
	a, b := []byte("abc"), []byte{0, 1, 2}
	want := sha256.Sum256([]byte("gc/tx/v1abc\x00\x01\x02"))
	if got := Tagged(TagTx, a, b); got != Hash(want) {
		t.Fatalf("Tagged = %s, want %x", got, want)
	}
	if Tagged(TagTx) != Hash(sha256.Sum256([]byte(TagTx))) {
		t.Fatal("Tagged with no parts is not SHA256(tag)")
	}
	tags := []string{TagTx, TagHeader, TagTrain, TagVerify, TagIndex, TagGen}
	wantTags := []string{"gc/tx/v1", "gc/hdr/v1", "gc/train/v1", "gc/verify/v1", "gc/idx/v1", "gc/gen/v1"}
	seen := map[Hash]bool{}
	for i, tag := range tags {
		if tag != wantTags[i] {
			t.Errorf("tag %d is %q, spec says %q", i, tag, wantTags[i])
		}
		h := Tagged(tag, a)
		if seen[h] {
			t.Errorf("tag %q collides with another domain", tag)
		}
		seen[h] = true
	}
}

func TestHashText(t *testing.T) {
	h := Tagged(TagGen, []byte("x"))
	s := h.String()
	if s != hex.EncodeToString(h[:]) || len(s) != 64 {
		t.Fatalf("String = %q", s)
	}
	back, err := ParseHash(s)
	if err != nil || back != h {
		t.Fatalf("ParseHash(String) = %v, %v", back, err)
	}
	upper := bytes.ToUpper([]byte(s))
	if back, err := ParseHash(string(upper)); err != nil || back != h {
		t.Fatalf("uppercase not accepted: %v", err)
	}
	for _, bad := range []string{"", s[:63], s + "0", "zz" + s[2:], " " + s[1:]} {
		if _, err := ParseHash(bad); err == nil {
			t.Errorf("ParseHash(%q) accepted", bad)
		}
	}
	var u Hash
	if err := u.UnmarshalText([]byte(s)); err != nil || u != h {
		t.Fatal("UnmarshalText round trip failed")
	}
	if m, _ := h.MarshalText(); string(m) != s {
		t.Fatal("MarshalText differs from String")
	}
	if _, err := FromBytes(make([]byte, 31)); err == nil {
		t.Fatal("FromBytes accepted 31 bytes")
	}
	if !(Hash{}).IsZero() || h.IsZero() {
		t.Fatal("IsZero wrong")
	}
}

func BenchmarkMerkleRoot76Chunks(b *testing.B) {
	leaves := make([][]byte, 76)
	for i := range leaves {
		leaves[i] = bytes.Repeat([]byte{byte(i)}, 4096)
	}
	b.SetBytes(76 * 4096)
	b.ReportAllocs()
	for b.Loop() {
		MerkleRoot(leaves)
	}
}
