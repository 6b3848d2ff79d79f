//go:build amd64 && !purego

#include "textflag.h"

// lanemask<> holds sixteen all-ones quadwords then sixteen zero ones: the
// four words from index 16-r+4v are the mask of vector v (lanes 4v..4v+3)
// of an r-column tail (lane 4v+l active iff 4v+l < r).
DATA lanemask<>+0(SB)/8, $0xffffffffffffffff
DATA lanemask<>+8(SB)/8, $0xffffffffffffffff
DATA lanemask<>+16(SB)/8, $0xffffffffffffffff
DATA lanemask<>+24(SB)/8, $0xffffffffffffffff
DATA lanemask<>+32(SB)/8, $0xffffffffffffffff
DATA lanemask<>+40(SB)/8, $0xffffffffffffffff
DATA lanemask<>+48(SB)/8, $0xffffffffffffffff
DATA lanemask<>+56(SB)/8, $0xffffffffffffffff
DATA lanemask<>+64(SB)/8, $0xffffffffffffffff
DATA lanemask<>+72(SB)/8, $0xffffffffffffffff
DATA lanemask<>+80(SB)/8, $0xffffffffffffffff
DATA lanemask<>+88(SB)/8, $0xffffffffffffffff
DATA lanemask<>+96(SB)/8, $0xffffffffffffffff
DATA lanemask<>+104(SB)/8, $0xffffffffffffffff
DATA lanemask<>+112(SB)/8, $0xffffffffffffffff
DATA lanemask<>+120(SB)/8, $0xffffffffffffffff
DATA lanemask<>+128(SB)/8, $0
DATA lanemask<>+136(SB)/8, $0
DATA lanemask<>+144(SB)/8, $0
DATA lanemask<>+152(SB)/8, $0
DATA lanemask<>+160(SB)/8, $0
DATA lanemask<>+168(SB)/8, $0
DATA lanemask<>+176(SB)/8, $0
DATA lanemask<>+184(SB)/8, $0
DATA lanemask<>+192(SB)/8, $0
DATA lanemask<>+200(SB)/8, $0
DATA lanemask<>+208(SB)/8, $0
DATA lanemask<>+216(SB)/8, $0
DATA lanemask<>+224(SB)/8, $0
DATA lanemask<>+232(SB)/8, $0
DATA lanemask<>+240(SB)/8, $0
DATA lanemask<>+248(SB)/8, $0
GLOBL lanemask<>(SB), RODATA|NOPTR, $256

// func sparseRowMulAsm(dst *float64, k int, cols *int32, vals *float64, nnz int, w *float64, ldw int)
//
// dst[j] = fma(vals[t], w[cols[t]*ldw+j], dst[j]) for t = 0..nnz-1 in
// order, for every j < k. dst is swept in passes of 16 columns held in
// four registers while all nnz entries stream by (four independent chains
// hide the FMA latency), then one pass over the last r < 16 columns with
// masked loads and stores (masked lanes read zeros and are never stored);
// each register lane is one j, so every dst[j] sees the same chain of fused
// multiply-adds as the portable loop.
TEXT ·sparseRowMulAsm(SB), NOSPLIT, $0-56
	MOVQ dst+0(FP), DI
	MOVQ k+8(FP), CX
	MOVQ cols+16(FP), SI
	MOVQ vals+24(FP), R8
	MOVQ nnz+32(FP), R9
	MOVQ w+40(FP), R10
	MOVQ ldw+48(FP), R11
	SHLQ $3, R11                 // row stride of w in bytes
	XORQ AX, AX                  // j0

pass16:
	MOVQ CX, DX
	SUBQ AX, DX
	CMPQ DX, $16
	JLT  tail
	VMOVUPD (DI)(AX*8), Y0
	VMOVUPD 32(DI)(AX*8), Y1
	VMOVUPD 64(DI)(AX*8), Y2
	VMOVUPD 96(DI)(AX*8), Y3
	LEAQ (R10)(AX*8), R12        // &w[j0]
	XORQ BX, BX
loop16:
	CMPQ BX, R9
	JGE  store16
	MOVLQSX (SI)(BX*4), R13
	IMULQ R11, R13
	ADDQ R12, R13                // &w[col*ldw+j0]
	VBROADCASTSD (R8)(BX*8), Y4
	VFMADD231PD (R13), Y4, Y0
	VFMADD231PD 32(R13), Y4, Y1
	VFMADD231PD 64(R13), Y4, Y2
	VFMADD231PD 96(R13), Y4, Y3
	INCQ BX
	JMP  loop16
store16:
	VMOVUPD Y0, (DI)(AX*8)
	VMOVUPD Y1, 32(DI)(AX*8)
	VMOVUPD Y2, 64(DI)(AX*8)
	VMOVUPD Y3, 96(DI)(AX*8)
	ADDQ $16, AX
	JMP  pass16

tail:
	TESTQ DX, DX
	JZ    done
	LEAQ  lanemask<>(SB), R14
	NEGQ  DX
	LEAQ  128(R14)(DX*8), R14    // &lanemask[16-r]
	VMOVUPD (R14), Y5            // masks of vectors 0..3
	VMOVUPD 32(R14), Y6
	VMOVUPD 64(R14), Y7
	VMOVUPD 96(R14), Y8
	VMASKMOVPD (DI)(AX*8), Y5, Y0
	VMASKMOVPD 32(DI)(AX*8), Y6, Y1
	VMASKMOVPD 64(DI)(AX*8), Y7, Y2
	VMASKMOVPD 96(DI)(AX*8), Y8, Y3
	LEAQ (R10)(AX*8), R12
	XORQ BX, BX
looptail:
	CMPQ BX, R9
	JGE  storetail
	MOVLQSX (SI)(BX*4), R13
	IMULQ R11, R13
	ADDQ R12, R13
	VBROADCASTSD (R8)(BX*8), Y4
	VMASKMOVPD (R13), Y5, Y9
	VFMADD231PD Y9, Y4, Y0
	VMASKMOVPD 32(R13), Y6, Y10
	VFMADD231PD Y10, Y4, Y1
	VMASKMOVPD 64(R13), Y7, Y11
	VFMADD231PD Y11, Y4, Y2
	VMASKMOVPD 96(R13), Y8, Y12
	VFMADD231PD Y12, Y4, Y3
	INCQ BX
	JMP  looptail
storetail:
	VMASKMOVPD Y0, Y5, (DI)(AX*8)
	VMASKMOVPD Y1, Y6, 32(DI)(AX*8)
	VMASKMOVPD Y2, Y7, 64(DI)(AX*8)
	VMASKMOVPD Y3, Y8, 96(DI)(AX*8)

done:
	VZEROUPPER
	RET
