// Package lab holds the GradientCoin experiments that `sketchwork
// reproduce` runs. They live on the ledger side: package experiment never
// imports the ledger, and internal/cli's DefaultRegistry adds Experiments().
//
// # gradientcoin-loss
//
// The "train by mining" claim (papers/gradientcoin.md sections 5.1 and
// 10.4, test 1, on one node): a node (package node, in-memory store) mines
// 200 blocks (1000 with --full) on the dev-fast network with its miner
// (package miner); the experiment then reads the eval loss of the model at
// every height (node.LossHistory), plots it against the height with each
// block's LossAfter, tabulates milestones and costs, and checks that the
// eval loss at the last height is at least 1 nat below the uniform model's
// ln 96 = 4.564, that it still falls in the second half, that every block
// met the improvement rule, and that an independent node replaying the
// chain from genesis reaches the same ModelRoot. The clock advances one
// second per block, so everything but the timings depends only on the
// seed.
//
// # Cost
//
// About 10 ms per block on the shared 2-core machine (one or two training
// tries, about 1000 hashes, the chain's re-verification, the tip's eval
// loss), a few seconds for the quick size; the replay on the second node
// costs about the chain's verification time again.
package lab
