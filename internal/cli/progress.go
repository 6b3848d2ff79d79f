package cli

import (
	"io"
	"os"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"
)

// progressScale is the resolution of fractional progress bars.
const progressScale = 1000

// isTerminal reports whether w is a terminal (progress bars render only there).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progress is a set of bars on stderr, or nothing when stderr is not a terminal.
type progress struct{ p *mpb.Progress }

func newProgress(w io.Writer) *progress {
	if !isTerminal(w) {
		return &progress{}
	}
	return &progress{p: mpb.New(mpb.WithOutput(w), mpb.WithWidth(40))}
}

// bar is one fractional progress bar; a nil *bar ignores all calls.
type bar struct{ b *mpb.Bar }

// Bar adds a bar named name that goes from 0 to 1.
func (p *progress) Bar(name string) *bar {
	if p.p == nil {
		return nil
	}
	b := p.p.AddBar(progressScale,
		mpb.PrependDecorators(decor.Name(name, decor.WC{C: decor.DindentRight | decor.DextraSpace}), decor.Elapsed(decor.ET_STYLE_GO)),
		mpb.AppendDecorators(decor.Percentage()),
		mpb.BarRemoveOnComplete(),
	)
	return &bar{b: b}
}

// Set moves the bar to fraction f in [0, 1].
func (b *bar) Set(f float64) {
	if b == nil {
		return
	}
	b.b.SetCurrent(int64(f * progressScale))
}

// Done completes the bar.
func (b *bar) Done() {
	if b == nil {
		return
	}
	b.b.SetTotal(progressScale, true)
}

// Wait flushes the bars.
func (p *progress) Wait() {
	if p.p != nil {
		p.p.Wait()
	}
}
