package fixed_test

import (
	"fmt"

	"github.com/sketchwork/sketchwork/ledger/fixed"
)

// The loss of a uniform distribution over 96 symbols is ln 96 nats: with all
// logits equal, every ExpQ is 2^32, S = 96*2^32 and the target's e is 2^32.
func ExampleLog2Q() {
	e := fixed.ExpQ(0)
	s := 96 * e
	loss := fixed.NatsFromLog2(fixed.Log2Q(s) - fixed.Log2Q(e))
	fmt.Println(e, loss, fmt.Sprintf("%.4f", float64(loss)/float64(fixed.One)))
	// Output: 4294967296 76577055 4.5643
}
