package idle

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"cloudbill/internal/calendar"
	"cloudbill/internal/csvin"
)

// Version is a redundancy ratio set by the municipal authority for one kind, in force from
// Effective until the next version of that kind (or until Until, when given).
type Version struct {
	Kind      Kind
	Effective calendar.Date
	// Until, when not zero, is the last day the version is in force; after it (and
	// before a next version) the default ratio applies.
	Until calendar.Date
	Ratio decimal.Decimal
	// Sizes are the quantities that may be ordered; empty: every whole unit from 1.
	Sizes Sizes
	Note  string
	// Where it was read.
	ImportID string
	File     string
	Line     int
}

// Sizes is the ladder of quantities the platform offers for a kind, ascending. The
// catalog prices vCPU and memory per unit, so by default every whole unit is offered.
type Sizes []decimal.Decimal

// Smallest is the smallest offered quantity ≥ x (at least 1 unit for whole units); ok
// is false when every offered size is smaller than x.
func (s Sizes) Smallest(x decimal.Decimal) (decimal.Decimal, bool) {
	if len(s) == 0 {
		q := x.Ceil()
		if q.LessThan(one) {
			q = one
		}
		return q, true
	}
	for _, q := range s {
		if q.GreaterThanOrEqual(x) {
			return q, true
		}
	}
	return decimal.Decimal{}, false
}

func (s Sizes) String() string {
	parts := make([]string, len(s))
	for i, q := range s {
		parts[i] = q.String()
	}
	return strings.Join(parts, "|")
}

// Config is every imported version.
type Config struct {
	Versions []Version // by kind, then effective date
}

// Sort orders the versions by kind and effective date.
func (c *Config) Sort() {
	sort.SliceStable(c.Versions, func(i, j int) bool {
		a, b := c.Versions[i], c.Versions[j]
		if a.Kind != b.Kind {
			return kindOrder(a.Kind) < kindOrder(b.Kind)
		}
		return a.Effective.Before(b.Effective)
	})
}

// InForce is the version of kind k in force on d: the imported version with the latest
// effective date ≤ d (unless its Until has passed), else the default (ratio 0.20, whole
// units).
func (c Config) InForce(k Kind, d calendar.Date) Version {
	var best *Version
	for i := range c.Versions {
		v := &c.Versions[i]
		if v.Kind != k || v.Effective.After(d) {
			continue
		}
		if best == nil || v.Effective.After(best.Effective) {
			best = v
		}
	}
	if best == nil || (!best.Until.IsZero() && best.Until.Before(d)) {
		return Version{Kind: k, Ratio: DefaultRatio(), Note: "default"}
	}
	return *best
}

// configSpec is the redundancy configuration file.
var configSpec = csvin.Spec{
	Required: []string{"kind", "effective", "ratio"},
	Optional: []string{"until", "sizes", "note"},
}

