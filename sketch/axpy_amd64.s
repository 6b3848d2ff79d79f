#include "textflag.h"

// func axpyFMA(a float64, x, y []float64)
//
// y[i] = fma(a, x[i], y[i]) for i < len(x) (len(y) >= len(x)): AVX2 FMA, 16
// then 4 then 1 element per step; every element is one correctly rounded
// fused multiply-add, so the result equals the portable math.FMA loop.
TEXT ·axpyFMA(SB), NOSPLIT, $0-56
	VBROADCASTSD a+0(FP), Y0
	MOVQ x_base+8(FP), SI
	MOVQ x_len+16(FP), CX
	MOVQ y_base+32(FP), DI
	XORQ AX, AX
	MOVQ CX, DX
	ANDQ $-16, DX
loop16:
	CMPQ AX, DX
	JGE tail4
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
	JMP loop16
tail4:
	MOVQ CX, DX
	ANDQ $-4, DX
loop4:
	CMPQ AX, DX
	JGE tail1
	VMOVUPD (SI)(AX*8), Y1
	VFMADD213PD (DI)(AX*8), Y0, Y1
	VMOVUPD Y1, (DI)(AX*8)
	ADDQ $4, AX
	JMP loop4
tail1:
	CMPQ AX, CX
	JGE done
	VMOVSD (DI)(AX*8), X1
	VFMADD231SD (SI)(AX*8), X0, X1
	VMOVSD X1, (DI)(AX*8)
	INCQ AX
	JMP tail1
done:
	VZEROUPPER
	RET
