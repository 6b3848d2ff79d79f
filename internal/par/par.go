// Package par runs loops over fixed blocks on all cores. The partition of the
// index range into blocks depends only on the range and the block size, never
// on the number of goroutines, so a caller that reduces per-block partial
// results in block order gets bit-identical output for any GOMAXPROCS
// (regression.md section 2.1, reproducibility rule).
package par

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// NumBlocks returns the number of blocks of size block covering [0, n).
func NumBlocks(n, block int) int {
	if n <= 0 {
		return 0
	}
	if block <= 0 {
		panic("par: block size must be positive")
	}
	return (n + block - 1) / block
}

// Blocks calls fn(b, lo, hi) for every block b = [lo, hi) of [0, n) with
// hi-lo = block (the last one may be shorter). Blocks run concurrently on up
// to GOMAXPROCS goroutines, in no particular order; fn must only write state
// owned by block b. When there is one block or one processor, everything runs
// on the calling goroutine.
func Blocks(n, block int, fn func(b, lo, hi int)) {
	nb := NumBlocks(n, block)
	workers := min(runtime.GOMAXPROCS(0), nb)
	if workers <= 1 {
		for b := 0; b < nb; b++ {
			lo := b * block
			fn(b, lo, min(lo+block, n))
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	wg.Add(workers)
	for w := 0; w < workers; w++ {
		go func() {
			defer wg.Done()
			for {
				b := int(next.Add(1) - 1)
				if b >= nb {
					return
				}
				lo := b * block
				fn(b, lo, min(lo+block, n))
			}
		}()
	}
	wg.Wait()
}

// Workers returns the number of goroutines Blocks would use for nb blocks.
func Workers(nb int) int { return max(1, min(runtime.GOMAXPROCS(0), nb)) }
