package p2p

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/sketchwork/sketchwork/ledger/codec"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// ProtoVersion is the version byte that starts every payload (gossip and
// request/response) and the version a status message reports.
const ProtoVersion = 1

// Message caps (papers/gradientcoin.md section 6, "Message limits"). A
// frame above its cap is rejected before its body is read or allocated.
const (
	// MaxRequestSize caps any request frame.
	MaxRequestSize = 8 << 10
	// MaxStatusSize caps a status response.
	MaxStatusSize = 256
	// MaxHeadersPerMsg caps a headers response (and a request's Max).
	MaxHeadersPerMsg = 512
	// MaxHeadersRespSize caps a headers response frame.
	MaxHeadersRespSize = 16 + MaxHeadersPerMsg*types.HeaderSize
	// MaxBlocksPerMsg caps a blocks request and response.
	MaxBlocksPerMsg = 16
	// MaxBlocksRespSize caps a blocks response frame.
	MaxBlocksRespSize = 4 << 20
	// MaxGossipSize caps a gossip message (pubsub WithMaxMessageSize).
	MaxGossipSize = 512 << 10
	// MaxLocatorLen caps a locator.
	MaxLocatorLen = 32
	// maxWorkBytes caps the big-endian chain work of a status message.
	maxWorkBytes = 33
)

// ErrFrameTooLarge reports a frame whose announced length exceeds its cap.
var ErrFrameTooLarge = errors.New("p2p: frame over size cap")

// ErrBadVersion reports a payload whose version byte is not ProtoVersion.
var ErrBadVersion = errors.New("p2p: unknown payload version")

// writeFrame writes uvarint(len(p)) || p.
func writeFrame(w io.Writer, p []byte) error {
	var hdr [binary.MaxVarintLen64]byte
	n := binary.PutUvarint(hdr[:], uint64(len(p)))
	if _, err := w.Write(hdr[:n]); err != nil {
		return err
	}
	_, err := w.Write(p)
	return err
}

// readFrame reads one frame of at most max bytes. The length is checked
// before anything is allocated, so an oversize announcement costs nothing.
func readFrame(r *bufio.Reader, max int) ([]byte, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, err
	}
	if n > uint64(max) {
		return nil, fmt.Errorf("%w: %d > %d", ErrFrameTooLarge, n, max)
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		return nil, err
	}
	return p, nil
}

// Status is the answer of the status protocol: what a peer's best chain is.
type Status struct {
	GenesisHash  hashx.Hash
	ProtoVersion uint32
	BestHash     hashx.Hash
	BestHeight   uint64
	// ChainWork is the cumulative work of BestHash (never nil once decoded).
	ChainWork *big.Int
}

func (s *Status) encode() []byte {
	w := codec.NewWriter(128)
	w.U8(ProtoVersion)
	w.Raw(s.GenesisHash[:])
	w.U32(s.ProtoVersion)
	w.Raw(s.BestHash[:])
	w.U64(s.BestHeight)
	work := []byte(nil)
	if s.ChainWork != nil {
		work = s.ChainWork.Bytes()
	}
	w.VarBytes(work)
	return w.Bytes()
}

func decodeStatus(b []byte) (*Status, error) {
	r := codec.NewReader(b)
	if v := r.U8("version"); r.Err() == nil && v != ProtoVersion {
		return nil, ErrBadVersion
	}
	s := &Status{}
	r.Array("genesis", s.GenesisHash[:])
	s.ProtoVersion = r.U32("proto")
	r.Array("best", s.BestHash[:])
	s.BestHeight = r.U64("height")
	work := r.VarBytes("work", maxWorkBytes)
	if err := r.Finish(); err != nil {
		return nil, err
	}
	if len(work) > 0 && work[0] == 0 {
		return nil, errors.New("p2p: status chain work not minimal")
	}
	s.ChainWork = new(big.Int).SetBytes(work)
	return s, nil
}

// headersReq asks for the main-chain headers after the first locator hash
// the responder knows, up to StopHash (zero: no stop), at most Max.
type headersReq struct {
	Locator []hashx.Hash
	Stop    hashx.Hash
	Max     uint32
}

func (q *headersReq) encode() []byte {
	w := codec.NewWriter(8 + 32*len(q.Locator) + 40)
	w.U8(ProtoVersion)
	w.Uvarint(uint64(len(q.Locator)))
	for _, h := range q.Locator {
		w.Raw(h[:])
	}
	w.Raw(q.Stop[:])
	w.U32(q.Max)
	return w.Bytes()
}

