package portal

// The idle-resource pages ("In the portal"). Scope: the list of cases needs
// access.Idle and shows only the cases whose department the identity may view
// (idle.Visible with access.Identity.May); one case needs its department (named in the
// case id); the overdue list needs access.District.

import (
	"bytes"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/access"
	"cloudbill/catalog"
	"cloudbill/glossary"
	"cloudbill/idle"
	"cloudbill/internal/calendar"
)

// parseCaseID reads a case id "YYYYMMDD-DEPARTMENT-KIND" (idle.NewCaseID) and returns
// its department.
func parseCaseID(s string) (catalog.DepartmentID, error) {
	if _, err := parseID(s); err != nil {
		return "", err
	}
	if len(s) < 12 || s[8] != '-' {
		return "", badInput("case %q: want YYYYMMDD-DEPARTMENT-KIND", truncate(s))
	}
	if _, err := time.Parse("20060102", s[:8]); err != nil {
		return "", badInput("case %q: want YYYYMMDD-DEPARTMENT-KIND", truncate(s))
	}
	rest := s[9:]
	i := strings.LastIndexByte(rest, '-')
	if i <= 0 {
		return "", badInput("case %q: want YYYYMMDD-DEPARTMENT-KIND", truncate(s))
	}
	if _, ok := idle.ParseKind(rest[i+1:]); !ok || rest[i+1:] != strings.ToLower(rest[i+1:]) {
		return "", badInput("case %q: kind must be vcpu or memory", truncate(s))
	}
	return catalog.DepartmentID(rest[:i]), nil
}

// caseRule: viewing one case is viewing its department.
func caseRule(r *http.Request) (access.Action, access.Object, error) {
	dep, err := parseCaseID(r.PathValue("case"))
	if err != nil {
		return "", access.Object{}, err
	}
	return access.View, access.Department(dep), nil
}

func kindLabel(k idle.Kind) string { return glossary.IdleKind(string(k)) }

func caseStateZh(k idle.State) string { return glossary.IdleState(string(k)) }

func statusZh(k idle.Status) string { return glossary.IdleStatus(string(k)) }

// pct shows a ratio (0.2345) as a percentage with one decimal ("23.5%").
func pct(d decimal.Decimal) string {
	return d.Mul(decimal.NewFromInt(100)).StringFixed(1) + "%"
}

type caseRow struct {
	idle.Case
	Name string
}

type idleData struct {
	Cases    []caseRow // the page shown: overdue first, then open, then the rest
	Pager    pager
	Dept     string // filter: department id or part of its name
	State    string // filter: a case state
	States   []option
	Overdue  []caseRow
	Requests []idle.ChangeRequest
	District bool
	Today    calendar.Date
	Saving   decimal.Decimal
}

func (s *Server) deptName(c *call, d catalog.DepartmentID) string {
	if dep, ok := c.org.Departments[d]; ok {
		return dep.Name
	}
	return string(d)
}

