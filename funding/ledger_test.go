package funding

import (
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
)

func per(s string) calendar.Period { return calendar.MustPeriod(s) }

func nets(v catalog.VendorID, amount string) map[catalog.VendorID]decimal.Decimal {
	return map[catalog.VendorID]decimal.Decimal{v: dec(amount)}
}

// The payment ledger of V1 for 2026 with a refund, a voucher paid in 2027 (跨年支付),
// December paid in-year on its estimate, and the true-up of December 2025 (estimated
// 900.00, closed at 912.34) booked in January:
//
//	payable  12.34 (true-up) + 1000.00 + 1000.00 + 1200.50 + 1234.56 (Dec estimate) = 4447.40
//	paid     1000.00 + 1000.00 − 50.00 (refund of PV-2) + 1234.56 + 1200.50         = 4385.06
//	outstanding                                                                       =   62.34
func TestLedgerWithRefund(t *testing.T) {
	pay := func(voucher, period, amount, paid, refunds string) Payment {
		return Payment{Voucher: voucher, Vendor: "V1", Period: per(period), Amount: dec(amount), PaidDate: day(paid), Refunds: refunds}
	}
	in := LedgerInput{
		Year: 2026,
		Org:  exampleOrg(),
		ClosedNet: map[calendar.Period]map[catalog.VendorID]decimal.Decimal{
			per("2025-12"): nets("V1", "912.34"),
			per("2026-01"): nets("V1", "1000.00"),
			per("2026-02"): nets("V1", "1000.00"),
			per("2026-11"): nets("V1", "1200.50"),
		},
		Estimated: map[calendar.Period]map[catalog.VendorID]decimal.Decimal{
			per("2025-12"): nets("V1", "900.00"),
			per("2026-12"): nets("V1", "1234.56"),
		},
		Payments: []Payment{
			pay("PV-0", "2025-12", "900.00", "2025-12-30", ""), // another year's
			pay("PV-1", "2026-01", "1000.00", "2026-02-10", ""),
			pay("PV-2", "2026-02", "1000.00", "2026-03-10", ""),
			pay("PV-3", "2026-02", "-50.00", "2026-03-20", "PV-2"),
			pay("PV-4", "2026-12", "1234.56", "2026-12-28", ""),
			pay("PV-5", "2026-11", "1200.50", "2027-01-05", ""),
		},
	}
	l := Ledger(in)
	require.Len(t, l, 1)
	v := l[0]
	assert.Equal(t, "云甲", v.Name)
	assert.Equal(t, "4447.40", v.Payable.StringFixed(2))
	assert.Equal(t, "4385.06", v.Paid.StringFixed(2))
	assert.Equal(t, "62.34", v.Outstanding.StringFixed(2))
	require.Len(t, v.Lines, 5)
	assert.Equal(t, PayableLine{Period: per("2026-01"), Kind: PayableTrueUp, Amount: dec("12.34")}, v.Lines[0])
	assert.Equal(t, PayableEstimate, v.Lines[4].Kind)
	var cross []string
	for _, p := range v.Vouchers {
		if p.CrossYear() {
			cross = append(cross, p.Voucher)
		}
	}
	assert.Equal(t, []string{"PV-5"}, cross)
	assert.Len(t, v.Vouchers, 5, "PV-0 pays 2025")

	// December 2026 closes at 1250.00: 2026 keeps what was paid in-year on the estimate,
	// 2027 owes the difference, 15.44, booked in January.
	in.ClosedNet[per("2026-12")] = nets("V1", "1250.00")
	again := Ledger(in)
	assert.True(t, again[0].Payable.Equal(v.Payable), "2026 unchanged by the close of its December")
	in.Year = 2027
	next := Ledger(in)
	require.Len(t, next, 1)
	assert.Equal(t, "15.44", next[0].Payable.StringFixed(2))
	assert.Equal(t, PayableTrueUp, next[0].Lines[0].Kind)
	// without an estimate, December counts at its closed net
	delete(in.Estimated, per("2026-12"))
	in.Year = 2026
	assert.Equal(t, "4462.84", Ledger(in)[0].Payable.StringFixed(2)) // 4447.40 − 1234.56 + 1250.00
}
