package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/access"
	"cloudbill/catalog"
	"cloudbill/document/pdf"
	"cloudbill/funding"
)

// budgetStore is a hand-written fake of the budget import's store and the audit log;
// the rest of Store is not called (a call panics on the nil embedded interface).
type budgetStore struct {
	Store
	budgets []funding.Budget
	events  []access.Event
}

func (s *budgetStore) Org(context.Context) (catalog.Org, error) {
	return catalog.Org{Projects: map[catalog.ProjectKey]catalog.Project{
		{ID: "P01", Year: 2026}: {ID: "P01", Year: 2026, Approved: true},
	}}, nil
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
	assert.Contains(t, e.Detail, rep.Import.ID)

	rep, err = a.ImportBudgets(context.Background(), file("again.csv", "project_id,year,amount\nP01,2026,100.00\n"), "cli")
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Present)
	assert.Len(t, st.events, 1, "an import that stores nothing is not audited")
}
