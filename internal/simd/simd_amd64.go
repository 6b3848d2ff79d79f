//go:build amd64 && !purego

package simd

import "golang.org/x/sys/cpu"

// useAsm reports whether the AVX2+FMA kernels can run on this CPU.
var useAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func axpyAsm(a float64, x, y []float64)

//go:noescape
func dotAsm(x, y []float64) float64
