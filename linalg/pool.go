package linalg

import "sync"

// vecPools recycle scratch vectors of the parallel kernels so that a
// steady-state solver iteration allocates nothing. Buffers are bucketed by
// capacity class (powers of two) and handed out as pointers, so returning
// one to its pool allocates nothing either.
var vecPools [48]sync.Pool

func class(n int) int {
	c := 0
	for (1 << c) < n {
		c++
	}
	return c
}

// getVec returns a buffer whose slice has length n and is zeroed.
func getVec(n int) *[]float64 {
	c := class(max(n, 1))
	if p, ok := vecPools[c].Get().(*[]float64); ok {
		*p = (*p)[:n]
		clear(*p)
		return p
	}
	s := make([]float64, n, 1<<c)
	return &s
}

// putVec returns a buffer obtained from getVec.
func putVec(p *[]float64) {
	vecPools[class(max(cap(*p), 1))].Put(p)
}
