package gen

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/internal/calendar"
)

func readYearRows(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	return recs
}

// The demo's budgets: a share of each project's forecast from budgetShares, rounded up to
// a hundred CNY; the same file for the same inputs; no budget without a forecast.
func TestWriteBudgets(t *testing.T) {
	dir := t.TempDir()
	forecasts := map[string]decimal.Decimal{"P1": decimal.RequireFromString("12345.67"), "P2": decimal.RequireFromString("800.00"), "P3": decimal.Zero}
	a, b := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv")
	n, err := WriteBudgets(a, 2026, forecasts, 3)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	_, err = WriteBudgets(b, 2026, forecasts, 3)
	require.NoError(t, err)
	ba, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	assert.Equal(t, ba, bb)
	rows := readYearRows(t, a)
	assert.Equal(t, budgetsHeader, rows[0])
	for _, r := range rows[1:] {
		amount := decimal.RequireFromString(r[2])
		f := forecasts[r[0]]
		assert.Equal(t, "2026", r[1])
		assert.True(t, amount.Mod(decimal.NewFromInt(100)).IsZero(), r[2])
		assert.True(t, amount.GreaterThanOrEqual(f.Mul(decimal.RequireFromString("0.70"))) && amount.LessThan(f.Mul(decimal.RequireFromString("1.30")).Add(decimal.NewFromInt(100))), "%v of %s", r, f)
	}
}

// The demo's vouchers: one per vendor with a positive amount, and a 1% refund of the
// first naming it, ten days later.
func TestWriteVouchers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.csv")
	n, err := WriteVouchers(path, calendar.MustPeriod("2026-03"), map[string]decimal.Decimal{
		"V2": decimal.RequireFromString("200.00"), "V1": decimal.RequireFromString("1234.56"), "V3": decimal.RequireFromString("-5.00"),
	}, calendar.MustDate("2026-04-10"), true)
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	assert.Equal(t, [][]string{
		paymentsHeader,
		{"PZ202603-V1", "V1", "2026-03", "1234.56", "2026-04-10", ""},
		{"PZ202603-V1-R", "V1", "2026-03", "-12.35", "2026-04-20", "PZ202603-V1"},
		{"PZ202603-V2", "V2", "2026-03", "200.00", "2026-04-10", ""},
	}, readYearRows(t, path))
}
