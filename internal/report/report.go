// Package report writes the folder that `sketchwork reproduce` and
// `sketchwork bench` produce: REPORT.md with one section per experiment (the
// paper, the claim, tables, plots, PASS/FAIL of every check) and the plots as
// PNG files rendered with gonum/plot. It is the only package that imports a
// plotting library.
package report

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/sketchwork/sketchwork/experiment"
	"github.com/sketchwork/sketchwork/internal/fileutil"
)

// Run is one experiment's execution.
type Run struct {
	Experiment experiment.Experiment
	Outcome    *experiment.Outcome
	Err        error
	Duration   time.Duration
}

// Pass reports whether the run finished without error and all checks passed.
func (r Run) Pass() bool { return r.Err == nil && r.Outcome.Pass() }

// Meta describes the whole run for the report header.
type Meta struct {
	Title   string // "Sketchwork reproduce report"
	Command string // the command line that produced it
	Seed    uint64
	Full    bool
	Started time.Time
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Write creates dir (if needed) and writes REPORT.md and one PNG per figure.
// Every file is written atomically.
func Write(dir string, meta Meta, runs []Run) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var b bytes.Buffer
	title := meta.Title
	if title == "" {
		title = "Sketchwork report"
	}
	fmt.Fprintf(&b, "# %s\n\n", title)
	fmt.Fprintf(&b, "- command: `%s`\n- seed: %d\n- sizes: %s\n- started: %s\n- machine: %s\n\n",
		meta.Command, meta.Seed, map[bool]string{false: "quick", true: "full"}[meta.Full],
		meta.Started.UTC().Format(time.RFC3339), Machine())
	b.WriteString("| experiment | result | time |\n| --- | --- | --- |\n")
	for _, r := range runs {
		fmt.Fprintf(&b, "| [%s](#%s) | %s | %.1f s |\n", r.Experiment.Name, anchor(r.Experiment.Title), verdict(r), r.Duration.Seconds())
	}
	b.WriteString("\n")
	for _, r := range runs {
		if err := writeSection(&b, dir, r); err != nil {
			return err
		}
	}
	return fileutil.WriteFileAtomic(filepath.Join(dir, "REPORT.md"), b.Bytes(), 0o644)
}

func verdict(r Run) string {
	switch {
	case r.Err != nil:
		return "ERROR"
	case r.Outcome.Pass():
		return "PASS"
	default:
		return "FAIL"
	}
}

// anchor mimics GitHub's heading anchors closely enough for simple titles.
func anchor(title string) string {
	s := strings.ToLower(title)
	s = regexp.MustCompile(`[^a-z0-9 _-]`).ReplaceAllString(s, "")
	return strings.ReplaceAll(s, " ", "-")
}

func writeSection(b *bytes.Buffer, dir string, r Run) error {
	e := r.Experiment
	fmt.Fprintf(b, "## %s\n\n", e.Title)
	fmt.Fprintf(b, "- name: `%s` — **%s** (%.1f s)\n", e.Name, verdict(r), r.Duration.Seconds())
	if e.Paper != "" {
		fmt.Fprintf(b, "- paper: %s\n", e.Paper)
	}
	if e.Claim != "" {
		fmt.Fprintf(b, "- claim: %s\n", e.Claim)
	}
	if e.Reconstruction != "" {
		fmt.Fprintf(b, "- **rests on a reconstruction:** %s\n", e.Reconstruction)
	}
	b.WriteString("\n")
	if r.Err != nil {
		fmt.Fprintf(b, "Error: `%v`\n\n", r.Err)
	}
	o := r.Outcome
	if o == nil {
		return nil
	}
	if len(o.Checks) > 0 {
		b.WriteString("| check | result | detail |\n| --- | --- | --- |\n")
		for _, c := range o.Checks {
			fmt.Fprintf(b, "| %s | %s | %s |\n", c.Name, map[bool]string{true: "PASS", false: "FAIL"}[c.Pass], c.Detail)
		}
		b.WriteString("\n")
	}
	for _, t := range o.Tables {
		b.WriteString(t.Markdown())
		b.WriteString("\n")
	}
	for _, f := range o.Figures {
		name := unsafeName.ReplaceAllString(e.Name+"-"+f.Name, "_") + ".png"
		if err := RenderFigure(f, filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("figure %s of %s: %w", f.Name, e.Name, err)
		}
		fmt.Fprintf(b, "![%s](%s)\n\n", f.Title, name)
	}
	for _, n := range o.Notes {
		fmt.Fprintf(b, "%s\n\n", n)
	}
	return nil
}

// RenderFigure draws f as a PNG at path (atomically). On log axes,
// non-positive and non-finite points are dropped.
func RenderFigure(f experiment.Figure, path string) error {
	p := plot.New()
	p.Title.Text = f.Title
	p.X.Label.Text = f.XLabel
	p.Y.Label.Text = f.YLabel
	if f.LogX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = logTicks{}
	}
	if f.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = logTicks{}
	}
	p.Add(plotter.NewGrid())
	drawn := 0
	for i, s := range f.Series {
		pts := make(plotter.XYs, 0, len(s.X))
		for k := range s.X {
			x, y := s.X[k], s.Y[k]
			if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) ||
				(f.LogX && x <= 0) || (f.LogY && y <= 0) {
				continue
			}
			pts = append(pts, plotter.XY{X: x, Y: y})
		}
		if len(pts) == 0 {
			continue
		}
		drawn++
		c := plotutil.Color(i)
		if s.Points {
			sc, err := plotter.NewScatter(pts)
			if err != nil {
				return err
			}
			sc.Color = c
			sc.Shape = plotutil.Shape(i)
			p.Add(sc)
			p.Legend.Add(s.Label, sc)
			continue
		}
		l, sc, err := plotter.NewLinePoints(pts)
		if err != nil {
			return err
		}
		l.Color = c
		l.Dashes = plotutil.Dashes(i)
		sc.Color = c
		sc.Shape = plotutil.Shape(i)
		p.Add(l, sc)
		p.Legend.Add(s.Label, l, sc)
	}
	if drawn == 0 {
		p.Add(plotter.NewFunction(func(float64) float64 { return 1 }))
		p.Title.Text += " (no data)"
		p.Title.TextStyle.Color = color.Gray{Y: 128}
	}
	p.Legend.Top = true
	wt, err := p.WriterTo(16*vg.Centimeter, 11*vg.Centimeter, "png")
	if err != nil {
		return err
	}
	return fileutil.WriteAtomic(path, 0o644, func(w io.Writer) error {
		_, err := wt.WriteTo(w)
		return err
	})
}

// logTicks is plot.LogTicks with labels rounded to three significant digits:
// the ticks are computed as powers of ten in floating point, and printing
// them exactly gives labels such as 9.999999999999999e-05.
type logTicks struct{}

// Ticks returns the log-scale ticks between min and max.
func (logTicks) Ticks(min, max float64) []plot.Tick {
	ts := plot.LogTicks{Prec: -1}.Ticks(min, max)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'g', 3, 64)
		}
	}
	return ts
}
