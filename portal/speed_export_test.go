package portal

import (
	"context"

	"cloudbill/catalog"
	"cloudbill/funding"
	"cloudbill/internal/calendar"
	"cloudbill/statements/breakdown"
)

// Breakdowns are department dep's breakdown of month p as the portal answers it (put
// together from the units made ahead) and as breakdown.Build makes it from the department's
// and its units' lines.
func (s *Server) Breakdowns(ctx context.Context, p calendar.Period, dep catalog.DepartmentID) (composed, built breakdown.Report, err error) {
	md, err := s.monthLines(ctx, p)
	if err != nil {
		return composed, built, err
	}
	if composed, err = s.breakdownOf(ctx, md, dep); err != nil {
		return composed, built, err
	}
	built, err = breakdown.Build(md.input(dep))
	return composed, built, err
}

// BreakdownJSONs are department dep's answer of GET /api/v1/breakdown for month p as the
// portal answers it (encoded from the breakdown put together from the units made ahead,
// and kept) and as encoding breakdown.Build's report of the department's and its units'
// lines makes it.
func (s *Server) BreakdownJSONs(ctx context.Context, p calendar.Period, dep catalog.DepartmentID) (composed, encoded []byte, err error) {
	md, err := s.monthLines(ctx, p)
	if err != nil {
		return nil, nil, err
	}
	if composed, err = s.breakdownJSON(md, dep); err != nil {
		return nil, nil, err
	}
	built, err := breakdown.Build(md.input(dep))
	if err != nil {
		return nil, nil, err
	}
	return composed, encodeJSON(breakdownAnswer(built, departmentPage(p, dep))), nil
}

// BudgetReportOf is the evaluation of year's budgets as of asOf as the pages get it.
func (s *Server) BudgetReportOf(ctx context.Context, year int, asOf calendar.Date) (funding.YearReport, error) {
	return s.budgetReport(ctx, year, asOf)
}

// BudgetCounts are how many evaluations of budgets were made and how many background
// looks whether one is due have ended.
func (s *Server) BudgetCounts() (evals, looks int64) {
	return s.budgetEvals.Load(), s.budgetLooks.Load()
}
