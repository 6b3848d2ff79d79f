// Package experiment turns paper claims into runnable, checkable experiments.
// Each Experiment generates its instance from a seed, runs the algorithm and
// its baselines, and returns an Outcome: tables, figure data and Checks that
// can fail. `sketchwork reproduce` runs every registered experiment and
// internal/report writes the report folder (REPORT.md and PNG plots).
//
// The Registry is built by the command, not held in a package global:
// Builtin adds this package's experiments, and other parts of the module
// (such as the GradientCoin ledger) add their own, so this package never
// imports them.
package experiment
