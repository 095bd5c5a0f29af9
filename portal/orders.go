package portal

// The work-order list (工单): every work order the identity may see, found by number,
// department (with its subordinate units), vendor, item, zone, state and month, sorted by
// any column, 50 a page with the total stated; in a month, each order as it stood at the
// month's end (catalog.OrdersAsOf: its department, vendor and configuration then); as a
// page (GET /orders), as JSON and as .xlsx or CSV (GET /api/v1/orders). Scope: the list needs access.Orders, and each order
// is shown only when the identity may view its department or its vendor
// (access.Identity.May, the one scope function); a month's amount counts only the lines
// the identity may see the same way.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"cloudbill/access"
	"cloudbill/catalog"
	"cloudbill/glossary"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
	"cloudbill/internal/xlsxout"
	"cloudbill/rating"
	"cloudbill/statements/breakdown"
)

const ordersPageSize = 50

// orderRow is one work order as listed and answered.
type orderRow struct {
	Order          string `json:"order_id"`
	Resource       string `json:"resource_id"`
	Department     string `json:"department_id"`
	DepartmentName string `json:"department_name"`
	Project        string `json:"project_id"`
	ProjectName    string `json:"project_name"`
	Vendor         string `json:"vendor_id"`
	VendorName     string `json:"vendor_name"`
	Item           string `json:"item_code"`
	ItemName       string `json:"item_name"`
	Unit           string `json:"unit"`
	Zone           string `json:"zone"`
	ZoneName       string `json:"zone_name"`
	Quantity       string `json:"quantity"`
	Metered        bool   `json:"metered"` // a metered item: the quantity is measured each month
	BillingName    string `json:"billing_name"`
	Opened         string `json:"opened"`
	Terminated     string `json:"terminated"` // "" while it runs on
	State          string `json:"state"`
	StateName      string `json:"state_name"`
	// Amount is the order's amount in the month chosen (the sum of its rounded lines the
	// identity may see); "" when no month is chosen or the month is not rated.
	Amount string `json:"amount"`
	URL    string `json:"url"`

	qty, amount decimal.Decimal
}

// orderFilter is the list's query: filters, month, sort.
type orderFilter struct {
	Q, Department, Vendor, Item, Zone, State string
	// Period is "YYYY-MM" (orders in service that month, with its amounts), "all", or
	// "" (the latest month with figures).
	Period    string
	Sort, Dir string
}

// orderSorts are the columns the list sorts on, with their headings.
var orderSorts = []struct{ Key, Label string }{
	{"order", "工单"}, {"department", "部门"}, {"project", "项目"}, {"vendor", "服务商"}, {"item", "品目"},
	{"zone", "区域"}, {"quantity", "数量"}, {"opened", "开通日期"}, {"terminated", "终止日期"}, {"state", "状态"},
	{"amount", "金额（元）"},
}

// orderList is the filtered, sorted list and what the page offers to filter on.
type orderList struct {
	Filter orderFilter
	// Period is the month shown ("" every month); Rated: it has figures (amounts).
	Period string
	Rated  bool
	Rows   []orderRow
	Amount decimal.Decimal // the rows' amounts added up
	// the choices of the filters: only what the identity may see
	Departments, Vendors, Items, Zones, States, Periods []option
}

