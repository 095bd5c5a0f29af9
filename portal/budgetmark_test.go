package portal_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/app"
	"cloudbill/document/pdf"
	"cloudbill/portal"
)

// TestBudgetsEvaluatedOnChange: an evaluation of the year's budgets older than 30 s is
// looked at again in the background while it is served, and made again only when an
// import (or a rating) changed what it reads: with nothing imported the look keeps it.
func TestBudgetsEvaluatedOnChange(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	clk := &fakeClock{}
	uc, err := app.New(app.Config{Store: f.store, Now: time.Now, StatementsDir: f.out, LoadFont: pdf.Load})
	require.NoError(t, err)
	p, err := portal.New(portal.Config{Store: f.store, Access: f.access, App: uc, Now: clk.Now, NoWarm: true})
	require.NoError(t, err)
	asOf := period.Last()
	ask := func(looks int64) (evals int64) {
		t.Helper()
		_, err := p.BudgetReportOf(ctx, period.Year, asOf)
		require.NoError(t, err)
		require.Eventually(t, func() bool { _, l := p.BudgetCounts(); return l >= looks }, 3*time.Minute, 20*time.Millisecond,
			"background look %d", looks)
		evals, _ = p.BudgetCounts()
		return evals
	}
	assert.Equal(t, int64(1), ask(0), "the first ask evaluates")
	assert.Equal(t, int64(1), ask(0), "fresh: reused")
	for look := int64(1); look <= 3; look++ {
		clk.Add(31 * time.Second)
		assert.Equal(t, int64(1), ask(look), "nothing imported: kept (look %d)", look)
	}

	// an import (thresholds in force from 2099: the month's figures do not change)
	file := filepath.Join(t.TempDir(), "thresholds.csv")
	require.NoError(t, os.WriteFile(file, []byte("effective,warning,over,forecast_over\n2099-01-01,0.80,1.00,1.00\n"), 0o644))
	require.NoError(t, f.cli("budgets", "thresholds", "import", file))
	clk.Add(31 * time.Second)
	assert.Equal(t, int64(2), ask(4), "an import: evaluated again")
	clk.Add(31 * time.Second)
	assert.Equal(t, int64(2), ask(5), "nothing imported since: kept")
}
