package api

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/keys"
	"github.com/sketchwork/sketchwork/ledger/types"
)

// Client calls a node's HTTP API (the wallet, tests and tools use it).
type Client struct {
	base string
	hc   *http.Client
}

// Error is an error answer of the API: the HTTP status and the body's
// code ("ErrBadSignature", "not_found", ...).
type Error struct {
	Status  int
	Code    string
	Message string
}

// Error implements error.
func (e *Error) Error() string {
	if strings.HasPrefix(e.Message, e.Code) { // rule errors start with their code
		return fmt.Sprintf("node answered %d: %s", e.Status, e.Message)
	}
	return fmt.Sprintf("node answered %d %s: %s", e.Status, e.Code, e.Message)
}

// NewClient returns a client of the node at base (e.g.
// "http://127.0.0.1:8645"). hc nil means a client with a 30 s timeout.
func NewClient(base string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("node URL %q: want http://host:port", base)
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{base: strings.TrimRight(base, "/"), hc: hc}, nil
}

// Base returns the node URL.
func (c *Client) Base() string { return c.base }

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("reading the answer of %s %s: %w", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		var eb ErrorBody
		if json.Unmarshal(data, &eb) != nil || eb.Code == "" {
			eb = ErrorBody{Error: strings.TrimSpace(string(data)), Code: http.StatusText(resp.StatusCode)}
		}
		return &Error{Status: resp.StatusCode, Code: eb.Code, Message: eb.Error}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decoding the answer of %s %s: %w", method, path, err)
	}
	return nil
}

// Status calls GET /v1/status.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	var s Status
	return &s, c.do(ctx, http.MethodGet, "/v1/status", nil, &s)
}

// Account calls GET /v1/accounts/{addr}.
func (c *Client) Account(ctx context.Context, addr keys.Address) (*Account, error) {
	var a Account
	return &a, c.do(ctx, http.MethodGet, "/v1/accounts/"+addr.String(), nil, &a)
}

// SubmitTx calls POST /v1/tx with a signed transaction.
func (c *Client) SubmitTx(ctx context.Context, tx *types.Tx) (hashx.Hash, error) {
	var r SubmitTxResult
	err := c.do(ctx, http.MethodPost, "/v1/tx", SubmitTx{Tx: hex.EncodeToString(tx.Encode())}, &r)
	return r.TxID, err
}

// Tx calls GET /v1/tx/{id}; an unknown transaction is an *Error with
// Status 404.
func (c *Client) Tx(ctx context.Context, id hashx.Hash) (*Tx, error) {
	var t Tx
	return &t, c.do(ctx, http.MethodGet, "/v1/tx/"+id.String(), nil, &t)
}

// Block calls GET /v1/blocks/{id} (a height, a hash or "tip").
func (c *Client) Block(ctx context.Context, id string) (*Block, error) {
	var b Block
	return &b, c.do(ctx, http.MethodGet, "/v1/blocks/"+url.PathEscape(id), nil, &b)
}

// Loss calls GET /v1/model/loss?from&to.
func (c *Client) Loss(ctx context.Context, from, to uint64) ([]LossPoint, error) {
	var ps []LossPoint
	q := "?from=" + strconv.FormatUint(from, 10) + "&to=" + strconv.FormatUint(to, 10)
	return ps, c.do(ctx, http.MethodGet, "/v1/model/loss"+q, nil, &ps)
}

// Generate calls POST /v1/generate.
func (c *Client) Generate(ctx context.Context, req Generate) (*Generated, error) {
	var g Generated
	return &g, c.do(ctx, http.MethodPost, "/v1/generate", req, &g)
}

// Chat calls POST /v1/chat.
func (c *Client) Chat(ctx context.Context, req Chat) (*ChatReply, error) {
	var r ChatReply
	return &r, c.do(ctx, http.MethodPost, "/v1/chat", req, &r)
}

// Mine calls POST /admin/mine/start (on) or /admin/mine/stop.
func (c *Client) Mine(ctx context.Context, on bool) (*Mining, error) {
	path := "/admin/mine/stop"
	if on {
		path = "/admin/mine/start"
	}
	var m Mining
	return &m, c.do(ctx, http.MethodPost, path, nil, &m)
}

// Metrics fetches GET /metrics as text.
func (c *Client) Metrics(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/metrics", nil)
	if err != nil {
		return "", err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", &Error{Status: resp.StatusCode, Code: http.StatusText(resp.StatusCode), Message: string(b)}
	}
	return string(b), nil
}
