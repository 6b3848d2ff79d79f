// Package archtest holds the architecture test of the module: the one-way
// layering of DESIGN.md ("Layers"), the rule that problem families never
// import each other, the packages allowed to import cobra, progress bars,
// plotting, libp2p and bbolt, the ledger's own layer order, the consensus
// path of the ledger (standard library only, even indirectly, and no
// floating point: no float types or literals, no package math beyond its
// integer limits), and the ban on math/rand's global functions in library
// code. It has no non-test code.
package archtest
