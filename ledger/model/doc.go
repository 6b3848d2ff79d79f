// Package model is GradientCoin's shared language model: a character-level
// softmax regression over hashed n-gram features, trained and evaluated in
// Q8.24 integer arithmetic so that every node computes bit-identical weights
// (papers/gradientcoin.md sections 3.5, 4.2, 5.1 and 9).
//
// # Model
//
// The vocabulary is the V = 96 symbols of package corpus. The weights
// W[801][96] are int32 in Q8.24 (76,896 parameters, 307,584 bytes), all zero
// at genesis, which is the uniform distribution with loss ln 96 = 4.564 nats.
// A context (c1, c2, c3), c1 the most recent symbol, activates five rows
// (ActiveRows): c1, 96+c2, 192+c3, 288 + ((uint32(c1)*96+uint32(c2)) *
// 0x9E3779B1 >> 23) (512 hashed bigram buckets) and the bias row 800. The
// logits are z[v] = sum of W[r][v] over those rows, in int64.
//
// # Forward pass and loss (section 4.2)
//
// m = max z; e[v] = fixed.ExpQ(z[v]-m) (Q.32); S = sum e; p[v] =
// (e[v]<<24)/S (Q.24, truncating); loss = ((Log2Q(S) - Log2Q(max(e[y],1))) *
// 744261118) >> 30 nats in Q8.24. MeanLoss is the exact integer sum divided
// by the count, so any order and any goroutine split (MeanLossParallel) give
// the same result. With the tables of package fixed the loss is within
// 7e-6 nats of the real-valued cross-entropy for logit gaps up to 5 (tested).
//
// # Training
//
// Trainer.Step is one SGD step: G[r][v] += p[v] - (v == y ? One : 0) in int64
// for every window and active row, then each touched cell is updated once,
// W = clamp(W - (G*LRNum)/(B*LRDen)) with truncating division and clamping
// to +-(2^31-1). Train(w, c, seed, p) returns new weights after p.K steps,
// step k using the p.B training windows c.TrainBatch(seed, k, p.B); it never
// modifies w. The consensus parameters are DefaultParams(): K = 8, B = 64,
// learning rate 1/2.
//
// A miner's try (section 5.1) is Train from the parent's weights with seed =
// H_"gc/train/v1"(parent hash || miner || u64(train nonce)) followed by
// MeanLoss on the verification batch c.HeldOutBatch(vseed, 0, VB) with vseed
// = H_"gc/verify/v1"(parent hash) and VB = 256; LossBefore is the parent's
// MeanLoss on the same batch. Seed derivation belongs to package pogw.
//
// # Commitment
//
// Encode writes the weights row-major as little-endian int32; Decode reverses
// it. Root (the header's ModelRoot) is the RFC 6962 root over the 76 chunks
// of 4 KiB of that encoding (the last one 384 bytes).
//
// # Generation (section 9)
//
// Generate continues a prompt (left-padded with '\n' to three symbols) with
// greedy decoding (temperature 0, lowest symbol wins ties) or sampling:
// logits scaled by 1000/temperature_milli with integer division, optional
// top-k, randomness SHA256("gc/gen/v1" || u64(seed) || u64(i)) mapped to
// [0, S) by a 64x64-bit multiply. Same (weights, prompt, params) gives the
// same text on every machine.
//
// # Cost (measured on the shared 2-core development machine, one goroutine)
//
// Loss of one window: about 0.6-0.9 us (96 ExpQ and 2 Log2Q). One SGD step
// with B = 64: 0.1-0.2 ms. One training try (K = 8, B = 64, plus the VB = 256
// verification loss and the batch selection): about 1.7 ms of CPU (2.2 ms
// wall-clock median when the machine is quiet), against the 4 ms the
// specification's prototype measured. Root: about 0.5 ms. Clone: a 300 KB
// allocation and copy (~0.2 ms, dominated by the allocation); CopyFrom and
// Trainer.TrainTo reuse a buffer (~10 us). A Trainer holds a 600 KB gradient
// accumulator and allocates nothing per step. Replaying a block costs one
// try; EvalLoss on 2048 windows about 1.5 ms on two goroutines.
//
// # Determinism
//
// Only integer arithmetic is used; non-test files never mention hardware
// floating-point types or the math package, and the package imports only
// the standard library and ledger/hashx, fixed and corpus (internal/archtest
// enforces both).
// testdata/golden.json pins ModelRoot and losses after 1, 10 and 100 rounds
// and generated text; the tests pass unchanged under GOAMD64=v1 and v3 and
// the package builds for arm64.
package model
