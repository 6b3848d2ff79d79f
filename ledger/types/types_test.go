package types

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/big"
	"reflect"
	"testing"

	"pgregory.net/rapid"

	"github.com/sketchwork/sketchwork/ledger/codec"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/keys"
)

func testKey(t testing.TB, b byte) *keys.PrivateKey {
	k, err := keys.FromSeed(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func signedTx(t testing.TB) (*Tx, *keys.PrivateKey) {
	k := testKey(t, 1)
	tx := &Tx{Version: 1, ChainID: 1337, From: k.Address(), To: testKey(t, 2).Address(),
		Amount: 5e8, Fee: 1000, Nonce: 3, Memo: []byte("hi")}
	if err := tx.Sign(k); err != nil {
		t.Fatal(err)
	}
	return tx, k
}

// TestTxLayout pins the field order and widths of section 3.2 by writing
// distinct values and reading them back at their offsets.
func TestTxLayout(t *testing.T) {
	tx, _ := signedTx(t)
	b := tx.Encode()
	if len(b) != tx.Size() || len(b) != MinTxSize+2 {
		t.Fatalf("size %d, Size() %d, want %d", len(b), tx.Size(), MinTxSize+2)
	}
	if b[0] != 1 || binary.LittleEndian.Uint32(b[1:]) != 1337 ||
		!bytes.Equal(b[5:37], tx.From[:]) || !bytes.Equal(b[37:69], tx.To[:]) ||
		binary.LittleEndian.Uint64(b[69:]) != 5e8 || binary.LittleEndian.Uint64(b[77:]) != 1000 ||
		binary.LittleEndian.Uint64(b[85:]) != 3 || b[93] != 2 || string(b[94:96]) != "hi" ||
		!bytes.Equal(b[96:], tx.Sig[:]) {
		t.Fatalf("layout mismatch: %x", b)
	}
	if MinTxSize != 158 {
		t.Fatalf("MinTxSize %d", MinTxSize)
	}
	// Signing bytes are the tag plus everything but the signature; the TxID
	// is the tagged hash of everything.
	if !bytes.Equal(tx.SigningBytes(), append([]byte("gc/tx/v1"), b[:96]...)) {
		t.Fatal("signing bytes are not tag || encoding without Sig")
	}
	if tx.ID() != hashx.Tagged("gc/tx/v1", b) {
		t.Fatal("TxID is not H_gc/tx/v1(full encoding)")
	}
}

// TestHeaderLayout checks 244 bytes and every field's offset and width.
func TestHeaderLayout(t *testing.T) {
	h := Header{Version: 0x01020304, Height: 0x1112131415161718, TrainNonce: 0x2122232425262728,
		LossBefore: -3, LossAfter: -4, Time: 1700000000123, Nonce: 0x3132333435363738}
	for i := range 32 {
		h.PrevHash[i], h.TxRoot[i], h.StateRoot[i], h.ModelRoot[i], h.Miner[i], h.Target[i] =
			0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5
	}
	b := h.Encode()
	if len(b) != HeaderSize || HeaderSize != 244 {
		t.Fatalf("header encodes to %d bytes, want 244", len(b))
	}
	le64 := func(off int) uint64 { return binary.LittleEndian.Uint64(b[off:]) }
	all := func(off int, v byte) bool { return bytes.Equal(b[off:off+32], bytes.Repeat([]byte{v}, 32)) }
	if binary.LittleEndian.Uint32(b) != h.Version || le64(4) != h.Height ||
		!all(12, 0xa0) || !all(44, 0xa1) || !all(76, 0xa2) || !all(108, 0xa3) || !all(140, 0xa4) ||
		le64(172) != h.TrainNonce || int64(le64(180)) != -3 || int64(le64(188)) != -4 ||
		int64(le64(196)) != h.Time || !all(204, 0xa5) || le64(236) != h.Nonce {
		t.Fatalf("header layout mismatch")
	}
	if h.Hash() != hashx.Tagged("gc/hdr/v1", b) {
		t.Fatal("block hash is not H_gc/hdr/v1(header)")
	}
}

func TestSignVerify(t *testing.T) {
	tx, k := signedTx(t)
	if !tx.VerifySig() {
		t.Fatal("valid signature rejected")
	}
	// Changing any signed field invalidates the signature, including the
	// chain id (cross-network replay).
	muts := map[string]func(*Tx){
		"version": func(x *Tx) { x.Version++ },
		"chain":   func(x *Tx) { x.ChainID = 1 },
		"to":      func(x *Tx) { x.To[0] ^= 1 },
		"amount":  func(x *Tx) { x.Amount++ },
		"fee":     func(x *Tx) { x.Fee-- },
		"nonce":   func(x *Tx) { x.Nonce++ },
		"memo":    func(x *Tx) { x.Memo = []byte("ho") },
		"nomemo":  func(x *Tx) { x.Memo = nil },
		"from":    func(x *Tx) { x.From = testKey(t, 3).Address() },
		"sig":     func(x *Tx) { x.Sig[10] ^= 1 },
	}
	for name, m := range muts {
		c := tx.Clone()
		m(c)
		if c.VerifySig() {
			t.Errorf("%s changed but signature still verifies", name)
		}
		if c.ID() == tx.ID() {
			t.Errorf("%s changed but TxID did not", name)
		}
	}
	wrong := tx.Clone()
	if err := wrong.Sign(testKey(t, 9)); !errors.Is(err, ErrWrongSigner) {
		t.Fatalf("signing with a foreign key: %v", err)
	}
	_ = k
	cb := NewCoinbase(1337, testKey(t, 4).Address(), 7, 5e9)
	if !cb.IsCoinbase() || tx.IsCoinbase() || cb.Nonce != 7 || cb.Fee != 0 || cb.Sig != (keys.Signature{}) {
		t.Fatal("coinbase shape wrong")
	}
}

func TestRoundTripProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		tx := genTx(t, "tx")
		b := tx.Encode()
		back, err := DecodeTx(b)
		if err != nil {
			t.Fatalf("decode(encode(tx)): %v", err)
		}
		if !reflect.DeepEqual(back, tx) {
			t.Fatalf("decode(encode(tx)) != tx")
		}
		if !bytes.Equal(back.Encode(), b) {
			t.Fatalf("encode(decode(b)) != b")
		}

		h := genHeader(t)
		hb := h.Encode()
		hback, err := DecodeHeader(hb)
		if err != nil || *hback != h {
			t.Fatalf("header round trip: %v", err)
		}

		n := rapid.IntRange(0, 8).Draw(t, "ntx")
		blk := &Block{Header: h}
		for i := 0; i < n; i++ {
			blk.Txs = append(blk.Txs, genTx(t, "btx"))
		}
		bb := blk.Encode()
		if len(bb) != blk.Size() {
			t.Fatalf("Size %d, encoding %d", blk.Size(), len(bb))
		}
		bback, err := DecodeBlock(bb)
		if err != nil {
			t.Fatalf("block round trip: %v", err)
		}
		if !reflect.DeepEqual(bback, blk) || !bytes.Equal(bback.Encode(), bb) {
			t.Fatalf("block round trip mismatch")
		}
	})
}

