package consensus

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"math/bits"
	"os"
	"slices"

	"github.com/sketchwork/sketchwork/ledger/codec"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// GenesisFormatVersion is the version field of genesis files.
const GenesisFormatVersion = 1

// TagGenesis domain-separates the hash of a genesis description. It extends
// the tag list of section 3.1 for an object the spec leaves implicit.
const TagGenesis = "gc/genesis/v1"

// MaxGenesisFile bounds the size of a genesis file.
const MaxGenesisFile = 4 << 20

// Allocation credits Amount base units to Address at genesis.
type Allocation struct {
	Address keys.Address `json:"address"`
	Amount  uint64       `json:"amount"`
}

// Genesis describes a network: its parameters and its initial state
// (section 4.1). Its JSON form is the genesis file.
type Genesis struct {
	// Version of the genesis format (GenesisFormatVersion).
	Version uint32 `json:"version"`
	// Params are the consensus parameters.
	Params Params `json:"params"`
	// Time of the genesis block, unix milliseconds.
	Time int64 `json:"time_ms"`
	// CorpusRoot pins the training corpus (section 4.3).
	CorpusRoot hashx.Hash `json:"corpus_root"`
	// ModelRoot commits to the initial (all-zero) weights (section 3.5).
	ModelRoot hashx.Hash `json:"model_root"`
	// Alloc lists the initial balances; every address at most once.
	Alloc []Allocation `json:"alloc"`
}

// Validate checks params and the initial state: format version, params,
// nonzero roots, allocations with distinct nonzero addresses and positive
// amounts, and total allocation + total subsidy <= 2^64-1 (so no balance
// or supply can ever overflow). Errors are RuleErrors with ErrBadGenesis.
func (g *Genesis) Validate() error {
	if g.Version != GenesisFormatVersion {
		return Errorf(ErrBadGenesis, "genesis format version %d, want %d", g.Version, GenesisFormatVersion)
	}
	if err := g.Params.Validate(); err != nil {
		return err
	}
	if g.Time <= 0 {
		return Errorf(ErrBadGenesis, "genesis time %d must be positive", g.Time)
	}
	if g.CorpusRoot.IsZero() {
		return Errorf(ErrBadGenesis, "corpus_root is zero (not filled in)")
	}
	if g.ModelRoot.IsZero() {
		return Errorf(ErrBadGenesis, "model_root is zero (not filled in)")
	}
	seen := make(map[keys.Address]bool, len(g.Alloc))
	total, ok := MaxSubsidyTotal(&g.Params)
	if !ok {
		return Errorf(ErrBadGenesis, "total subsidy overflows")
	}
	for i, a := range g.Alloc {
		if a.Address.IsZero() {
			return Errorf(ErrBadGenesis, "alloc[%d]: zero address (the coinbase sender)", i)
		}
		if a.Amount == 0 {
			return Errorf(ErrBadGenesis, "alloc[%d]: zero amount", i)
		}
		if seen[a.Address] {
			return Errorf(ErrBadGenesis, "alloc[%d]: address %s listed twice", i, a.Address)
		}
		seen[a.Address] = true
		var carry uint64
		total, carry = bits.Add64(total, a.Amount, 0)
		if carry != 0 {
			return Errorf(ErrBadGenesis, "allocations plus total subsidy overflow 64 bits")
		}
	}
	return nil
}

// TotalAlloc returns the sum of the allocations (valid genesis: no overflow).
func (g *Genesis) TotalAlloc() uint64 {
	var s uint64
	for _, a := range g.Alloc {
		s += a.Amount
	}
	return s
}

// SortedAlloc returns the allocations sorted by address.
func (g *Genesis) SortedAlloc() []Allocation {
	s := slices.Clone(g.Alloc)
	slices.SortFunc(s, func(a, b Allocation) int { return bytes.Compare(a.Address[:], b.Address[:]) })
	return s
}

// Encode returns the canonical encoding of g: version, params, time, corpus
// root, model root, uvarint count and (address, amount) pairs sorted by
// address. The order of Alloc in the file does not matter.
func (g *Genesis) Encode() []byte {
	w := codec.NewWriter(512 + 40*len(g.Alloc))
	w.U32(g.Version)
	g.Params.EncodeTo(w)
	w.I64(g.Time)
	w.Raw(g.CorpusRoot[:])
	w.Raw(g.ModelRoot[:])
	w.Uvarint(uint64(len(g.Alloc)))
	for _, a := range g.SortedAlloc() {
		w.Raw(a.Address[:])
		w.U64(a.Amount)
	}
	return w.Bytes()
}

