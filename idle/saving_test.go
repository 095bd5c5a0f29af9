package idle

import (
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
)

// The saving still to be had counts the open and overdue cases, not the resolved ones.
func TestPendingSaving(t *testing.T) {
	d := decimal.RequireFromString
	cases := []Case{
		{State: StateOpen, Saving: d("10.50")},
		{State: StateOverdue, Saving: d("2.25")},
		{State: StateResolved, Saving: d("100.00")},
	}
	assert.Equal(t, "12.75", PendingSaving(cases).StringFixed(2))
	assert.True(t, PendingSaving(nil).IsZero())
}
