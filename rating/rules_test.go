package rating

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestReadRulesVersions(t *testing.T) {
	f, err := os.Open("testdata/rules-2027.csv")
	require.NoError(t, err)
	defer f.Close()
	book, err := ReadRules("rules-2027.csv", f)
	require.NoError(t, err)
	require.Len(t, book.Versions, 2)

	_, err = book.For(calendar.MustPeriod("2025-12"))
	assert.ErrorContains(t, err, "no deduction rules in force for 2025-12 (the earliest are effective 2026-01)")

	score, avail := d("85"), d("99.5")
	acc := &catalog.Acceptance{Vendor: "V1", Result: catalog.Deferred, Score: &score, Availability: &avail,
		SecurityValidUntil: &calendar.Date{Year: 2030, Month: 1, Day: 1}}
	tests := []struct {
		period string
		name   string
		rate   string // deferred + score 85 + availability 99.5
	}{
		// 2026 rules: deferred 10 + score < 90 → 5, no availability tiers: 15 %
		{"2026-11", "rules-2027.csv effective 2026-01", "0.15"},
		// 2027 rules: deferred 15, no score tiers, availability < 99.9 → 25: 40 %
		{"2027-03", "rules-2027.csv effective 2027-01", "0.40"},
	}
	for _, tt := range tests {
		t.Run(tt.period, func(t *testing.T) {
			r, err := book.For(calendar.MustPeriod(tt.period))
			require.NoError(t, err)
			assert.Equal(t, tt.name, r.Name)
			vd := r.Assess(calendar.MustPeriod(tt.period), "V1", acc, d("1000"))
			assert.True(t, vd.Rate.Equal(d(tt.rate)), "rate %s, want %s", vd.Rate, tt.rate)
		})
	}
}

