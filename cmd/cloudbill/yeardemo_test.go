package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
	"cloudbill/statements"
)

// TestYearOnDemoHistory: the year's money on the generated district with its year of
// closed months (the demo: 2025-12 … 2026-11 closed, 2026-12 rated and open). The demo
// estimates each December as of the 20th and pays it on its estimate, pays every other
// closed month but the last on the 10th of the next (with one refund), and books December
// 2025's true-up in January 2026. Per vendor, Σ payable − Σ paid = Σ outstanding to the
// fen, November's payable is its settlement statement's total and what is outstanding,
// and the declaration's allocated total is
// 12 × the monthly cost (price × quantity) of the orders in service on 30 November, taken
// from November's statement lines.
func TestYearOnDemoHistory(t *testing.T) {
	dsn := catalogDSN(t)
	out, dataDir := t.TempDir(), t.TempDir()
	now := time.Date(2026, 12, 21, 10, 0, 0, 0, calendar.Shanghai())
	cli := func(dsn string, args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		now = now.Add(time.Second)
		a := &app{dsn: dsn, dataDir: dataDir, stdout: &stdout, stderr: &stderr, now: func() time.Time { return now }}
		defer a.close()
		err := a.runArgs(context.Background(), args)
		require.NoError(t, err, "%v: %s%s", args, stdout.String(), stderr.String())
		return stdout.String()
	}
	cli(dsn, "demo", "--scale", "small", "--period", "2026-12", "--seed", "5", "--out", out)
	demo := regexp.MustCompile(`/[^/?]*(\?|$)`).ReplaceAllString(dsn, "/cloudbill_demo$1")
	_, err := os.Stat(filepath.Join(out, "2026-12-estimate", "vendors"))
	require.NoError(t, err, "the demo estimates the open December as of the 20th")
	_, err = os.Stat(filepath.Join(out, "declaration-2027", "summary.pdf"))
	require.NoError(t, err, "and writes next year's declaration")

	type ledger struct {
		Vendors []struct {
			VendorID, Payable, Paid, Outstanding string
			Lines                                []struct{ Period, Kind, Amount string } `json:"payable_lines"`
			Vouchers                             []struct{ Period, Amount string }       `json:"vouchers"`
		}
	}
	read := func() ledger {
		var l ledger
		b := cli(demo, "payments", "show", "--year", "2026", "--format", "json")
		b = strings.NewReplacer(`"vendor_id"`, `"VendorID"`, `"payable"`, `"Payable"`, `"paid"`, `"Paid"`, `"outstanding"`, `"Outstanding"`).Replace(b)
		require.NoError(t, json.Unmarshal([]byte(b), &l), b)
		return l
	}
	after := read()
	require.NotEmpty(t, after.Vendors)
	trueUps := 0
	for _, v := range after.Vendors {
		payable, paid, outstanding := decimal.RequireFromString(v.Payable), decimal.RequireFromString(v.Paid), decimal.RequireFromString(v.Outstanding)
		assert.True(t, payable.Sub(paid).Equal(outstanding), "%s: %s − %s ≠ %s", v.VendorID, payable, paid, outstanding)
		sum := decimal.Zero
		for _, l := range v.Lines {
			sum = sum.Add(decimal.RequireFromString(l.Amount))
			if l.Period == "2026-11" && l.Kind == "closed" {
				b, err := os.ReadFile(filepath.Join(out, "2026-11", "vendors", v.VendorID+".csv"))
				require.NoError(t, err)
				stmt := decimal.Zero
				for _, r := range csvRows(t, string(b)) {
					stmt = stmt.Add(decimal.RequireFromString(r["amount"]))
				}
				assert.Equal(t, money.Plain(stmt), l.Amount, "%s: November's payable is its settlement's total", v.VendorID)
			}
			if l.Kind == "true_up" {
				trueUps++
				assert.Equal(t, "2026-01", l.Period)
			}
		}
		assert.True(t, sum.Equal(payable), "%s: payable is the sum of its lines", v.VendorID)
		// the demo pays each month's payable (January's with the true-up), the December
		// estimate on the 28th, and leaves November (the last closed) unpaid: every month
		// it pays has something to pay, and what is outstanding is November's
		byMonth := map[string]decimal.Decimal{}
		for _, l := range v.Lines {
			byMonth[l.Period] = byMonth[l.Period].Add(decimal.RequireFromString(l.Amount))
		}
		for p, a := range byMonth {
			assert.True(t, a.IsPositive(), "%s: %s payable %s: the demo pays every month it bills", v.VendorID, p, a)
		}
		if !assert.Equal(t, money.Plain(byMonth["2026-11"]), v.Outstanding, "%s: outstanding is November's payable, the month the demo left unpaid", v.VendorID) {
			t.Log(cli(demo, "payments", "show", "--year", "2026", "--vendor", v.VendorID))
		}
	}

	assert.Positive(t, trueUps, "December 2025 was estimated and closed in the history: 2026 books its true-up in January")

	// November's finance summary (closed, issued by the demo) shows each vendor's year to
	// date: the ledger's figures of the months up to November, to the fen
	a := &app{dsn: demo, dataDir: dataDir, stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, now: func() time.Time { return now }}
	defer a.close()
	st, err := a.Store(context.Background())
	require.NoError(t, err)
	nov := calendar.MustPeriod("2026-11")
	m, err := statements.Load(context.Background(), st, nov, func() time.Time { return now })
	require.NoError(t, err)
	summary := statements.Build(m).Summary
	require.NotEmpty(t, summary.Ledger, "the demo paid the year's months: the summary has its payments section")
	ytd := map[string][3]string{}
	for _, r := range summary.Ledger {
		ytd[string(r.Vendor)] = [3]string{money.Plain(r.Payable), money.Plain(r.Paid), money.Plain(r.Outstanding)}
	}
	for _, v := range after.Vendors {
		payable, paid := decimal.Zero, decimal.Zero
		for _, l := range v.Lines {
			if !nov.Before(calendar.MustPeriod(l.Period)) {
				payable = payable.Add(decimal.RequireFromString(l.Amount))
			}
		}
		for _, p := range v.Vouchers {
			if !nov.Before(calendar.MustPeriod(p.Period)) {
				paid = paid.Add(decimal.RequireFromString(p.Amount))
			}
		}
		assert.Equal(t, [3]string{money.Plain(payable), money.Plain(paid), money.Plain(payable.Sub(paid))}, ytd[v.VendorID],
			"%s: November's summary = the ledger up to November", v.VendorID)
	}
	text, err := exec.Command("pdftotext", "-layout", filepath.Join(out, "2026-11", "summary.pdf"), "-").Output()
	if err == nil {
		assert.Contains(t, string(text), "本年支付情况")
		assert.Contains(t, string(text), money.Grouped(summary.LedgerTotal.Outstanding))
	}

	cli(demo, "declare", "--year", "2027", "--as-of", "2026-11-30", "--out", out)
	b, err := os.ReadFile(filepath.Join(out, "2026-11", "summary.csv"))
	require.NoError(t, err)
	monthly := decimal.Zero
	for _, r := range csvRows(t, string(b)) {
		if (r["kind"] == "charge" || r["kind"] == "unfunded") && r["to"] == "2026-11-30" {
			monthly = monthly.Add(decimal.RequireFromString(r["unit_price"]).Mul(decimal.RequireFromString(r["quantity"])))
		}
	}
	entries, err := os.ReadDir(filepath.Join(out, "declaration-2027"))
	require.NoError(t, err)
	declared := decimal.Zero
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".csv") || e.Name() == "summary.csv" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(out, "declaration-2027", e.Name()))
		require.NoError(t, err)
		for _, r := range csvRows(t, string(b)) {
			if r["billing"] == "allocated" {
				declared = declared.Add(decimal.RequireFromString(r["annual"]))
			}
		}
	}
	assert.True(t, monthly.IsPositive())
	assert.Equal(t, money.Round(monthly.Mul(decimal.NewFromInt(12))).StringFixed(2), declared.StringFixed(2),
		"the declaration's allocated total = 12 × the monthly cost of the orders in service on 30 November")
}

func csvRows(t *testing.T, s string) []map[string]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(s, "\ufeff"))).ReadAll()
	require.NoError(t, err)
	var out []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}
