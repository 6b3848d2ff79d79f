package consensus

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/types"
)

func devGenesis(t testing.TB) *Genesis {
	g, err := NewDevGenesis(hashx.Tagged("corpus"), hashx.Tagged("model"))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestGenesisJSONRoundTrip(t *testing.T) {
	g := devGenesis(t)
	g.Alloc = append(g.Alloc, Allocation{Address: key(5).Address(), Amount: 77})
	data, err := g.MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseGenesis(data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if !reflect.DeepEqual(back, g) || back.Hash() != g.Hash() {
		t.Fatal("genesis JSON round trip changed it")
	}
	// File round trip.
	p := filepath.Join(t.TempDir(), "genesis.json")
	os.WriteFile(p, data, 0o644)
	if fg, err := LoadGenesisFile(p); err != nil || fg.Hash() != g.Hash() {
		t.Fatalf("LoadGenesisFile: %v", err)
	}
}

func TestGenesisStrictDecoding(t *testing.T) {
	g := devGenesis(t)
	data, _ := g.MarshalIndent()
	s := string(data)
	chain := `"chain_id": 1337`
	if !strings.Contains(s, chain) {
		t.Fatalf("test construction: %q not in %s", chain, s)
	}
	cases := map[string]string{
		"unknown field":    strings.Replace(s, chain, chain+`, "extra": 1`, 1),
		"duplicate field":  strings.Replace(s, chain, chain+`, "chain_id": 1`, 1),
		"case variant key": strings.Replace(s, `"chain_id"`, `"CHAIN_ID"`, 1),
		"missing field":    strings.Replace(s, chain+",", "", 1),
		"null":             strings.Replace(s, chain, `"chain_id": null`, 1),
		"float":            strings.Replace(s, chain, `"chain_id": 1337.5`, 1),
		"exponent":         strings.Replace(s, chain, `"chain_id": 1.337e3`, 1),
		"negative":         strings.Replace(s, chain, `"chain_id": -1`, 1),
		"string number":    strings.Replace(s, chain, `"chain_id": "1337"`, 1),
		"too large":        strings.Replace(s, chain, `"chain_id": 4294967296`, 1),
		"trailing":         s + "{}",
		"bad hex":          strings.Replace(s, g.CorpusRoot.String(), "zz"+g.CorpusRoot.String()[2:], 1),
		"short hash":       strings.Replace(s, g.CorpusRoot.String(), g.CorpusRoot.String()[2:], 1),
		"zero model root":  strings.Replace(s, g.ModelRoot.String(), strings.Repeat("0", 64), 1),
		"array for object": strings.Replace(s, `"params": {`, `"params": [{`, 1),
		"empty":            "",
	}
	for name, c := range cases {
		if c == s {
			t.Fatalf("%s: test construction did not change the file", name)
		}
		if _, err := ParseGenesis([]byte(c)); !IsCode(err, ErrBadGenesis) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestGenesisValidateAllocations(t *testing.T) {
	cases := map[string]func(*Genesis){
		"zero address": func(g *Genesis) { g.Alloc = append(g.Alloc, Allocation{Amount: 1}) },
		"zero amount":  func(g *Genesis) { g.Alloc = append(g.Alloc, Allocation{Address: key(3).Address()}) },
		"duplicate":    func(g *Genesis) { g.Alloc = append(g.Alloc, g.Alloc[0]) },
		"overflow": func(g *Genesis) {
			g.Alloc = append(g.Alloc, Allocation{Address: key(3).Address(), Amount: 1<<64 - 1 - DevFaucetAlloc})
		},
		"format version": func(g *Genesis) { g.Version = 2 },
		"time":           func(g *Genesis) { g.Time = 0 },
		"corpus root":    func(g *Genesis) { g.CorpusRoot = hashx.Hash{} },
		"params":         func(g *Genesis) { g.Params.ChainID = 0 },
	}
	for name, m := range cases {
		g := devGenesis(t)
		m(g)
		if err := g.Validate(); !IsCode(err, ErrBadGenesis) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := NewDevGenesis(hashx.Hash{}, hashx.Tagged("m")); !IsCode(err, ErrBadGenesis) {
		t.Error("dev genesis accepted a zero corpus root")
	}
}

// TestGenesisHashCommitsToEverything: changing any parameter, the time, a
// root or an allocation changes the genesis hash; reordering allocations
// does not.
func TestGenesisHashCommitsToEverything(t *testing.T) {
	base := devGenesis(t)
	base.Alloc = append(base.Alloc, Allocation{Address: key(5).Address(), Amount: 77})
	h0 := base.Hash()
	pv := reflect.ValueOf(&base.Params).Elem()
	for i := 0; i < pv.NumField(); i++ {
		g := *base
		g.Alloc = append([]Allocation(nil), base.Alloc...)
		f := reflect.ValueOf(&g.Params).Elem().Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(f.String() + "x")
		case reflect.Int64:
			f.SetInt(f.Int() + 1)
		case reflect.Uint32, reflect.Uint64:
			f.SetUint(f.Uint() + 1)
		case reflect.Bool:
			f.SetBool(!f.Bool())
		case reflect.Array:
			f.Index(0).SetUint(f.Index(0).Uint() ^ 1)
		default:
			t.Fatalf("field %s of unhandled kind", pv.Type().Field(i).Name)
		}
		if g.Hash() == h0 {
			t.Errorf("changing params.%s kept the genesis hash", pv.Type().Field(i).Name)
		}
	}
	others := map[string]func(*Genesis){
		"time":   func(g *Genesis) { g.Time++ },
		"corpus": func(g *Genesis) { g.CorpusRoot[0] ^= 1 },
		"model":  func(g *Genesis) { g.ModelRoot[0] ^= 1 },
		"amount": func(g *Genesis) { g.Alloc[1].Amount++ },
		"addr":   func(g *Genesis) { g.Alloc[1].Address = key(6).Address() },
		"drop":   func(g *Genesis) { g.Alloc = g.Alloc[:1] },
	}
	for name, m := range others {
		g := *base
		g.Alloc = append([]Allocation(nil), base.Alloc...)
		m(&g)
		if g.Hash() == h0 {
			t.Errorf("changing %s kept the genesis hash", name)
		}
	}
	g := *base
	g.Alloc = []Allocation{base.Alloc[1], base.Alloc[0]}
	if g.Hash() != h0 || !bytes.Equal(g.Encode(), base.Encode()) {
		t.Error("allocation order changed the genesis hash")
	}
}

func TestGenesisHeader(t *testing.T) {
	g := devGenesis(t)
	h := g.Header()
	if h.Height != 0 || h.PrevHash != g.ConfigHash() || h.TxRoot != hashx.EmptyRoot ||
		h.ModelRoot != g.ModelRoot || h.Time != g.Time || h.Target != g.Params.GenesisTarget {
		t.Fatal("genesis header fields")
	}
	// StateRoot is the RFC 6962 root over addr||balance||0 in address order.
	want := hashx.MerkleRoot([][]byte{types.AccountLeaf(DevFaucetKey().Address(), types.Account{Balance: DevFaucetAlloc})})
	if h.StateRoot != want {
		t.Fatal("genesis state root")
	}
	if g.Hash() != h.Hash() || g.Block().Hash() != h.Hash() {
		t.Fatal("genesis hash is not the genesis header hash")
	}
	if g.TotalAlloc() != DevFaucetAlloc || g.Params.Name != "dev" || g.Params.ChainID != 1337 {
		t.Fatal("dev genesis contents")
	}
}
