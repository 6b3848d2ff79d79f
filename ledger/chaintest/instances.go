package chaintest

import (
	"fmt"

	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// Instance is one step of a test vector: a block to submit with its
// expected outcome, or an expectation about the node's state. The concrete
// types follow btcd's fullblocktests.
type Instance interface {
	// Label names the step in failure messages.
	Label() string
}

// AcceptedBlock must be accepted; MainChain says whether it must be on the
// best chain afterwards.
type AcceptedBlock struct {
	Name      string
	Block     *types.Block
	MainChain bool
}

// RejectedBlock must be rejected with Code.
type RejectedBlock struct {
	Name  string
	Block *types.Block
	Code  consensus.ErrorCode
}

// OrphanBlock must be pooled as an orphan (its parent is unknown).
type OrphanBlock struct {
	Name  string
	Block *types.Block
}

// DuplicateBlock is already known and must be reported as a duplicate.
type DuplicateBlock struct {
	Name  string
	Block *types.Block
}

// RejectedBytes is an encoding that must not decode (non-canonical,
// truncated, oversize); nodes drop it before any rule runs.
type RejectedBytes struct {
	Name  string
	Bytes []byte
}

// ExpectedTip asserts the node's best chain tip.
type ExpectedTip struct {
	Name   string
	Hash   hashx.Hash
	Height uint64
}

// ExpectedAccount asserts an account at the node's tip.
type ExpectedAccount struct {
	Name    string
	Addr    keys.Address
	Account types.Account
}

func (i AcceptedBlock) Label() string   { return "accept " + i.Name }
func (i RejectedBlock) Label() string   { return fmt.Sprintf("reject %s (%s)", i.Name, i.Code) }
func (i OrphanBlock) Label() string     { return "orphan " + i.Name }
func (i DuplicateBlock) Label() string  { return "duplicate " + i.Name }
func (i RejectedBytes) Label() string   { return "undecodable " + i.Name }
func (i ExpectedTip) Label() string     { return fmt.Sprintf("tip is %s at %d", i.Name, i.Height) }
func (i ExpectedAccount) Label() string { return "account " + i.Name }

// Test is a named sequence of instances that runs on a fresh node started
// from the generator's genesis, with the generator's clock.
type Test struct {
	Name      string
	Instances []Instance
}
