// Package corpus is GradientCoin's pinned training text and the
// deterministic choice of training and verification windows
// (papers/gradientcoin.md sections 3.5 and 4.3).
//
// # Symbols
//
// The vocabulary has V = 96 symbols: bytes 32..126 map to 0..94, '\n' to 95
// (Newline) and every other byte to the symbol of '?' (Unknown). Normalize
// maps text to symbols; Text maps back.
//
// # Corpus, root, windows and split
//
// New(text) builds an immutable Corpus. Its CorpusRoot is the RFC 6962
// Merkle root (ledger/hashx) over 4 KiB chunks of the symbol stream, one
// byte per symbol; a genesis file pins it and nodes refuse a corpus with a
// different root. Window i (0 <= i < Len()-3) has context C3 = s[i],
// C2 = s[i+1], C1 = s[i+2] (C1 the most recent) and target Y = s[i+3].
// Window i is held out when (i/4096) % 10 == 0; all others are training
// windows. EvalSet(n) is the first n held-out windows, the fixed evaluation
// set of eval_loss (n = EvalWindows = 2048, section 10.4).
//
// # Selection
//
// From a list L with seed s (a 32-byte hash), selection (k, j) picks
// L[uint64LE(SHA256("gc/idx/v1" || s || u64(k) || u64(j))[0:8]) mod len(L)],
// u64 being 8 little-endian bytes (SelectIndex). Step k of a training run
// with seed s uses TrainBatch(dst, s, k, B) = the training windows picked by
// (s, k, j) for j = 0..B-1. A block's verification batch is
// HeldOutBatch(dst, vseed, 0, VB) with vseed = H_"gc/verify/v1"(parent hash),
// drawn from the held-out split. Selection is with replacement.
//
// # The embedded corpus
//
// Embedded() is "The River Town", about 96 KB of plain English prose (a
// sequence of sketches, tales, songs and essays) written for this project
// and dedicated to the public domain, embedded with go:embed from
// data/corpus.txt. It uses only printable ASCII and newlines, so it
// normalises losslessly. Its root is EmbeddedRootHex. Synthetic(seed, n) is
// a deterministic English-like text generator for tests that want a small
// or seeded corpus.
//
// # Cost
//
// New is O(n) time and about 5 bytes of memory per symbol (the symbols and
// the two index lists); the root hashes the text once. Selecting one window
// is one SHA-256 compression of a 57-byte stack buffer (~0.4 us), so a
// training try's 8x64 + 256 selections cost about 0.3 ms; TrainBatch does
// not allocate when dst has room.
//
// Like the rest of the consensus path this package uses only the standard
// library and ledger/hashx, and integer arithmetic only.
package corpus