// readOrderFilter reads and checks the query.
func readOrderFilter(r *http.Request) (orderFilter, error) {
	q := r.URL.Query()
	f := orderFilter{Q: strings.TrimSpace(q.Get("q")), Department: q.Get("department"), Vendor: q.Get("vendor"),
		Item: q.Get("item"), Zone: q.Get("zone"), State: q.Get("state"), Period: q.Get("period"),
		Sort: q.Get("sort"), Dir: q.Get("dir")}
	for _, v := range []string{f.Q, f.Department, f.Vendor, f.Item, f.Zone, f.State, f.Period, f.Sort, f.Dir} {
		if len(v) > 128 {
			return f, badInput("筛选条件过长")
		}
	}
	if f.Period != "" && f.Period != "all" {
		if _, err := parsePeriod(f.Period); err != nil {
			return f, badInput("月份 %q：应为 YYYY-MM", truncate(f.Period))
		}
	}
	if f.State != "" {
		if !glossary.IsOrderState(f.State) {
			return f, badInput("状态 %q 不存在", truncate(f.State))
		}
	}
	if f.Sort == "" {
		f.Sort = "order"
	}
	known := false
	for _, s := range orderSorts {
		known = known || s.Key == f.Sort
	}
	if !known {
		return f, badInput("排序列 %q 不存在", truncate(f.Sort))
	}
	switch f.Dir {
	case "":
		f.Dir = "asc"
	case "asc", "desc":
	default:
		return f, badInput("排序方向 %q：应为 asc 或 desc", truncate(f.Dir))
	}
	return f, nil
}

// orders builds the list for the identity of c.
func (s *Server) orders(ctx context.Context, c *call, f orderFilter) (orderList, error) {
	out := orderList{Filter: f, Amount: decimal.Zero}
	evs, err := s.orderEvents(ctx)
	if err != nil {
		return out, err
	}
	parents := access.OrgParents(c.org)
	visible := func(d catalog.DepartmentID, v catalog.VendorID) bool { return c.id.SeesCharge(d, v, parents) }
	// the month: chosen, or the latest with figures
	latest := s.latestRated(ctx)
	switch f.Period {
	case "":
		out.Period = latest
	case "all":
	default:
		out.Period = f.Period
	}
	ms, err := s.monthStates(ctx)
	if err != nil {
		return out, err
	}
	for _, m := range ms {
		if shown(m) {
			out.Periods = append(out.Periods, option{m.Period.String(), m.Period.String() + " " + stateZh(m.State)})
		}
	}
	// the month's lines (each order's amount: the net of its lines the identity sees) and
	// a catalog (item names)
	var cat catalog.Catalog
	var amounts map[catalog.OrderID]decimal.Decimal
	var p calendar.Period
	if out.Period != "" {
		p, _ = parsePeriod(out.Period)
		md, err := s.monthLines(ctx, p)
		switch {
		case err == nil:
			out.Rated, cat = true, md.catalog
			amounts = rating.NetByOrder(md.lines, func(l rating.Line) bool { return visible(l.Department, l.Vendor) })
		case !errors.Is(err, errNotRated):
			return out, err
		}
	}
	if cat.Versions == nil {
		lp, err := parsePeriod(latest)
		if err == nil {
			if md, err := s.monthLines(ctx, lp); err == nil {
				cat = md.catalog
			}
		}
		if cat.Versions == nil {
			if cat, err = s.cfg.Store.Catalog(ctx); err != nil {
				return out, err
			}
		}
	}
	today := calendar.LocalDate(s.now())
	year := today.Year // the project's name of the month's year
	if out.Period != "" {
		year = p.Year
	}
	var units map[catalog.DepartmentID]bool
	if f.Department != "" {
		units = map[catalog.DepartmentID]bool{}
		for _, u := range breakdown.Units(c.org, catalog.DepartmentID(f.Department)) {
			units[u] = true
		}
	}
	q := strings.ToLower(f.Q)
	seen := map[string]map[string]string{"department": {}, "vendor": {}, "item": {}, "zone": {}}
	// the orders the month lists (catalog.Listed), then the page's filters
	var month *calendar.Period
	if out.Period != "" {
		month = &p
	}
	billed := func(id catalog.OrderID) bool { _, ok := amounts[id]; return ok }
	for _, o := range catalog.Listed(evs, month, visible, billed) {
		row := s.orderRowOf(c, cat, o, today, year)
		seen["department"][row.Department] = row.DepartmentName
		seen["vendor"][row.Vendor] = row.VendorName
		seen["item"][row.Item] = row.ItemName
		seen["zone"][row.Zone] = row.ZoneName
		switch {
		case q != "" && !strings.Contains(strings.ToLower(row.Order), q) && !strings.Contains(strings.ToLower(row.Resource), q),
			units != nil && !units[o.Department],
			f.Vendor != "" && row.Vendor != f.Vendor,
			f.Item != "" && row.Item != f.Item,
			f.Zone != "" && row.Zone != f.Zone,
			f.State != "" && row.State != f.State:
			continue
		}
		if out.Rated {
			row.amount = amounts[o.Order]
			row.Amount = money.Plain(row.amount)
			out.Amount = out.Amount.Add(row.amount)
		}
		row.URL = s.orderURL(c, o, out.Period, latest, out.Rated)
		out.Rows = append(out.Rows, row)
	}
	sortOrders(out.Rows, f.Sort, f.Dir == "desc")
	opts := func(m map[string]string, withID bool) []option {
		var os []option
		for id, name := range m {
			label := name
			if withID && name != id {
				label = name + "（" + id + "）"
			}
			os = append(os, option{id, label})
		}
		sort.Slice(os, func(i, j int) bool { return os[i].Value < os[j].Value })
		return os
	}
	// a department filter also offers the 主管部门 of the units seen, when in scope
	for id := range seen["department"] {
		for d := c.org.Departments[catalog.DepartmentID(id)].Parent; d != ""; d = c.org.Departments[d].Parent {
			if _, ok := seen["department"][string(d)]; ok || c.id.May(access.View, access.Department(d), parents) != nil {
				break
			}
			seen["department"][string(d)] = s.deptName(c, d)
		}
	}
	out.Departments, out.Vendors = opts(seen["department"], true), opts(seen["vendor"], false)
	out.Items, out.Zones = opts(seen["item"], true), opts(seen["zone"], false)
	for _, st := range []catalog.OrderState{catalog.OrderActive, catalog.OrderTerminated, catalog.OrderPending} {
		out.States = append(out.States, option{string(st), glossary.OrderState(string(st))})
	}
	return out, nil
}

