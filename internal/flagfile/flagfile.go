// Package flagfile reads a command's configuration file: a YAML mapping whose keys are the
// names of the command's flags (docs/configuration.md). A flag given on the command line
// overrides its key in the file.
//
// Every error names the file, the line and the key ("serve.yaml:7: max-body: want a
// number, got \"64M\""); Apply reports all of them at once and sets nothing when there is
// one, so a refused file changes nothing.
package flagfile

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// Error is one problem of a configuration file, at a line and a key.
type Error struct {
	File string
	Line int
	Key  string // "" for an error of the file as a whole
	Msg  string
}

func (e *Error) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Key, e.Msg)
}

// Errors are the problems of one file, in line order.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Entry is one key of the file: its line and its value(s) as the flag takes them (a list
// gives one value per element).
type Entry struct {
	Key    string
	Line   int
	Values []string
	node   *yaml.Node
}

// File is a read configuration file.
type File struct {
	Path    string
	Entries []Entry
}

// Line is the line of key in the file (0: not in it).
func (f *File) Line(key string) int {
	for _, e := range f.Entries {
		if e.Key == key {
			return e.Line
		}
	}
	return 0
}

// Value is the (last) value of key and whether the file sets it.
func (f *File) Value(key string) (string, bool) {
	for _, e := range f.Entries {
		if e.Key == key && len(e.Values) > 0 {
			return e.Values[len(e.Values)-1], true
		}
	}
	return "", false
}

// Errorf makes an error at key's line.
func (f *File) Errorf(key, format string, args ...any) *Error {
	return &Error{File: f.Path, Line: f.Line(key), Key: key, Msg: fmt.Sprintf(format, args...)}
}

// Read reads and parses path. A file that is not a YAML mapping of keys to scalars or
// lists of scalars, or that sets a key twice, is an Errors.
func Read(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, b)
}

// Parse parses the text of a configuration file named path.
func Parse(path string, b []byte) (*File, error) {
	f := &File{Path: path}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		line := 1
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return nil, Errors{{File: path, Line: line, Msg: strings.Join(te.Errors, "; ")}}
		}
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		if n, rest, ok := yamlLine(msg); ok {
			line, msg = n, rest
		}
		return nil, Errors{{File: path, Line: line, Msg: "not YAML: " + msg}}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return f, nil // empty file: nothing set
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, Errors{{File: path, Line: top.Line, Msg: "want a mapping of keys to values (key: value, one a line)"}}
	}
	var errs Errors
	first := map[string]int{}
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			errs = append(errs, &Error{File: path, Line: k.Line, Msg: "a key is a word (a flag's name)"})
			continue
		}
		if l, ok := first[k.Value]; ok {
			errs = append(errs, &Error{File: path, Line: k.Line, Key: k.Value, Msg: fmt.Sprintf("set twice (first on line %d)", l)})
			continue
		}
		first[k.Value] = k.Line
		e := Entry{Key: k.Value, Line: k.Line, node: v}
		switch v.Kind {
		case yaml.ScalarNode:
			if v.Tag != "!!null" {
				e.Values = []string{v.Value}
			}
		case yaml.SequenceNode:
			for _, el := range v.Content {
				if el.Kind != yaml.ScalarNode || el.Tag == "!!null" {
					errs = append(errs, &Error{File: path, Line: el.Line, Key: k.Value, Msg: "a list holds plain values"})
					continue
				}
				e.Values = append(e.Values, el.Value)
			}
		case yaml.AliasNode:
			errs = append(errs, &Error{File: path, Line: v.Line, Key: k.Value, Msg: "no aliases, please: write the value"})
			continue
		default:
			errs = append(errs, &Error{File: path, Line: v.Line, Key: k.Value, Msg: "want a value or a list of values, not a mapping (keys are flat: the flag's name)"})
			continue
		}
		f.Entries = append(f.Entries, e)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return f, nil
}

// yamlLine splits "line 3: …" off a YAML parser message.
func yamlLine(msg string) (int, string, bool) {
	rest, ok := strings.CutPrefix(msg, "line ")
	if !ok {
		return 0, msg, false
	}
	num, tail, ok := strings.Cut(rest, ":")
	n, err := strconv.Atoi(num)
	if !ok || err != nil {
		return 0, msg, false
	}
	return n, strings.TrimSpace(tail), true
}

// Kind is what a key's value must be.
type Kind int

const (
	KindString   Kind = iota // a string (a number or a word written bare is taken as text)
	KindBool                 // true or false
	KindInt                  // a whole number
	KindFloat                // a number
	KindDuration             // a duration: 200ms, 15m, 2h
	KindList                 // a list of strings (a repeatable flag)
)

func (k Kind) want() string {
	return [...]string{"a string", "true or false", "a whole number", "a number", "a duration such as 200ms, 15m or 2h", "a list"}[k]
}

// KindOf is the kind of a flag's value: from its Get (flag.Getter) for the standard
// flags, KindString for other values.
func KindOf(f *flag.Flag) Kind {
	if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
		return KindBool
	}
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return KindString
	}
	switch g.Get().(type) {
	case time.Duration:
		return KindDuration
	case int, int64, uint, uint64:
		return KindInt
	case float64:
		return KindFloat
	}
	return KindString
}

// Spec is what a file may set.
type Spec struct {
	// Flags are the flags a key may name (the first set holding a name wins).
	Flags []*flag.FlagSet
	// Lists names the repeatable flags: their key takes a list (or one value).
	Lists map[string]bool
	// Check, when set, is asked about every value of every known key before it is set
	// (a secret written inline, a spec the flag's own parser would take too late); a
	// non-nil error refuses it.
	Check func(key, value string) error
	// Unknown, when set, words the error of a key no flag has ("" : "unknown key").
	Unknown func(key string) string
}

