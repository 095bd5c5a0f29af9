package rating

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/internal/csvin"
	"cloudbill/internal/csvout"
	"cloudbill/internal/money"
)

// Rules turn an acceptance record into a deduction rate (deduction-rules.md): each group
// (result, score, availability) gives at most one rate, the first tier that matches; the
// rates add up; Cap bounds the total.
type Rules struct {
	// Effective is the first month the rules apply to (zero for the built-in defaults).
	Effective calendar.Period
	// Name says where the rules came from: "default" or "FILE effective YYYY-MM".
	Name string
	// ImportID and ImportedAt identify a stored version (`cloudbill rules import`); zero
	// for the built-in defaults and for rules read straight from a file.
	ImportID   string
	ImportedAt time.Time
	Result     map[catalog.AcceptanceResult]decimal.Decimal
	// Score and Availability tiers, highest Min first: a value v matches the first tier
	// with v ≥ Min. A value below every tier, or a missing value, gives 0.
	Score        []Threshold
	Availability []Threshold
	Cap          decimal.Decimal
}

// Threshold is one tier of a numeric group: values ≥ Min get Rate.
type Threshold struct {
	Min  decimal.Decimal
	Rate decimal.Decimal
}

func pct(s string) decimal.Decimal { return decimal.RequireFromString(s).Shift(-2) }

// DefaultRules are the district's defaults (deduction-rules.md), built into the binary.
func DefaultRules() Rules {
	return Rules{
		Name: "default",
		Result: map[catalog.AcceptanceResult]decimal.Decimal{
			catalog.Passed: pct("0"), catalog.Deferred: pct("10"), catalog.Failed: pct("30"),
		},
		Score: []Threshold{
			{decimal.RequireFromString("90"), pct("0")},
			{decimal.RequireFromString("80"), pct("2")},
			{decimal.RequireFromString("70"), pct("5")},
			{decimal.RequireFromString("60"), pct("10")},
			{decimal.RequireFromString("0"), pct("20")},
		},
		Availability: []Threshold{
			{decimal.RequireFromString("99.95"), pct("0")},
			{decimal.RequireFromString("99.9"), pct("5")},
			{decimal.RequireFromString("99"), pct("10")},
			{decimal.RequireFromString("95"), pct("20")},
			{decimal.RequireFromString("0"), pct("30")},
		},
		Cap: pct("50"),
	}
}

// RuleBook is every version of the rules, by effective month.
type RuleBook struct {
	Versions []Rules // ascending by Effective
}

// DefaultRuleBook holds only the built-in defaults, in force for every month.
func DefaultRuleBook() RuleBook { return RuleBook{Versions: []Rules{DefaultRules()}} }

// For returns the rules in force for month p: the version with the latest Effective not
// after p (of two with the same Effective, the later import). A book whose first version
// starts after p has none for p: an error.
func (b RuleBook) For(p calendar.Period) (Rules, error) {
	var found *Rules
	for i := range b.Versions {
		v := &b.Versions[i]
		if v.Effective != (calendar.Period{}) && p.Before(v.Effective) {
			continue
		}
		if found == nil || found.Effective.Before(v.Effective) ||
			(found.Effective == v.Effective && !v.ImportedAt.Before(found.ImportedAt)) {
			found = v
		}
	}
	if found == nil {
		if len(b.Versions) == 0 {
			return Rules{}, fmt.Errorf("no deduction rules")
		}
		return Rules{}, fmt.Errorf("no deduction rules in force for %s (the earliest are effective %s)", p, b.Versions[0].Effective)
	}
	return *found, nil
}

// AsOf is the book as it was at t: the built-in versions and those imported by t. A
// closed month is re-rated with the rules as of its close, so rules imported later never
// change what it deducts.
func (b RuleBook) AsOf(t time.Time) RuleBook {
	var out RuleBook
	for _, v := range b.Versions {
		// to the second: closes are recorded to the second
		if v.ImportedAt.IsZero() || !v.ImportedAt.Truncate(time.Second).After(t) {
			out.Versions = append(out.Versions, v)
		}
	}
	return out
}

// RuleReader reads the stored versions of the deduction rules, in any order. A Rater
// whose MasterData is also a RuleReader rates every month with the version in force for
// it (the built-in defaults before the first stored version, or when none is stored).
type RuleReader interface {
	RuleVersions(ctx context.Context) ([]Rules, error)
}

// StoredRuleBook is the defaults followed by every stored version of rr.
func StoredRuleBook(ctx context.Context, rr RuleReader) (RuleBook, error) {
	vs, err := rr.RuleVersions(ctx)
	if err != nil {
		return RuleBook{}, fmt.Errorf("read deduction rules: %w", err)
	}
	book := DefaultRuleBook()
	book.Versions = append(book.Versions, vs...)
	sort.SliceStable(book.Versions, func(i, j int) bool {
		a, b := book.Versions[i], book.Versions[j]
		if a.Effective != b.Effective {
			return a.Effective.Before(b.Effective)
		}
		return a.ImportedAt.Before(b.ImportedAt)
	})
	return book, nil
}

