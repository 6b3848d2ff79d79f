package report

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/sketchwork/sketchwork/internal/fileutil"
)

// BenchSection renders one benchmark suite's run as the Markdown section kept
// in BENCHMARKS.md: the command, machine and date, then the tables, checks
// and notes.
func BenchSection(r Run, command string, when time.Time) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "## %s\n\n", r.Experiment.Title)
	fmt.Fprintf(&b, "- command: `%s`\n- machine: %s\n- date: %s\n- wall time: %.1f s\n\n",
		command, Machine(), when.UTC().Format("2006-01-02"), r.Duration.Seconds())
	if r.Experiment.Claim != "" {
		fmt.Fprintf(&b, "Targets: %s\n\n", r.Experiment.Claim)
	}
	if r.Err != nil {
		fmt.Fprintf(&b, "Error: `%v`\n\n", r.Err)
	}
	if o := r.Outcome; o != nil {
		for _, t := range o.Tables {
			b.WriteString(t.Markdown())
			b.WriteString("\n")
		}
		if len(o.Checks) > 0 {
			b.WriteString("| target | met | detail |\n| --- | --- | --- |\n")
			for _, c := range o.Checks {
				fmt.Fprintf(&b, "| %s | %s | %s |\n", c.Name, map[bool]string{true: "yes", false: "**no**"}[c.Pass], c.Detail)
			}
			b.WriteString("\n")
		}
		for _, n := range o.Notes {
			fmt.Fprintf(&b, "%s\n\n", n)
		}
	}
	return b.String()
}

func markers(name string) (string, string) {
	return "<!-- bench:" + name + ":begin -->", "<!-- bench:" + name + ":end -->"
}

// UpdateBenchFile replaces the section of suite name in the Markdown file at
// path (between its begin/end markers) with section, appending it when
// absent and creating the file when missing. Other sections are untouched;
// the write is atomic.
func UpdateBenchFile(path, name, section string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	text := string(old)
	if text == "" {
		text = "# Benchmarks\n\nEach section below is written by `sketchwork bench SUITE --write BENCHMARKS.md`; the\ncommand, machine and date head every table. Ratios are anchor time / Sketchwork time\nmeasured in the same run.\n\n"
	}
	begin, end := markers(name)
	block := begin + "\n" + strings.TrimRight(section, "\n") + "\n" + end + "\n"
	i := strings.Index(text, begin)
	j := strings.Index(text, end)
	switch {
	case i >= 0 && j > i:
		text = text[:i] + block + strings.TrimPrefix(text[j+len(end):], "\n")
	case i >= 0 || j >= 0:
		return fmt.Errorf("%s: unbalanced markers for benchmark section %q", path, name)
	default:
		if !strings.HasSuffix(text, "\n") {
			text += "\n"
		}
		text += "\n" + block
	}
	return fileutil.WriteFileAtomic(path, []byte(text), 0o644)
}