// ConfigHash returns H_"gc/genesis/v1"(Encode()). It is the PrevHash of the
// genesis header, so the genesis block hash commits to every parameter,
// the corpus root and the allocations.
func (g *Genesis) ConfigHash() hashx.Hash { return hashx.Tagged(TagGenesis, g.Encode()) }

// StateRoot returns the StateRoot of the genesis state: the RFC 6962 root
// over AccountLeaf(addr, {Amount, 0}) in address order (section 3.3).
func (g *Genesis) StateRoot() hashx.Hash {
	sorted := g.SortedAlloc()
	leaves := make([][]byte, len(sorted))
	for i, a := range sorted {
		leaves[i] = types.AccountLeaf(a.Address, types.Account{Balance: a.Amount})
	}
	return hashx.MerkleRoot(leaves)
}

// Header returns the genesis block header: Version 1, Height 0, PrevHash =
// ConfigHash, TxRoot = root of no transactions, StateRoot of the
// allocations, the initial ModelRoot, zero Miner, losses and nonces, the
// genesis Time and Target = GenesisTarget. Its PoW is not checked.
func (g *Genesis) Header() types.Header {
	return types.Header{
		Version:   types.HeaderVersion,
		Height:    0,
		PrevHash:  g.ConfigHash(),
		TxRoot:    hashx.EmptyRoot,
		StateRoot: g.StateRoot(),
		ModelRoot: g.ModelRoot,
		Time:      g.Time,
		Target:    g.Params.GenesisTarget,
	}
}

// Block returns the genesis block (its header and no transactions).
func (g *Genesis) Block() *types.Block { return &types.Block{Header: g.Header()} }

// Hash returns the genesis block hash (GenesisHash): peers whose genesis
// hashes differ are on different networks.
func (g *Genesis) Hash() hashx.Hash {
	h := g.Header()
	return h.Hash()
}

// ParseGenesis decodes and validates a genesis file. Decoding is strict:
// unknown, missing, duplicate or null fields, trailing data, non-integer or
// out-of-range numbers and malformed hex are all errors.
func ParseGenesis(data []byte) (*Genesis, error) {
	if len(data) > MaxGenesisFile {
		return nil, Errorf(ErrBadGenesis, "genesis file of %d bytes > %d", len(data), MaxGenesisFile)
	}
	var g Genesis
	if err := strictUnmarshal(data, &g); err != nil {
		return nil, Errorf(ErrBadGenesis, "genesis JSON: %v", err)
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return &g, nil
}

// LoadGenesisFile reads and parses a genesis file.
func LoadGenesisFile(path string) (*Genesis, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("consensus: genesis: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxGenesisFile+1))
	if err != nil {
		return nil, fmt.Errorf("consensus: reading genesis %s: %w", path, err)
	}
	g, err := ParseGenesis(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return g, nil
}

// MarshalIndent returns the genesis file form of g (indented JSON).
func (g *Genesis) MarshalIndent() ([]byte, error) {
	b, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// DevGenesisTime is the genesis time of the built-in dev network
// (2025-01-01T00:00:00Z).
const DevGenesisTime = 1_735_689_600_000

// DevFaucetAlloc is the dev faucet's genesis balance: 1,000,000 GC.
const DevFaucetAlloc = 1_000_000 * Coin

// DevFaucetKey returns the dev network's faucet key. Its seed is public
// (SHA-256 of "gradientcoin dev faucet"): anyone can spend its coins, which
// is the point on a development chain and disqualifies it everywhere else.
func DevFaucetKey() *keys.PrivateKey {
	seed := sha256.Sum256([]byte("gradientcoin dev faucet"))
	k, err := keys.FromSeed(seed[:])
	if err != nil {
		panic(err)
	}
	return k
}

// NewDevGenesis returns the built-in dev genesis (the gcoind --mine
// default): TestParams renamed "dev", DevGenesisTime, the faucet allocation,
// and the given corpus and initial model roots, which the caller computes
// from the corpus and model packages (the consensus package cannot import
// them). The result is validated.
func NewDevGenesis(corpusRoot, modelRoot hashx.Hash) (*Genesis, error) {
	p := TestParams()
	p.Name = "dev"
	g := &Genesis{
		Version:    GenesisFormatVersion,
		Params:     p,
		Time:       DevGenesisTime,
		CorpusRoot: corpusRoot,
		ModelRoot:  modelRoot,
		Alloc:      []Allocation{{Address: DevFaucetKey().Address(), Amount: DevFaucetAlloc}},
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return g, nil
}
