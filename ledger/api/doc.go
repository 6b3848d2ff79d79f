// Package api is the HTTP/JSON interface of a GradientCoin node
// (papers/gradientcoin.md section 9): chain status, accounts, transaction
// submission and lookup, blocks, the model's loss history, text
// generation from the chain's model, Prometheus metrics and mining
// control. A Client for the same endpoints serves the wallet (cmd/gcoin),
// tests and tools.
//
// # Endpoints
//
//	GET  /v1/status              height, tip, chainwork, peers, mempool, syncing,
//	                             model_root, loss_after, eval_loss, mining, ...
//	POST /v1/generate            {prompt, max_tokens, temperature_milli, top_k, seed}
//	                             -> {text, height, tip, model_root}
//	POST /v1/chat                {messages:[{role,content}], ...} -> renders
//	                             "User: ...\nBot: " and generates -> {reply, text, ...}
//	GET  /v1/accounts/{addr}     {balance, nonce, pending_nonce, ...} (unknown = zeros)
//	POST /v1/tx                  {"tx": hex} or the bare hex -> {txid}
//	GET  /v1/tx/{id}             {status: pending|confirmed, block, confirmations, ...}
//	GET  /v1/blocks/{id}         id = height, hash or "tip": header fields + txids
//	GET  /v1/model/loss?from&to  [{height, hash, loss_before, loss_after, eval_loss}]
//	GET  /metrics                Prometheus text format (written by hand)
//	POST /admin/mine/start|stop  {mining, address}
//
// Errors are JSON {error, code}. A transaction a rule rejects gets 400 (409
// for ErrAlreadyKnown, 503 for ErrMempoolFull) with the rule's name as
// code ("ErrBadSignature", "ErrNonceGap", ...); other codes are the Code*
// constants. Generation is deterministic: the same model (ModelRoot),
// prompt, parameters and seed give the same text on every node.
//
// # Limits (Options)
//
// Request bodies 64 KiB (413 beyond), prompts 1 KiB (413; chat prompts are
// cut to their last 1 KiB, the model reading only the last three
// symbols anyway), max_tokens 512, 4 generations at once (a request waits
// up to 5 s for a slot, then 503), a per-IP token bucket (20 requests/s,
// burst 40; 429 with Retry-After), and http.Server timeouts
// (NewHTTPServer). The node listens on 127.0.0.1 by default; the admin
// endpoints have no authentication, so do not expose the API beyond
// loopback without a proxy that guards /admin.
//
// # Concurrency
//
// Handlers read the chain's immutable tip snapshot and never take the
// chain's writer lock, so serving never blocks validation and vice versa.
//
// # Cost
//
// Status costs one eval-loss lookup (cached per tip by the node). A
// generation costs about 1-3 us per symbol (96 logits, ExpQ, a SHA-256 per
// sampled symbol). Submitting a transaction costs its ed25519 verification
// (~50 us) plus the mempool's policy checks.
package api
