package p2p

import (
	"bufio"
	"bytes"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/types"
)

func TestFrameCaps(t *testing.T) {
	var buf bytes.Buffer
	if err := writeFrame(&buf, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	got, err := readFrame(bufio.NewReader(bytes.NewReader(buf.Bytes())), 5)
	if err != nil || string(got) != "hello" {
		t.Fatalf("round trip: %q %v", got, err)
	}
	// One byte over the cap is refused before the body is read.
	if _, err := readFrame(bufio.NewReader(bytes.NewReader(buf.Bytes())), 4); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("want ErrFrameTooLarge, got %v", err)
	}
	// A 2^62-byte announcement with no body: refused, nothing allocated.
	huge := []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40}
	if _, err := readFrame(bufio.NewReader(bytes.NewReader(huge)), MaxBlocksRespSize); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("want ErrFrameTooLarge, got %v", err)
	}
	// A truncated body is an error.
	if _, err := readFrame(bufio.NewReader(bytes.NewReader(buf.Bytes()[:4])), 5); err == nil {
		t.Fatal("truncated frame accepted")
	}
}

func TestMessagesRoundTrip(t *testing.T) {
	st := &Status{GenesisHash: hashx.Sum([]byte("g")), ProtoVersion: ProtoVersion, BestHash: hashx.Sum([]byte("b")),
		BestHeight: 77, ChainWork: new(big.Int).Lsh(big.NewInt(3), 200)}
	got, err := decodeStatus(st.encode())
	if err != nil || got.BestHash != st.BestHash || got.BestHeight != 77 || got.ChainWork.Cmp(st.ChainWork) != 0 ||
		got.GenesisHash != st.GenesisHash {
		t.Fatalf("status round trip: %+v %v", got, err)
	}
	enc := st.encode()
	if _, err := decodeStatus(append(enc, 0)); err == nil {
		t.Fatal("trailing byte accepted")
	}
	bad := append([]byte{}, enc...)
	bad[0] = 9
	if _, err := decodeStatus(bad); !errors.Is(err, ErrBadVersion) {
		t.Fatalf("version: %v", err)
	}

	q := &headersReq{Locator: []hashx.Hash{hashx.Sum([]byte("a")), hashx.Sum([]byte("b"))}, Max: 512}
	gq, err := decodeHeadersReq(q.encode())
	if err != nil || len(gq.Locator) != 2 || gq.Locator[1] != q.Locator[1] || gq.Max != 512 {
		t.Fatalf("headers request: %+v %v", gq, err)
	}
	q.Max = 513
	if _, err := decodeHeadersReq(q.encode()); err == nil {
		t.Fatal("Max 513 accepted")
	}
	q.Max = 1
	q.Locator = make([]hashx.Hash, MaxLocatorLen+1)
	if _, err := decodeHeadersReq(q.encode()); err == nil {
		t.Fatal("33-hash locator accepted")
	}

	hs := []types.Header{{Version: 1, Height: 5, Time: 9}, {Version: 1, Height: 6, Time: 10}}
	gh, err := decodeHeaders(encodeHeaders(hs))
	if err != nil || len(gh) != 2 || gh[1].Hash() != hs[1].Hash() {
		t.Fatalf("headers: %v", err)
	}
	ids := []hashx.Hash{hashx.Sum([]byte("x"))}
	if g, err := decodeHashes(encodeHashes(ids), MaxBlocksPerMsg); err != nil || g[0] != ids[0] {
		t.Fatalf("hashes: %v", err)
	}
	if _, err := decodeHashes(encodeHashes(make([]hashx.Hash, 17)), MaxBlocksPerMsg); err == nil {
		t.Fatal("17 hashes accepted")
	}
}

func TestBanScores(t *testing.T) {
	now := time.Unix(1000, 0)
	b := newBans(DefaultBanThreshold, time.Hour, false, func() time.Time { return now })
	p := peer.ID("p")
	if banned, _ := b.add(p, PenaltyMalformed, "x", nil); banned {
		t.Fatal("banned at 50")
	}
	if banned, newly := b.add(p, PenaltyMalformed, "x", nil); !banned || !newly {
		t.Fatal("not banned at 100")
	}
	if !b.banned(p) {
		t.Fatal("ban not in force")
	}
	now = now.Add(2 * time.Hour)
	if b.banned(p) {
		t.Fatal("ban did not expire")
	}
	// Five bad signatures (20 each) reach the threshold; policy codes
	// cost nothing.
	q := peer.ID("q")
	for i := 0; i < 4; i++ {
		b.add(q, txPenalty(consensus.ErrBadSignature), "sig", nil)
	}
	if b.banned(q) {
		t.Fatal("banned after 80")
	}
	b.add(q, txPenalty(consensus.ErrNonceGap), "gap", nil)
	if b.banned(q) {
		t.Fatal("policy code was punished")
	}
	b.add(q, txPenalty(consensus.ErrBadSignature), "sig", nil)
	if !b.banned(q) {
		t.Fatal("not banned after 100")
	}
	if blockPenalty(consensus.ErrBadModelRoot) != PenaltyInvalid || blockPenalty(consensus.ErrDuplicateBlock) != 0 {
		t.Fatal("block penalties")
	}
	b.setDeny([]peer.ID{"r"})
	if !b.banned("r") {
		t.Fatal("deny list not enforced")
	}
	b.setDeny(nil)
	if b.banned("r") {
		t.Fatal("deny list not lifted")
	}
}

func TestBanFile(t *testing.T) {
	now := time.Unix(1000, 0)
	clock := func() time.Time { return now }
	path := t.TempDir() + "/bans.json"
	b := newBans(DefaultBanThreshold, time.Hour, false, clock)
	p := peer.ID("12D3KooWLSnakaKnTdNovMNcoUd5J4Qp3bHjNmGx2oXEm1k7Qzko")
	if pid, err := peer.Decode(string(p)); err == nil {
		p = pid
	} else {
		t.Fatal(err)
	}
	b.add(p, PenaltyInvalid, "bad block", nil)
	if err := b.save(path); err != nil {
		t.Fatal(err)
	}
	b2 := newBans(DefaultBanThreshold, time.Hour, false, clock)
	if err := b2.load(path); err != nil {
		t.Fatal(err)
	}
	if !b2.banned(p) {
		t.Fatal("ban not restored")
	}
	now = now.Add(2 * time.Hour)
	b3 := newBans(DefaultBanThreshold, time.Hour, false, clock)
	if err := b3.load(path); err != nil || b3.banned(p) {
		t.Fatalf("expired ban restored (%v)", err)
	}
}
