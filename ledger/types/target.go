package types

import (
	"encoding/hex"
	"fmt"
	"math/big"

	"github.com/sketchwork/sketchwork/ledger/hashx"
)

// Target is a 256-bit unsigned proof-of-work target, big endian. A block
// hash h meets target t when h, read as a big-endian integer, is <= t.
type Target [32]byte

// Big returns t as a non-negative integer.
func (t Target) Big() *big.Int { return new(big.Int).SetBytes(t[:]) }

// TargetFromBig converts 0 <= v < 2^256 to a Target.
func TargetFromBig(v *big.Int) (Target, error) {
	var t Target
	if v.Sign() < 0 || v.BitLen() > 256 {
		return t, fmt.Errorf("types: target %v outside [0, 2^256)", v)
	}
	v.FillBytes(t[:])
	return t, nil
}

// TargetPow2 returns the target 2^k for 0 <= k < 256.
func TargetPow2(k uint) Target {
	if k >= 256 {
		panic("types: TargetPow2 exponent >= 256")
	}
	var t Target
	t[31-k/8] = 1 << (k % 8)
	return t
}

// IsZero reports whether t is 0.
func (t Target) IsZero() bool { return t == Target{} }

// Cmp compares t and u as integers (-1, 0, +1).
func (t Target) Cmp(u Target) int {
	for i := range t {
		if t[i] != u[i] {
			if t[i] < u[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// Meets reports whether hash h, read big endian, is <= t.
func (t Target) Meets(h hashx.Hash) bool { return Target(h).Cmp(t) <= 0 }

// String returns 64 lowercase hex digits.
func (t Target) String() string { return hex.EncodeToString(t[:]) }

// MarshalText encodes t as 64 hex digits.
func (t Target) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText decodes exactly 64 hex digits.
func (t *Target) UnmarshalText(b []byte) error {
	h, err := hashx.ParseHash(string(b))
	if err != nil {
		return fmt.Errorf("types: target: %w", err)
	}
	*t = Target(h)
	return nil
}
