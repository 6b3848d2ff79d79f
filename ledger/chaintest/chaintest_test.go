package chaintest

import (
	"testing"

	"github.com/sketchwork/sketchwork/ledger/consensus"
)

// TestVectorsAgreeWithPogw checks the vectors independently of package
// chain: every accepted block passes pogw.VerifyBlock against its parent,
// and every rejected block whose parent is valid fails it with the
// vector's code.
func TestVectorsAgreeWithPogw(t *testing.T) {
	g, err := NewGenerator(Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests, err := Vectors(g)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, tc := range tests {
		for _, inst := range tc.Instances {
			switch i := inst.(type) {
			case AcceptedBlock:
				par, ok := g.Parent(i.Block.Header.PrevHash)
				if !ok || tc.Name == "invaliddeep" { // x4's children build on a bad update
					continue
				}
				if _, err := g.Engine.VerifyBlock(par, i.Block, g.Now); err != nil {
					t.Errorf("%s: %v", i.Name, err)
				}
				checked++
			case RejectedBlock:
				if i.Code == consensus.ErrInvalidParent {
					continue
				}
				par, ok := g.Parent(i.Block.Header.PrevHash)
				if !ok {
					t.Fatalf("%s: parent not generated", i.Name)
				}
				_, err := g.Engine.VerifyBlock(par, i.Block, g.Now)
				if code, _ := consensus.CodeOf(err); code != i.Code {
					t.Errorf("%s: pogw says %v, vector says %s", i.Name, err, i.Code)
				}
				checked++
			}
		}
	}
	if checked < 100 {
		t.Fatalf("checked only %d blocks", checked)
	}
}
