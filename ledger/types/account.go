package types

import (
	"encoding/binary"
	"fmt"

	"github.com/sketchwork/sketchwork/ledger/keys"
)

// Account is the state of one address (section 3.2). An address that was
// never touched is the zero Account.
type Account struct {
	Balance uint64
	Nonce   uint64
}

// AccountSize is the encoded size of an Account (Balance u64 || Nonce u64).
const AccountSize = 16

// AccountLeafSize is the size of a StateRoot leaf.
const AccountLeafSize = keys.AddressSize + AccountSize

// IsEmpty reports whether a is the zero account (not part of StateRoot).
func (a Account) IsEmpty() bool { return a.Balance == 0 && a.Nonce == 0 }

// Encode returns Balance || Nonce, little endian (16 bytes).
func (a Account) Encode() []byte {
	b := make([]byte, AccountSize)
	binary.LittleEndian.PutUint64(b, a.Balance)
	binary.LittleEndian.PutUint64(b[8:], a.Nonce)
	return b
}

// DecodeAccount decodes exactly 16 bytes.
func DecodeAccount(b []byte) (Account, error) {
	if len(b) != AccountSize {
		return Account{}, fmt.Errorf("types: account encoding has %d bytes, want %d", len(b), AccountSize)
	}
	return Account{Balance: binary.LittleEndian.Uint64(b), Nonce: binary.LittleEndian.Uint64(b[8:])}, nil
}

// AccountLeaf returns the StateRoot leaf data addr || Balance || Nonce
// (section 3.3), 48 bytes.
func AccountLeaf(addr keys.Address, a Account) []byte {
	b := make([]byte, AccountLeafSize)
	copy(b, addr[:])
	binary.LittleEndian.PutUint64(b[32:], a.Balance)
	binary.LittleEndian.PutUint64(b[40:], a.Nonce)
	return b
}
