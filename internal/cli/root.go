// Package cli builds the cobra command trees of the sketchwork command. Every
// command is made by a factory, so tests build a fresh tree and run it
// in-process; nothing is held in package globals. Data goes to the command's
// stdout, logs and progress bars to its stderr (bars only on a terminal).
//
// Exit codes (DESIGN.md, command-line contract): 0 success, 1 the algorithm
// did not meet its tolerance (or a reproduce check failed), 2 bad usage or
// bad input.
package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/sketchwork/sketchwork/experiment"
)

// Deps are the command tree's dependencies.
type Deps struct {
	// Registry builds the registry of experiments and benchmark suites.
	Registry func() (*experiment.Registry, error)
	// Version is printed by `sketchwork version`; empty means the module
	// version from the build info.
	Version string
	// Stdin is used by commands that read standard input; nil means os.Stdin.
	Stdin io.Reader
}

// ExitError carries a process exit code with its cause.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// Exit codes.
const (
	ExitOK         = 0
	ExitNotMet     = 1
	ExitBadInput   = 2
	exitUsageError = 2
)

// badInput marks err as bad usage or bad input (exit code 2).
func badInput(err error) error {
	if err == nil {
		return nil
	}
	return &ExitError{Code: ExitBadInput, Err: err}
}

// badInputf formats a bad-input error.
func badInputf(format string, args ...any) error { return badInput(fmt.Errorf(format, args...)) }

// notMet marks err as "the algorithm did not meet its tolerance" (exit 1).
func notMet(err error) error { return &ExitError{Code: ExitNotMet, Err: err} }

// ExitCode maps an error returned by Execute to the process exit code. Errors
// without an ExitError (cobra's flag and argument errors among them) are
// usage errors.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var e *ExitError
	if errors.As(err, &e) {
		return e.Code
	}
	return exitUsageError
}

// NewRootCmd returns the sketchwork command tree.
func NewRootCmd(deps Deps) *cobra.Command {
	root := &cobra.Command{
		Use:   "sketchwork",
		Short: "Sketching, preconditioning and approximate Newton solvers from recent theory papers",
		Long: `Sketchwork turns a family of theory papers into solvers, commands and
reproducible experiments. Run "sketchwork reproduce" for every paper's
experiment and a report folder.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		newReproduceCmd(deps),
		newBenchCmd(deps),
		newGenCmd(),
		newLsqCmd(),
		newSketchCmd(),
		newNewtonCmd(),
		newVersionCmd(deps),
	)
	return root
}

// Execute runs the tree on args and prints a non-nil error to stderr in the
// form "sketchwork: ...". It returns the exit code.
func Execute(cmd *cobra.Command, args []string) int {
	cmd.SetArgs(args)
	err := cmd.Execute()
	if err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "%s: %v\n", cmd.Name(), err)
	}
	return ExitCode(err)
}

// writeJSON prints v as one JSON object on w.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	return enc.Encode(v)
}

// moduleVersion returns the main module's version from the build info.
func moduleVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// stdin returns the configured standard input.
func (d Deps) stdin() io.Reader {
	if d.Stdin != nil {
		return d.Stdin
	}
	return os.Stdin
}
