package api_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sketchwork/sketchwork/ledger/api"
	"github.com/sketchwork/sketchwork/ledger/consensus"
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/node"
	"github.com/sketchwork/sketchwork/ledger/types"
)

type env struct {
	t   *testing.T
	n   *node.Node
	srv *httptest.Server
	cl  *api.Client
	g   *consensus.Genesis
}

func newEnv(t *testing.T, cfg node.Config) *env {
	t.Helper()
	g, err := node.FastDevGenesis()
	if err != nil {
		t.Fatal(err)
	}
	cfg.InMemory = true
	if cfg.Genesis == nil {
		cfg.Genesis = g
	}
	cfg.Logger = slog.New(slog.DiscardHandler)
	if cfg.API.Rate == 0 {
		cfg.API.Rate = -1 // tests send bursts; the limiter has its own test
	}
	n, err := node.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(n.Handler())
	cl, err := api.NewClient(srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Close()
		if err := n.Close(); err != nil {
			t.Error(err)
		}
	})
	return &env{t: t, n: n, srv: srv, cl: cl, g: cfg.Genesis}
}

func (e *env) mine(k int) {
	e.t.Helper()
	for i := 0; i < k; i++ {
		if _, res, err := e.n.GenerateBlock(context.Background(), keys.Address{0xee}); err != nil || !res.MainChain {
			e.t.Fatalf("mining: %+v %v", res, err)
		}
	}
}

// raw sends a request and returns the status and body.
func (e *env) raw(method, path, contentType string, body []byte) (int, []byte, http.Header) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

func errCode(t *testing.T, body []byte) string {
	t.Helper()
	var eb api.ErrorBody
	if err := json.Unmarshal(body, &eb); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	return eb.Code
}

func apiErr(t *testing.T, err error) *api.Error {
	t.Helper()
	var ae *api.Error
	if !errors.As(err, &ae) {
		t.Fatalf("want an *api.Error, got %v", err)
	}
	return ae
}

func (e *env) signedTx(k *keys.PrivateKey, to keys.Address, amount, fee, nonce uint64) *types.Tx {
	tx := &types.Tx{Version: 1, ChainID: e.g.Params.ChainID, From: k.Address(), To: to, Amount: amount, Fee: fee, Nonce: nonce}
	if err := tx.Sign(k); err != nil {
		e.t.Fatal(err)
	}
	return tx
}

func TestStatus(t *testing.T) {
	e := newEnv(t, node.Config{})
	ctx := context.Background()
	st, err := e.cl.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Genesis: all-zero weights are the uniform distribution, ln 96 nats.
	if math.Abs(st.EvalLoss-math.Log(96)) > 1e-3 {
		t.Errorf("genesis eval_loss %.6f, want ln 96 = %.6f", st.EvalLoss, math.Log(96))
	}
	e.mine(3)
	st, err = e.cl.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	snap := e.n.Chain().Snapshot()
	if st.Height != 3 || st.Tip != snap.Hash || st.ModelRoot != snap.Header.ModelRoot || st.ChainWork != snap.ChainWork.String() {
		t.Errorf("status %+v does not match the tip %d %s", st, snap.Height, snap.Hash)
	}
	if st.Network != "dev-fast" || st.ChainID != e.g.Params.ChainID || st.Genesis != e.g.Hash() || st.Peers != 0 || st.Syncing {
		t.Errorf("network fields %+v", st)
	}
	if st.LossAfterQ24 != snap.Header.LossAfter || st.EvalLossQ24 != e.n.EvalLoss(snap) {
		t.Errorf("losses %d %d", st.LossAfterQ24, st.EvalLossQ24)
	}
	if st.EvalLoss >= math.Log(96) {
		t.Errorf("eval_loss %.4f after 3 blocks is not below ln 96", st.EvalLoss)
	}
	if st.MinFee != e.g.Params.MinFee || st.Subsidy != consensus.Subsidy(&e.g.Params, 4) {
		t.Errorf("min_fee %d subsidy %d", st.MinFee, st.Subsidy)
	}
	if st.Mining || st.MinerAddress != nil {
		t.Errorf("a node without miner reports mining %v %v", st.Mining, st.MinerAddress)
	}
}

