package boltstore

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/sketchwork/sketchwork/ledger/store"
)

func open(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(path, Options{NoSync: true}) // throwaway test file
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestConformance(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "c.db"))
	defer db.Close()
	if err := store.Conformance(db); err != nil {
		t.Fatal(err)
	}
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestSecondOpenFailsClearly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock.db")
	db := open(t, path)
	defer db.Close()
	start := time.Now()
	db2, err := Open(path, Options{Timeout: 200 * time.Millisecond})
	if err == nil {
		db2.Close()
		t.Fatal("second open succeeded")
	}
	if !errors.Is(err, store.ErrLocked) {
		t.Fatalf("error %v does not wrap ErrLocked", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("second open took %v", d)
	}
	t.Log(err)
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "re.db")
	db := open(t, path)
	if err := db.Update(func(tx store.Tx) error { return tx.Put(store.Meta, []byte("x"), []byte("y")) }); err != nil {
		t.Fatal(err)
	}
	// A value retained past its transaction must be copied first: read
	// inside, copy out.
	var v []byte
	db.View(func(tx store.Tx) error { v = append(v, tx.Get(store.Meta, []byte("x"))...); return nil })
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = open(t, path)
	defer db.Close()
	db.View(func(tx store.Tx) error {
		if string(tx.Get(store.Meta, []byte("x"))) != "y" || string(v) != "y" {
			t.Error("value lost across reopen")
		}
		return nil
	})
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	if n, err := db.Stat(); err != nil || n == 0 {
		t.Fatalf("stat %d %v", n, err)
	}
}
