package api

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sketchwork/sketchwork/ledger/chain"
	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/mempool"
	"github.com/sketchwork/sketchwork/ledger/miner"
	"github.com/sketchwork/sketchwork/ledger/model"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// Backend is what the API serves from: the node. Every method must be safe
// for concurrent use and must not wait for block validation.
type Backend interface {
	// Chain gives tip snapshots and block lookups.
	Chain() *chain.Chain
	// Pool is the mempool (read-only use: lookups and sizes).
	Pool() *mempool.Pool
	// SubmitTx admits a transaction into the mempool (and relays it). It
	// returns the txid or a consensus.RuleError.
	SubmitTx(tx *types.Tx) (hashx.Hash, error)
	// PendingNonce is the nonce a new transaction from addr should use.
	PendingNonce(addr keys.Address) uint64
	// EvalLoss returns the eval loss (Q8.24) of the model committed by the
	// snapshot's tip.
	EvalLoss(s *chain.Snapshot) int64
	// LossHistory returns the eval losses of the main-chain blocks with
	// heights from..to (entries for blocks that left the main chain
	// meanwhile may be missing from the map).
	LossHistory(ctx context.Context, from, to uint64) (map[hashx.Hash]int64, error)
	// Peers is the number of connected peers; Syncing whether the node is
	// catching up with a peer that has more work.
	Peers() int
	Syncing() bool
	// MinerStats returns the miner's figures, and false when the node has
	// no miner address (mining cannot be started).
	MinerStats() (miner.Stats, bool)
	// StartMining and StopMining switch the miner on and off.
	StartMining() error
	StopMining() error
}

// MetricsWriter is implemented by backends with figures of their own for
// GET /metrics.
type MetricsWriter interface {
	WriteMetrics(p *PromWriter)
}

// Defaults of Options (papers/gradientcoin.md section 6, "Message limits",
// and section 9).
const (
	DefaultMaxBody        = 64 << 10
	DefaultMaxPrompt      = 1 << 10
	DefaultMaxTokens      = 512
	DefaultTokens         = 128
	DefaultGenerations    = 4
	DefaultGenerationWait = 5 * time.Second
	DefaultRate           = 20
	DefaultBurst          = 40
	DefaultMaxLossSpan    = 1000
)

// Options are the API's limits. Zero fields take the documented defaults.
type Options struct {
	// MaxBody caps request bodies in bytes (0 = 64 KiB); larger ones get
	// 413.
	MaxBody int64
	// MaxPrompt caps a generation prompt in bytes (0 = 1 KiB); chat
	// prompts are cut to their last MaxPrompt bytes.
	MaxPrompt int
	// MaxTokens caps max_tokens (0 = 512); DefaultTokens is used when a
	// request omits it (0 = 128).
	MaxTokens     int
	DefaultTokens int
	// Generations is the number of generations that may run at once
	// (0 = 4); a request waits at most GenerationWait (0 = 5 s) for a slot,
	// then gets 503.
	Generations    int
	GenerationWait time.Duration
	// Rate and Burst configure the per-IP token bucket in requests per
	// second (0 = 20 and 40); a negative Rate disables rate limiting.
	Rate  float64
	Burst int
	// MaxLossSpan caps to-from+1 of GET /v1/model/loss (0 = 1000).
	MaxLossSpan int
	// Logger receives request errors (nil = discard).
	Logger *slog.Logger
}

// Resolve returns a copy of o with defaults filled in.
func (o Options) Resolve() Options {
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.MaxPrompt <= 0 {
		o.MaxPrompt = DefaultMaxPrompt
	}
	if o.MaxTokens <= 0 {
		o.MaxTokens = DefaultMaxTokens
	}
	if o.DefaultTokens <= 0 {
		o.DefaultTokens = min(DefaultTokens, o.MaxTokens)
	}
	if o.Generations <= 0 {
		o.Generations = DefaultGenerations
	}
	if o.GenerationWait <= 0 {
		o.GenerationWait = DefaultGenerationWait
	}
	if o.Rate == 0 {
		o.Rate = DefaultRate
	}
	if o.Burst <= 0 {
		o.Burst = DefaultBurst
	}
	if o.MaxLossSpan <= 0 {
		o.MaxLossSpan = DefaultMaxLossSpan
	}
	return o
}