func TestAccountsAndTransactions(t *testing.T) {
	e := newEnv(t, node.Config{})
	ctx := context.Background()
	faucet := consensus.DevFaucetKey()
	bob := keys.Address{0xb0}

	// Unknown account: zeros.
	a, err := e.cl.Account(ctx, bob)
	if err != nil {
		t.Fatal(err)
	}
	if a.Balance != 0 || a.Nonce != 0 || a.PendingNonce != 0 || a.Pending != 0 || a.BalanceGC != "0" {
		t.Errorf("unknown account %+v", a)
	}
	a, err = e.cl.Account(ctx, faucet.Address())
	if err != nil {
		t.Fatal(err)
	}
	if a.Balance != consensus.DevFaucetAlloc || a.BalanceGC != "1000000" {
		t.Errorf("faucet %+v", a)
	}
	if code, body, _ := e.raw("GET", "/v1/accounts/nothex", "", nil); code != 400 || errCode(t, body) != api.CodeBadRequest {
		t.Errorf("bad address: %d %s", code, body)
	}

	// Submit, look up pending, duplicate, mine, look up confirmed.
	tx := e.signedTx(faucet, bob, 3*consensus.Coin, 1, 0)
	id, err := e.cl.SubmitTx(ctx, tx)
	if err != nil {
		t.Fatal(err)
	}
	if id != tx.ID() {
		t.Errorf("txid %s, want %s", id, tx.ID())
	}
	got, err := e.cl.Tx(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != api.TxPending || got.Amount != tx.Amount || got.From != faucet.Address() || got.Block != nil {
		t.Errorf("pending tx %+v", got)
	}
	a, _ = e.cl.Account(ctx, faucet.Address())
	if a.Nonce != 0 || a.PendingNonce != 1 || a.Pending != 1 {
		t.Errorf("faucet with one pending transfer: %+v", a)
	}
	_, err = e.cl.SubmitTx(ctx, tx)
	if ae := apiErr(t, err); ae.Status != http.StatusConflict || ae.Code != "ErrAlreadyKnown" {
		t.Errorf("duplicate: %v", err)
	}
	e.mine(2)
	got, err = e.cl.Tx(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := e.n.Chain().BlockByHeight(1)
	if got.Status != api.TxConfirmed || got.Height != 1 || got.Index != 1 || got.Confirmations != 2 || got.Block == nil || *got.Block != b1.Hash() {
		t.Errorf("confirmed tx %+v", got)
	}
	a, _ = e.cl.Account(ctx, bob)
	if a.Balance != 3*consensus.Coin || a.BalanceGC != "3" {
		t.Errorf("bob after the block: %+v", a)
	}
	// The coinbase is a transaction too.
	cb, err := e.cl.Tx(ctx, b1.Txs[0].ID())
	if err != nil || !cb.Coinbase || cb.Status != api.TxConfirmed || cb.Index != 0 {
		t.Errorf("coinbase lookup %+v %v", cb, err)
	}
	_, err = e.cl.Tx(ctx, hashx.Tagged("nothing"))
	if ae := apiErr(t, err); ae.Status != 404 || ae.Code != api.CodeNotFound {
		t.Errorf("unknown tx: %v", err)
	}
	if code, _, _ := e.raw("GET", "/v1/tx/zz", "", nil); code != 400 {
		t.Errorf("bad txid: %d", code)
	}

	// The bare hex body is accepted too.
	tx2 := e.signedTx(faucet, bob, 1, 1, 1)
	code, body, _ := e.raw("POST", "/v1/tx", "text/plain", []byte(hex.EncodeToString(tx2.Encode())+"\n"))
	if code != 200 || !strings.Contains(string(body), tx2.ID().String()) {
		t.Errorf("bare hex submission: %d %s", code, body)
	}
}

// TestBadTransactions: every rejection is a 4xx carrying the rule's code.
func TestBadTransactions(t *testing.T) {
	e := newEnv(t, node.Config{})
	ctx := context.Background()
	faucet := consensus.DevFaucetKey()
	poor, _ := keys.FromSeed(bytes.Repeat([]byte{7}, 32))
	bob := keys.Address{0xb0}

	badSig := e.signedTx(faucet, bob, 10, 1, 0)
	badSig.Sig[0] ^= 1
	wrongChain := &types.Tx{Version: 1, ChainID: e.g.Params.ChainID + 1, From: faucet.Address(), To: bob, Amount: 10, Fee: 1}
	_ = wrongChain.Sign(faucet)
	cases := []struct {
		name string
		tx   *types.Tx
		code consensus.ErrorCode
	}{
		{"bad signature", badSig, consensus.ErrBadSignature},
		{"wrong chain id", wrongChain, consensus.ErrBadChainID},
		{"self transfer", e.signedTx(faucet, faucet.Address(), 10, 1, 0), consensus.ErrSelfTransfer},
		{"zero amount", e.signedTx(faucet, bob, 0, 1, 0), consensus.ErrZeroAmount},
		{"fee below minimum", e.signedTx(faucet, bob, 10, 0, 0), consensus.ErrFeeTooLow},
		{"insufficient balance", e.signedTx(poor, bob, 10, 1, 0), consensus.ErrInsufficientBalance},
		{"nonce gap", e.signedTx(faucet, bob, 10, 1, 40), consensus.ErrNonceGap},
	}
	for _, c := range cases {
		_, err := e.cl.SubmitTx(ctx, c.tx)
		ae := apiErr(t, err)
		if ae.Status != http.StatusBadRequest || ae.Code != c.code.String() {
			t.Errorf("%s: %d %s (%s), want 400 %s", c.name, ae.Status, ae.Code, ae.Message, c.code)
		}
	}
	for name, body := range map[string]string{
		"not hex":       `{"tx":"xyz"}`,
		"truncated":     `{"tx":"` + hex.EncodeToString(badSig.Encode()[:50]) + `"}`,
		"empty":         ``,
		"unknown field": `{"tx":"00","extra":1}`,
	} {
		code, b, _ := e.raw("POST", "/v1/tx", "application/json", []byte(body))
		if c := errCode(t, b); code != 400 || (c != "ErrMalformed" && c != api.CodeBadRequest) {
			t.Errorf("%s: %d %s", name, code, b)
		}
	}
	if e.n.Pool().Len() != 0 {
		t.Errorf("%d bad transactions entered the pool", e.n.Pool().Len())
	}
}

func TestBlocks(t *testing.T) {
	e := newEnv(t, node.Config{})
	ctx := context.Background()
	tx := e.signedTx(consensus.DevFaucetKey(), keys.Address{1}, 5, 2, 0)
	if _, err := e.cl.SubmitTx(ctx, tx); err != nil {
		t.Fatal(err)
	}
	e.mine(3)
	b1, _ := e.n.Chain().BlockByHeight(1)
	for _, id := range []string{"1", b1.Hash().String()} {
		b, err := e.cl.Block(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		h := b1.Header
		if b.Hash != b1.Hash() || b.Height != 1 || b.PrevHash != h.PrevHash || b.ModelRoot != h.ModelRoot ||
			b.StateRoot != h.StateRoot || b.TxRoot != h.TxRoot || b.Nonce != h.Nonce || b.Time != h.Time ||
			b.LossAfterQ24 != h.LossAfter || b.LossBeforeQ24 != h.LossBefore || b.Target != h.Target.String() {
			t.Errorf("block %s: header fields differ: %+v", id, b)
		}
		if len(b.TxIDs) != 2 || b.TxIDs[0] != b1.Txs[0].ID() || b.TxIDs[1] != tx.ID() {
			t.Errorf("block %s txids %v", id, b.TxIDs)
		}
		if !b.MainChain || b.Confirmations != 3 || b.Size != b1.Size() {
			t.Errorf("block %s: main %v confirmations %d size %d", id, b.MainChain, b.Confirmations, b.Size)
		}
		if b.LossAfter > b.LossBefore {
			t.Errorf("block %s: loss rose %.4f -> %.4f", id, b.LossBefore, b.LossAfter)
		}
	}
	tip, err := e.cl.Block(ctx, "tip")
	if err != nil || tip.Height != 3 {
		t.Errorf("tip block %+v %v", tip, err)
	}
	g, err := e.cl.Block(ctx, "0")
	if err != nil || g.Hash != e.g.Hash() || len(g.TxIDs) != 0 {
		t.Errorf("genesis block %+v %v", g, err)
	}
	for id, want := range map[string]int{"4": 404, hashx.Tagged("x").String(): 404, "-1": 400, "abc": 400} {
		_, err := e.cl.Block(ctx, id)
		if ae := apiErr(t, err); ae.Status != want {
			t.Errorf("block %q: %d, want %d", id, ae.Status, want)
		}
	}
}

func TestLossHistory(t *testing.T) {
	e := newEnv(t, node.Config{})
	ctx := context.Background()
	e.mine(20)
	ps, err := e.cl.Loss(ctx, 0, 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 21 {
		t.Fatalf("%d points, want 21", len(ps))
	}
	for i, p := range ps {
		hash, _ := e.n.Chain().HashAtHeight(uint64(i))
		hdr, _ := e.n.Chain().HeaderAtHeight(uint64(i))
		if p.Height != uint64(i) || p.Hash != hash || p.EvalLoss == nil {
			t.Fatalf("point %d: %+v", i, p)
		}
		if i > 0 && p.LossAfter != float64(hdr.LossAfter)/(1<<24) {
			t.Errorf("point %d: loss_after %v, header %d", i, p.LossAfter, hdr.LossAfter)
		}
	}
	if !(*ps[20].EvalLoss < *ps[0].EvalLoss) {
		t.Errorf("eval loss did not fall: %.4f -> %.4f", *ps[0].EvalLoss, *ps[20].EvalLoss)
	}
	// Defaults: the last 100 heights up to the tip (here all 21).
	code, body, _ := e.raw("GET", "/v1/model/loss", "", nil)
	var all []api.LossPoint
	if code != 200 || json.Unmarshal(body, &all) != nil || len(all) != 21 {
		t.Errorf("default range: %d, %d points", code, len(all))
	}
	for q, want := range map[string]int{"?from=5&to=2": 400, "?from=x": 400, "?from=0&to=5000": 200} {
		if code, b, _ := e.raw("GET", "/v1/model/loss"+q, "", nil); code != want {
			t.Errorf("%s: %d %s", q, code, b)
		}
	}
	e2 := newEnv(t, node.Config{API: api.Options{MaxLossSpan: 5, Rate: -1}})
	if code, _, _ := e2.raw("GET", "/v1/model/loss?from=0&to=0", "", nil); code != 200 {
		t.Errorf("one point: %d", code)
	}
	e2.mine(6)
	if code, b, _ := e2.raw("GET", "/v1/model/loss?from=0&to=6", "", nil); code != 400 {
		t.Errorf("span 7 > 5: %d %s", code, b)
	}
}

// twoNodes returns two independent nodes on the same chain: A mines k
// blocks, B receives them through SubmitBlock as from the network.
func twoNodes(t *testing.T, k int) (*env, *env) {
	a, b := newEnv(t, node.Config{}), newEnv(t, node.Config{})
	a.mine(k)
	for h := uint64(1); h <= uint64(k); h++ {
		blk, err := a.n.Chain().BlockByHeight(h)
		if err != nil {
			t.Fatal(err)
		}
		if res, err := b.n.SubmitBlock(blk); err != nil || !res.MainChain {
			t.Fatalf("B rejected block %d: %+v %v", h, res, err)
		}
	}
	return a, b
}

func intp(v int) *int { return &v }

// TestGenerateDeterministicAcrossNodes: the same model, prompt, parameters
// and seed give the same text on two independent nodes; another seed gives
// other text, so the comparison is not vacuous.
func TestGenerateDeterministicAcrossNodes(t *testing.T) {
	a, b := twoNodes(t, 30)
	ctx := context.Background()
	req := api.Generate{Prompt: "The river ", MaxTokens: intp(200), TemperatureMilli: 800, TopK: 20, Seed: 42}
	ga, err := a.cl.Generate(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	gb, err := b.cl.Generate(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if ga.ModelRoot != gb.ModelRoot || ga.Height != 30 || gb.Height != 30 || ga.Tip != gb.Tip {
		t.Fatalf("nodes differ: %+v vs %+v", ga, gb)
	}
	if ga.Text != gb.Text {
		t.Errorf("same request, different text:\n%q\n%q", ga.Text, gb.Text)
	}
	if len(ga.Text) != 200 {
		t.Errorf("%d symbols, want max_tokens = 200", len(ga.Text))
	}
	req.Seed = 43
	gc, err := a.cl.Generate(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if gc.Text == ga.Text {
		t.Error("seeds 42 and 43 gave identical text")
	}
	// Greedy decoding ignores the seed.
	g1, _ := a.cl.Generate(ctx, api.Generate{Prompt: "the", MaxTokens: intp(50), Seed: 1})
	g2, _ := b.cl.Generate(ctx, api.Generate{Prompt: "the", MaxTokens: intp(50), Seed: 2})
	if g1 == nil || g2 == nil || g1.Text != g2.Text {
		t.Errorf("greedy generations differ: %v %v", g1, g2)
	}
	// Default max_tokens.
	gd, err := a.cl.Generate(ctx, api.Generate{Prompt: "x"})
	if err != nil || len(gd.Text) != api.DefaultTokens {
		t.Errorf("default length: %v %v", len(gd.Text), err)
	}
	// Chat renders the conversation and generates on it.
	msgs := []api.ChatMessage{{Role: "user", Content: "Hello"}, {Role: "assistant", Content: "Hi."}, {Role: "user", Content: "Tell me\nabout the river"}}
	ca, err := a.cl.Chat(ctx, api.Chat{Messages: msgs, TemperatureMilli: 700, Seed: 5, MaxTokens: intp(80)})
	if err != nil {
		t.Fatal(err)
	}
	cb, err := b.cl.Chat(ctx, api.Chat{Messages: msgs, TemperatureMilli: 700, Seed: 5, MaxTokens: intp(80)})
	if err != nil {
		t.Fatal(err)
	}
	wantPrompt := "User: Hello\nBot: Hi.\nUser: Tell me about the river\nBot: "
	if ca.Prompt != wantPrompt {
		t.Errorf("chat prompt %q, want %q", ca.Prompt, wantPrompt)
	}
	first, _, _ := strings.Cut(ca.Text, "\n")
	if ca.Text != cb.Text || ca.Reply != strings.TrimSpace(first) {
		t.Errorf("chat: %+v vs %+v", ca, cb)
	}
	if strings.Contains(ca.Reply, "\n") {
		t.Errorf("reply %q spans lines", ca.Reply)
	}
	direct, _ := a.cl.Generate(ctx, api.Generate{Prompt: wantPrompt, TemperatureMilli: 700, Seed: 5, MaxTokens: intp(80)})
	if direct == nil || direct.Text != ca.Text {
		t.Errorf("chat is not generate on the rendered prompt")
	}
}

// TestLimits: oversized bodies 413, long prompts 413, max_tokens and bad
// parameters 400, unknown fields 400, wrong methods 405.
func TestLimits(t *testing.T) {
	e := newEnv(t, node.Config{})
	big := []byte(`{"prompt":"` + strings.Repeat("a", 70<<10) + `"}`)
	if code, b, _ := e.raw("POST", "/v1/generate", "application/json", big); code != 413 || errCode(t, b) != api.CodeTooLarge {
		t.Errorf("70 KiB body: %d %s", code, b)
	}
	if code, _, _ := e.raw("POST", "/v1/tx", "application/json", big); code != 413 {
		t.Errorf("70 KiB tx body: %d", code)
	}
	// Chunked body without Content-Length: still cut at 64 KiB.
	req, _ := http.NewRequest("POST", e.srv.URL+"/v1/chat", io.MultiReader(bytes.NewReader(big)))
	req.ContentLength = -1
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 413 {
		t.Errorf("chunked 70 KiB body: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	long := fmt.Sprintf(`{"prompt":%q}`, strings.Repeat("b", 1025))
	if code, _, _ := e.raw("POST", "/v1/generate", "application/json", []byte(long)); code != 413 {
		t.Errorf("1025-byte prompt: %d", code)
	}
	ok := fmt.Sprintf(`{"prompt":%q,"max_tokens":512}`, strings.Repeat("b", 1024))
	if code, b, _ := e.raw("POST", "/v1/generate", "application/json", []byte(ok)); code != 200 {
		t.Errorf("1024-byte prompt, 512 tokens: %d %s", code, b)
	}
	for _, body := range []string{`{"max_tokens":513}`, `{"max_tokens":-1}`, `{"temperature_milli":-5}`, `{"top_k":-1}`,
		`{"prompt":"a","bogus":1}`, `{"prompt":"a"} {"prompt":"b"}`, `not json`} {
		if code, b, _ := e.raw("POST", "/v1/generate", "application/json", []byte(body)); code != 400 || errCode(t, b) != api.CodeBadRequest {
			t.Errorf("%s: %d %s", body, code, b)
		}
	}
	for _, body := range []string{`{"messages":[]}`, `{"messages":[{"role":"robot","content":"x"}]}`} {
		if code, _, _ := e.raw("POST", "/v1/chat", "application/json", []byte(body)); code != 400 {
			t.Errorf("chat %s: %d", body, code)
		}
	}
	// A long conversation is cut to its last 1 KiB, not refused.
	var msgs []api.ChatMessage
	for i := 0; i < 40; i++ {
		msgs = append(msgs, api.ChatMessage{Role: "user", Content: strings.Repeat("w", 60)})
	}
	r, err := e.cl.Chat(context.Background(), api.Chat{Messages: msgs, MaxTokens: intp(5)})
	if err != nil || len(r.Prompt) != api.DefaultMaxPrompt || !strings.HasSuffix(r.Prompt, "Bot: ") {
		t.Errorf("long chat: %v, prompt %d bytes", err, len(r.Prompt))
	}
	if code, _, _ := e.raw("GET", "/v1/generate", "", nil); code != 405 {
		t.Errorf("GET /v1/generate: %d, want 405", code)
	}
	if code, _, _ := e.raw("POST", "/v1/status", "", nil); code != 405 {
		t.Errorf("POST /v1/status: %d, want 405", code)
	}
}

func TestRateLimitPerIP(t *testing.T) {
	e := newEnv(t, node.Config{API: api.Options{Rate: 0.5, Burst: 3}})
	var codes []int
	var retry string
	for i := 0; i < 5; i++ {
		code, _, h := e.raw("GET", "/v1/status", "", nil)
		codes = append(codes, code)
		if code == 429 {
			retry = h.Get("Retry-After")
		}
	}
	if fmt.Sprint(codes) != "[200 200 200 429 429]" {
		t.Errorf("codes %v, want three allowed then 429", codes)
	}
	if retry == "" {
		t.Error("429 without Retry-After")
	}
	// /metrics is exempt (scrapers poll it).
	if code, _, _ := e.raw("GET", "/metrics", "", nil); code != 200 {
		t.Errorf("metrics under rate limit: %d", code)
	}
}

func TestMetrics(t *testing.T) {
	e := newEnv(t, node.Config{})
	ctx := context.Background()
	e.mine(2)
	_, _ = e.cl.Generate(ctx, api.Generate{Prompt: "a", MaxTokens: intp(10)})
	_, _ = e.cl.Status(ctx)
	code, body, h := e.raw("GET", "/metrics", "", nil)
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("metrics: %d %s", code, h.Get("Content-Type"))
	}
	text := string(body)
	for _, want := range []string{
		"# TYPE gcoin_chain_height gauge\ngcoin_chain_height 2\n",
		"gcoin_api_generations_total 1\n",
		"gcoin_api_generated_tokens_total 10\n",
		`gcoin_api_requests_total{route="GET /v1/status",code="200"} 1`,
		`gcoin_api_requests_total{route="POST /v1/generate",code="200"} 1`,
		`gcoin_node_blocks_submitted_total{result="accepted"} 2`,
		"gcoin_model_eval_loss_nats ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	// Every sample line is "name{labels} value" with a float value and each
	// family has exactly one TYPE line.
	types := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		if strings.HasPrefix(line, "# TYPE ") {
			types[strings.Fields(line)[2]]++
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		name := line[:max(i, 0)]
		if j := strings.IndexByte(name, '{'); j >= 0 {
			if !strings.HasSuffix(name, "}") {
				t.Errorf("bad labels in %q", line)
			}
			name = name[:j]
		}
		if i < 0 || types[name] == 0 {
			t.Errorf("sample line %q without a TYPE line before it", line)
			continue
		}
		var v float64
		if _, err := fmt.Sscan(line[i+1:], &v); err != nil {
			t.Errorf("bad value in %q", line)
		}
	}
	for name, c := range types {
		if c != 1 {
			t.Errorf("family %s has %d TYPE lines", name, c)
		}
	}
}

func TestMiningAdmin(t *testing.T) {
	// A node without a miner address: 409 no_miner.
	e := newEnv(t, node.Config{})
	_, err := e.cl.Mine(context.Background(), true)
	if ae := apiErr(t, err); ae.Status != 409 || ae.Code != api.CodeNoMiner {
		t.Errorf("start without miner: %v", err)
	}
	// With an address: start mines, stop stops.
	addr := keys.Address{0x77}
	m := newEnv(t, node.Config{MinerAddr: addr})
	r, err := m.cl.Mine(context.Background(), true)
	if err != nil || !r.Mining || r.Address == nil || *r.Address != addr {
		t.Fatalf("start: %+v %v", r, err)
	}
	for m.n.Chain().Snapshot().Height < 2 {
		st, err := m.cl.Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !st.Mining {
			t.Fatal("status says not mining")
		}
	}
	r, err = m.cl.Mine(context.Background(), false)
	if err != nil || r.Mining {
		t.Fatalf("stop: %+v %v", r, err)
	}
	if bal := m.n.Chain().Snapshot().State.Account(addr).Balance; bal == 0 {
		t.Error("miner earned nothing")
	}
}