// RuleStore keeps the versions of the deduction rules (cloudbill rules import).
type RuleStore interface {
	RuleReader
	Closes(ctx context.Context) ([]Close, error)
	// SaveRules stores v (with its ImportID, ImportedAt and Name set) read from file
	// (sha256 of its bytes), its body the rules CSV of the version.
	SaveRules(ctx context.Context, v Rules, file, sha256 string, body []byte) error
}

// RulesImport is what ImportRules did.
type RulesImport struct {
	Version Rules
	// Unchanged: the version in force from that month already has these rules; nothing
	// was stored.
	Unchanged bool
}

// ErrRulesOfClosedMonth: a rules version may not take effect in a closed month (its
// deductions are frozen).
var ErrRulesOfClosedMonth = errors.New("rules cannot take effect in a closed month")

// ImportRules reads one version of the rules (ReadRulesVersion) and stores it as in force
// from month effective, unless the version stored for that month is the same (then
// nothing is written: importing the same file again changes nothing). A month at or before
// the latest closed month is refused with an input error (csvin.CodeRulesClosed) that is
// ErrRulesOfClosedMonth: closed months keep the rules they were closed with.
func ImportRules(ctx context.Context, st RuleStore, file string, r io.Reader, effective calendar.Period, now time.Time) (RulesImport, error) {
	var raw bytes.Buffer
	v, err := ReadRulesVersion(file, io.TeeReader(r, &raw), effective)
	if err != nil {
		return RulesImport{}, err
	}
	closes, err := st.Closes(ctx)
	if err != nil {
		return RulesImport{}, err
	}
	var latest calendar.Period
	for _, c := range closes {
		if latest.Before(c.Period) {
			latest = c.Period
		}
	}
	if (latest != calendar.Period{}) && !latest.Before(effective) {
		e := csvin.Coded(file, 0, "", csvin.CodeRulesClosed, "effective", effective.String(), "closed", latest.String(), "next", latest.Next().String())
		e.Err = ErrRulesOfClosedMonth
		return RulesImport{}, e
	}
	book, err := StoredRuleBook(ctx, st)
	if err != nil {
		return RulesImport{}, err
	}
	for _, old := range book.Versions {
		if old.Effective == effective && sameRules(old, v) {
			cur, _ := book.For(effective)
			if cur.ImportID == old.ImportID {
				return RulesImport{Version: old, Unchanged: true}, nil
			}
		}
	}
	sum := sha256.Sum256(raw.Bytes())
	v.ImportedAt = now.UTC()
	v.ImportID = fmt.Sprintf("rules-%s-%s", v.ImportedAt.Format("20060102T150405.000000000"), hex.EncodeToString(sum[:4]))
	if err := st.SaveRules(ctx, v, file, hex.EncodeToString(sum[:]), v.CSV()); err != nil {
		return RulesImport{}, fmt.Errorf("store rules effective %s: %w", effective, err)
	}
	return RulesImport{Version: v}, nil
}

// sameRules reports whether a and b deduct alike (their names and provenance aside).
func sameRules(a, b Rules) bool {
	return bytes.Equal(a.CSV(), b.CSV())
}

// CSV is the version as a rules file (effective, group, threshold, rate_percent): every
// result, the score and availability tiers highest first, the cap. ReadRulesVersion
// reads it back to the same rules.
func (r Rules) CSV() []byte {
	var b bytes.Buffer
	w := csvout.NewWriter(&b) // every CSV cloudbill writes: no cell acts as a formula
	_ = w.Write([]string{"effective", "group", "threshold", "rate_percent"})
	eff := ""
	if r.Effective != (calendar.Period{}) {
		eff = r.Effective.String()
	}
	pc := func(d decimal.Decimal) string { return d.Shift(2).String() }
	for _, res := range []catalog.AcceptanceResult{catalog.Passed, catalog.Deferred, catalog.Failed} {
		_ = w.Write([]string{eff, "result", string(res), pc(r.Result[res])})
	}
	for _, t := range r.Score {
		_ = w.Write([]string{eff, "score", t.Min.String(), pc(t.Rate)})
	}
	for _, t := range r.Availability {
		_ = w.Write([]string{eff, "availability", t.Min.String(), pc(t.Rate)})
	}
	_ = w.Write([]string{eff, "cap", "", pc(r.Cap)})
	w.Flush()
	return b.Bytes()
}