// Server is the HTTP/JSON API of a node (papers/gradientcoin.md section 9).
type Server struct {
	b       Backend
	opts    Options
	log     *slog.Logger
	mux     *http.ServeMux
	limiter *limiter
	gen     chan struct{}
	m       *metrics
}

// New returns the API for b.
func New(b Backend, opts Options) *Server {
	o := opts.Resolve()
	s := &Server{b: b, opts: o, log: o.Logger, mux: http.NewServeMux(), gen: make(chan struct{}, o.Generations),
		m: newMetrics()}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if o.Rate > 0 {
		s.limiter = newLimiter(o.Rate, o.Burst, time.Now)
	}
	s.route("GET /v1/status", s.status)
	s.route("POST /v1/generate", s.generate)
	s.route("POST /v1/chat", s.chat)
	s.route("GET /v1/accounts/{addr}", s.account)
	s.route("POST /v1/tx", s.submitTx)
	s.route("GET /v1/tx/{id}", s.getTx)
	s.route("GET /v1/blocks/{id}", s.block)
	s.route("GET /v1/model/loss", s.loss)
	s.route("POST /admin/mine/start", s.mineStart)
	s.route("POST /admin/mine/stop", s.mineStop)
	s.mux.HandleFunc("GET /metrics", s.count("GET /metrics", s.metrics))
	return s
}

// Options returns the limits in force.
func (s *Server) Options() Options { return s.opts }

// ServeHTTP applies the per-IP rate limit and routes the request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.limiter != nil && r.URL.Path != "/metrics" {
		if ok, wait := s.limiter.allow(clientIP(r)); !ok {
			s.m.rateLimited.Add(1)
			w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
			writeError(w, http.StatusTooManyRequests, CodeRateLimited, "rate limit exceeded; retry later")
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

// NewHTTPServer returns an http.Server for h with the node's timeouts:
// 5 s to read headers, 15 s to read a request, 30 s to write the answer,
// 60 s idle keep-alive, 16 KiB of headers.
func NewHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
}

// apiError is an error answer.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func errf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *apiError {
	return errf(http.StatusBadRequest, CodeBadRequest, format, args...)
}

// route registers a JSON handler.
func (s *Server) route(pattern string, h func(r *http.Request) (any, *apiError)) {
	s.mux.HandleFunc(pattern, s.count(pattern, func(w http.ResponseWriter, r *http.Request) {
		v, e := h(r)
		if e != nil {
			if e.status >= 500 {
				s.log.Error("api request failed", "route", pattern, "err", e.msg)
			}
			writeError(w, e.status, e.code, e.msg)
			return
		}
		writeJSON(w, http.StatusOK, v)
	}))
}

// count wraps a handler with the request counter of /metrics.
func (s *Server) count(route string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		h(rec, r)
		s.m.request(route, rec.status)
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(ErrorBody{Error: "encoding the answer: " + err.Error(), Code: CodeInternal})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, ErrorBody{Error: msg, Code: code})
}

// clientIP is the rate-limit key: the host of the connection's remote
// address (proxies' headers are not trusted).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// readBody reads the whole body within MaxBody (413 beyond it).
func (s *Server) readBody(r *http.Request) ([]byte, *apiError) {
	if r.ContentLength > s.opts.MaxBody {
		return nil, errf(http.StatusRequestEntityTooLarge, CodeTooLarge, "request body of %d bytes exceeds %d", r.ContentLength, s.opts.MaxBody)
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, s.opts.MaxBody+1))
	if err != nil {
		return nil, badRequest("reading the request body: %v", err)
	}
	if int64(len(b)) > s.opts.MaxBody {
		return nil, errf(http.StatusRequestEntityTooLarge, CodeTooLarge, "request body exceeds %d bytes", s.opts.MaxBody)
	}
	return b, nil
}

