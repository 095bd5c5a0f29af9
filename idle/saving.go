package idle

import "github.com/shopspring/decimal"

// PendingSaving is the monthly saving still to be had from cases: the sum of the savings
// of the cases not resolved (open or overdue).
func PendingSaving(cases []Case) decimal.Decimal {
	s := decimal.Zero
	for _, c := range cases {
		if c.State == StateOpen || c.State == StateOverdue {
			s = s.Add(c.Saving)
		}
	}
	return s
}
