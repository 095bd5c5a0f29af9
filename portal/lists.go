package portal

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"cloudbill/access"
	"cloudbill/catalog"
	"cloudbill/glossary"
	"cloudbill/internal/calendar"
)

// Long lists: filters in the query string, pages of a fixed size with the total stated,
// links that keep the filters. A page number past the end shows the last page.

// pager is one page of a list of Total rows.
type pager struct {
	Total, Page, Pages int
	First, Last        int    // 1-based rows shown, 0 when none
	Prev, Next         string // links, "" at either end
}

// pageOf reads ?page= of r and cuts a list of total rows into pages of size.
func pageOf(r *http.Request, total, size int) pager {
	p := pager{Total: total, Pages: max(1, (total+size-1)/size)}
	p.Page, _ = strconv.Atoi(r.URL.Query().Get("page"))
	p.Page = min(max(p.Page, 1), p.Pages)
	if total > 0 {
		p.First = (p.Page-1)*size + 1
		p.Last = min(p.Page*size, total)
	}
	link := func(n int) string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(n))
		return r.URL.Path + "?" + q.Encode()
	}
	if p.Page > 1 {
		p.Prev = link(p.Page - 1)
	}
	if p.Page < p.Pages {
		p.Next = link(p.Page + 1)
	}
	return p
}

// offset is the first row of the page (0-based).
func (p pager) offset(size int) int { return (p.Page - 1) * size }

// cut is the page's rows of a whole list.
func cut[T any](rows []T, p pager) []T {
	if p.Total == 0 {
		return nil
	}
	return rows[p.First-1 : p.Last]
}

// dateParam reads a YYYY-MM-DD query value ("" when absent).
func dateParam(r *http.Request, name string) (calendar.Date, bool, error) {
	v := strings.TrimSpace(r.URL.Query().Get(name))
	if v == "" {
		return calendar.Date{}, false, nil
	}
	d, err := calendar.ParseDate(v)
	if err != nil || d.Year < 2000 || d.Year > 2200 {
		return calendar.Date{}, false, badInput("日期 %q：应为 YYYY-MM-DD", truncate(v))
	}
	return d, true, nil
}

// --- audit log -------------------------------------------------------------------------

const auditPageSize = 100

type auditData struct {
	Events          []access.Event
	Actor, Action   string
	From, To        string
	Actions         []option
	Pager           pager
	FilterDescribed string
	// Detail renders an event's detail in Chinese, departments and vendors by name.
	Detail func(string) string
}

// option is one choice of a filter's select.
type option struct{ Value, Label string }

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, c *call) {
	q := r.URL.Query()
	f := access.AuditFilter{Actor: strings.TrimSpace(q.Get("actor")), Action: q.Get("action")}
	if len(f.Actor) > 128 || len(f.Action) > 64 {
		s.fail(w, r, Route{}, http.StatusBadRequest, "请求有误：筛选条件过长。", nil)
		return
	}
	from, hasFrom, err := dateParam(r, "from")
	if err == nil {
		var to calendar.Date
		var hasTo bool
		if to, hasTo, err = dateParam(r, "to"); err == nil {
			if hasFrom {
				f.From = from.Start()
			}
			if hasTo {
				f.To = to.AddDays(1).Start() // the whole last day
			}
			if hasFrom && hasTo && to.Before(from) {
				err = badInput("起始日期 %s 晚于截止日期 %s", from, to)
			}
		}
	}
	if err != nil {
		s.fail(w, r, Route{}, http.StatusBadRequest, "请求有误："+strings.TrimPrefix(err.Error(), "bad request: "), nil)
		return
	}
	total, err := s.cfg.Access.AuditCount(r.Context(), f)
	if err != nil {
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return
	}
	pg := pageOf(r, total, auditPageSize)
	f.Limit, f.Offset = auditPageSize, pg.offset(auditPageSize)
	evs, err := s.cfg.Access.Audit(r.Context(), f)
	if err != nil {
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return
	}
	d := auditData{Events: evs, Actor: f.Actor, Action: f.Action, From: q.Get("from"), To: q.Get("to"), Pager: pg}
	d.Detail = func(detail string) string {
		return glossary.AuditDetailNamed(detail, func(kind, code string) string {
			switch kind {
			case "department":
				return c.org.Departments[catalog.DepartmentID(code)].Name
			case "vendor":
				return c.org.Vendors[catalog.VendorID(code)].Name
			}
			return ""
		})
	}
	for v, label := range glossary.AuditActions() {
		d.Actions = append(d.Actions, option{v, label})
	}
	sort.Slice(d.Actions, func(i, j int) bool { return d.Actions[i].Label < d.Actions[j].Label })
	s.render(w, c, 200, "audit", "审计日志", d)
}

// neighbours are the nearest months before and after p that ok accepts ("" when there is
// none): 上月/下月 lead only to months that can be shown.
func (s *Server) neighbours(ctx context.Context, p calendar.Period, ok func(MonthState) bool) (prev, next string, err error) {
	ms, err := s.monthStates(ctx)
	if err != nil {
		return "", "", err
	}
	for _, m := range ms { // newest first
		if !ok(m) {
			continue
		}
		switch {
		case p.Before(m.Period):
			next = m.Period.String() // the last one seen is the nearest
		case m.Period.Before(p) && prev == "":
			prev = m.Period.String()
		}
	}
	return prev, next, nil
}

// shown: a month with figures (rated, whatever came after).
func shown(m MonthState) bool { return !m.State.Open() }

// notRated says that p has no figures yet, and which months nearby have.
func (s *Server) notRated(ctx context.Context, p calendar.Period) string {
	msg := p.String() + " 尚未计费，没有可显示的数据。"
	prev, next, err := s.neighbours(ctx, p, shown)
	switch {
	case err != nil:
	case prev != "" && next != "":
		msg += "最近已计费的月份：" + prev + "、" + next + "。"
	case prev != "":
		msg += "最近已计费的月份：" + prev + "。"
	case next != "":
		msg += "最近已计费的月份：" + next + "。"
	}
	return msg
}