func TestDecodeRejects(t *testing.T) {
	tx, _ := signedTx(t)
	good := tx.Encode()
	check := func(name string, b []byte, want error) {
		t.Helper()
		if _, err := DecodeTx(b); !errors.Is(err, want) {
			t.Errorf("%s: err %v, want %v", name, err, want)
		}
	}
	check("trailing", append(bytes.Clone(good), 0), codec.ErrTrailing)
	for cut := 0; cut < len(good); cut++ {
		if _, err := DecodeTx(good[:cut]); err == nil {
			t.Fatalf("truncated to %d bytes accepted", cut)
		}
	}
	long := tx.Clone()
	long.Memo = bytes.Repeat([]byte{'m'}, MaxMemo+1)
	check("memo 65", long.Encode(), codec.ErrOverCap)
	long.Memo = long.Memo[:MaxMemo]
	if _, err := DecodeTx(long.Encode()); err != nil {
		t.Errorf("memo of exactly 64 rejected: %v", err)
	}
	// Non-minimal memo length: 0x02 -> 0x82 0x00.
	nm := append(bytes.Clone(good[:93]), 0x82, 0x00)
	nm = append(nm, good[94:]...)
	check("non-minimal memo length", nm, codec.ErrNonMinimal)
	check("oversize", make([]byte, MaxTxSize+1), ErrTooLarge)

	h := Header{Version: 1}
	hb := h.Encode()
	if _, err := DecodeHeader(hb[:243]); !errors.Is(err, codec.ErrShort) {
		t.Errorf("243-byte header: %v", err)
	}
	if _, err := DecodeHeader(append(bytes.Clone(hb), 0)); err == nil {
		t.Errorf("245-byte header accepted")
	}

	blk := &Block{Header: h, Txs: []*Tx{tx}}
	bb := blk.Encode()
	if _, err := DecodeBlock(append(bytes.Clone(bb), 0)); !errors.Is(err, codec.ErrTrailing) {
		t.Errorf("block trailing: %v", err)
	}
	// Count larger than the transactions present.
	lie := append(bytes.Clone(bb[:HeaderSize]), 2)
	lie = append(lie, bb[HeaderSize+1:]...)
	if _, err := DecodeBlock(lie); !errors.Is(err, codec.ErrShort) {
		t.Errorf("count 2 with one tx: %v", err)
	}
	// Count over MaxBlockTxs, even with enough bytes behind it.
	over := append(bytes.Clone(bb[:HeaderSize]), codec.AppendUvarint(nil, MaxBlockTxs+1)...)
	if _, err := DecodeBlock(over); !errors.Is(err, codec.ErrOverCap) {
		t.Errorf("1001 txs: %v", err)
	}
	if _, err := DecodeBlock(make([]byte, MaxBlockSize+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversize block: %v", err)
	}
	// A block of MaxBlockTxs minimal transactions fits the size cap and decodes.
	full := &Block{Header: h}
	for i := 0; i < MaxBlockTxs; i++ {
		full.Txs = append(full.Txs, &Tx{Version: 1, Nonce: uint64(i)})
	}
	if _, err := DecodeBlock(full.Encode()); err != nil {
		t.Errorf("1000-tx block rejected: %v", err)
	}
}

func TestTxRoot(t *testing.T) {
	a, _ := signedTx(t)
	b := a.Clone()
	b.Nonce++
	c := NewCoinbase(1, keys.Address{1}, 1, 1)
	ids := []hashx.Hash{c.ID(), a.ID(), b.ID()}
	want := hashx.MerkleRoot([][]byte{ids[0][:], ids[1][:], ids[2][:]})
	if got := TxRoot([]*Tx{c, a, b}); got != want || TxRootFromIDs(ids) != want {
		t.Fatal("TxRoot is not the RFC 6962 root over TxIDs")
	}
	if TxRoot([]*Tx{c, b, a}) == want {
		t.Fatal("TxRoot ignores transaction order")
	}
	if TxRoot(nil) != hashx.EmptyRoot {
		t.Fatal("empty TxRoot")
	}
	blk := Block{Txs: []*Tx{c, a, b}}
	if !reflect.DeepEqual(blk.TxIDs(), ids) {
		t.Fatal("TxIDs order")
	}
}

func TestHeaderHasher(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := genHeader(t)
		hh := NewHeaderHasher(&h)
		for i := 0; i < 4; i++ {
			n := rapid.Uint64().Draw(t, "nonce")
			c := h
			c.Nonce = n
			if hh.Hash(n) != c.Hash() {
				t.Fatalf("midstate hash differs for nonce %d", n)
			}
		}
	})
}

