//go:build amd64 && !purego

#include "textflag.h"

// tailmask<> holds four all-ones quadwords then four zero ones: the 4 words
// from index 4-r are the load mask of an r-element tail (r = 1, 2, 3).
DATA tailmask<>+0(SB)/8, $0xffffffffffffffff
DATA tailmask<>+8(SB)/8, $0xffffffffffffffff
DATA tailmask<>+16(SB)/8, $0xffffffffffffffff
DATA tailmask<>+24(SB)/8, $0xffffffffffffffff
DATA tailmask<>+32(SB)/8, $0
DATA tailmask<>+40(SB)/8, $0
DATA tailmask<>+48(SB)/8, $0
DATA tailmask<>+56(SB)/8, $0
GLOBL tailmask<>(SB), RODATA|NOPTR, $64

// func dotTile2x4Asm(c *float64, ldc int, p *float64, ldp int, q *float64, ldq int, m int)
//
// c[i*ldc+j] += Σ_{l<m} p[i*ldp+l]·q[j*ldq+l] for i < 2, j < 4, m >= 1, in
// the order documented at DotTile2x4: Y(4i+j) holds the four lanes of sum
// (i, j), a last masked step takes the m mod 4 remaining elements (masked
// lanes load zeros), and each sum is reduced as (l0+l1)+(l2+l3).
TEXT ·dotTile2x4Asm(SB), NOSPLIT, $0-56
	MOVQ c+0(FP), DX
	MOVQ ldc+8(FP), R10
	MOVQ p+16(FP), SI
	MOVQ ldp+24(FP), R8
	MOVQ q+32(FP), DI
	MOVQ ldq+40(FP), R9
	MOVQ m+48(FP), CX
	SHLQ $3, R8
	SHLQ $3, R9
	SHLQ $3, R10
	LEAQ (SI)(R8*1), R11         // p row 1
	LEAQ (DI)(R9*1), R12         // q row 1
	LEAQ (R12)(R9*1), R13        // q row 2
	LEAQ (R13)(R9*1), BX         // q row 3
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	XORQ AX, AX
	MOVQ CX, R8
	ANDQ $3, R8                  // tail length r
	SHRQ $2, CX
	JZ   tail

loop:
	VMOVUPD (SI)(AX*8), Y8
	VMOVUPD (R11)(AX*8), Y9
	VMOVUPD (DI)(AX*8), Y10
	VFMADD231PD Y10, Y8, Y0
	VFMADD231PD Y10, Y9, Y4
	VMOVUPD (R12)(AX*8), Y11
	VFMADD231PD Y11, Y8, Y1
	VFMADD231PD Y11, Y9, Y5
	VMOVUPD (R13)(AX*8), Y10
	VFMADD231PD Y10, Y8, Y2
	VFMADD231PD Y10, Y9, Y6
	VMOVUPD (BX)(AX*8), Y11
	VFMADD231PD Y11, Y8, Y3
	VFMADD231PD Y11, Y9, Y7
	ADDQ $4, AX
	DECQ CX
	JNZ  loop

tail:
	TESTQ R8, R8
	JZ    reduce
	LEAQ  tailmask<>(SB), R9
	NEGQ  R8
	VMOVUPD 32(R9)(R8*8), Y13    // mask: r ones, 4-r zeros
	VMASKMOVPD (SI)(AX*8), Y13, Y8
	VMASKMOVPD (R11)(AX*8), Y13, Y9
	VMASKMOVPD (DI)(AX*8), Y13, Y10
	VFMADD231PD Y10, Y8, Y0
	VFMADD231PD Y10, Y9, Y4
	VMASKMOVPD (R12)(AX*8), Y13, Y11
	VFMADD231PD Y11, Y8, Y1
	VFMADD231PD Y11, Y9, Y5
	VMASKMOVPD (R13)(AX*8), Y13, Y10
	VFMADD231PD Y10, Y8, Y2
	VFMADD231PD Y10, Y9, Y6
	VMASKMOVPD (BX)(AX*8), Y13, Y11
	VFMADD231PD Y11, Y8, Y3
	VFMADD231PD Y11, Y9, Y7

reduce:
	// Row 0: lanes of Y0..Y3 -> [s00, s01, s02, s03], s = (l0+l1)+(l2+l3).
	VHADDPD    Y1, Y0, Y8        // [l0+l1 of 0, of 1, l2+l3 of 0, of 1]
	VHADDPD    Y3, Y2, Y9        // the same for sums 2 and 3
	VPERM2F128 $0x21, Y9, Y8, Y10
	VBLENDPD   $0x0C, Y9, Y8, Y11
	VADDPD     Y11, Y10, Y10
	VMOVUPD    (DX), Y12
	VADDPD     Y12, Y10, Y10
	VMOVUPD    Y10, (DX)
	// Row 1 from Y4..Y7.
	VHADDPD    Y5, Y4, Y8
	VHADDPD    Y7, Y6, Y9
	VPERM2F128 $0x21, Y9, Y8, Y10
	VBLENDPD   $0x0C, Y9, Y8, Y11
	VADDPD     Y11, Y10, Y10
	VMOVUPD    (DX)(R10*1), Y12
	VADDPD     Y12, Y10, Y10
	VMOVUPD    Y10, (DX)(R10*1)
	VZEROUPPER
	RET
