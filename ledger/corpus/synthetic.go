package corpus

import (
	"crypto/sha256"
	"encoding/binary"
)

// Synthetic returns n bytes of deterministic English-like text: sentences
// drawn from a small seeded grammar over a few hundred common words, with
// capitals, commas, quotes and questions, grouped into paragraphs and
// wrapped at 72 columns. The same (seed, n) gives the same bytes on every
// machine (randomness is SHA-256 in counter mode, tagged "gc/synth/v1").
// It serves tests that need a small corpus with English-like statistics
// (gradientcoin.md §4.3 allows either a text or such a generator).
func Synthetic(seed uint64, n int) []byte {
	g := synth{seed: seed}
	out := make([]byte, 0, n+128)
	col := 0
	word := func(w string) {
		if col > 0 && col+1+len(w) > 72 {
			out = append(out, '\n')
			col = 0
		} else if col > 0 {
			out = append(out, ' ')
			col++
		}
		out = append(out, w...)
		col += len(w)
	}
	for len(out) < n {
		sentences := 3 + g.intn(5)
		for s := 0; s < sentences; s++ {
			for _, w := range g.sentence() {
				word(w)
			}
		}
		out = append(out, '\n', '\n')
		col = 0
	}
	return out[:n]
}

type synth struct {
	seed, ctr uint64
	buf       [32]byte
	pos       int
}

func (g *synth) next() uint64 {
	if g.pos == 0 {
		var in [11 + 16]byte
		copy(in[:], "gc/synth/v1")
		binary.LittleEndian.PutUint64(in[11:], g.seed)
		binary.LittleEndian.PutUint64(in[19:], g.ctr)
		g.ctr++
		g.buf = sha256.Sum256(in[:])
	}
	v := binary.LittleEndian.Uint64(g.buf[g.pos:])
	g.pos = (g.pos + 8) % 32
	return v
}

func (g *synth) intn(n int) int { return int(g.next() % uint64(n)) }

func (g *synth) pick(list []string) string { return list[g.intn(len(list))] }

var (
	synDets   = []string{"the", "the", "the", "a", "a", "this", "that", "every", "one", "some", "his", "her", "their", "our"}
	synAdjs   = []string{"old", "small", "green", "quiet", "long", "dark", "bright", "cold", "warm", "slow", "quick", "honest", "young", "grey", "heavy", "little", "great", "wet", "clear", "careful"}
	synNouns  = []string{"river", "bridge", "miller", "baker", "town", "garden", "road", "child", "horse", "house", "church", "field", "boat", "market", "stone", "book", "tree", "wheel", "cart", "smith", "clock", "measure", "winter", "morning", "teacher", "farmer", "woman", "man", "bee", "apple", "fire", "window", "letter", "record", "hill", "mill", "sheep", "bread", "water", "sea"}
	synVerbs  = []string{"saw", "found", "kept", "carried", "built", "watched", "checked", "counted", "heard", "crossed", "mended", "opened", "followed", "remembered", "wrote", "sold", "brought", "loved", "measured", "left"}
	synIntrV  = []string{"waited", "slept", "laughed", "walked", "worked", "stood", "listened", "smiled", "argued", "sang"}
	synPreps  = []string{"by", "near", "under", "over", "across", "beside", "behind", "along", "into", "from", "with", "at"}
	synConjs  = []string{"and", "but", "so", "while", "because", "when"}
	synAdvs   = []string{"slowly", "again", "always", "never", "often", "carefully", "quietly", "at last", "every day", "in the evening"}
	synNames  = []string{"Ann", "Thomas", "Martha", "John", "Sarah", "Walter", "Edmund", "David", "Peter", "Paul"}
	synSpeech = []string{"said", "asked", "answered", "called", "whispered"}
)

func (g *synth) nounPhrase() []string {
	if g.intn(6) == 0 {
		return []string{g.pick(synNames)}
	}
	p := []string{g.pick(synDets)}
	if g.intn(2) == 0 {
		p = append(p, g.pick(synAdjs))
	}
	n := g.pick(synNouns)
	if g.intn(5) == 0 {
		n += "s"
	}
	return append(p, n)
}

func (g *synth) clause() []string {
	c := g.nounPhrase()
	if g.intn(3) == 0 {
		c = append(c, g.pick(synIntrV))
	} else {
		c = append(c, g.pick(synVerbs))
		c = append(c, g.nounPhrase()...)
	}
	if g.intn(2) == 0 {
		c = append(c, g.pick(synPreps))
		c = append(c, g.nounPhrase()...)
	}
	if g.intn(4) == 0 {
		c = append(c, g.pick(synAdvs))
	}
	return c
}

func capitalize(w string) string {
	if w != "" && w[0] >= 'a' && w[0] <= 'z' {
		return string(w[0]-'a'+'A') + w[1:]
	}
	return w
}

func (g *synth) sentence() []string {
	s := g.clause()
	if g.intn(3) == 0 {
		s[len(s)-1] += ","
		s = append(s, g.pick(synConjs))
		s = append(s, g.clause()...)
	}
	s[0] = capitalize(s[0])
	end := "."
	if g.intn(8) == 0 {
		end = "?"
	}
	s[len(s)-1] += end
	if g.intn(7) == 0 { // quoted speech
		s[0] = "\"" + s[0]
		s[len(s)-1] = s[len(s)-1][:len(s[len(s)-1])-1] + ",\""
		s = append(s, g.pick(synSpeech), g.pick(synNames)+".")
	}
	return s
}
