package corpus

import (
	_ "embed"
	"sync"
)

//go:embed data/corpus.txt
var embeddedText []byte

// EmbeddedRootHex is the CorpusRoot of the embedded corpus, the value a
// genesis file pins (gradientcoin.md §4.3). A test recomputes it.
const EmbeddedRootHex = "b8da9b637a08b8d0d783064c6aa56a4f88811bf84c6013c59c3b536a3bbba3da"

// EmbeddedText returns a copy of the embedded corpus text (data/corpus.txt).
func EmbeddedText() []byte { return append([]byte(nil), embeddedText...) }

var embedded = sync.OnceValue(func() *Corpus {
	c, err := New(embeddedText)
	if err != nil {
		panic("corpus: embedded corpus is invalid: " + err.Error())
	}
	return c
})

// Embedded returns the corpus built from the embedded text, computed once
// and shared (a Corpus is immutable).
func Embedded() *Corpus { return embedded() }
