package hashx_test

import (
	"fmt"

	"github.com/sketchwork/sketchwork/ledger/hashx"
)

func ExampleMerkleRoot() {
	leaves := [][]byte{[]byte("a"), []byte("b"), []byte("c")}
	root := hashx.MerkleRoot(leaves)
	proof, _ := hashx.MerkleProof(leaves, 2)
	fmt.Println(len(proof), hashx.VerifyProof(root, []byte("c"), 2, 3, proof))
	fmt.Println(hashx.VerifyProof(root, []byte("d"), 2, 3, proof))
	// Output:
	// 1 true
	// false
}

func ExampleTagged() {
	h := hashx.Tagged(hashx.TagTx, []byte("payload"))
	fmt.Println(len(h.String()))
	// Output: 64
}
