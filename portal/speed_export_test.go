package portal

import (
	"context"

	"cloudbill/catalog"
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
