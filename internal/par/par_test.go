package par

import (
	"runtime"
	"sync/atomic"
	"testing"
)

func TestBlocksCoverExactlyOnce(t *testing.T) {
	for _, procs := range []int{1, 2, 7} {
		old := runtime.GOMAXPROCS(procs)
		for _, tc := range []struct{ n, block int }{{0, 3}, {1, 3}, {10, 3}, {12, 4}, {1000, 64}} {
			hits := make([]atomic.Int32, tc.n)
			var blocks atomic.Int32
			Blocks(tc.n, tc.block, func(b, lo, hi int) {
				blocks.Add(1)
				if lo != b*tc.block || hi-lo > tc.block || hi <= lo {
					t.Errorf("bad block %d [%d,%d)", b, lo, hi)
				}
				for i := lo; i < hi; i++ {
					hits[i].Add(1)
				}
			})
			if int(blocks.Load()) != NumBlocks(tc.n, tc.block) {
				t.Errorf("n=%d: %d blocks run, want %d", tc.n, blocks.Load(), NumBlocks(tc.n, tc.block))
			}
			for i := range hits {
				if hits[i].Load() != 1 {
					t.Fatalf("n=%d block=%d procs=%d: index %d visited %d times", tc.n, tc.block, procs, i, hits[i].Load())
				}
			}
		}
		runtime.GOMAXPROCS(old)
	}
}