// orderRowOf is order o in words (its project's name of year, its state today).
func (s *Server) orderRowOf(c *call, cat catalog.Catalog, o catalog.OrderSummary, today calendar.Date, year int) orderRow {
	row := orderRow{Order: string(o.Order), Resource: string(o.ResourceID), Department: string(o.Department),
		DepartmentName: s.deptName(c, o.Department), Project: string(o.Project), Vendor: string(o.Vendor),
		Item: string(o.Item), ItemName: string(o.Item), Zone: string(o.Zone), ZoneName: glossary.Zone(o.Zone),
		Quantity: glossary.Qty(o.Quantity), qty: o.Quantity, Opened: o.Opened.String(), amount: decimal.Zero}
	row.ProjectName = projectNameOf(c.org, o.Project, year)
	row.VendorName = string(o.Vendor)
	if v, ok := c.org.Vendors[o.Vendor]; ok && v.Name != "" {
		row.VendorName = v.Name
	}
	if it, ok := cat.Priced(o.Item, calendar.Date{}, today); ok {
		row.ItemName, row.Unit = it.Name, it.Unit
		row.Metered = it.Billing == catalog.Metered // its quantity is measured each month
		row.BillingName = glossary.Billing(it.Billing)
	}
	if !o.Terminated.IsZero() {
		row.Terminated = o.Terminated.String()
	}
	st := o.StateOn(today)
	row.State, row.StateName = string(st), glossary.OrderState(string(st))
	return row
}

// projectNameOf is a project's name in year, else in its latest year, else "".
func projectNameOf(org catalog.Org, id catalog.ProjectID, year int) string {
	if pr, ok := org.Projects[catalog.ProjectKey{ID: id, Year: year}]; ok {
		return pr.Name
	}
	best := catalog.Project{}
	for k, pr := range org.Projects {
		if k.ID == id && pr.Year > best.Year {
			best = pr
		}
	}
	return best.Name
}