// readJSON decodes the body strictly (unknown fields and trailing data are
// errors).
func (s *Server) readJSON(r *http.Request, dst any) *apiError {
	b, e := s.readBody(r)
	if e != nil {
		return e
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return badRequest("request body: %v", err)
	}
	if dec.More() {
		return badRequest("request body: trailing data after the JSON object")
	}
	return nil
}

// ruleError maps a rejection by a consensus or policy rule to an answer
// carrying the rule's code.
func ruleError(err error) *apiError {
	code, ok := consensus.CodeOf(err)
	if !ok {
		return errf(http.StatusInternalServerError, CodeInternal, "%v", err)
	}
	status := http.StatusBadRequest
	switch code {
	case consensus.ErrAlreadyKnown:
		status = http.StatusConflict
	case consensus.ErrMempoolFull:
		status = http.StatusServiceUnavailable
	}
	return errf(status, code.String(), "%v", err)
}

func nats(q int64) float64 { return float64(q) / (1 << 24) }

func (s *Server) status(r *http.Request) (any, *apiError) {
	ch := s.b.Chain()
	snap := ch.Snapshot()
	p := ch.Params()
	st := Status{
		Network: p.Name, ChainID: p.ChainID, Genesis: ch.GenesisHash(),
		Height: snap.Height, Tip: snap.Hash, TipTime: snap.Header.Time, ChainWork: snap.ChainWork.String(),
		NextTarget: snap.NextTarget.String(), Peers: s.b.Peers(), Syncing: s.b.Syncing(),
		Mempool: s.b.Pool().Len(), MempoolBytes: s.b.Pool().Bytes(), ModelRoot: snap.Header.ModelRoot,
		LossAfter: nats(snap.Header.LossAfter), LossAfterQ24: snap.Header.LossAfter,
		MinFee: p.MinFee, Subsidy: consensus.Subsidy(&p, snap.Height+1),
	}
	st.EvalLossQ24 = s.b.EvalLoss(snap)
	st.EvalLoss = nats(st.EvalLossQ24)
	if ms, ok := s.b.MinerStats(); ok {
		st.Mining = ms.Mining
		a := ms.Address
		st.MinerAddress = &a
	}
	return st, nil
}

func (s *Server) account(r *http.Request) (any, *apiError) {
	addr, err := keys.ParseAddress(r.PathValue("addr"))
	if err != nil {
		return nil, badRequest("address: %v", err)
	}
	snap := s.b.Chain().Snapshot()
	a := snap.State.Account(addr)
	return Account{Address: addr, Balance: a.Balance, BalanceGC: FormatGC(a.Balance), Nonce: a.Nonce,
		PendingNonce: s.b.PendingNonce(addr), Pending: len(s.b.Pool().Pending(addr)), Height: snap.Height}, nil
}

func (s *Server) submitTx(r *http.Request) (any, *apiError) {
	body, e := s.readBody(r)
	if e != nil {
		return nil, e
	}
	body = bytes.TrimSpace(body)
	txHex := string(body)
	if len(body) > 0 && body[0] == '{' {
		var req SubmitTx
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil || dec.More() {
			return nil, badRequest("request body: want {\"tx\": \"<hex>\"} or the bare hex of a signed transaction")
		}
		txHex = req.Tx
	}
	raw, err := hex.DecodeString(strings.TrimSpace(strings.Trim(txHex, `"`)))
	if err != nil || len(raw) == 0 {
		return nil, errf(http.StatusBadRequest, consensus.ErrMalformed.String(), "transaction: not a hex string")
	}
	tx, err := types.DecodeTx(raw)
	if err != nil {
		s.m.txRejected.Add(1)
		code := consensus.ErrMalformed
		if len(raw) > types.MaxTxSize {
			code = consensus.ErrOversize
		}
		return nil, errf(http.StatusBadRequest, code.String(), "transaction: %v", err)
	}
	id, err := s.b.SubmitTx(tx)
	if err != nil {
		s.m.txRejected.Add(1)
		return nil, ruleError(err)
	}
	s.m.txAccepted.Add(1)
	return SubmitTxResult{TxID: id}, nil
}

