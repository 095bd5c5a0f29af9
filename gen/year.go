package gen

import (
	"hash/fnv"
	"sort"
	"strconv"

	"github.com/shopspring/decimal"

	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
)

// budgetsHeader and paymentsHeader are the columns of the year's money files
// (docs/formats.md).
var (
	budgetsHeader  = []string{"project_id", "year", "amount"}
	paymentsHeader = []string{"voucher_no", "vendor_id", "period", "amount", "paid_date", "refunds"}
)

// budgetShares are what a generated budget is of a project's forecast for the year: most
// projects are funded with room to spare, some just short of their forecast (forecast
// over), some well short (spent at warning or over by the year's end).
var budgetShares = []string{"1.30", "1.20", "1.15", "1.10", "1.25", "0.95", "0.70"}

// WriteBudgets writes a budgets file for year: each project of forecasts (its forecast
// spend for the year) gets forecast × a share picked by the seed and the project id
// (budgetShares), rounded up to a hundred CNY; a project with no forecast spend gets none.
// Same inputs, same file.
func WriteBudgets(path string, year int, forecasts map[string]decimal.Decimal, seed int64) (int, error) {
	ids := make([]string, 0, len(forecasts))
	for id, f := range forecasts {
		if f.IsPositive() {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	hundred := decimal.NewFromInt(100)
	rows := make([][]string, 0, len(ids))
	for _, id := range ids {
		h := fnv.New64a()
		_, _ = h.Write([]byte(id))
		share := decimal.RequireFromString(budgetShares[(h.Sum64()+uint64(seed))%uint64(len(budgetShares))])
		amount := forecasts[id].Mul(share).Div(hundred).Ceil().Mul(hundred)
		rows = append(rows, []string{id, strconv.Itoa(year), amount.StringFixed(2)})
	}
	return len(rows), writeCSV(path, budgetsHeader, rows)
}

// WriteVouchers writes a payments file for service month p: one voucher per vendor of
// amounts (what its settlement asks to pay; nothing for an amount ≤ 0), paid on paid,
// numbered PZ<yyyymm>-<vendor>; with refund, the first vendor's voucher is partly
// refunded (1%, at least 0.01) ten days later, naming it. Same inputs, same file.
func WriteVouchers(path string, p calendar.Period, amounts map[string]decimal.Decimal, paid calendar.Date, refund bool) (int, error) {
	ids := make([]string, 0, len(amounts))
	for v, a := range amounts {
		if a.IsPositive() {
			ids = append(ids, v)
		}
	}
	sort.Strings(ids)
	var rows [][]string
	for i, v := range ids {
		no := "PZ" + strconv.Itoa(int(p.Key())) + "-" + v
		rows = append(rows, []string{no, v, p.String(), money.Plain(amounts[v]), paid.String(), ""})
		if refund && i == 0 {
			r := money.Round(amounts[v].Div(decimal.NewFromInt(100)))
			if !r.IsPositive() {
				r = decimal.RequireFromString("0.01")
			}
			rows = append(rows, []string{no + "-R", v, p.String(), money.Plain(r.Neg()), paid.AddDays(10).String(), no})
		}
	}
	return len(rows), writeCSV(path, paymentsHeader, rows)
}