func TestReadRulesErrors(t *testing.T) {
	tests := []struct {
		name, csv, want string
	}{
		{"bad period", "effective,group,threshold,rate_percent\n2026-13,cap,,50\n",
			`r.csv:2: period 2026-13, group cap: column "effective": period "2026-13" is not YYYY-MM`},
		{"bad rate", "effective,group,threshold,rate_percent\n2026-01,cap,,150\n",
			`r.csv:2: period 2026-01, group cap: column "rate_percent": rate "150" is not a percentage between 0 and 100`},
		{"bad group", "effective,group,threshold,rate_percent\n2026-01,bonus,,5\n",
			`r.csv:2: period 2026-01, group bonus: column "group": group "bonus" is not result, score, availability or cap`},
		{"bad result", "effective,group,threshold,rate_percent\n2026-01,result,ok,5\n",
			`r.csv:2: period 2026-01, group result, threshold ok: column "threshold": result "ok" is not passed, deferred or failed`},
		{"bad threshold", "effective,group,threshold,rate_percent\n2026-01,score,high,5\n",
			`r.csv:2: period 2026-01, group score, threshold high: column "threshold": score threshold "high" is not a number between 0 and 100`},
		{"incomplete version", "effective,group,threshold,rate_percent\n2026-01,result,passed,0\n",
			`r.csv:2: period 2026-01: column "group": rules effective 2026-01 have no cap`},
		{"missing result", "effective,group,threshold,rate_percent\n2026-01,result,passed,0\n2026-01,cap,,50\n",
			`r.csv:2: period 2026-01: column "threshold": rules effective 2026-01 give no rate for result deferred`},
		{"duplicate tier", "effective,group,threshold,rate_percent\n2026-01,score,90,0\n2026-01,score,90.0,1\n",
			`r.csv:3: period 2026-01, group score, threshold 90.0: column "threshold": score threshold 90 given twice for 2026-01`},
		{"unknown column", "effective,group,threshold,rate\n", `r.csv:1: column "rate": unknown column`},
		{"no rows", "effective,group,threshold,rate_percent\n", "r.csv: no rules"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadRules("r.csv", strings.NewReader(tt.csv))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestDefaultRulesTierLabels(t *testing.T) {
	score, avail := d("85"), d("99.92")
	acc := &catalog.Acceptance{Vendor: "V1", Result: catalog.Passed, Score: &score, Availability: &avail,
		SecurityValidUntil: &calendar.Date{Year: 2026, Month: 11, Day: 29}}
	vd := DefaultRules().Assess(calendar.MustPeriod("2026-11"), "V1", acc, d("200"))
	require.Len(t, vd.Tiers, 3)
	assert.False(t, vd.SecurityValid)
	assert.Equal(t, catalog.Failed, vd.EffectiveResult)
	res := vd.Tiers[0]
	assert.Equal(t, TierResult, res.Group)
	assert.Equal(t, catalog.Passed, res.Recorded)
	assert.Equal(t, catalog.Failed, res.Effective)
	assert.Equal(t, SecurityExpired, res.Security)
	assert.Equal(t, "2026-11-29", res.SecurityUntil.String())
	assert.Empty(t, res.Label, "tiers are data, not words")
	band := func(tier Tier, group TierGroup, value, min, below, rate string) {
		t.Helper()
		assert.Equal(t, group, tier.Group)
		assert.Equal(t, value, tier.Value.String())
		assert.Equal(t, min, tier.Min.String())
		assert.Equal(t, below, tier.Below.String())
		assert.Equal(t, rate, tier.Rate.String())
	}
	band(vd.Tiers[1], TierScore, "85", "80", "90", "0.02")
	band(vd.Tiers[2], TierAvailability, "99.92", "99.9", "99.95", "0.05")
	// 30 + 2 + 5 = 37 %; 200 × 0.37 = 74.00
	assert.True(t, vd.Deduction.Equal(d("-74")), "deduction %s", vd.Deduction)
	assert.True(t, vd.Net.Equal(d("126")), "net %s", vd.Net)
}

// FuzzReadRules: any input gives rules or an error, never a panic; rules read back give a
// capped rate within [0, cap] for any acceptance record.
func FuzzReadRules(f *testing.F) {
	b, err := os.ReadFile("testdata/rules-2027.csv")
	require.NoError(f, err)
	f.Add(string(b), "85", "99.5")
	f.Add("effective,group,threshold,rate_percent\n2026-01,cap,,50\n", "", "")
	f.Fuzz(func(t *testing.T, src, score, avail string) {
		book, err := ReadRules("fuzz.csv", strings.NewReader(src))
		if err != nil {
			return
		}
		for _, r := range book.Versions {
			acc := &catalog.Acceptance{Vendor: "V", Result: catalog.Deferred}
			if s, err := decimal.NewFromString(score); err == nil {
				acc.Score = &s
			}
			if a, err := decimal.NewFromString(avail); err == nil {
				acc.Availability = &a
			}
			vd := r.Assess(r.Effective, "V", acc, d("1000"))
			if vd.Rate.IsNegative() || vd.Rate.GreaterThan(r.Cap) {
				t.Fatalf("rate %s outside [0, %s]", vd.Rate, r.Cap)
			}
		}
	})
}

func TestRuleBookVersionsInForce(t *testing.T) {
	read := func(eff, body string, at time.Time) Rules {
		v, err := ReadRulesVersion("r.csv", strings.NewReader(body), calendar.MustPeriod(eff))
		require.NoError(t, err)
		v.ImportID, v.ImportedAt = "rules-"+eff+"-"+at.Format("150405"), at
		return v
	}
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	nov := read("2026-11", "group,threshold,rate_percent\nresult,passed,1\nresult,deferred,2\nresult,failed,3\ncap,,10\n", t0)
	novAgain := read("2026-11", "effective,group,threshold,rate_percent\n2026-11,result,passed,4\n,result,deferred,5\n2026-11,result,failed,6\n,cap,,10\n", t0.Add(2*time.Hour))
	book := DefaultRuleBook()
	book.Versions = append(book.Versions, novAgain, nov)
	for _, c := range []struct {
		name   string
		book   RuleBook
		period string
		want   string // ImportID; "" the defaults
	}{
		{"before the first version: defaults", book, "2026-10", ""},
		{"the later import of the month", book, "2026-11", novAgain.ImportID},
		{"until the next version", book, "2027-03", novAgain.ImportID},
		{"as of an hour after the first import", book.AsOf(t0.Add(time.Hour)), "2026-12", nov.ImportID},
		{"as of before any import", book.AsOf(t0.Add(-time.Second)), "2026-12", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.book.For(calendar.MustPeriod(c.period))
			require.NoError(t, err)
			assert.Equal(t, c.want, got.ImportID)
		})
	}
	assert.Equal(t, "0.04", novAgain.Result[catalog.Passed].String(), "an empty effective is the month imported")
	back, err := ReadRulesVersion("back.csv", bytes.NewReader(novAgain.CSV()), calendar.MustPeriod("2026-11"))
	require.NoError(t, err)
	assert.Equal(t, string(novAgain.CSV()), string(back.CSV()), "CSV reads back")
}
