// Package chaintest holds GradientCoin's consensus test vectors in the
// style of btcd's fullblocktests: named sequences of blocks with their
// expected outcomes (AcceptedBlock, RejectedBlock{Code}, OrphanBlock,
// DuplicateBlock, RejectedBytes) and expectations (ExpectedTip,
// ExpectedAccount), built by a Generator that mines real blocks with the
// node's own pogw code on an easy target.
//
// The same vectors drive the unit tests of package chain (through
// ChainNode) and, through the Node interface, multi-node tests where a
// block is submitted to one node and the expectation is checked on others.
//
// # Vectors
//
// Vectors(g) on FastParams (target 2^246, NoRetarget): equal-work ties
// (first seen wins), reorgs of depth 1 and 20 and back, an invalid block
// deep in a heavier side branch (old tip kept, descendants invalid), an
// out-of-order branch whose valid prefix wins, orphans, the 64-block orphan
// pool bound, double spends across branches, the MTP and future-drift
// rules, and one bad block per consensus rule. RetargetVectors(g) on
// RetargetParams checks the window boundaries of the difficulty rule.
//
// # Cost
//
// Mining a vector block costs a training try or two (2 ms each) and about
// 1000 hashes; all vectors together take about a second to generate.
// Generated blocks keep their state and 300 KB of weights each.
package chaintest