func decodeHeadersReq(b []byte) (*headersReq, error) {
	r := codec.NewReader(b)
	if v := r.U8("version"); r.Err() == nil && v != ProtoVersion {
		return nil, ErrBadVersion
	}
	q := &headersReq{}
	n := r.Len("locator", MaxLocatorLen, hashx.Size)
	q.Locator = make([]hashx.Hash, n)
	for i := range q.Locator {
		r.Array("locator hash", q.Locator[i][:])
	}
	r.Array("stop", q.Stop[:])
	q.Max = r.U32("max")
	if err := r.Finish(); err != nil {
		return nil, err
	}
	if q.Max == 0 || q.Max > MaxHeadersPerMsg {
		return nil, fmt.Errorf("p2p: headers request max %d outside 1..%d", q.Max, MaxHeadersPerMsg)
	}
	return q, nil
}

func encodeHeaders(hs []types.Header) []byte {
	w := codec.NewWriter(4 + len(hs)*types.HeaderSize)
	w.U8(ProtoVersion)
	w.Uvarint(uint64(len(hs)))
	for i := range hs {
		hs[i].EncodeTo(w)
	}
	return w.Bytes()
}

func decodeHeaders(b []byte) ([]types.Header, error) {
	r := codec.NewReader(b)
	if v := r.U8("version"); r.Err() == nil && v != ProtoVersion {
		return nil, ErrBadVersion
	}
	n := r.Len("headers", MaxHeadersPerMsg, types.HeaderSize)
	if r.Err() != nil {
		return nil, r.Err()
	}
	raw := r.Raw("headers", n*types.HeaderSize)
	if err := r.Finish(); err != nil {
		return nil, err
	}
	hs := make([]types.Header, n)
	for i := range hs {
		h, err := types.DecodeHeader(raw[i*types.HeaderSize : (i+1)*types.HeaderSize])
		if err != nil {
			return nil, fmt.Errorf("p2p: header %d: %w", i, err)
		}
		hs[i] = *h
	}
	return hs, nil
}

func encodeHashes(hs []hashx.Hash) []byte {
	w := codec.NewWriter(4 + 32*len(hs))
	w.U8(ProtoVersion)
	w.Uvarint(uint64(len(hs)))
	for _, h := range hs {
		w.Raw(h[:])
	}
	return w.Bytes()
}

func decodeHashes(b []byte, max uint64) ([]hashx.Hash, error) {
	r := codec.NewReader(b)
	if v := r.U8("version"); r.Err() == nil && v != ProtoVersion {
		return nil, ErrBadVersion
	}
	n := r.Len("hashes", max, hashx.Size)
	hs := make([]hashx.Hash, n)
	for i := range hs {
		r.Array("hash", hs[i][:])
	}
	if err := r.Finish(); err != nil {
		return nil, err
	}
	return hs, nil
}

// encodeBlocks encodes a blocks response from already-encoded blocks.
func encodeBlocks(raw [][]byte) []byte {
	size := 4
	for _, b := range raw {
		size += len(b) + 4
	}
	w := codec.NewWriter(size)
	w.U8(ProtoVersion)
	w.Uvarint(uint64(len(raw)))
	for _, b := range raw {
		w.VarBytes(b)
	}
	return w.Bytes()
}

func decodeBlocks(b []byte) ([]*types.Block, error) {
	r := codec.NewReader(b)
	if v := r.U8("version"); r.Err() == nil && v != ProtoVersion {
		return nil, ErrBadVersion
	}
	n := r.Len("blocks", MaxBlocksPerMsg, types.HeaderSize+1)
	raws := make([][]byte, n)
	for i := range raws {
		raws[i] = r.VarBytes("block", types.MaxBlockSize)
	}
	if err := r.Finish(); err != nil {
		return nil, err
	}
	out := make([]*types.Block, n)
	for i, raw := range raws {
		blk, err := types.DecodeBlock(raw)
		if err != nil {
			return nil, fmt.Errorf("p2p: block %d: %w", i, err)
		}
		out[i] = blk
	}
	return out, nil
}

// EncodeBlockMsg returns the gossip payload of a block: version byte ||
// canonical block bytes.
func EncodeBlockMsg(b *types.Block) []byte {
	enc := b.Encode()
	out := make([]byte, 0, 1+len(enc))
	out = append(out, ProtoVersion)
	return append(out, enc...)
}

// EncodeTxMsg returns the gossip payload of a transaction.
func EncodeTxMsg(tx *types.Tx) []byte {
	enc := tx.Encode()
	out := make([]byte, 0, 1+len(enc))
	out = append(out, ProtoVersion)
	return append(out, enc...)
}

// decodeBlockMsg decodes a gossip block payload.
func decodeBlockMsg(p []byte) (*types.Block, error) {
	if len(p) == 0 || p[0] != ProtoVersion {
		return nil, ErrBadVersion
	}
	return types.DecodeBlock(p[1:])
}

// decodeTxMsg decodes a gossip transaction payload.
func decodeTxMsg(p []byte) (*types.Tx, error) {
	if len(p) == 0 || p[0] != ProtoVersion {
		return nil, ErrBadVersion
	}
	return types.DecodeTx(p[1:])
}