// ReadRulesVersion reads one version of the rules, in force from month effective, from a
// rules file (the format of ReadRules) whose effective column may be left out or empty;
// when given it must name that month on every row. Errors name file, line and column.
func ReadRulesVersion(file string, r io.Reader, effective calendar.Period) (Rules, error) {
	book, err := readRules(file, r, &effective)
	if err != nil {
		return Rules{}, err
	}
	return book.Versions[0], nil
}

// ReadRules reads a rules file (named file in errors). Format, CSV (csvin: UTF-8 or
// GB18030, header in any order):
//
//	effective,group,threshold,rate_percent
//	2026-01,result,passed,0
//	2026-01,result,deferred,10
//	2026-01,result,failed,30
//	2026-01,score,90,0           score ≥ 90 → 0 %
//	2026-01,score,0,20           score ≥ 0 (so < 60 with the tiers above) → 20 %
//	2026-01,availability,99.95,0
//	2026-01,cap,,50
//
// effective is the first month (YYYY-MM) a version applies to; the rows of one effective
// month form one complete version (every result, a cap; score and availability tiers may
// be empty, which makes those groups give 0). Numeric tiers match the highest threshold
// not above the value. Errors name file, line and column; all are reported together.
func ReadRules(file string, r io.Reader) (RuleBook, error) {
	return readRules(file, r, nil)
}

// readRules reads a rules file; with fixed, every row is of that month (the effective
// column optional).
func readRules(file string, r io.Reader, fixed *calendar.Period) (RuleBook, error) {
	spec := csvin.Spec{Required: []string{"effective", "group", "threshold", "rate_percent"}}
	if fixed != nil {
		spec = csvin.Spec{Required: []string{"group", "threshold", "rate_percent"}, Optional: []string{"effective"}}
	}
	rd, err := csvin.Open(file, r, spec)
	if err != nil {
		return RuleBook{}, err
	}
	type acc struct {
		rules   Rules
		hasCap  bool
		line    int
		seenMin map[string]bool
	}
	byMonth := map[calendar.Period]*acc{}
	var errs csvin.Errors
	for {
		row, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return RuleBook{}, err
		}
		// keyed names the line's record: its month, group and threshold
		keyed := func(e *csvin.Error) *csvin.Error {
			per := row.Get("effective")
			if per == "" && fixed != nil {
				per = fixed.String()
			}
			return e.SetKey("period", per, "group", row.Get("group"), "threshold", row.Get("threshold"))
		}
		var p calendar.Period
		if e := row.Get("effective"); fixed != nil && e == "" {
			p = *fixed
		} else if p, err = calendar.ParsePeriod(e); err != nil {
			errs = append(errs, keyed(row.Coded("effective", csvin.CodePeriodBadOf, "value", e)))
			continue
		} else if fixed != nil && p != *fixed {
			errs = append(errs, keyed(row.Coded("effective", csvin.CodeRulesOtherMonth, "period", p.String(), "fixed", fixed.String())))
			continue
		}
		rate, err := decimal.NewFromString(row.Get("rate_percent"))
		if err != nil || rate.IsNegative() || rate.GreaterThan(decimal.NewFromInt(100)) {
			errs = append(errs, keyed(row.Coded("rate_percent", csvin.CodeRulesRate, "value", row.Get("rate_percent"))))
			continue
		}
		rate = rate.Shift(-2)
		a := byMonth[p]
		if a == nil {
			a = &acc{line: row.Line, seenMin: map[string]bool{}, rules: Rules{
				Effective: p, Name: fmt.Sprintf("%s effective %s", file, p),
				Result: map[catalog.AcceptanceResult]decimal.Decimal{},
			}}
			byMonth[p] = a
		}
		group, th := strings.ToLower(row.Get("group")), row.Get("threshold")
		switch group {
		case "result":
			res := catalog.AcceptanceResult(strings.ToLower(th))
			if res != catalog.Passed && res != catalog.Deferred && res != catalog.Failed {
				errs = append(errs, keyed(row.Coded("threshold", csvin.CodeRulesResult, "value", th)))
				continue
			}
			if _, dup := a.rules.Result[res]; dup {
				errs = append(errs, keyed(row.Coded("threshold", csvin.CodeRulesResultTwice, "result", string(res), "period", p.String())))
				continue
			}
			a.rules.Result[res] = rate
		case "score", "availability":
			min, err := decimal.NewFromString(th)
			if err != nil || min.IsNegative() || min.GreaterThan(decimal.NewFromInt(100)) {
				errs = append(errs, keyed(row.Coded("threshold", csvin.CodeRulesThreshold, "group", group, "value", th)))
				continue
			}
			key := group + " " + min.String()
			if a.seenMin[key] {
				errs = append(errs, keyed(row.Coded("threshold", csvin.CodeRulesTierTwice, "group", group, "value", min.String(), "period", p.String())))
				continue
			}
			a.seenMin[key] = true
			t := Threshold{Min: min, Rate: rate}
			if group == "score" {
				a.rules.Score = append(a.rules.Score, t)
			} else {
				a.rules.Availability = append(a.rules.Availability, t)
			}
		case "cap":
			if th != "" {
				errs = append(errs, keyed(row.Coded("threshold", csvin.CodeRulesCapValue, "value", th)))
				continue
			}
			if a.hasCap {
				errs = append(errs, keyed(row.Coded("group", csvin.CodeRulesCapTwice, "period", p.String())))
				continue
			}
			a.rules.Cap, a.hasCap = rate, true
		default:
			errs = append(errs, keyed(row.Coded("group", csvin.CodeRulesGroup, "value", row.Get("group"))))
		}
	}
	var book RuleBook
	for p, a := range byMonth {
		for _, res := range []catalog.AcceptanceResult{catalog.Passed, catalog.Deferred, catalog.Failed} {
			if _, ok := a.rules.Result[res]; !ok {
				errs = append(errs, csvin.Coded(file, a.line, "threshold", csvin.CodeRulesNoResult, "period", p.String(), "result", string(res)).SetKey("period", p.String()))
			}
		}
		if !a.hasCap {
			errs = append(errs, csvin.Coded(file, a.line, "group", csvin.CodeRulesNoCap, "period", p.String()).SetKey("period", p.String()))
		}
		for _, ts := range [][]Threshold{a.rules.Score, a.rules.Availability} {
			sort.Slice(ts, func(i, j int) bool { return ts[i].Min.GreaterThan(ts[j].Min) })
		}
		book.Versions = append(book.Versions, a.rules)
	}
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
		return RuleBook{}, errs
	}
	if len(book.Versions) == 0 {
		return RuleBook{}, csvin.Coded(file, 0, "", csvin.CodeRulesEmpty)
	}
	sort.Slice(book.Versions, func(i, j int) bool { return book.Versions[i].Effective.Before(book.Versions[j].Effective) })
	return book, nil
}

