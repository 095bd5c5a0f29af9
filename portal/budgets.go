package portal

// The year's budgets in the portal: GET /budgets (the projects the identity may
// see, with the district's warnings for the bureaus), GET /api/v1/budgets?year=YYYY (the
// same as JSON) and the banner of the overview for a department whose project is at
// warning, over or forecast over. Scope: access.Budgets to open them; each project is
// shown only when the identity may view its department (access.Identity.May). The
// figures come from funding.Evaluate, as `cloudbill budgets show` prints them.

import (
	"context"
	"net/http"
	"strconv"

	"cloudbill/access"
	"cloudbill/catalog"
	"cloudbill/funding"
	"cloudbill/internal/calendar"
)

// parseYear reads the ?year= value; empty: the current year (Asia/Shanghai).
func (s *Server) parseYear(r *http.Request) (int, error) {
	v := r.URL.Query().Get("year")
	if v == "" {
		return calendar.LocalDate(s.now()).Year, nil
	}
	y, err := strconv.Atoi(v)
	if err != nil || y < 2000 || y > 2200 {
		return 0, badInput("year %q: want YYYY", truncate(v))
	}
	return y, nil
}

// budgetsRule: the budgets list, with a valid ?year= when given.
func (s *Server) budgetsRule(r *http.Request) (access.Action, access.Object, error) {
	if _, err := s.parseYear(r); err != nil {
		return "", access.Object{}, err
	}
	return access.View, access.Budgets(), nil
}

// yearBudgets evaluates year's budgets as of today (or 31 December of a past year), keeps
// the projects the identity may see, and says whether it sees the district.
func (s *Server) yearBudgets(ctx context.Context, c *call, year int) (funding.YearReport, bool, error) {
	today := calendar.LocalDate(s.now())
	asOf := today
	if today.Year > year {
		asOf = calendar.Date{Year: year, Month: 12, Day: 31}
	}
	if today.Year < year {
		return funding.YearReport{Year: year, AsOf: today}, false, nil
	}
	rep, err := s.budgetReport(ctx, year, asOf)
	if err != nil {
		return rep, false, err
	}
	parents := access.OrgParents(c.org)
	out := rep
	out.Statuses = nil
	in := map[catalog.DepartmentID]bool{} // the decision of each department, once
	for _, st := range rep.Statuses {
		ok, seen := in[st.Department]
		if !seen {
			ok = c.id.Allows(access.View, access.Department(st.Department), parents)
			in[st.Department] = ok
		}
		if ok {
			out.Statuses = append(out.Statuses, st)
		}
	}
	district := c.id.Allows(access.View, access.District(), parents)
	if !district {
		out.Findings = nil
	}
	return out, district, nil
}

type budgetRow struct {
	funding.ProjectStatus
	ParentName     string // the 主管部门's name ("" for a top-level department; its code for one not in scope)
	DepartmentName string
	StateLabel     string
	Alert          bool
}

type warningRow struct {
	funding.Warning
	Label          string
	ProjectName    string
	DepartmentName string
}

type budgetsData struct {
	// Declaration: the department's declaration draft for next year (a department's
	// account), "" otherwise.
	Declaration     string
	DeclarationYear int
	Year            int
	AsOf            string
	Rows            []budgetRow
	District        bool
	Warnings        []warningRow
}

func (s *Server) budgetRows(c *call, rep funding.YearReport) []budgetRow {
	parents := access.OrgParents(c.org)
	rows := make([]budgetRow, 0, len(rep.Statuses))
	for _, st := range rep.Statuses {
		parent := string(st.Parent) // a unit's account sees its 主管部门's code, not its name
		if st.Parent != "" && c.id.Allows(access.View, access.Department(st.Parent), parents) {
			parent = s.deptName(c, st.Parent)
		}
		rows = append(rows, budgetRow{st, parent, s.deptName(c, st.Department), funding.Label(string(st.State)),
			st.State.Alert()})
	}
	return rows
}

// budgetsPage: the projects of the year in scope; for the bureaus the year's warnings.
func (s *Server) budgetsPage(w http.ResponseWriter, r *http.Request, c *call) {
	year, _ := s.parseYear(r)
	rep, district, err := s.yearBudgets(r.Context(), c, year)
	if err != nil {
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return
	}
	d := budgetsData{Year: year, AsOf: rep.AsOf.String(), Rows: s.budgetRows(c, rep), District: district}
	if c.id.Role == access.RoleDepartment {
		d.Declaration = "/departments/" + esc(string(c.id.Department)) + "/declaration"
		d.DeclarationYear = funding.DeclarationYear(calendar.LocalDate(s.now()))
	}
	if district {
		ws, err := s.cfg.Store.BudgetWarnings(r.Context(), year)
		if err != nil {
			s.fail(w, r, Route{}, 500, "服务暂不可用", err)
			return
		}
		for _, x := range ws {
			name := string(x.Project)
			if pr, ok := c.org.Projects[catalog.ProjectKey{ID: x.Project, Year: x.Year}]; ok && pr.Name != "" {
				name = pr.Name
			}
			d.Warnings = append(d.Warnings, warningRow{x, funding.Label(string(x.Threshold)), name, s.deptName(c, x.Department)})
		}
	}
	s.render(w, c, 200, "budgets", "项目预算", d)
}

// apiBudgets: GET /api/v1/budgets?year=YYYY, the caller's projects.
func (s *Server) apiBudgets(w http.ResponseWriter, r *http.Request, c *call) {
	year, _ := s.parseYear(r)
	rep, _, err := s.yearBudgets(r.Context(), c, year)
	if err != nil {
		s.fail(w, r, Route{API: true}, 500, "服务暂不可用", err)
		return
	}
	writeJSON(w, 200, struct {
		Year     int                  `json:"year"`
		AsOf     string               `json:"as_of"`
		Projects []funding.JSONStatus `json:"projects"`
	}{year, rep.AsOf.String(), rep.JSON()})
}

// budgetBanner: a department's projects of the current year at warning, over or forecast
// over (nil for other roles, or when none is).
func (s *Server) budgetBanner(ctx context.Context, c *call) []budgetRow {
	if c.id.Role != access.RoleDepartment {
		return nil
	}
	rep, _, err := s.yearBudgets(ctx, c, calendar.LocalDate(s.now()).Year)
	if err != nil {
		s.cfg.Logf("portal: budget banner: %v", err)
		return nil
	}
	var out []budgetRow
	for _, row := range s.budgetRows(c, rep) {
		if row.Alert {
			out = append(out, row)
		}
	}
	return out
}
