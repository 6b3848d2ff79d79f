package hashx

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// Size is the length of a Hash in bytes.
const Size = 32

// Hash is a SHA-256 digest. Its text form is 64 lowercase hex digits.
type Hash [Size]byte

// Domain tags of papers/gradientcoin.md section 3.1. Each is prefixed to the
// hashed bytes by Tagged. The "/v1" suffix versions the object layout.
const (
	TagTx     = "gc/tx/v1"     // transaction id and signing domain
	TagHeader = "gc/hdr/v1"    // block hash over the 244-byte header
	TagTrain  = "gc/train/v1"  // training seed from (parent hash, miner, train nonce)
	TagVerify = "gc/verify/v1" // verification-batch seed from the parent hash
	TagIndex  = "gc/idx/v1"    // corpus window selection
	TagGen    = "gc/gen/v1"    // sampling randomness for text generation
)

// Sum returns the plain SHA-256 of data.
func Sum(data []byte) Hash { return sha256.Sum256(data) }

// Tagged returns SHA256(tag || parts[0] || parts[1] || ...). The parts are
// concatenated without separators: callers hash fixed-layout or canonically
// encoded byte strings, never ambiguous concatenations of variable fields.
func Tagged(tag string, parts ...[]byte) Hash {
	d := sha256.New()
	d.Write([]byte(tag))
	for _, p := range parts {
		d.Write(p)
	}
	var h Hash
	d.Sum(h[:0])
	return h
}

// String returns h as 64 lowercase hex digits.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether every byte of h is zero.
func (h Hash) IsZero() bool { return h == Hash{} }

// Bytes returns a copy of h as a slice.
func (h Hash) Bytes() []byte { b := h; return b[:] }

// MarshalText encodes h as lowercase hex (used by JSON).
func (h Hash) MarshalText() ([]byte, error) {
	out := make([]byte, 2*Size)
	hex.Encode(out, h[:])
	return out, nil
}

// UnmarshalText decodes exactly 64 hex digits into h.
func (h *Hash) UnmarshalText(text []byte) error {
	v, err := ParseHash(string(text))
	if err != nil {
		return err
	}
	*h = v
	return nil
}

// ParseHash decodes a hash from exactly 64 hex digits. Upper- and lowercase
// digits are accepted; String always prints lowercase.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*Size {
		return h, fmt.Errorf("hashx: hash %q has %d hex digits, want %d", truncate(s), len(s), 2*Size)
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return Hash{}, fmt.Errorf("hashx: hash %q: %w", truncate(s), err)
	}
	return h, nil
}

// FromBytes copies a 32-byte slice into a Hash; it fails on any other length.
func FromBytes(b []byte) (Hash, error) {
	var h Hash
	if len(b) != Size {
		return h, fmt.Errorf("hashx: %d bytes, want %d", len(b), Size)
	}
	copy(h[:], b)
	return h, nil
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
