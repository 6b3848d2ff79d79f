// Package codec is GradientCoin's canonical binary encoding: one byte string
// per value, so that hashes and signatures over encodings are well defined
// (papers/gradientcoin.md section 3.1).
//
// # Rules
//
//   - Integers are fixed-width little endian (u8, u32, u64, i64 as two's
//     complement u64).
//   - Lengths and counts are unsigned LEB128 varints ("uvarints") that must be
//     minimal: no trailing 0x00 continuation group, at most 10 bytes, and the
//     value must fit in 64 bits.
//   - Every variable-length field has a maximum that the Reader checks before
//     allocating; a length that exceeds the bytes left is rejected before
//     allocating as well, so no input can make the decoder allocate more than
//     the input's own size.
//   - Booleans are one byte, 0 or 1; any other value is rejected.
//   - Reader.Finish rejects trailing bytes, so a decoder that calls it accepts
//     exactly one encoding per value.
//
// The Reader never panics: on the first failure it records a *DecodeError
// (field name, byte offset and one of the sentinel errors ErrShort,
// ErrNonMinimal, ErrVarintOverflow, ErrOverCap, ErrBadBool, ErrTrailing) and
// every later read returns zero values, so decoders can read a whole object
// and check the error once.
//
// # Cost
//
// Writer appends to one growing []byte; Reader reads in place and copies only
// variable-length byte fields. Both are O(size). Standard library only (the
// package is on the consensus path).
package codec
