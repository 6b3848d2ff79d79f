// Package sketch provides random sketching operators for randomized
// numerical linear algebra: a Spec and a seed determine an immutable operator
// S (RandBLAS style) that maps a tall n x d matrix A to a small s x d matrix
// S·A preserving the geometry of range(A) (regression.md sections 1-3).
package sketch
