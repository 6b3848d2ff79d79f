package api

import (
	"github.com/sketchwork/sketchwork/ledger/hashx"
	"github.com/sketchwork/sketchwork/ledger/keys"
)

// The JSON bodies of the API. Amounts are integers in base units (1 GC =
// 10^8 units; JSON numbers stay exact up to 2^53, above any supply the
// built-in networks can reach) with a "_gc" decimal string next to them
// where people read them. Losses are nats as floating-point numbers (the
// API is outside consensus) next to the exact Q8.24 integers ("_q24").

// Status is the body of GET /v1/status.
type Status struct {
	Network      string     `json:"network"`
	ChainID      uint32     `json:"chain_id"`
	Genesis      hashx.Hash `json:"genesis"`
	Height       uint64     `json:"height"`
	Tip          hashx.Hash `json:"tip"`
	TipTime      int64      `json:"tip_time_ms"`
	ChainWork    string     `json:"chainwork"` // decimal
	NextTarget   string     `json:"next_target"`
	Peers        int        `json:"peers"`
	Syncing      bool       `json:"syncing"`
	Mempool      int        `json:"mempool"`
	MempoolBytes int        `json:"mempool_bytes"`
	ModelRoot    hashx.Hash `json:"model_root"`
	// LossAfter is the tip header's LossAfter (its verification batch);
	// EvalLoss is the tip model's loss on the fixed evaluation set
	// (corpus.EvalWindows held-out windows, outside consensus).
	LossAfter    float64       `json:"loss_after"`
	LossAfterQ24 int64         `json:"loss_after_q24"`
	EvalLoss     float64       `json:"eval_loss"`
	EvalLossQ24  int64         `json:"eval_loss_q24"`
	Mining       bool          `json:"mining"`
	MinerAddress *keys.Address `json:"miner_address,omitempty"`
	MinFee       uint64        `json:"min_fee"`
	// Subsidy is the reward of the next block, in base units.
	Subsidy uint64 `json:"subsidy"`
}

// Account is the body of GET /v1/accounts/{addr}.
type Account struct {
	Address   keys.Address `json:"address"`
	Balance   uint64       `json:"balance"`
	BalanceGC string       `json:"balance_gc"`
	// Nonce is the state nonce at the tip; PendingNonce the nonce a new
	// transaction should use (after the sender's pending ones).
	Nonce        uint64 `json:"nonce"`
	PendingNonce uint64 `json:"pending_nonce"`
	Pending      int    `json:"pending"`
	Height       uint64 `json:"height"`
}

// SubmitTx is the body of POST /v1/tx (the endpoint also takes the bare
// hex string as the whole body).
type SubmitTx struct {
	Tx string `json:"tx"` // hex of the canonical encoding, signature included
}

// SubmitTxResult is the answer of POST /v1/tx.
type SubmitTxResult struct {
	TxID hashx.Hash `json:"txid"`
}

// Transaction statuses of GET /v1/tx/{id}.
const (
	TxPending   = "pending"
	TxConfirmed = "confirmed"
	TxUnknown   = "unknown"
)

// Tx is the body of GET /v1/tx/{id}.
type Tx struct {
	TxID   hashx.Hash `json:"txid"`
	Status string     `json:"status"`
	// Block, Height, Index and Confirmations are set for confirmed
	// transactions (Confirmations = tip height - block height + 1).
	Block         *hashx.Hash  `json:"block,omitempty"`
	Height        uint64       `json:"height,omitempty"`
	Index         uint32       `json:"index,omitempty"`
	Confirmations uint64       `json:"confirmations"`
	Coinbase      bool         `json:"coinbase,omitempty"`
	From          keys.Address `json:"from"`
	To            keys.Address `json:"to"`
	Amount        uint64       `json:"amount"`
	Fee           uint64       `json:"fee"`
	Nonce         uint64       `json:"nonce"`
	Memo          string       `json:"memo,omitempty"` // hex
}