// orderURL is where an order's number leads: its lines in the drill-down of the month
// shown (else the latest with figures) when its department is in scope, else its
// vendor's settlement.
func (s *Server) orderURL(c *call, o catalog.OrderSummary, period, latest string, rated bool) string {
	if period == "" || !rated {
		period = latest
	}
	if c.id.May(access.View, access.Department(o.Department), access.OrgParents(c.org)) != nil {
		return "/vendors/" + esc(string(o.Vendor)) + "/" + period
	}
	return drillURL("/departments/"+esc(string(o.Department))+"/"+period, string(o.Department), string(o.Project), string(o.Order), string(o.Vendor))
}

// sortOrders sorts rows by column key (orderSorts), then by order number.
func sortOrders(rows []orderRow, key string, desc bool) {
	cmp := func(a, b orderRow) int {
		switch key {
		case "department":
			return strings.Compare(a.Department, b.Department)
		case "project":
			return strings.Compare(a.Project, b.Project)
		case "vendor":
			return strings.Compare(a.Vendor, b.Vendor)
		case "item":
			return strings.Compare(a.Item, b.Item)
		case "zone":
			return strings.Compare(a.Zone, b.Zone)
		case "quantity":
			return a.qty.Cmp(b.qty)
		case "opened":
			return strings.Compare(a.Opened, b.Opened)
		case "terminated":
			return strings.Compare(a.Terminated, b.Terminated)
		case "state":
			return strings.Compare(a.State, b.State)
		case "amount":
			return a.amount.Cmp(b.amount)
		}
		return 0
	}
	sort.SliceStable(rows, func(i, j int) bool {
		c := cmp(rows[i], rows[j])
		if desc {
			c = -c
		}
		if c != 0 {
			return c < 0
		}
		return rows[i].Order < rows[j].Order
	})
}

// ordersQuery is the list's query string without the page (links keep the filters).
func ordersQuery(f orderFilter, sortKey, dir string) url.Values {
	v := url.Values{}
	for k, x := range map[string]string{"q": f.Q, "department": f.Department, "vendor": f.Vendor, "item": f.Item,
		"zone": f.Zone, "state": f.State, "period": f.Period} {
		if x != "" {
			v.Set(k, x)
		}
	}
	if sortKey != "order" || dir != "asc" {
		v.Set("sort", sortKey)
		v.Set("dir", dir)
	}
	return v
}

type orderHeading struct {
	Label, URL, Sort string // Sort: "ascending", "descending" or ""
	Num              bool
}

type ordersPage struct {
	orderList
	Rows     []orderRow // the page's
	Pager    pager
	Headings []orderHeading
	XLSX     string
	CSV      string
	Filtered bool
	Title    string
}

// GET /orders
func (s *Server) ordersPage(w http.ResponseWriter, r *http.Request, c *call) {
	f, err := readOrderFilter(r)
	if err != nil {
		s.fail(w, r, Route{}, http.StatusBadRequest, "请求有误："+strings.TrimPrefix(err.Error(), "bad request: "), nil)
		return
	}
	l, err := s.orders(r.Context(), c, f)
	if err != nil {
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return
	}
	pg := pageOf(r, len(l.Rows), ordersPageSize)
	d := ordersPage{orderList: l, Rows: cut(l.Rows, pg), Pager: pg, Title: ordersTitle(l),
		Filtered: f.Q != "" || f.Department != "" || f.Vendor != "" || f.Item != "" || f.Zone != "" || f.State != "" || f.Period != ""}
	for _, h := range orderSorts {
		if h.Key == "amount" && !l.Rated {
			continue
		}
		oh := orderHeading{Label: h.Label, Num: h.Key == "quantity" || h.Key == "amount"}
		dir := "asc"
		if h.Key == f.Sort {
			oh.Sort = map[string]string{"asc": "ascending", "desc": "descending"}[f.Dir]
			if f.Dir == "asc" {
				dir = "desc"
			}
		}
		oh.URL = "/orders?" + ordersQuery(f, h.Key, dir).Encode()
		d.Headings = append(d.Headings, oh)
	}
	q := ordersQuery(f, f.Sort, f.Dir)
	q.Set("format", "xlsx")
	d.XLSX = "/api/v1/orders?" + q.Encode()
	q.Set("format", "csv")
	q.Set("bom", "1")
	d.CSV = "/api/v1/orders?" + q.Encode()
	s.render(w, c, 200, "orders", d.Title, d)
}

