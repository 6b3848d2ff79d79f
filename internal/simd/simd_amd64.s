//go:build amd64 && !purego

#include "textflag.h"

// func axpyAsm(a float64, x, y []float64)
//
// y[i] = fma(a, x[i], y[i]) for i < len(x): 16, then 4, then 1 element per
// step; every element is one correctly rounded fused multiply-add, exactly
// as the portable loop.
TEXT ·axpyAsm(SB), NOSPLIT, $0-56
	VBROADCASTSD a+0(FP), Y0
	MOVQ x_base+8(FP), SI
	MOVQ x_len+16(FP), CX
	MOVQ y_base+32(FP), DI
	XORQ AX, AX
	MOVQ CX, DX
	ANDQ $-16, DX
axpy16:
	CMPQ AX, DX
	JGE axpytail4
	VMOVUPD (SI)(AX*8), Y1
	VMOVUPD 32(SI)(AX*8), Y2
	VMOVUPD 64(SI)(AX*8), Y3
	VMOVUPD 96(SI)(AX*8), Y4
	VFMADD213PD (DI)(AX*8), Y0, Y1
	VFMADD213PD 32(DI)(AX*8), Y0, Y2
	VFMADD213PD 64(DI)(AX*8), Y0, Y3
	VFMADD213PD 96(DI)(AX*8), Y0, Y4
	VMOVUPD Y1, (DI)(AX*8)
	VMOVUPD Y2, 32(DI)(AX*8)
	VMOVUPD Y3, 64(DI)(AX*8)
	VMOVUPD Y4, 96(DI)(AX*8)
	ADDQ $16, AX
	JMP axpy16
axpytail4:
	MOVQ CX, DX
	ANDQ $-4, DX
axpy4:
	CMPQ AX, DX
	JGE axpytail1
	VMOVUPD (SI)(AX*8), Y1
	VFMADD213PD (DI)(AX*8), Y0, Y1
	VMOVUPD Y1, (DI)(AX*8)
	ADDQ $4, AX
	JMP axpy4
axpytail1:
	CMPQ AX, CX
	JGE axpydone
	VMOVSD (DI)(AX*8), X1
	VFMADD231SD (SI)(AX*8), X0, X1
	VMOVSD X1, (DI)(AX*8)
	INCQ AX
	JMP axpytail1
axpydone:
	VZEROUPPER
	RET

// func dotAsm(x, y []float64) float64
//
// Lanes: Y0 = l0..l3, Y1 = l4..l7, Y2 = l8..l11, Y3 = l12..l15, exactly as
// dotGo; the reduction and the scalar tail follow dotGo's order.
TEXT ·dotAsm(SB), NOSPLIT, $0-56
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	MOVQ y_base+24(FP), DI
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	XORQ AX, AX
	MOVQ CX, DX
	ANDQ $-16, DX
dot16:
	CMPQ AX, DX
	JGE dottail4
	VMOVUPD (SI)(AX*8), Y4
	VMOVUPD 32(SI)(AX*8), Y5
	VMOVUPD 64(SI)(AX*8), Y6
	VMOVUPD 96(SI)(AX*8), Y7
	VFMADD231PD (DI)(AX*8), Y4, Y0
	VFMADD231PD 32(DI)(AX*8), Y5, Y1
	VFMADD231PD 64(DI)(AX*8), Y6, Y2
	VFMADD231PD 96(DI)(AX*8), Y7, Y3
	ADDQ $16, AX
	JMP dot16
dottail4:
	MOVQ CX, DX
	ANDQ $-4, DX
dot4:
	CMPQ AX, DX
	JGE dotreduce
	VMOVUPD (SI)(AX*8), Y4
	VFMADD231PD (DI)(AX*8), Y4, Y0
	ADDQ $4, AX
	JMP dot4
dotreduce:
	VADDPD Y1, Y0, Y0            // l_k + l_{k+4}
	VADDPD Y3, Y2, Y2            // l_{k+8} + l_{k+12}
	VADDPD Y2, Y0, Y0            // s_k
	VEXTRACTF128 $1, Y0, X1      // s2, s3
	VADDPD X1, X0, X0            // s0+s2, s1+s3
	VPERMILPD $1, X0, X1         // s1+s3
	VADDSD X1, X0, X0            // (s0+s2) + (s1+s3)
dottail1:
	CMPQ AX, CX
	JGE dotdone
	VMOVSD (SI)(AX*8), X2
	VFMADD231SD (DI)(AX*8), X2, X0
	INCQ AX
	JMP dottail1
dotdone:
	VMOVSD X0, ret+48(FP)
	VZEROUPPER
	RET
