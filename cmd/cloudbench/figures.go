package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
)

// figure is one measured figure of a benchmark, as a value: the table `make bench`
// prints at the end is made of these, never of the printed text.
type figure struct {
	Name  string  // what was measured
	Value float64 // the figure, in Unit
	Unit  string
	// Reference is what the figure is compared with ("" when the goal is an absolute
	// bound on Value); RefValue is its figure in the same unit.
	Reference string
	RefValue  float64
	// The goal: Ratio (Value ÷ RefValue, or Value without a reference) at least Bound
	// when AtLeast, at most Bound otherwise. Bound 0: no goal, reported only.
	AtLeast bool
	Bound   float64
	Command string // the command (or code path) that measured it
	Load    string // /proc/loadavg (1, 5, 15 minutes) when the measurement ended
}

// ratio is Value ÷ RefValue, or Value when there is no reference.
func (f figure) ratio() float64 {
	if f.Reference == "" {
		return f.Value
	}
	if f.RefValue == 0 {
		return 0
	}
	return f.Value / f.RefValue
}

func (f figure) goal() string {
	if f.Bound == 0 {
		return "—"
	}
	op := "≤"
	if f.AtLeast {
		op = "≥"
	}
	if f.Reference == "" {
		return fmt.Sprintf("%s %s %s", op, num(f.Bound), f.Unit)
	}
	return fmt.Sprintf("%s %s×", op, num(f.Bound))
}

func (f figure) met() string {
	if f.Bound == 0 {
		return "—"
	}
	r := f.ratio()
	if (f.AtLeast && r >= f.Bound) || (!f.AtLeast && r <= f.Bound) {
		return "met"
	}
	return "NOT met"
}

// loadNow is the machine's load average now (1, 5, 15 minutes).
func loadNow() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func num(v float64) string {
	switch {
	case v >= 100 || v <= -100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10 || v <= -10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

// printTable prints the figures of every benchmark run, one row each.
func printTable(w io.Writer, figs []figure) {
	fmt.Fprintln(w, "\n== summary (ratios in one run; load average = 1, 5, 15 min when the figure was taken)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\tvalue\treference\tratio\tgoal\tmet\tload\tcommand")
	for _, f := range figs {
		ref, ratio := "—", "—"
		if f.Reference != "" {
			ref = fmt.Sprintf("%s: %s %s", f.Reference, num(f.RefValue), f.Unit)
			ratio = num(f.ratio()) + "×"
		}
		fmt.Fprintf(tw, "%s\t%s %s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.Name, num(f.Value), f.Unit, ref, ratio, f.goal(), f.met(), f.Load, f.Command)
	}
	tw.Flush()
}

// figuresFile names the file a benchmark's child process writes its figures to (JSON).
const figuresFile = "CLOUDBENCH_FIGURES_FILE"

// writeFigures hands a child process's figures to its parent.
func writeFigures(figs []figure) error {
	b, err := json.Marshal(figs)
	if err != nil {
		return err
	}
	return os.WriteFile(os.Getenv(figuresFile), b, 0o644)
}

// readFigures reads what a child process wrote with writeFigures.
func readFigures(path string) ([]figure, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var figs []figure
	return figs, json.Unmarshal(b, &figs)
}