// Assess turns vendor v's acceptance record for month p (nil: missing) into its
// deduction: tiers, capped rate, gross, deduction and net. gross is the sum of the
// vendor's rounded lines of the month.
func (r Rules) Assess(p calendar.Period, v catalog.VendorID, acc *catalog.Acceptance, gross decimal.Decimal) VendorDeduction {
	vd := VendorDeduction{Period: p, Vendor: v, Acceptance: acc, Cap: r.Cap, Gross: gross,
		RateUncapped: decimal.Zero, Rate: decimal.Zero, Deduction: decimal.Zero, Net: gross, RulesVersion: r.Name}
	if acc == nil {
		vd.Pending = true
		return vd
	}
	vd.SecurityValid = acc.SecurityValidUntil != nil && !acc.SecurityValidUntil.Before(p.Last())
	vd.EffectiveResult = acc.Result
	res := Tier{Group: TierResult, Recorded: acc.Result}
	if !vd.SecurityValid {
		vd.EffectiveResult = catalog.Failed
		res.Security, res.SecurityUntil = SecurityMissing, acc.SecurityValidUntil
		if acc.SecurityValidUntil != nil {
			res.Security = SecurityExpired
		}
	}
	res.Effective, res.Rate = vd.EffectiveResult, r.Result[vd.EffectiveResult]
	vd.Tiers = append(vd.Tiers, res)
	vd.Tiers = append(vd.Tiers, tierOf(TierScore, acc.Score, r.Score))
	vd.Tiers = append(vd.Tiers, tierOf(TierAvailability, acc.Availability, r.Availability))
	sum := decimal.Zero
	for _, t := range vd.Tiers {
		sum = sum.Add(t.Rate)
	}
	vd.RateUncapped = sum
	vd.Rate = decimal.Min(sum, r.Cap)
	vd.Deduction = money.Round(gross.Mul(vd.Rate)).Neg()
	vd.Net = gross.Add(vd.Deduction)
	return vd
}

// tierOf is the band of thresholds ts (highest first) that value v falls in.
func tierOf(group TierGroup, v *decimal.Decimal, ts []Threshold) Tier {
	if v == nil {
		return Tier{Group: group, Rate: decimal.Zero}
	}
	val := *v
	for i, t := range ts {
		if v.GreaterThanOrEqual(t.Min) {
			lo := t.Min
			tier := Tier{Group: group, Value: &val, Min: &lo, Rate: t.Rate}
			if i > 0 {
				hi := ts[i-1].Min
				tier.Below = &hi
			}
			return tier
		}
	}
	return Tier{Group: group, Value: &val, Rate: decimal.Zero}
}
