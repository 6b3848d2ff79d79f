package store

import (
	"bytes"
	"math/big"
	"testing"

	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/model"
	"github.com/sketchwork/sketchwork/ledger/state"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// newMem returns a memory store whose consistency is checked at cleanup
// (bbolt btesting style).
func newMem(t *testing.T) *Memory {
	m := NewMemory()
	t.Cleanup(func() {
		if err := m.Check(); err != nil {
			t.Errorf("consistency check: %v", err)
		}
	})
	return m
}

func TestMemoryConformance(t *testing.T) {
	if err := Conformance(newMem(t)); err != nil {
		t.Fatal(err)
	}
}

func TestMemoryPoisonsHandedSlices(t *testing.T) {
	m := newMem(t)
	if err := m.Update(func(tx Tx) error { return tx.Put(Blocks, []byte("k"), []byte("value")) }); err != nil {
		t.Fatal(err)
	}
	var kept []byte
	if err := m.View(func(tx Tx) error {
		kept = tx.Get(Blocks, []byte("k"))
		if string(kept) != "value" {
			t.Fatalf("got %q", kept)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(kept, bytes.Repeat([]byte{0xEE}, 5)) {
		t.Fatalf("retained slice not poisoned: %q", kept)
	}
	// The stored value itself is intact.
	m.View(func(tx Tx) error {
		if string(tx.Get(Blocks, []byte("k"))) != "value" {
			t.Fatal("stored value damaged by poisoning")
		}
		return nil
	})
}

func TestMemoryViewIsSnapshot(t *testing.T) {
	m := newMem(t)
	m.Update(func(tx Tx) error { return tx.Put(Meta, []byte("a"), []byte{1}) })
	entered := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error)
	go func() {
		done <- m.Update(func(tx Tx) error {
			tx.Put(Meta, []byte("a"), []byte{2})
			close(entered)
			<-release
			return nil
		})
	}()
	<-entered
	// A view during the update neither blocks nor sees its writes.
	m.View(func(tx Tx) error {
		if v := tx.Get(Meta, []byte("a")); !bytes.Equal(v, []byte{1}) {
			t.Errorf("view saw %v during an update", v)
		}
		return nil
	})
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	m.View(func(tx Tx) error {
		if v := tx.Get(Meta, []byte("a")); !bytes.Equal(v, []byte{2}) {
			t.Errorf("committed value %v", v)
		}
		return nil
	})
	m.Close()
	if err := m.View(func(Tx) error { return nil }); err != ErrClosed {
		t.Fatalf("view after close: %v", err)
	}
	m.data = NewMemory().data // let the cleanup check run on an open store
	m.closed = false
}

func TestHeaderRecordRoundTrip(t *testing.T) {
	h := types.Header{Version: 1, Height: 77, Time: 123, Nonce: 9, LossBefore: -5}
	h.Miner[3] = 7
	r := &HeaderRecord{Header: h, Work: new(big.Int).Lsh(big.NewInt(3), 200), Status: StatusHeader | StatusBody | StatusInvalid,
		Code: consensus.ErrBadModelRoot}
	enc := r.Encode()
	if len(enc) != HeaderRecordSize {
		t.Fatalf("size %d", len(enc))
	}
	got, err := DecodeHeaderRecord(enc)
	if err != nil {
		t.Fatal(err)
	}
	if got.Header != h || got.Work.Cmp(r.Work) != 0 || got.Status != r.Status || got.Code != r.Code {
		t.Fatalf("round trip: %+v", got)
	}
	bad := append([]byte(nil), enc...)
	bad[types.HeaderSize] ^= 1 // height disagrees with the header
	if _, err := DecodeHeaderRecord(bad); err == nil {
		t.Fatal("inconsistent height accepted")
	}
	bad = append([]byte(nil), enc...)
	bad[len(bad)-2] = 0 // status without the header bit
	if _, err := DecodeHeaderRecord(bad); err == nil {
		t.Fatal("status 0 accepted")
	}
	if _, err := DecodeHeaderRecord(enc[1:]); err == nil {
		t.Fatal("short record accepted")
	}
}

func TestSnapshotPolicy(t *testing.T) {
	// Simulate connecting heights 1..3000 and check which snapshots remain.
	kept := map[uint64]bool{0: true}
	for h := uint64(1); h <= 3000; h++ {
		if SnapshotDue(h) {
			kept[h] = true
		}
		if s, ok := snapshotPrunedBy(h); ok {
			delete(kept, s)
		}
	}
	for s := range kept {
		depth := 3000 - s
		if s%16 != 0 || depth > 1000 && s%256 != 0 {
			t.Errorf("snapshot at %d (depth %d) kept", s, depth)
		}
	}
	for s := uint64(0); s <= 3000; s += 256 {
		if !kept[s] {
			t.Errorf("sparse snapshot at %d pruned", s)
		}
	}
	for s := uint64(2000); s <= 3000; s += 16 {
		if !kept[s] {
			t.Errorf("dense snapshot at %d pruned", s)
		}
	}
}

func TestConnectDisconnectBatches(t *testing.T) {
	m := newMem(t)
	a, b := keys.Address{1}, keys.Address{2}
	w := model.NewGenesis()
	w.Set(3, 4, 99)
	hdr := types.Header{Version: 1, Height: 16}
	hash := hdr.Hash()
	undo := &state.Undo{Entries: []state.UndoEntry{{Addr: a, Existed: true, Prev: types.Account{Balance: 5}}, {Addr: b}}}
	ids := []hashx.Hash{{9}, {10}}
	parent := hashx.Hash{7}
	before := m.Commits()
	if err := m.Update(func(tx Tx) error {
		tx.Put(Accounts, a[:], types.Account{Balance: 5}.Encode())
		return WriteConnect(tx, &ConnectBatch{Hash: hash, Record: &HeaderRecord{Header: hdr, Work: big.NewInt(5), Status: StatusHeader | StatusBody | StatusValid},
			Block: []byte("body"), Changes: []state.Entry{{Addr: a}, {Addr: b, Acct: types.Account{Balance: 3, Nonce: 1}}},
			Undo: undo, Weights: w, TxIDs: ids})
	}); err != nil {
		t.Fatal(err)
	}
	if m.Commits() != before+1 {
		t.Fatal("connect was not one transaction")
	}
	m.View(func(tx Tx) error {
		if tip, ok, _ := ReadMetaHash(tx, KeyTip); !ok || tip != hash {
			t.Error("tip not set")
		}
		es, _ := ReadAccounts(tx)
		if len(es) != 1 || es[0].Addr != b || es[0].Acct.Balance != 3 {
			t.Errorf("accounts %+v", es)
		}
		sh, sHash, sw, ok, err := ReadSnapshot(tx, 100)
		if err != nil || !ok || sh != 16 || sHash != hash || !sw.Equal(w) {
			t.Errorf("snapshot %d %v %v", sh, ok, err)
		}
		if _, _, _, ok, _ := ReadSnapshot(tx, 15); ok {
			t.Error("snapshot found below its height")
		}
		u, err := ReadUndo(tx, hash)
		if err != nil || len(u.Entries) != 2 {
			t.Errorf("undo %v", err)
		}
		loc, ok, _ := ReadTxLoc(tx, ids[1])
		if !ok || loc.Block != hash || loc.Index != 1 {
			t.Errorf("txloc %+v", loc)
		}
		return nil
	})
	if err := m.Update(func(tx Tx) error {
		return WriteDisconnect(tx, &DisconnectBatch{Hash: hash, Height: 16, Parent: parent, Undo: undo, TxIDs: ids})
	}); err != nil {
		t.Fatal(err)
	}
	m.View(func(tx Tx) error {
		if tip, _, _ := ReadMetaHash(tx, KeyTip); tip != parent {
			t.Error("tip not reset")
		}
		es, _ := ReadAccounts(tx)
		if len(es) != 1 || es[0].Addr != a || es[0].Acct.Balance != 5 {
			t.Errorf("accounts after disconnect %+v", es)
		}
		for _, bk := range []Bucket{Heights, Snapshots} {
			if tx.Get(bk, HeightKey(16)) != nil {
				t.Errorf("%s entry left", bk)
			}
		}
		if tx.Get(Undo, hash[:]) != nil || tx.Get(TxIndex, ids[0][:]) != nil {
			t.Error("undo or txloc left")
		}
		if tx.Get(Blocks, hash[:]) == nil || tx.Get(Headers, hash[:]) == nil {
			t.Error("header or body removed")
		}
		return nil
	})
}
