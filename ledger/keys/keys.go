package keys

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// AddressSize is the length of an address (an ed25519 public key).
const AddressSize = ed25519.PublicKeySize

// SignatureSize is the length of an ed25519 signature.
const SignatureSize = ed25519.SignatureSize

// SeedSize is the length of the private seed stored in key files.
const SeedSize = ed25519.SeedSize

// Address is an ed25519 public key used as an account identifier.
type Address [AddressSize]byte

// Signature is an ed25519 signature.
type Signature [SignatureSize]byte

// String returns the address as 64 lowercase hex digits.
func (a Address) String() string { return hex.EncodeToString(a[:]) }

// IsZero reports whether a is all zeros (the coinbase sender).
func (a Address) IsZero() bool { return a == Address{} }

// MarshalText encodes a as lowercase hex.
func (a Address) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText decodes 64 hex digits.
func (a *Address) UnmarshalText(b []byte) error {
	v, err := ParseAddress(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// ParseAddress decodes an address from exactly 64 hex digits.
func ParseAddress(s string) (Address, error) {
	var a Address
	if len(s) != 2*AddressSize {
		return a, fmt.Errorf("keys: address %q has %d hex digits, want %d", short(s), len(s), 2*AddressSize)
	}
	if _, err := hex.Decode(a[:], []byte(s)); err != nil {
		return Address{}, fmt.Errorf("keys: address %q: %w", short(s), err)
	}
	return a, nil
}

func short(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// PrivateKey is an ed25519 signing key.
type PrivateKey struct {
	priv ed25519.PrivateKey
	addr Address
}

// ErrNilRand is returned by Generate when no randomness source is given.
var ErrNilRand = errors.New("keys: nil randomness source")

// Generate creates a key from rand, which must be a cryptographically secure
// source (crypto/rand.Reader outside tests). A nil rand is an error, never a
// silent fallback.
func Generate(rand io.Reader) (*PrivateKey, error) {
	if rand == nil {
		return nil, ErrNilRand
	}
	seed := make([]byte, SeedSize)
	if _, err := io.ReadFull(rand, seed); err != nil {
		return nil, fmt.Errorf("keys: reading seed: %w", err)
	}
	return FromSeed(seed)
}

// FromSeed returns the key with the given 32-byte seed (RFC 8032 private key).
func FromSeed(seed []byte) (*PrivateKey, error) {
	if len(seed) != SeedSize {
		return nil, fmt.Errorf("keys: seed has %d bytes, want %d", len(seed), SeedSize)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	k := &PrivateKey{priv: priv}
	copy(k.addr[:], priv.Public().(ed25519.PublicKey))
	return k, nil
}

// Address returns the key's public key as an address.
func (k *PrivateKey) Address() Address { return k.addr }

// Seed returns a copy of the 32-byte seed.
func (k *PrivateKey) Seed() []byte { return append([]byte(nil), k.priv.Seed()...) }

// Sign signs msg (pure ed25519, no prehash).
func (k *PrivateKey) Sign(msg []byte) Signature {
	var s Signature
	copy(s[:], ed25519.Sign(k.priv, msg))
	return s
}

// Verify reports whether sig is a valid signature of msg by addr, using
// crypto/ed25519.Verify (RFC 8032 with the standard library's cofactorless
// check and canonical-S requirement).
func Verify(addr Address, msg []byte, sig Signature) bool {
	return ed25519.Verify(addr[:], msg, sig[:])
}
