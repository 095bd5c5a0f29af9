package app

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/access"
	"cloudbill/catalog"
	"cloudbill/document/pdf"
	"cloudbill/funding"
	"cloudbill/internal/calendar"
)

// budgetStore is a hand-written fake of the stores of the year's money imports (budgets,
// thresholds, payments) and the audit log; the rest of Store is not called (a call panics
// on the nil embedded interface).
type budgetStore struct {
	Store
	budgets    []funding.Budget
	thresholds []funding.ThresholdVersion
	payments   []funding.Payment
	events     []access.Event
}

func (s *budgetStore) Org(context.Context) (catalog.Org, error) {
	return catalog.Org{Projects: map[catalog.ProjectKey]catalog.Project{
		{ID: "P01", Year: 2026}: {ID: "P01", Year: 2026, Approved: true},
	}, Vendors: map[catalog.VendorID]catalog.Vendor{"V1": {ID: "V1"}}}, nil
}
func (s *budgetStore) BudgetThresholds(context.Context) ([]funding.ThresholdVersion, error) {
	return s.thresholds, nil
}
func (s *budgetStore) InsertBudgetThresholds(_ context.Context, _ catalog.Import, vs []funding.ThresholdVersion) error {
	s.thresholds = append(s.thresholds, vs...)
	return nil
}
func (s *budgetStore) Payments(context.Context) ([]funding.Payment, error) { return s.payments, nil }
func (s *budgetStore) ClosedPeriods(context.Context) ([]calendar.Period, error) {
	return []calendar.Period{calendar.MustPeriod("2026-10")}, nil
}
func (s *budgetStore) EstimatedPeriods(context.Context) ([]calendar.Period, error) { return nil, nil }
func (s *budgetStore) InsertPayments(_ context.Context, _ catalog.Import, ps []funding.Payment) error {
	s.payments = append(s.payments, ps...)
	return nil
}
func (s *budgetStore) Budgets(context.Context) ([]funding.Budget, error) { return s.budgets, nil }
func (s *budgetStore) InsertBudgets(_ context.Context, _ catalog.Import, bs []funding.Budget) error {
	s.budgets = append(s.budgets, bs...)
	return nil
}
func (s *budgetStore) AppendAudit(_ context.Context, e access.Event) error {
	s.events = append(s.events, e)
	return nil
}

// Importing budgets records the import in the audit log, whoever imports: a refused file
// and a file with nothing new record nothing.
func TestImportBudgetsAudited(t *testing.T) {
	st := &budgetStore{}
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	a, err := New(Config{Store: st, Now: func() time.Time { return now }, LoadFont: pdf.Load})
	require.NoError(t, err)
	file := func(name, text string) catalog.File { return catalog.File{Name: name, R: strings.NewReader(text)} }

	_, err = a.ImportBudgets(context.Background(), file("bad.csv", "project_id,year,amount\nP09,2026,100\n"), "cli")
	require.Error(t, err, "an unknown project refuses the file")
	assert.Empty(t, st.events, "a refused file is not audited")

	rep, err := a.ImportBudgets(context.Background(), file("budgets.csv", "project_id,year,amount\nP01,2026,100.00\n"), "cli")
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Accepted)
	require.Len(t, st.events, 1)
	e := st.events[0]
	assert.Equal(t, "cli", e.Actor)
	assert.Equal(t, "budgets-import", e.Action)
	assert.Equal(t, "budgets.csv", e.Target)
	assert.Equal(t, "ok", e.Outcome)
	assert.Equal(t, now, e.At)
	assert.Equal(t, "import?accepted=1&import="+rep.Import.ID+"&of=budgets&replaced=0", e.Detail)

	rep, err = a.ImportBudgets(context.Background(), file("again.csv", "project_id,year,amount\nP01,2026,100.00\n"), "cli")
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Present)
	assert.Len(t, st.events, 1, "an import that stores nothing is not audited")
}

// The thresholds and payments imports are audited as the budgets import, each with its
// own action and detail (vouchers are only added: no count of replaced ones); a refused
// file and an import with nothing new record nothing.
func TestImportThresholdsAndPaymentsAudited(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	file := func(name, text string) catalog.File { return catalog.File{Name: name, R: strings.NewReader(text)} }
	for _, c := range []struct {
		name, action, bad, good, detail string
		run                             func(*App, context.Context, catalog.File, string) (catalog.Report, error)
	}{
		{"thresholds", "budget-thresholds-import",
			"effective,warning,over,forecast_over\n2026-12-01,0.9,0.8,1\n",
			"effective,warning,over,forecast_over\n2026-12-01,0.8,1,1\n",
			"import?accepted=1&import=%s&of=thresholds&replaced=0", (*App).ImportThresholds},
		{"payments", "payments-import",
			"voucher_no,vendor_id,period,amount,paid_date\nPV1,V9,2026-10,100.00,2026-11-20\n",
			"voucher_no,vendor_id,period,amount,paid_date\nPV1,V1,2026-10,100.00,2026-11-20\n",
			"import?accepted=1&import=%s&of=vouchers", (*App).ImportPayments},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := &budgetStore{}
			a, err := New(Config{Store: st, Now: func() time.Time { return now }, LoadFont: pdf.Load})
			require.NoError(t, err)
			ctx := context.Background()
			_, err = c.run(a, ctx, file("bad.csv", c.bad), "finance")
			require.Error(t, err)
			assert.Empty(t, st.events, "a refused file is not audited")

			rep, err := c.run(a, ctx, file(c.name+".csv", c.good), "finance")
			require.NoError(t, err)
			assert.Equal(t, 1, rep.Accepted)
			require.Len(t, st.events, 1)
			e := st.events[0]
			assert.Equal(t, access.Event{At: now, Actor: "finance", Action: c.action, Target: c.name + ".csv", Outcome: "ok",
				Detail: fmt.Sprintf(c.detail, rep.Import.ID)}, e)

			rep, err = c.run(a, ctx, file("again.csv", c.good), "finance")
			require.NoError(t, err)
			assert.Equal(t, 1, rep.Present)
			assert.Len(t, st.events, 1, "an import that stores nothing is not audited")
		})
	}
}
