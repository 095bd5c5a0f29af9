package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"cloudbill/internal/calendar"
	"cloudbill/internal/csvin"
	"cloudbill/metering"
)

// flagSet is a command's flags: the standard flag set, plus which flags are required.
type flagSet struct {
	*flag.FlagSet
	required []string
}

func newFlagSet(name string) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flagSet{FlagSet: fs}
}

// Require marks flags as required: the command does not run without them, and their
// help says so.
func (fs *flagSet) Require(names ...string) {
	for _, n := range names {
		f := fs.Lookup(n)
		if f == nil {
			panic("require: no flag --" + n)
		}
		if !strings.Contains(f.Usage, "(required)") {
			f.Usage += " (required)"
		}
		fs.required = append(fs.required, n)
	}
}

func (fs *flagSet) checkRequired() error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var missing []string
	for _, n := range fs.required {
		if !set[n] {
			missing = append(missing, "--"+n)
		}
	}
	switch len(missing) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("%s is required", missing[0])
	}
	return fmt.Errorf("%s are required", strings.Join(missing, ", "))
}

func (fs *flagSet) hasFlags() bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// parseInterspersed parses flags that come before, between or after the positional
// arguments (`catalog import FILE --effective DATE`) and returns the positional ones.
// After a lone "--" every argument is positional.
func (fs *flagSet) parseInterspersed(args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// periodValue is a --period flag: a month, YYYY-MM. Every command parses and explains it
// the same way.
type periodValue struct {
	p   calendar.Period
	set bool
}

// Period declares a month flag (YYYY-MM) and returns its value.
func (fs *flagSet) Period(name, usage string) *periodValue {
	v := &periodValue{}
	fs.Var(v, name, usage+", `YYYY-MM`")
	return v
}

func (v *periodValue) Set(s string) error {
	p, err := calendar.ParsePeriod(s)
	if err != nil {
		return errors.New("want a month YYYY-MM, e.g. 2026-11")
	}
	v.p, v.set = p, true
	return nil
}

func (v *periodValue) String() string {
	if v == nil || !v.set {
		return ""
	}
	return v.p.String()
}

// Get is the month given.
func (v *periodValue) Get() calendar.Period { return v.p }

// Or is the month given, or def when the flag was left out.
func (v *periodValue) Or(def calendar.Period) calendar.Period {
	if !v.set {
		return def
	}
	return v.p
}

// dateValue is a date flag: a day, YYYY-MM-DD.
type dateValue struct {
	d   calendar.Date
	set bool
}

// Date declares a day flag (YYYY-MM-DD) and returns its value.
func (fs *flagSet) Date(name, usage string) *dateValue {
	v := &dateValue{}
	fs.Var(v, name, usage+", `YYYY-MM-DD`")
	return v
}

func (v *dateValue) Set(s string) error {
	d, err := calendar.ParseDate(s)
	if err != nil {
		return errors.New("want a day YYYY-MM-DD, e.g. 2026-11-30")
	}
	v.d, v.set = d, true
	return nil
}

func (v *dateValue) String() string {
	if v == nil || !v.set {
		return ""
	}
	return v.d.String()
}

// Get is the day given.
func (v *dateValue) Get() calendar.Date { return v.d }

// Or is the day given, or def when the flag was left out.
func (v *dateValue) Or(def calendar.Date) calendar.Date {
	if !v.set {
		return def
	}
	return v.d
}

// encodingValue is the --encoding flag of the commands that read input files.
type encodingValue struct{ enc csvin.Encoding }

// Encoding declares --encoding on a command that reads input files.
func (fs *flagSet) Encoding() *csvin.Encoding {
	v := &encodingValue{}
	fs.Var(v, "encoding",
		"character `encoding` of the input files: auto (decided from the text: UTF-8, or GB18030 as Excel on a Chinese Windows saves; a file mixing them, or neither, is refused naming the line and byte), utf-8 or gb18030")
	return &v.enc
}

func (v *encodingValue) String() string {
	if v == nil {
		return "auto"
	}
	return v.enc.String()
}

func (v *encodingValue) Set(s string) error {
	e, err := csvin.ParseEncoding(s)
	if err != nil {
		return err
	}
	v.enc = e
	return nil
}

// MetricMax declares --metric-max (repeatable) on a command that takes samples; the
// ranges start as metering.DefaultRanges.
func (fs *flagSet) MetricMax() *metering.Ranges {
	r := metering.DefaultRanges()
	fs.Func("metric-max", "ceiling of one sample of a metric, `metric=max` (repeatable; defaults: *_util 100, net_out_gb 10000, disk_used_gb and objstore_gb 10000000, others 1e9); values below 0 or above the ceiling are rejected lines", r.ParseCeiling)
	return r
}

// choiceValue is a flag that takes one of a few words (--format table|csv|json).
type choiceValue struct {
	v       string
	choices []string
}

// Choice declares a flag taking one of choices, the first the default.
func (fs *flagSet) Choice(name, usage string, choices ...string) *string {
	c := &choiceValue{v: choices[0], choices: choices}
	fs.Var(c, name, fmt.Sprintf("%s: %s", usage, orList(choices)))
	return &c.v
}

// Format declares the --format flag of a command that writes a report.
func (fs *flagSet) Format(choices ...string) *string {
	return fs.Choice("format", "output `format`", choices...)
}

func (c *choiceValue) Set(s string) error {
	if !slices.Contains(c.choices, s) {
		return fmt.Errorf("want %s", orList(c.choices))
	}
	c.v = s
	return nil
}

func (c *choiceValue) String() string {
	if c == nil {
		return ""
	}
	return c.v
}

// orList is "a, b or c".
func orList(words []string) string {
	if len(words) == 1 {
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}
