// Package membw measures the machine's memory read bandwidth, the physical
// limit of any algorithm that must read its whole input (regression.md
// section 11): each of the GOMAXPROCS goroutines sums a contiguous share of a
// buffer much larger than the last-level cache with four independent
// accumulators; the best of several runs is reported.
package membw

import (
	"runtime"
	"sync"
	"time"
)

// sink keeps the sums alive so the compiler cannot drop the reads.
var sink float64

// Read returns the best read bandwidth in bytes per second over runs passes
// of a buffer of the given size in bytes (0 means 512 MiB, runs 0 means 10),
// using GOMAXPROCS goroutines.
func Read(bytes int64, runs int) float64 {
	if bytes <= 0 {
		bytes = 512 << 20
	}
	if runs <= 0 {
		runs = 10
	}
	buf := make([]float64, bytes/8)
	for i := range buf {
		buf[i] = float64(i & 7)
	}
	p := runtime.GOMAXPROCS(0)
	best := time.Duration(1 << 62)
	sums := make([]float64, p)
	for r := 0; r < runs; r++ {
		var wg sync.WaitGroup
		start := time.Now()
		for w := 0; w < p; w++ {
			lo := len(buf) * w / p
			hi := len(buf) * (w + 1) / p
			wg.Add(1)
			go func(w int, x []float64) {
				defer wg.Done()
				var s0, s1, s2, s3 float64
				i := 0
				for ; i+4 <= len(x); i += 4 {
					s0 += x[i]
					s1 += x[i+1]
					s2 += x[i+2]
					s3 += x[i+3]
				}
				for ; i < len(x); i++ {
					s0 += x[i]
				}
				sums[w] = s0 + s1 + s2 + s3
			}(w, buf[lo:hi])
		}
		wg.Wait()
		if el := time.Since(start); el < best {
			best = el
		}
	}
	for _, s := range sums {
		sink += s
	}
	return float64(len(buf)*8) / best.Seconds()
}
