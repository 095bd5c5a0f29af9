package portal_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/statements/breakdown"
)

// TestComposedBreakdown: every department's breakdown, put together from the units made
// when the month was loaded (each department's own lines once), is the report
// breakdown.Build makes from the department's and its units' lines: the same tree, ids,
// names, explanations, daily amounts and totals.
func TestComposedBreakdown(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	withUnits := 0
	for id := range f.org.Departments {
		composed, built, err := f.portal.Breakdowns(ctx, period, id)
		require.NoError(t, err, "department %s", id)
		require.Equal(t, built, composed, "department %s", id)
		if len(breakdown.Units(f.org, id)) > 1 && !built.Total.IsZero() {
			withUnits++
		}
	}
	assert.Positive(t, withUnits, "departments with units and charges checked")
}