// Apply sets the flags of spec from f, except those for which skip returns true (the
// flags given on the command line, which override the file). It checks every key first
// and sets nothing when one is wrong.
func Apply(f *File, spec Spec, skip func(name string) bool) error {
	type set struct {
		fl     *flag.Flag
		values []string
	}
	var sets []set
	var errs Errors
	bad := func(e Entry, line int, format string, args ...any) {
		if line == 0 {
			line = e.Line
		}
		errs = append(errs, &Error{File: f.Path, Line: line, Key: e.Key, Msg: fmt.Sprintf(format, args...)})
	}
	for _, e := range f.Entries {
		fl := lookup(spec.Flags, e.Key)
		if fl == nil {
			msg := "unknown key (the keys are serve's flags, docs/configuration.md)"
			if spec.Unknown != nil {
				if m := spec.Unknown(e.Key); m != "" {
					msg = m
				}
			}
			bad(e, 0, "%s", msg)
			continue
		}
		kind := KindOf(fl)
		if spec.Lists[e.Key] {
			kind = KindList
		}
		ok := true
		switch {
		case e.node.Kind == yaml.SequenceNode && kind != KindList:
			bad(e, e.node.Line, "want %s, got a list", kind.want())
			ok = false
		case e.node.Kind == yaml.ScalarNode:
			if msg := checkScalar(kind, e.node); msg != "" {
				bad(e, e.node.Line, "%s", msg)
				ok = false
			}
		}
		if kind == KindList && e.node.Kind == yaml.SequenceNode {
			for _, el := range e.node.Content {
				if msg := checkScalar(KindString, el); msg != "" {
					bad(e, el.Line, "%s", msg)
					ok = false
				}
			}
		}
		if !ok {
			continue
		}
		if spec.Check != nil {
			for i, v := range e.Values {
				if err := spec.Check(e.Key, v); err != nil {
					bad(e, valueLine(e, i), "%v", err)
					ok = false
				}
			}
		}
		if !ok {
			continue
		}
		// The flag's own parser judges the value, on a scratch flag of the same type when
		// it can be copied, so that a refused file sets nothing.
		for i, v := range e.Values {
			if err := trySet(fl, v); err != nil {
				bad(e, valueLine(e, i), "%v", err)
				ok = false
			}
		}
		if ok && (skip == nil || !skip(e.Key)) {
			sets = append(sets, set{fl, e.Values})
		}
	}
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
		return errs
	}
	for _, s := range sets {
		for _, v := range s.values {
			if err := s.fl.Value.Set(v); err != nil {
				return f.Errorf(s.fl.Name, "%v", err)
			}
		}
	}
	return nil
}

func valueLine(e Entry, i int) int {
	if e.node.Kind == yaml.SequenceNode && i < len(e.node.Content) {
		return e.node.Content[i].Line
	}
	return e.node.Line
}

func lookup(sets []*flag.FlagSet, name string) *flag.Flag {
	for _, fs := range sets {
		if fl := fs.Lookup(name); fl != nil {
			return fl
		}
	}
	return nil
}

// checkScalar holds a scalar to the kind of its key, by its YAML type.
func checkScalar(kind Kind, n *yaml.Node) string {
	got := map[string]string{"!!str": "text", "!!int": "a number", "!!float": "a number", "!!bool": "true/false", "!!timestamp": "a date"}[n.ShortTag()]
	if got == "" {
		got = n.ShortTag()
	}
	switch kind {
	case KindBool:
		if n.ShortTag() != "!!bool" {
			return fmt.Sprintf("want true or false, got %s %q", got, n.Value)
		}
	case KindInt:
		if n.ShortTag() != "!!int" {
			return fmt.Sprintf("want a whole number, got %s %q", got, n.Value)
		}
	case KindFloat:
		if n.ShortTag() != "!!int" && n.ShortTag() != "!!float" {
			return fmt.Sprintf("want a number, got %s %q", got, n.Value)
		}
	case KindDuration:
		if n.ShortTag() != "!!str" {
			return fmt.Sprintf("want a duration with its unit (200ms, 15m, 2h), got %s %q", got, n.Value)
		}
	case KindString, KindList:
		if n.ShortTag() == "!!bool" || n.ShortTag() == "!!map" || n.ShortTag() == "!!seq" {
			return fmt.Sprintf("want %s, got %s %q (quote it if you mean the text)", KindString.want(), got, n.Value)
		}
	}
	return ""
}

// trySet checks v with the flag's parser without changing the flag: the standard value
// types are copied; for others (func and custom values) the flag is set and restored
// when its String round-trips, else the check is left to Apply's final Set.
func trySet(fl *flag.Flag, v string) error {
	if KindOf(fl) == KindDuration {
		if _, err := time.ParseDuration(v); err != nil {
			return fmt.Errorf("%q is not a duration (want e.g. 200ms, 15m, 2h)", v)
		}
		return nil
	}
	rv := reflect.ValueOf(fl.Value)
	if rv.Kind() == reflect.Pointer && !rv.IsNil() {
		switch rv.Elem().Kind() {
		case reflect.Bool, reflect.Int, reflect.Int64, reflect.Uint, reflect.Uint64, reflect.Float64, reflect.String:
			cp := reflect.New(rv.Elem().Type())
			cp.Elem().Set(rv.Elem())
			if val, ok := cp.Interface().(flag.Value); ok {
				if err := val.Set(v); err != nil {
					if strings.Contains(err.Error(), "out of range") {
						return fmt.Errorf("%s is out of range", v)
					}
					return fmt.Errorf("%q is not a valid value", v)
				}
				return nil
			}
		}
	}
	if c, ok := fl.Value.(interface{ Check(string) error }); ok {
		return c.Check(v)
	}
	return nil
}