// ParseConfig reads a redundancy configuration file (CSV: kind, effective, ratio;
// optional until, sizes, note) and checks it against the versions already stored:
//
//   - kind is vcpu or memory; effective and until are dates, until not before effective;
//   - ratio is a decimal with 0 ≤ ratio < 1 (a ratio of 1 would leave nothing to compute
//     a recommendation with);
//   - sizes, when given, are positive quantities separated by "|", strictly ascending;
//   - two versions of a kind may not have the same effective date, in the file or with a
//     stored version of other content, nor overlap (a version's until reaching a later
//     version's effective date).
//
// A version identical to a stored one is skipped (importing a file again changes
// nothing). Every error names the file, line and column; a refused file returns
// csvin.Errors and no versions.
func ParseConfig(file string, r io.Reader, stored Config) (added []Version, present int, err error) {
	cr, err := csvin.Open(file, r, configSpec)
	if err != nil {
		return nil, 0, asInputErrors(file, err)
	}
	var errs csvin.Errors
	var read []Version
	for {
		row, err := cr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			errs = append(errs, asInputErrors(file, err)...)
			continue
		}
		v := Version{File: file, Line: row.Line}
		ok := true
		fail := func(col string, code csvin.Code, kv ...string) {
			errs = append(errs, row.Coded(col, code, kv...).SetKey("resource kind", row.Get("kind"), "effective", strings.TrimSpace(row.Get("effective"))))
			ok = false
		}
		if k, good := ParseKind(row.Get("kind")); good {
			v.Kind = k
		} else {
			fail("kind", csvin.CodeIdleKind, "value", row.Get("kind"))
		}
		if d, err := calendar.ParseDate(strings.TrimSpace(row.Get("effective"))); err == nil {
			v.Effective = d
		} else {
			fail("effective", csvin.CodeDateBad, "value", strings.TrimSpace(row.Get("effective")))
		}
		if s := strings.TrimSpace(row.Get("until")); s != "" {
			if d, err := calendar.ParseDate(s); err != nil {
				fail("until", csvin.CodeDateBad, "value", s)
			} else if !v.Effective.IsZero() && d.Before(v.Effective) {
				fail("until", csvin.CodeUntilBefore, "until", d.String(), "effective", v.Effective.String())
			} else {
				v.Until = d
			}
		}
		if x, err := decimal.NewFromString(strings.TrimSpace(row.Get("ratio"))); err != nil {
			fail("ratio", csvin.CodeRatioBad, "value", row.Get("ratio"))
		} else if x.IsNegative() || !x.LessThan(one) {
			fail("ratio", csvin.CodeRatioRange, "value", x.String())
		} else {
			v.Ratio = x
		}
		if s := strings.TrimSpace(row.Get("sizes")); s != "" {
			for _, p := range strings.Split(s, "|") {
				q, err := decimal.NewFromString(strings.TrimSpace(p))
				switch {
				case err != nil:
					fail("sizes", csvin.CodeSizeBad, "value", p)
				case !q.IsPositive():
					fail("sizes", csvin.CodeSizeNotPos, "value", q.String())
				case len(v.Sizes) > 0 && !q.GreaterThan(v.Sizes[len(v.Sizes)-1]):
					fail("sizes", csvin.CodeSizeOrder, "value", q.String(), "previous", v.Sizes[len(v.Sizes)-1].String())
				default:
					v.Sizes = append(v.Sizes, q)
				}
			}
		}
		v.Note = strings.TrimSpace(row.Get("note"))
		if ok {
			read = append(read, v)
		}
	}
	if len(errs) > 0 {
		return nil, 0, errs
	}
	// duplicates and overlaps, against the file and the stored versions
	type key struct {
		k Kind
		d calendar.Date
	}
	seen := map[key]Version{}
	for _, s := range stored.Versions {
		seen[key{s.Kind, s.Effective}] = s
	}
	inFile := map[key]Version{}
	all := append([]Version(nil), stored.Versions...)
	for _, v := range read {
		k := key{v.Kind, v.Effective}
		if prev, dup := inFile[k]; dup {
			errs = append(errs, csvin.Coded(file, v.Line, "effective", csvin.CodeIdleTwice, append([]string{"kind", string(v.Kind), "date", v.Effective.String()}, csvin.At(file, "", prev.Line)...)...).SetKey(versionKey(v)...))
			continue
		}
		inFile[k] = v
		if prev, dup := seen[k]; dup {
			if sameVersion(prev, v) {
				present++
				continue
			}
			errs = append(errs, csvin.Coded(file, v.Line, "effective", csvin.CodeIdleRewritten, "kind", string(v.Kind), "date", v.Effective.String(),
				"ratio", prev.Ratio.String(), "file", prev.File, "line", strconv.Itoa(prev.Line)).SetKey(versionKey(v)...))
			continue
		}
		added = append(added, v)
		all = append(all, v)
	}
	if len(errs) > 0 {
		return nil, 0, errs
	}
	c := Config{Versions: all}
	c.Sort()
	for i := 1; i < len(c.Versions); i++ {
		a, b := c.Versions[i-1], c.Versions[i]
		if a.Kind != b.Kind || a.Until.IsZero() || a.Until.Before(b.Effective) {
			continue
		}
		bad := a // report the line of the file's version that says until
		if a.ImportID != "" {
			bad = b
		}
		errs = append(errs, csvin.Coded(file, bad.Line, "until", csvin.CodeIdleOverlap, "kind", string(a.Kind), "date", a.Effective.String(),
			"until", a.Until.String(), "next", b.Effective.String()).SetKey(versionKey(bad)...))
	}
	if len(errs) > 0 {
		return nil, 0, errs
	}
	return added, present, nil
}

// versionKey names a version in an error (csvin.Error.SetKey): its kind and effective date.
func versionKey(v Version) []string {
	return []string{"resource kind", string(v.Kind), "effective", v.Effective.String()}
}

func sameVersion(a, b Version) bool {
	return a.Kind == b.Kind && a.Effective == b.Effective && a.Until == b.Until && a.Ratio.Equal(b.Ratio) && a.Sizes.String() == b.Sizes.String()
}

func asInputErrors(file string, err error) csvin.Errors {
	var one *csvin.Error
	var many csvin.Errors
	switch {
	case errors.As(err, &many):
		return many
	case errors.As(err, &one):
		return csvin.Errors{one}
	}
	return csvin.Errors{csvin.Coded(file, 0, "", csvin.CodeReadFailed, "detail", err.Error())}
}

// String describes the version in one line.
func (v Version) String() string {
	s := fmt.Sprintf("%s from %s: ratio %s", v.Kind, v.Effective, v.Ratio)
	if !v.Until.IsZero() {
		s += " until " + v.Until.String()
	}
	if len(v.Sizes) > 0 {
		s += ", sizes " + v.Sizes.String()
	}
	return s
}
