package store

import (
	"bytes"
	"errors"
	"fmt"
)

// Conformance runs the behaviour every Store implementation must have on
// an empty store s, returning the first violation. Tests of each
// implementation call it (gonum-style conformance suite).
func Conformance(s Store) error {
	k := func(i int) []byte { return []byte(fmt.Sprintf("k%03d", i)) }
	// Round trip and overwrite.
	if err := s.Update(func(tx Tx) error {
		if !tx.Writable() {
			return errors.New("update transaction not writable")
		}
		for i := 0; i < 20; i += 2 {
			if err := tx.Put(Blocks, k(i), []byte{byte(i)}); err != nil {
				return err
			}
		}
		if err := tx.Put(Blocks, k(4), []byte("four")); err != nil {
			return err
		}
		if got := tx.Get(Blocks, k(4)); string(got) != "four" {
			return fmt.Errorf("read-your-writes: got %q", got)
		}
		return tx.Put(Meta, []byte("empty"), nil)
	}); err != nil {
		return err
	}
	// A failed update leaves no trace.
	boom := errors.New("boom")
	if err := s.Update(func(tx Tx) error {
		if err := tx.Put(Blocks, k(1), []byte("x")); err != nil {
			return err
		}
		if err := tx.Delete(Blocks, k(0)); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		return fmt.Errorf("failed update returned %v", err)
	}
	return s.View(func(tx Tx) error {
		if tx.Writable() {
			return errors.New("view transaction writable")
		}
		if err := tx.Put(Blocks, k(99), []byte{1}); !errors.Is(err, ErrReadOnly) {
			return fmt.Errorf("put in a view: %v", err)
		}
		if tx.Get(Blocks, k(1)) != nil || tx.Get(Blocks, k(0)) == nil {
			return errors.New("rolled-back update is visible")
		}
		if v := tx.Get(Meta, []byte("empty")); v == nil || len(v) != 0 {
			return fmt.Errorf("empty value read back as %v", v)
		}
		if tx.Get(Accounts, k(0)) != nil {
			return errors.New("key visible in the wrong bucket")
		}
		var got []string
		if err := tx.ForEach(Blocks, func(key, v []byte) error {
			got = append(got, string(key))
			return nil
		}); err != nil {
			return err
		}
		if len(got) != 10 || got[0] != "k000" || got[9] != "k018" {
			return fmt.Errorf("ForEach order %v", got)
		}
		stop := errors.New("stop")
		n := 0
		if err := tx.ForEach(Blocks, func(key, v []byte) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
			return fmt.Errorf("ForEach did not stop at the first error")
		}
		for _, c := range []struct {
			key, want string
		}{{"k005", "k004"}, {"k006", "k006"}, {"k999", "k018"}, {"a", ""}, {"k000", "k000"}} {
			fk, fv := tx.Floor(Blocks, []byte(c.key))
			if string(fk) != c.want {
				return fmt.Errorf("Floor(%s) = %q, want %q", c.key, fk, c.want)
			}
			if c.want == "k004" && !bytes.Equal(fv, []byte("four")) {
				return fmt.Errorf("Floor value %q", fv)
			}
		}
		return nil
	})
}
