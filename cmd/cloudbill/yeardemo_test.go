package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
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
)

// TestYearOnDemoHistory: the year's money on the generated district with its year of
// closed months (the demo: 2025-12 … 2026-11 closed, 2026-12 rated and open). Each vendor
// is paid every closed month of 2026 but its last, with one refund; December is estimated
// as of the 20th. Per vendor, Σ payable − Σ paid = Σ outstanding to the fen, November's
// payable is its settlement statement's total, and the declaration's allocated total is
// 12 × the monthly cost (price × quantity) of the orders in service on 30 November, taken
// from November's statement lines.
func TestYearOnDemoHistory(t *testing.T) {
	dsn := catalogDSN(t)
	out, dataDir := t.TempDir(), t.TempDir()
	now := time.Date(2026, 12, 21, 10, 0, 0, 0, calendar.Shanghai)
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
	cli(demo, "estimate", "--period", "2026-12", "--as-of", "2026-12-20", "--out", out)

	type ledger struct {
		Vendors []struct {
			VendorID, Payable, Paid, Outstanding string
			Lines                                []struct{ Period, Kind, Amount string } `json:"payable_lines"`
		}
	}
	read := func() ledger {
		var l ledger
		b := cli(demo, "payments", "show", "--year", "2026", "--format", "json")
		b = strings.NewReplacer(`"vendor_id"`, `"VendorID"`, `"payable"`, `"Payable"`, `"paid"`, `"Paid"`, `"outstanding"`, `"Outstanding"`).Replace(b)
		require.NoError(t, json.Unmarshal([]byte(b), &l), b)
		return l
	}
	before := read()
	require.NotEmpty(t, before.Vendors)
	var vouchers strings.Builder
	vouchers.WriteString("voucher_no,vendor_id,period,amount,paid_date,refunds\n")
	n := 0
	for _, v := range before.Vendors {
		for _, l := range v.Lines {
			if l.Kind != "closed" || l.Period == "2026-11" || decimal.RequireFromString(l.Amount).Sign() <= 0 {
				continue
			}
			n++
			p := calendar.MustPeriod(l.Period)
			fmt.Fprintf(&vouchers, "PV-%04d,%s,%s,%s,%s,\n", n, v.VendorID, l.Period, l.Amount, p.Next().First().AddDays(9))
			if n == 1 {
				fmt.Fprintf(&vouchers, "PV-R001,%s,%s,-1.23,%s,PV-0001\n", v.VendorID, l.Period, p.Next().First().AddDays(20))
			}
		}
	}
	require.Positive(t, n)
	file := filepath.Join(t.TempDir(), "payments.csv")
	require.NoError(t, os.WriteFile(file, []byte(vouchers.String()), 0o644))
	cli(demo, "payments", "import", file)

	after := read()
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
		}
		assert.True(t, sum.Equal(payable), "%s: payable is the sum of its lines", v.VendorID)
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
