package funding

import "github.com/shopspring/decimal"

// LedgerTotal is the sum of vendors' years: payable, paid, outstanding.
type LedgerTotal struct {
	Payable, Paid, Outstanding decimal.Decimal
}

// TotalOf sums the vendors' years of a ledger (the 合计 of `payments show` and the
// portal's payments page).
func TotalOf(l []VendorYear) LedgerTotal {
	t := LedgerTotal{Payable: decimal.Zero, Paid: decimal.Zero, Outstanding: decimal.Zero}
	for _, vy := range l {
		t.Payable, t.Paid, t.Outstanding = t.Payable.Add(vy.Payable), t.Paid.Add(vy.Paid), t.Outstanding.Add(vy.Outstanding)
	}
	return t
}
