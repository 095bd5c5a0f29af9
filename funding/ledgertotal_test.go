package funding

import (
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
)

// The ledger's 合计 is the sum of the vendors' figures.
func TestTotalOf(t *testing.T) {
	d := decimal.RequireFromString
	got := TotalOf([]VendorYear{
		{Vendor: "V1", Payable: d("100.10"), Paid: d("50.00"), Outstanding: d("50.10")},
		{Vendor: "V2", Payable: d("0.90"), Paid: d("1.00"), Outstanding: d("-0.10")},
	})
	assert.Equal(t, "101.00", got.Payable.StringFixed(2))
	assert.Equal(t, "51.00", got.Paid.StringFixed(2))
	assert.Equal(t, "50.00", got.Outstanding.StringFixed(2))
	assert.True(t, TotalOf(nil).Payable.IsZero())
}
