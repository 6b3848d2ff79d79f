package types

import (
	"bytes"
	"testing"
)

// Every decoder: never panics; accepted input re-encodes to identical bytes.

func seedTxs(f *testing.F) {
	tx, _ := signedTx(f)
	f.Add(tx.Encode())
	f.Add(NewCoinbase(1, [32]byte{9}, 10, 5e9).Encode())
}

func FuzzDecodeTx(f *testing.F) {
	seedTxs(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		tx, err := DecodeTx(b)
		if err != nil {
			return
		}
		if !bytes.Equal(tx.Encode(), b) {
			t.Fatalf("accepted %x, re-encodes to %x", b, tx.Encode())
		}
		if tx.Size() != len(b) {
			t.Fatalf("Size %d for %d bytes", tx.Size(), len(b))
		}
	})
}

func FuzzDecodeHeader(f *testing.F) {
	h := Header{Version: 1, Height: 5, Time: 1700000000000, Target: TargetPow2(240)}
	f.Add(h.Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := DecodeHeader(b)
		if err != nil {
			return
		}
		if !bytes.Equal(h.Encode(), b) {
			t.Fatalf("accepted %x, re-encodes to %x", b, h.Encode())
		}
	})
}

func FuzzDecodeBlock(f *testing.F) {
	tx, _ := signedTx(f)
	blk := &Block{Header: Header{Version: 1, Height: 1}, Txs: []*Tx{NewCoinbase(1, [32]byte{9}, 1, 5e9), tx}}
	f.Add(blk.Encode())
	f.Add((&Block{Header: Header{Version: 1}}).Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		blk, err := DecodeBlock(b)
		if err != nil {
			return
		}
		if !bytes.Equal(blk.Encode(), b) {
			t.Fatalf("accepted %x, re-encodes to %x", b, blk.Encode())
		}
		if blk.Size() != len(b) || len(blk.Txs) > MaxBlockTxs {
			t.Fatalf("Size %d for %d bytes, %d txs", blk.Size(), len(b), len(blk.Txs))
		}
	})
}
