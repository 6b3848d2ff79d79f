// Package keys holds GradientCoin's ed25519 keys, addresses and key files
// (papers/gradientcoin.md sections 3.2 and 8).
//
// # Rules
//
// An Address is the raw 32-byte ed25519 public key, shown as 64 lowercase hex
// digits. Signatures are produced and checked with the standard library's
// crypto/ed25519 only: every node must use the same verifier, since
// libraries disagree on edge cases (non-canonical S, small-order points) and
// such disagreements split consensus.
//
// Key files hold the 32-byte seed as JSON ({"type","seed","address"}), are
// written atomically (temporary file in the same directory, fsync, rename,
// fsync of the directory) with mode 0600, never overwrite an existing file,
// and are refused on load when group or other permission bits are set, when
// the JSON has unknown or missing fields, or when the stored address does
// not match the seed.
//
// # Cost
//
// Sign ~20 µs, Verify ~50 µs per message on one x86-64 core (crypto/ed25519).
// Standard library only (the package is on the consensus path).
package keys