func txBody(tx *types.Tx) Tx {
	out := Tx{TxID: tx.ID(), Coinbase: tx.IsCoinbase(), From: tx.From, To: tx.To, Amount: tx.Amount, Fee: tx.Fee, Nonce: tx.Nonce}
	if len(tx.Memo) > 0 {
		out.Memo = hex.EncodeToString(tx.Memo)
	}
	return out
}

func (s *Server) getTx(r *http.Request) (any, *apiError) {
	id, err := hashx.ParseHash(r.PathValue("id"))
	if err != nil {
		return nil, badRequest("transaction id: %v", err)
	}
	ch := s.b.Chain()
	snap := ch.Snapshot()
	loc, ok, err := ch.TxLocation(id)
	if err != nil {
		return nil, errf(http.StatusInternalServerError, CodeInternal, "tx index: %v", err)
	}
	if ok {
		info, known := ch.BlockInfo(loc.Block)
		b, err := ch.BlockByHash(loc.Block)
		if known && err == nil && int(loc.Index) < len(b.Txs) && info.MainChain && info.Height <= snap.Height {
			out := txBody(b.Txs[loc.Index])
			out.Status = TxConfirmed
			blk := loc.Block
			out.Block, out.Height, out.Index = &blk, info.Height, loc.Index
			out.Confirmations = snap.Height - info.Height + 1
			return out, nil
		}
	}
	if tx := s.b.Pool().Get(id); tx != nil {
		out := txBody(tx)
		out.Status = TxPending
		return out, nil
	}
	return nil, errf(http.StatusNotFound, CodeNotFound, "transaction %s is neither pending nor on the main chain", id)
}

func (s *Server) block(r *http.Request) (any, *apiError) {
	ch := s.b.Chain()
	snap := ch.Snapshot()
	id := r.PathValue("id")
	var hash hashx.Hash
	switch {
	case id == "tip" || id == "latest":
		hash = snap.Hash
	case len(id) == 2*hashx.Size:
		h, err := hashx.ParseHash(id)
		if err != nil {
			return nil, badRequest("block hash: %v", err)
		}
		hash = h
	default:
		height, err := strconv.ParseUint(id, 10, 64)
		if err != nil {
			return nil, badRequest("block: want a height, a 64-digit hash or \"tip\", got %q", id)
		}
		h, ok := ch.HashAtHeight(height)
		if !ok {
			return nil, errf(http.StatusNotFound, CodeNotFound, "no main-chain block at height %d (tip %d)", height, snap.Height)
		}
		hash = h
	}
	info, ok := ch.BlockInfo(hash)
	if !ok {
		return nil, errf(http.StatusNotFound, CodeNotFound, "block %s is not known", hash)
	}
	b, err := ch.BlockByHash(hash)
	if errors.Is(err, chain.ErrNotFound) || (err == nil && b == nil) {
		return nil, errf(http.StatusNotFound, CodeNotFound, "block %s has no stored body", hash)
	}
	if err != nil {
		return nil, errf(http.StatusInternalServerError, CodeInternal, "reading block %s: %v", hash, err)
	}
	h := b.Header
	out := Block{Hash: hash, Height: h.Height, Version: h.Version, PrevHash: h.PrevHash, TxRoot: h.TxRoot,
		StateRoot: h.StateRoot, ModelRoot: h.ModelRoot, Miner: h.Miner, TrainNonce: h.TrainNonce,
		LossBefore: nats(h.LossBefore), LossAfter: nats(h.LossAfter), LossBeforeQ24: h.LossBefore, LossAfterQ24: h.LossAfter,
		Time: h.Time, Target: h.Target.String(), Nonce: h.Nonce, TxIDs: b.TxIDs(), Size: b.Size(),
		ChainWork: info.ChainWork.String(), MainChain: info.MainChain}
	if info.MainChain && info.Height <= snap.Height {
		out.Confirmations = snap.Height - info.Height + 1
	}
	return out, nil
}