// Block is the body of GET /v1/blocks/{hash or height}: the header, the
// transaction ids and where the block stands.
type Block struct {
	Hash          hashx.Hash   `json:"hash"`
	Height        uint64       `json:"height"`
	Version       uint32       `json:"version"`
	PrevHash      hashx.Hash   `json:"prev_hash"`
	TxRoot        hashx.Hash   `json:"tx_root"`
	StateRoot     hashx.Hash   `json:"state_root"`
	ModelRoot     hashx.Hash   `json:"model_root"`
	Miner         keys.Address `json:"miner"`
	TrainNonce    uint64       `json:"train_nonce"`
	LossBefore    float64      `json:"loss_before"`
	LossAfter     float64      `json:"loss_after"`
	LossBeforeQ24 int64        `json:"loss_before_q24"`
	LossAfterQ24  int64        `json:"loss_after_q24"`
	Time          int64        `json:"time_ms"`
	Target        string       `json:"target"`
	Nonce         uint64       `json:"nonce"`
	TxIDs         []hashx.Hash `json:"txids"`
	Size          int          `json:"size"`
	ChainWork     string       `json:"chainwork"`
	MainChain     bool         `json:"main_chain"`
	Confirmations uint64       `json:"confirmations"`
}

// LossPoint is one element of GET /v1/model/loss: the training losses a
// block's header carries and the eval loss of the model it commits to.
type LossPoint struct {
	Height     uint64     `json:"height"`
	Hash       hashx.Hash `json:"hash"`
	LossBefore float64    `json:"loss_before"`
	LossAfter  float64    `json:"loss_after"`
	// EvalLoss is nil when the node could not compute it (for example a
	// block that left the main chain while the request ran).
	EvalLoss    *float64 `json:"eval_loss"`
	EvalLossQ24 *int64   `json:"eval_loss_q24,omitempty"`
}

// Generate is the body of POST /v1/generate.
type Generate struct {
	Prompt string `json:"prompt"`
	// MaxTokens defaults to Options.DefaultTokens when absent.
	MaxTokens *int `json:"max_tokens,omitempty"`
	// TemperatureMilli: 0 = greedy decoding.
	TemperatureMilli int64  `json:"temperature_milli"`
	TopK             int    `json:"top_k"`
	Seed             uint64 `json:"seed"`
}

// Generated is the answer of POST /v1/generate.
type Generated struct {
	Text      string     `json:"text"`
	Height    uint64     `json:"height"`
	Tip       hashx.Hash `json:"tip"`
	ModelRoot hashx.Hash `json:"model_root"`
}

// ChatMessage is one turn of a conversation; Role is "user", "assistant"
// (or "bot") or "system".
type ChatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Chat is the body of POST /v1/chat.
type Chat struct {
	Messages         []ChatMessage `json:"messages"`
	MaxTokens        *int          `json:"max_tokens,omitempty"`
	TemperatureMilli int64         `json:"temperature_milli"`
	TopK             int           `json:"top_k"`
	Seed             uint64        `json:"seed"`
}

// ChatReply is the answer of POST /v1/chat: the generated text up to its
// first newline (Reply), the whole generated text, and the rendered prompt.
type ChatReply struct {
	Reply     string     `json:"reply"`
	Text      string     `json:"text"`
	Prompt    string     `json:"prompt"`
	Height    uint64     `json:"height"`
	Tip       hashx.Hash `json:"tip"`
	ModelRoot hashx.Hash `json:"model_root"`
}

// Mining is the answer of POST /admin/mine/start and /admin/mine/stop.
type Mining struct {
	Mining  bool          `json:"mining"`
	Address *keys.Address `json:"address,omitempty"`
}

// ErrorBody is the body of every error response. Code is the consensus or
// policy rule's name (e.g. "ErrBadSignature", "ErrNonceGap") when a rule
// rejected the request, otherwise one of the Code* constants.
type ErrorBody struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// Error codes that are not consensus rules.
const (
	CodeBadRequest  = "bad_request"
	CodeNotFound    = "not_found"
	CodeTooLarge    = "too_large"
	CodeRateLimited = "rate_limited"
	CodeBusy        = "busy"
	CodeNoMiner     = "no_miner"
	CodeInternal    = "internal"
)