func ordersTitle(l orderList) string {
	if l.Period == "" {
		return "工单（全部月份）"
	}
	return "工单 " + l.Period
}

// ordersColumns are the columns of the list's export (glossary names).
var ordersColumns = []string{"order_id", "resource_id", "department_id", "department_name", "project_id", "project_name",
	"vendor_name", "item_code", "item_name", "unit", "zone_name", "quantity", "opened", "terminated", "state", "amount"}

// ordersTable is the whole filtered list as a table; the amount column and the 合计 row
// only for a month with figures.
func ordersTable(l orderList) xlsxout.Table {
	cols := ordersColumns
	if !l.Rated {
		cols = cols[:len(cols)-1]
	}
	title := ordersTitle(l)
	if l.Period != "" && !l.Rated {
		title += "（尚未计费）"
	}
	t := xlsxout.Table{Sheet: "工单", Title: title, Headers: glossary.Headers(cols)}
	for _, o := range l.Rows {
		row := []xlsxout.Cell{xlsxout.Text(o.Order), xlsxout.Text(o.Resource), xlsxout.Text(o.Department), xlsxout.Text(o.DepartmentName),
			xlsxout.Text(o.Project), xlsxout.Text(o.ProjectName), xlsxout.Text(o.VendorName), xlsxout.Text(o.Item),
			xlsxout.Text(o.ItemName), xlsxout.Text(o.Unit), xlsxout.Text(o.ZoneName), qtyCell(o),
			xlsxout.Text(o.Opened), xlsxout.Text(o.Terminated), xlsxout.Text(o.StateName)}
		if l.Rated {
			row = append(row, xlsxout.Money(o.amount))
		}
		t.Rows = append(t.Rows, row)
	}
	if l.Rated {
		t.Total = make([]xlsxout.Cell, len(cols))
		t.Total[0] = xlsxout.Text(glossary.Total)
		t.Total[len(cols)-1] = xlsxout.Money(l.Amount)
	}
	return t
}

// GET /api/v1/orders?q=&department=&vendor=&item=&zone=&state=&period=&sort=&dir=&page=
// [&format=xlsx|csv[&bom=1]]: a page of the list as JSON, or the whole list as a file.
func (s *Server) apiOrders(w http.ResponseWriter, r *http.Request, c *call) {
	f, err := readOrderFilter(r)
	if err != nil {
		writeJSONCode(w, http.StatusBadRequest, "bad_request", "请求有误："+strings.TrimPrefix(err.Error(), "bad request: "))
		return
	}
	l, err := s.orders(r.Context(), c, f)
	if err != nil {
		s.fail(w, r, apiRoute, 500, "服务暂不可用", err)
		return
	}
	switch format := r.URL.Query().Get("format"); format {
	case "", "json":
		pg := pageOf(r, len(l.Rows), ordersPageSize)
		rows := cut(l.Rows, pg)
		if rows == nil {
			rows = []orderRow{}
		}
		ans := map[string]any{"period": l.Period, "rated": l.Rated, "total": pg.Total, "page": pg.Page, "pages": pg.Pages,
			"page_size": ordersPageSize, "orders": rows}
		if l.Rated {
			ans["amount"] = money.Plain(l.Amount)
		}
		writeJSON(w, 200, ans)
	case "xlsx", "csv":
		s.exportTable(w, r, c, ordersTable(l), format, r.URL.Query().Get("bom") == "1")
	default:
		writeJSONCode(w, http.StatusBadRequest, "bad_format", fmt.Sprintf("format %q：只能是 json、xlsx 或 csv。", truncate(format)))
	}
}

// qtyCell is an order's quantity in an export: a number, or 按量计费 for a metered item.
func qtyCell(o orderRow) xlsxout.Cell {
	if o.Metered {
		return xlsxout.Text(o.BillingName)
	}
	return xlsxout.Number(o.qty)
}
