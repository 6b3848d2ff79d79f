package state

import (
	"bytes"
	"fmt"
	"math/bits"
	"slices"

	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// Reader is read access to an account state: a *State or an *Overlay.
type Reader interface {
	// Account returns the state of addr ({0,0} if never touched).
	Account(addr keys.Address) types.Account
	// Supply returns the sum of all balances.
	Supply() uint64
	// Len returns the number of non-empty accounts.
	Len() int
	// Root returns the StateRoot.
	Root() hashx.Hash
	// Each calls fn for every non-empty account in ascending address order.
	Each(fn func(addr keys.Address, acct types.Account))
}

// Entry is one account of a state listing.
type Entry struct {
	Addr keys.Address
	Acct types.Account
}

// State is the committed account state.
type State struct {
	accts  map[keys.Address]types.Account // non-empty accounts only
	sorted []keys.Address                 // ascending keys of accts when sortedOK
	keysOK bool
	supply uint64
}

// New returns an empty state.
func New() *State { return &State{accts: map[keys.Address]types.Account{}} }

// FromGenesis returns the genesis state: each allocation as {Amount, 0}.
// Its Root equals g.StateRoot().
func FromGenesis(g *consensus.Genesis) (*State, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	entries := make([]Entry, len(g.Alloc))
	for i, a := range g.Alloc {
		entries[i] = Entry{Addr: a.Address, Acct: types.Account{Balance: a.Amount}}
	}
	return FromEntries(entries)
}

// FromEntries builds a state from a listing (for example the store's
// account bucket). Empty accounts are skipped; duplicate addresses and a
// supply above 2^64-1 are errors.
func FromEntries(entries []Entry) (*State, error) {
	s := New()
	for _, e := range entries {
		if e.Acct.IsEmpty() {
			continue
		}
		if _, dup := s.accts[e.Addr]; dup {
			return nil, fmt.Errorf("state: address %s listed twice", e.Addr)
		}
		if _, carry := bits.Add64(s.supply, e.Acct.Balance, 0); carry != 0 {
			return nil, fmt.Errorf("state: total supply overflows at %s", e.Addr)
		}
		s.set(e.Addr, e.Acct)
	}
	return s, nil
}

// Account returns the state of addr.
func (s *State) Account(addr keys.Address) types.Account { return s.accts[addr] }

// Supply returns Σ balances.
func (s *State) Supply() uint64 { return s.supply }

// Len returns the number of non-empty accounts.
func (s *State) Len() int { return len(s.accts) }

// set writes acct for addr, deleting empty accounts, and keeps the supply.
// Callers guarantee the supply cannot overflow (genesis bound).
func (s *State) set(addr keys.Address, acct types.Account) {
	old, had := s.accts[addr]
	s.supply = s.supply - old.Balance + acct.Balance
	if acct.IsEmpty() {
		if had {
			delete(s.accts, addr)
			s.keysOK = false
		}
		return
	}
	s.accts[addr] = acct
	if !had {
		s.keysOK = false
	}
}

func (s *State) sortedKeys() []keys.Address {
	if !s.keysOK {
		s.sorted = s.sorted[:0]
		for a := range s.accts {
			s.sorted = append(s.sorted, a)
		}
		slices.SortFunc(s.sorted, func(a, b keys.Address) int { return bytes.Compare(a[:], b[:]) })
		s.keysOK = true
	}
	return s.sorted
}

// Each calls fn for every non-empty account in ascending address order.
// fn must not modify s.
func (s *State) Each(fn func(keys.Address, types.Account)) {
	for _, a := range s.sortedKeys() {
		fn(a, s.accts[a])
	}
}

// Entries returns every non-empty account in ascending address order.
func (s *State) Entries() []Entry { return entries(s) }

func entries(r Reader) []Entry {
	out := make([]Entry, 0, r.Len())
	r.Each(func(a keys.Address, acct types.Account) { out = append(out, Entry{a, acct}) })
	return out
}

// Root returns the StateRoot (section 3.3).
func (s *State) Root() hashx.Hash { return root(s) }

func root(r Reader) hashx.Hash {
	leaves := make([]hashx.Hash, 0, r.Len())
	r.Each(func(a keys.Address, acct types.Account) {
		leaves = append(leaves, hashx.LeafHash(types.AccountLeaf(a, acct)))
	})
	return hashx.RootFromLeafHashes(leaves)
}

// Clone returns an independent deep copy of s.
func (s *State) Clone() *State {
	c := &State{accts: make(map[keys.Address]types.Account, len(s.accts)), supply: s.supply}
	for a, v := range s.accts {
		c.accts[a] = v
	}
	return c
}

// Revert undoes a committed block: it restores every account of u to its
// value before the block (deleting accounts that did not exist), so that
// Root, Supply and every account equal their values before the commit that
// produced u. Undo records of several blocks must be reverted newest first.
func (s *State) Revert(u *Undo) {
	for i := len(u.Entries) - 1; i >= 0; i-- {
		e := u.Entries[i]
		if e.Existed {
			s.set(e.Addr, e.Prev)
		} else {
			s.set(e.Addr, types.Account{})
		}
	}
}