func (s *Server) loss(r *http.Request) (any, *apiError) {
	ch := s.b.Chain()
	snap := ch.Snapshot()
	q := r.URL.Query()
	parse := func(name string, def uint64) (uint64, *apiError) {
		v := q.Get(name)
		if v == "" {
			return def, nil
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, badRequest("%s: want a non-negative height, got %q", name, v)
		}
		return n, nil
	}
	to, e := parse("to", snap.Height)
	if e != nil {
		return nil, e
	}
	to = min(to, snap.Height)
	span := uint64(s.opts.MaxLossSpan)
	def := uint64(0)
	if to+1 > 100 {
		def = to + 1 - 100
	}
	from, e := parse("from", def)
	if e != nil {
		return nil, e
	}
	if from > to {
		return nil, badRequest("from %d > to %d (the tip is at %d)", from, to, snap.Height)
	}
	if to-from+1 > span {
		return nil, badRequest("at most %d heights per request (from %d to %d asked)", span, from, to)
	}
	evals, err := s.b.LossHistory(r.Context(), from, to)
	if err != nil {
		if r.Context().Err() != nil {
			return nil, errf(http.StatusServiceUnavailable, CodeBusy, "request cancelled")
		}
		return nil, errf(http.StatusInternalServerError, CodeInternal, "loss history: %v", err)
	}
	out := make([]LossPoint, 0, to-from+1)
	for h := from; h <= to; h++ {
		hdr, ok := ch.HeaderAtHeight(h)
		if !ok {
			break // the chain got shorter (reorg) meanwhile
		}
		hash := hdr.Hash()
		p := LossPoint{Height: h, Hash: hash, LossBefore: nats(hdr.LossBefore), LossAfter: nats(hdr.LossAfter)}
		if h == 0 {
			p.LossBefore, p.LossAfter = 0, 0
		}
		if ev, ok := evals[hash]; ok {
			f, q := nats(ev), ev
			p.EvalLoss, p.EvalLossQ24 = &f, &q
		}
		out = append(out, p)
	}
	return out, nil
}

// genParams validates the shared generation fields.
func (s *Server) genParams(maxTokens *int, temp int64, topK int, seed uint64) (model.GenParams, *apiError) {
	n := s.opts.DefaultTokens
	if maxTokens != nil {
		n = *maxTokens
	}
	switch {
	case n < 0 || n > s.opts.MaxTokens:
		return model.GenParams{}, badRequest("max_tokens %d: must lie in [0, %d]", n, s.opts.MaxTokens)
	case temp < 0 || temp > 1_000_000:
		return model.GenParams{}, badRequest("temperature_milli %d: must lie in [0, 1000000] (0 = greedy)", temp)
	case topK < 0:
		return model.GenParams{}, badRequest("top_k %d: must be >= 0 (0 = all symbols)", topK)
	}
	return model.GenParams{MaxTokens: n, TemperatureMilli: temp, TopK: topK, Seed: seed}, nil
}

// runGeneration generates on the tip's weights within the concurrency cap.
func (s *Server) runGeneration(ctx context.Context, prompt []byte, p model.GenParams) (*chain.Snapshot, []byte, *apiError) {
	t := time.NewTimer(s.opts.GenerationWait)
	defer t.Stop()
	select {
	case s.gen <- struct{}{}:
	case <-t.C:
		s.m.genBusy.Add(1)
		return nil, nil, errf(http.StatusServiceUnavailable, CodeBusy, "%d generations are running; retry later", s.opts.Generations)
	case <-ctx.Done():
		return nil, nil, errf(http.StatusServiceUnavailable, CodeBusy, "request cancelled while waiting for a generation slot")
	}
	defer func() { <-s.gen }()
	snap := s.b.Chain().Snapshot()
	t0 := time.Now()
	text, err := model.Generate(snap.Weights, prompt, p)
	if err != nil {
		return nil, nil, badRequest("%v", err)
	}
	s.m.generated(time.Since(t0), len(text))
	return snap, text, nil
}