// idleList: the cases the identity may see; for the bureaus also the overdue list (the
// downsizing list) with the change requests it calls for today.
func (s *Server) idleList(w http.ResponseWriter, r *http.Request, c *call) {
	ctx := r.Context()
	cases, err := s.cfg.Store.Cases(ctx)
	if err != nil {
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return
	}
	parents := access.OrgParents(c.org)
	vis := idle.Visible(cases, func(d catalog.DepartmentID) bool { return c.id.May(access.View, access.Department(d), parents) == nil })
	q := r.URL.Query()
	d := idleData{Today: calendar.LocalDate(s.now()), District: c.id.May(access.View, access.District(), parents) == nil,
		Dept: strings.TrimSpace(q.Get("department")), State: q.Get("state")}
	if len(d.Dept) > 128 || len(d.State) > 32 {
		s.fail(w, r, Route{}, http.StatusBadRequest, "请求有误：筛选条件过长。", nil)
		return
	}
	for _, st := range []idle.State{idle.StateOverdue, idle.StateOpen, idle.StateResolved} {
		d.States = append(d.States, option{string(st), caseStateZh(st)})
	}
	d.Saving = idle.PendingSaving(vis)
	var shown []caseRow
	for _, cs := range vis {
		row := caseRow{cs, s.deptName(c, cs.Department)}
		if cs.State == idle.StateOverdue {
			d.Overdue = append(d.Overdue, row)
		}
		if d.State != "" && string(cs.State) != d.State {
			continue
		}
		if d.Dept != "" && string(cs.Department) != d.Dept && !strings.Contains(row.Name, d.Dept) {
			continue
		}
		shown = append(shown, row)
	}
	// overdue first (earliest deadline first), then open by deadline, then the rest
	rank := map[idle.State]int{idle.StateOverdue: 0, idle.StateOpen: 1}
	sort.SliceStable(shown, func(i, j int) bool {
		ri, okI := rank[shown[i].State]
		rj, okJ := rank[shown[j].State]
		if !okI {
			ri = 2
		}
		if !okJ {
			rj = 2
		}
		if ri != rj {
			return ri < rj
		}
		return shown[i].Deadline.Before(shown[j].Deadline)
	})
	d.Pager = pageOf(r, len(shown), idlePageSize)
	d.Cases = cut(shown, d.Pager)
	if d.District {
		if d.Requests, err = s.cfg.App.DownsizingList(ctx, d.Today); err != nil {
			s.fail(w, r, Route{}, 500, "服务暂不可用", err)
			return
		}
	}
	s.render(w, c, 200, "idle", "闲置资源", d)
}

// idlePageSize is how many cases a page of the list shows.
const idlePageSize = 50

type caseData struct {
	Case     caseRow
	Evidence []idle.Evidence
	Items    map[catalog.ItemCode]string // the catalog's names of the items shown
}

// idleCase: one case with its frozen figures and every analysis recorded as evidence.
func (s *Server) idleCase(w http.ResponseWriter, r *http.Request, c *call) {
	ctx := r.Context()
	id := idle.CaseID(r.PathValue("case"))
	dep, _ := parseCaseID(string(id))
	cases, err := s.cfg.Store.Cases(ctx)
	if err != nil {
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return
	}
	for _, cs := range cases {
		if cs.ID != id || cs.Department != dep {
			continue
		}
		ev, err := s.cfg.Store.Evidence(ctx, id)
		if err != nil {
			s.fail(w, r, Route{}, 500, "服务暂不可用", err)
			return
		}
		cat, err := s.cfg.Store.Catalog(ctx)
		if err != nil {
			s.fail(w, r, Route{}, 500, "服务暂不可用", err)
			return
		}
		items := map[catalog.ItemCode]string{}
		today := calendar.LocalDate(s.now())
		for _, o := range cs.Orders {
			if it, ok := cat.Priced(o.Item, calendar.Date{}, today); ok {
				items[o.Item] = it.Name
			}
		}
		for _, e := range ev {
			for _, row := range e.Rows {
				if it, ok := cat.Priced(row.Item, calendar.Date{}, today); ok {
					items[row.Item] = it.Name
				}
			}
		}
		s.render(w, c, 200, "idlecase", "闲置资源整改 "+string(id), caseData{Case: caseRow{cs, s.deptName(c, cs.Department)}, Evidence: ev, Items: items})
		return
	}
	s.fail(w, r, Route{}, http.StatusNotFound, "没有这个闲置资源整改事项。", nil)
}

// idleOverdueCSV: the bureau's downsizing list as work-order change requests (the file
// of `cloudbill idle overdue`), effective today; the download is audited.
func (s *Server) idleOverdueCSV(w http.ResponseWriter, r *http.Request, c *call) {
	ctx := r.Context()
	today := calendar.LocalDate(s.now())
	reqs, err := s.cfg.App.DownsizingList(ctx, today)
	if err == nil {
		var buf bytes.Buffer
		if err = idle.WriteChangeRequests(&buf, reqs); err == nil {
			name := "idle-change-requests-" + today.String() + ".csv"
			_ = s.cfg.Access.Record(ctx, access.Event{Actor: c.id.Name(), Role: c.id.Role, Action: "download", Target: "idle " + name, Remote: c.remote})
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
			w.Header().Set("Cache-Control", "no-store")
			_, _ = w.Write(buf.Bytes())
			return
		}
	}
	s.fail(w, r, Route{}, 500, "服务暂不可用", err)
}