func TestTarget(t *testing.T) {
	for _, k := range []uint{0, 1, 7, 8, 200, 236, 240, 255} {
		tg := TargetPow2(k)
		want := new(big.Int).Lsh(big.NewInt(1), k)
		if tg.Big().Cmp(want) != 0 {
			t.Fatalf("TargetPow2(%d) = %s", k, tg)
		}
		back, err := TargetFromBig(want)
		if err != nil || back != tg {
			t.Fatal("TargetFromBig round trip")
		}
	}
	if _, err := TargetFromBig(new(big.Int).Lsh(big.NewInt(1), 256)); err == nil {
		t.Fatal("2^256 accepted as target")
	}
	if _, err := TargetFromBig(big.NewInt(-1)); err == nil {
		t.Fatal("negative target accepted")
	}
	tg := TargetPow2(240)
	var h hashx.Hash
	h[1] = 1 // exactly 2^240
	if !tg.Meets(h) {
		t.Fatal("hash == target must meet it")
	}
	h[31] = 1
	if tg.Meets(h) {
		t.Fatal("hash > target met it")
	}
	var u Target
	if err := u.UnmarshalText([]byte(tg.String())); err != nil || u != tg {
		t.Fatal("target text round trip")
	}
	rapid.Check(t, func(t *rapid.T) {
		a, b := Target(genBytes32(t, "a")), Target(genBytes32(t, "b"))
		if a.Cmp(b) != a.Big().Cmp(b.Big()) {
			t.Fatal("Cmp disagrees with big.Int")
		}
	})
}

func TestAccountEncoding(t *testing.T) {
	a := Account{Balance: 1<<63 + 5, Nonce: 9}
	back, err := DecodeAccount(a.Encode())
	if err != nil || back != a {
		t.Fatal("account round trip")
	}
	if _, err := DecodeAccount(make([]byte, 15)); err == nil {
		t.Fatal("15-byte account accepted")
	}
	addr := keys.Address{7}
	leaf := AccountLeaf(addr, a)
	if len(leaf) != 48 || !bytes.Equal(leaf[:32], addr[:]) || !bytes.Equal(leaf[32:], a.Encode()) {
		t.Fatal("account leaf is not addr || balance || nonce")
	}
	if !(Account{}).IsEmpty() || a.IsEmpty() {
		t.Fatal("IsEmpty")
	}
}