func (s *Server) generate(r *http.Request) (any, *apiError) {
	var req Generate
	if e := s.readJSON(r, &req); e != nil {
		return nil, e
	}
	if len(req.Prompt) > s.opts.MaxPrompt {
		return nil, errf(http.StatusRequestEntityTooLarge, CodeTooLarge, "prompt of %d bytes exceeds %d", len(req.Prompt), s.opts.MaxPrompt)
	}
	p, e := s.genParams(req.MaxTokens, req.TemperatureMilli, req.TopK, req.Seed)
	if e != nil {
		return nil, e
	}
	snap, text, e := s.runGeneration(r.Context(), []byte(req.Prompt), p)
	if e != nil {
		return nil, e
	}
	return Generated{Text: string(text), Height: snap.Height, Tip: snap.Hash, ModelRoot: snap.Header.ModelRoot}, nil
}

// RenderChat renders a conversation as the model's prompt: "User: ...\n"
// and "Bot: ...\n" lines (system messages as plain lines), then "Bot: ".
func RenderChat(msgs []ChatMessage) (string, error) {
	var sb strings.Builder
	for i, m := range msgs {
		switch strings.ToLower(m.Role) {
		case "user":
			sb.WriteString("User: ")
		case "assistant", "bot":
			sb.WriteString("Bot: ")
		case "system":
		default:
			return "", fmt.Errorf("message %d: role %q (want user, assistant or system)", i, m.Role)
		}
		sb.WriteString(strings.ReplaceAll(m.Content, "\n", " "))
		sb.WriteByte('\n')
	}
	sb.WriteString("Bot: ")
	return sb.String(), nil
}

func (s *Server) chat(r *http.Request) (any, *apiError) {
	var req Chat
	if e := s.readJSON(r, &req); e != nil {
		return nil, e
	}
	if len(req.Messages) == 0 {
		return nil, badRequest("messages: at least one message is needed")
	}
	prompt, err := RenderChat(req.Messages)
	if err != nil {
		return nil, badRequest("%v", err)
	}
	if len(prompt) > s.opts.MaxPrompt { // the model reads only the last symbols
		prompt = prompt[len(prompt)-s.opts.MaxPrompt:]
	}
	p, e := s.genParams(req.MaxTokens, req.TemperatureMilli, req.TopK, req.Seed)
	if e != nil {
		return nil, e
	}
	snap, text, e := s.runGeneration(r.Context(), []byte(prompt), p)
	if e != nil {
		return nil, e
	}
	reply, _, _ := strings.Cut(string(text), "\n")
	return ChatReply{Reply: strings.TrimSpace(reply), Text: string(text), Prompt: prompt, Height: snap.Height,
		Tip: snap.Hash, ModelRoot: snap.Header.ModelRoot}, nil
}

func (s *Server) mineStart(r *http.Request) (any, *apiError) { return s.mine(true) }
func (s *Server) mineStop(r *http.Request) (any, *apiError)  { return s.mine(false) }

func (s *Server) mine(on bool) (any, *apiError) {
	var err error
	if on {
		err = s.b.StartMining()
	} else {
		err = s.b.StopMining()
	}
	if err != nil {
		return nil, errf(http.StatusConflict, CodeNoMiner, "%v", err)
	}
	ms, ok := s.b.MinerStats()
	if !ok {
		return Mining{}, nil
	}
	a := ms.Address
	return Mining{Mining: ms.Mining, Address: &a}, nil
}

// Counters for /metrics.
type metrics struct {
	rateLimited, txAccepted, txRejected, genBusy atomic.Uint64
	genCount, genNanos, genTokens                atomic.Uint64
	reqs                                         syncCounter
}

func newMetrics() *metrics { return &metrics{reqs: syncCounter{m: map[reqKey]uint64{}}} }

func (m *metrics) generated(d time.Duration, tokens int) {
	m.genCount.Add(1)
	m.genNanos.Add(uint64(d.Nanoseconds()))
	m.genTokens.Add(uint64(tokens))
}

func (m *metrics) request(route string, status int) { m.reqs.inc(reqKey{route, status}) }
