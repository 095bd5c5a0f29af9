package catalog

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"cloudbill/internal/calendar"
	"cloudbill/internal/coded"
	"cloudbill/internal/csvin"
)

// EventColumns returns the columns of a work-order event file (docs/formats.md).
func EventColumns() csvin.Spec {
	return csvin.Spec{
		Required: []string{"order_id", "event", "effective_date", "department_id", "project_id", "vendor_id", "zone", "item_code", "quantity"},
		Optional: []string{"resource_id", "resource_type", "portion"},
	}
}

// EventStore is what an order import reads and writes.
type EventStore interface {
	CatalogReader
	OrgReader
	// OrderEvents is every stored event, sorted by order, effective date, import order.
	OrderEvents(ctx context.Context) ([]Event, error)
	// ClosedPeriods lists the months already closed.
	ClosedPeriods(ctx context.Context) ([]calendar.Period, error)
	// InsertEvents stores the events of one import and records imp.
	InsertEvents(ctx context.Context, imp Import, es []Event) error
}

// orderState is what is known of one order while a file is checked: its stored events
// and those accepted so far from the file.
type orderState struct {
	open   *Event // its open
	last   *Event // the latest event (by date, then import/file order)
	term   *Event // its terminate
	cfg    Config // the configuration in force after last
	cfgOK  bool   // cfg is known (false when the open line had errors)
	events map[string]Source
}

// eventKey is the identity of an event: an event with the same key is the same fact
// (a terminate is identified by its date alone: it carries the configuration in force).
func eventKey(e Event) string {
	if e.Kind == EventTerminate {
		return "terminate|" + e.Effective.String()
	}
	c := e.Config
	return strings.Join([]string{string(e.Kind), e.Effective.String(), string(c.Department), string(c.Project),
		string(c.Vendor), string(c.Zone), string(c.Item), c.Quantity.String(), string(c.ResourceID), c.ResourceType, string(c.Portion)}, "|")
}

// eventChecker validates the rows of one event file against the stored master data.
type eventChecker struct {
	rr       *rowReader
	cat      Catalog
	org      Org
	projects map[ProjectID][]Project // each id's entries by year
	closed   map[calendar.Period]bool
	orders   map[OrderID]*orderState
	out      []Event
	rep      Report
}

func newEventChecker(cat Catalog, org Org, stored []Event, closed []calendar.Period) *eventChecker {
	c := &eventChecker{rr: &rowReader{key: keyOf("order", "order_id")}, cat: cat, org: org, projects: map[ProjectID][]Project{},
		closed: map[calendar.Period]bool{}, orders: map[OrderID]*orderState{}}
	for _, p := range org.Projects {
		c.projects[p.ID] = append(c.projects[p.ID], p)
	}
	for _, p := range closed {
		c.closed[p] = true
	}
	for i := range stored {
		e := stored[i]
		st := c.state(e.Order)
		c.apply(st, &e)
	}
	return c
}

func (c *eventChecker) state(id OrderID) *orderState {
	st, ok := c.orders[id]
	if !ok {
		st = &orderState{events: map[string]Source{}}
		c.orders[id] = st
	}
	return st
}

func (c *eventChecker) apply(st *orderState, e *Event) {
	st.events[eventKey(*e)] = e.Source
	switch e.Kind {
	case EventOpen:
		st.open = e
		st.cfg, st.cfgOK = e.Config, true
	case EventChange:
		st.cfg, st.cfgOK = e.Config, true
	case EventTerminate:
		st.term = e
	}
	st.last = e
}

// project is the entry of id that applies on day d (ProjectFor, with an index).
func (c *eventChecker) project(id ProjectID, d calendar.Date) (Project, bool) {
	return nearestYear(c.projects[id], d.Year)
}

// row checks one line and, when it is good and new, accepts its event.
func (c *eventChecker) row(row csvin.Row) {
	rr := c.rr
	errsBefore := len(rr.errs)
	oid, okID := rr.id(row, "order_id")
	kind, okKind := rr.required(row, "event")
	if okKind && !rr.oneOf(row, "event", kind, string(EventOpen), string(EventChange), string(EventTerminate)) {
		okKind = false
	}
	ds, okDate := rr.required(row, "effective_date")
	var eff calendar.Date
	if okDate {
		eff, okDate = rr.date(row, "effective_date", ds)
	}
	e := Event{Order: OrderID(oid), Kind: EventKind(kind), Effective: eff, Source: rr.source(row)}
	terminate := e.Kind == EventTerminate
	cfg, given := c.config(row, eff, okDate, terminate)
	e.Config = cfg
	if !okID || !okKind || !okDate {
		return
	}
	st := c.state(e.Order)
	if terminate {
		// a terminate carries the configuration in force; the columns given must agree
		if st.cfgOK {
			c.checkSame(row, given, cfg, st.cfg)
			e.Config = st.cfg
		}
	}
	fieldsOK := len(rr.errs) == errsBefore
	key := eventKey(e)
	if _, dup := st.events[key]; dup && fieldsOK {
		c.rep.Present++
		return
	}
	// the sequence of the order
	switch {
	case e.Kind == EventOpen && st.open != nil:
		if st.open.Effective != e.Effective || eventKey(*st.open) != key {
			rr.coded(row, "order_id", csvin.CodeOrderOpenedTwice, append([]string{"order", oid, "date", st.open.Effective.String()}, rr.at(st.open.Source)...)...)
		}
		return
	case e.Kind != EventOpen && st.open == nil:
		rr.coded(row, "event", csvin.CodeBeforeOpen, "event", kind, "order", oid)
		return
	case e.Kind != EventOpen && eff.Before(st.open.Effective):
		rr.coded(row, "effective_date", csvin.CodeBeforeOpenDate, append([]string{"event", kind, "order", oid, "open", st.open.Effective.String(), "date", eff.String()}, rr.at(st.open.Source)...)...)
		return
	case st.term != nil:
		rr.coded(row, "event", csvin.CodeAfterTerminate, append([]string{"order", oid, "date", st.term.Effective.String()}, rr.at(st.term.Source)...)...)
		return
	case st.last != nil && eff.Before(st.last.Effective):
		rr.coded(row, "effective_date", csvin.CodeGoesBack, append([]string{"date", eff.String(), "last", st.last.Effective.String(), "order", oid}, rr.at(st.last.Source)...)...)
		return
	}
	if !fieldsOK {
		if e.Kind == EventOpen {
			// remember the open so that the order's later lines are not reported as
			// coming before it; its configuration is unknown
			c.apply(st, &e)
			st.cfgOK = false
		}
		return
	}
	e.Late = c.closed[eff.Period()]
	c.out = append(c.out, e)
	c.apply(st, &c.out[len(c.out)-1])
	if e.Late {
		c.rep.Late++
	}
}

// config reads the configuration columns. For a terminate every column may be empty;
// given says which were not.
func (c *eventChecker) config(row csvin.Row, eff calendar.Date, okDate, terminate bool) (cfg Config, given map[string]bool) {
	rr := c.rr
	given = map[string]bool{}
	get := func(col string) (string, bool) {
		v := row.Get(col)
		if v != "" {
			given[col] = true
			return v, true
		}
		if !terminate {
			rr.coded(row, col, csvin.CodeEmpty)
		}
		return "", false
	}
	if v, ok := get("department_id"); ok {
		if _, exists := c.org.Departments[DepartmentID(v)]; !exists {
			rr.coded(row, "department_id", csvin.CodeUnknownDept, "department", v)
		}
		cfg.Department = DepartmentID(v)
	}
	if v, ok := get("vendor_id"); ok {
		if _, exists := c.org.Vendors[VendorID(v)]; !exists {
			rr.coded(row, "vendor_id", csvin.CodeUnknownVendor, "vendor", v)
		}
		cfg.Vendor = VendorID(v)
	}
	var proj Project
	projOK := false
	if v, ok := get("project_id"); ok {
		cfg.Project = ProjectID(v)
		if !okDate {
			// no date: check the id only
			_, projOK = c.project(cfg.Project, calendar.Date{Year: 1})
			if !projOK {
				rr.coded(row, "project_id", csvin.CodeUnknownProj, "project", v)
			}
			projOK = false
		} else if proj, projOK = c.project(cfg.Project, eff); !projOK {
			rr.coded(row, "project_id", csvin.CodeUnknownProj, "project", v)
		}
	}
	if projOK && cfg.Department != "" {
		if _, exists := c.org.Departments[cfg.Department]; exists &&
			proj.Department != cfg.Department && proj.Department != c.org.ParentOf(cfg.Department) {
			rr.coded(row, "project_id", csvin.CodeProjectOtherDept, "project", string(proj.ID), "owner", string(proj.Department), "department", string(cfg.Department))
		}
	}
	if v, ok := get("zone"); ok {
		if rr.oneOf(row, "zone", v, string(ZoneInternet), string(ZoneExtranet)) {
			cfg.Zone = Zone(v)
		}
	}
	if v, ok := get("quantity"); ok {
		if strings.HasPrefix(v, "-") {
			rr.coded(row, "quantity", csvin.CodeQtyNotPositive, "value", v)
		} else if q, okQ := rr.decimalValue(row, "quantity", v); okQ {
			if q.Sign() <= 0 {
				rr.coded(row, "quantity", csvin.CodeQtyNotPositive, "value", v)
			} else {
				rr.atMost(row, "quantity", q, maxQuantity, csvin.CodeQtyTooLarge)
			}
			cfg.Quantity = q
		}
	}
	cfg.ResourceID = ResourceID(row.Get("resource_id"))
	if cfg.ResourceID != "" {
		given["resource_id"] = true
	}
	cfg.ResourceType = row.Get("resource_type")
	if cfg.ResourceType != "" {
		given["resource_type"] = true
	}
	if p := row.Get("portion"); p != "" {
		given["portion"] = true
		if rr.oneOf(row, "portion", p, string(PortionStock), string(PortionNew)) {
			cfg.Portion = Portion(p)
			if projOK && proj.Category != CategoryRenovation {
				rr.coded(row, "portion", csvin.CodePortion, "value", p, "project", string(proj.ID), "category", string(proj.Category))
			}
		}
	}
	// the item: a catalog code, or a resource type adapted to one
	code := row.Get("item_code")
	switch {
	case code != "":
		given["item_code"] = true
		cfg.Item = ItemCode(code)
	case cfg.ResourceType != "":
		a, ok := c.cat.Adaptations[cfg.ResourceType]
		if !ok {
			rr.coded(row, "resource_type", csvin.CodeTypeNotAdapted, "type", cfg.ResourceType)
		} else {
			cfg.Item = a.Item
			given["item_code"] = true
		}
	case !terminate:
		rr.coded(row, "item_code", csvin.CodeNoItem)
	}
	if cfg.Item != "" && okDate && !terminate {
		c.checkOffered(row, cfg, eff)
	}
	return cfg, given
}

// checkOffered: the item is in the version in force on d, with a price in the zone.
func (c *eventChecker) checkOffered(row csvin.Row, cfg Config, d calendar.Date) {
	col := "item_code"
	if row.Get("item_code") == "" {
		col = "resource_type"
	}
	v, ok := c.cat.InForce(d)
	if !ok {
		c.rr.coded(row, "effective_date", csvin.CodeNoCatalogOn, "date", d.String())
		return
	}
	it, ok := v.Items[cfg.Item]
	if !ok {
		if c.known(cfg.Item) {
			c.rr.coded(row, col, csvin.CodeItemNotOffered, "item", string(cfg.Item), "date", d.String(), "version", v.Effective.String())
		} else {
			c.rr.coded(row, col, csvin.CodeItemUnknown, "item", string(cfg.Item))
		}
		return
	}
	if cfg.Zone == "" {
		return
	}
	if _, ok := it.Price(cfg.Zone); !ok {
		c.rr.coded(row, "zone", csvin.CodeZoneNotOffered, "item", string(it.Code), "name", it.Name, "zone", string(cfg.Zone), "date", d.String(), "version", v.Effective.String())
	}
}

func (c *eventChecker) known(code ItemCode) bool {
	for _, v := range c.cat.Versions {
		if _, ok := v.Items[code]; ok {
			return true
		}
	}
	return false
}

// checkSame reports the given columns of a terminate that differ from the configuration
// in force.
func (c *eventChecker) checkSame(row csvin.Row, given map[string]bool, got, want Config) {
	diff := func(col, g, w string) {
		if given[col] && g != w {
			c.rr.coded(row, col, csvin.CodeTerminateKeeps, "want", w, "got", g)
		}
	}
	diff("department_id", string(got.Department), string(want.Department))
	diff("project_id", string(got.Project), string(want.Project))
	diff("vendor_id", string(got.Vendor), string(want.Vendor))
	diff("zone", string(got.Zone), string(want.Zone))
	diff("item_code", string(got.Item), string(want.Item))
	diff("resource_id", string(got.ResourceID), string(want.ResourceID))
	diff("resource_type", got.ResourceType, want.ResourceType)
	diff("portion", string(got.Portion), string(want.Portion))
	if given["quantity"] && !got.Quantity.Equal(want.Quantity) {
		c.rr.coded(row, "quantity", csvin.CodeTerminateKeeps, "want", want.Quantity.String(), "got", got.Quantity.String())
	}
}

// CheckEvents validates an event file against the stored catalog, organisation, events
// and closed months, and returns the events it adds (in file order) and a report of what
// it would do. It changes nothing. Rules, each error naming file, line and column:
//
//   - order_id, event (open, change, terminate), effective_date (YYYY-MM-DD) given;
//   - open and change: department, project and vendor exist; zone internet or extranet;
//     quantity a positive plain decimal; item_code a catalog item, or empty with a
//     resource_type that has an adaptation (the event carries the adapted item and the
//     type); the item is in the catalog version in force on the effective date with a
//     price in the order's zone; the project (its entry for the effective date's year,
//     else the nearest year) belongs to the order's department or to its parent; portion
//     (stock or new) only on renovation projects;
//   - terminate: the configuration columns may be left empty; the event carries the
//     configuration in force; columns that are given must repeat it;
//   - sequence, per order, over stored events and the file's lines in order: the first
//     event is an open; change and terminate only after the open and not dated before
//     it; nothing after a terminate; no effective date before the order's previous
//     event; a second open for an order with other content (or date) is a duplicate
//     order id;
//   - an event identical to one stored (or earlier in the file) is already present and
//     skipped: importing a file again changes nothing;
//   - an event dated in a month already closed is accepted and marked Late (rating books
//     it as an adjustment in the first open month).
func CheckEvents(f File, cat Catalog, org Org, stored []Event, closed []calendar.Period) ([]Event, Report, error) {
	c, err := checkEvents(f, cat, org, stored, closed)
	if err != nil {
		return nil, Report{}, err
	}
	return c.out, c.rep, nil
}

func checkEvents(f File, cat Catalog, org Org, stored []Event, closed []calendar.Period) (*eventChecker, error) {
	c := newEventChecker(cat, org, stored, closed)
	c.rr.read(f, EventColumns(), c.row)
	c.rep.Read = c.rr.rows
	if len(c.rr.errs) > 0 {
		return nil, c.rr.errs
	}
	c.rep.Accepted = len(c.out)
	return c, nil
}

// ImportEvents validates an event file (CheckEvents) and stores its new events, all or
// none. A refused file stores nothing and returns csvin.Errors listing every error.
func ImportEvents(ctx context.Context, st EventStore, f File, now time.Time) (Report, error) {
	cat, err := st.Catalog(ctx)
	if err != nil {
		return Report{}, err
	}
	org, err := st.Org(ctx)
	if err != nil {
		return Report{}, err
	}
	stored, err := st.OrderEvents(ctx)
	if err != nil {
		return Report{}, err
	}
	closed, err := st.ClosedPeriods(ctx)
	if err != nil {
		return Report{}, err
	}
	c, err := checkEvents(f, cat, org, stored, closed)
	if err != nil {
		return Report{}, err
	}
	rep := c.rep
	if len(c.out) == 0 {
		return rep, nil
	}
	imp := newImport("orders", f.Name, c.rr.digest(), now)
	imp.Rows = len(c.out)
	if rep.Late > 0 {
		imp.Note = coded.Text(NoteLate, "events", strconv.Itoa(rep.Late))
	}
	for i := range c.out {
		setImport(&c.out[i].Source, imp.ID)
	}
	if err := st.InsertEvents(ctx, imp, c.out); err != nil {
		return Report{}, fmt.Errorf("store events: %w", err)
	}
	rep.Import = imp
	return rep, nil
}

// SortEvents sorts events by order, effective date, then import order (the order
// OrderEvents returns and Timeline expects). The sort is stable: events of one import
// keep their file order.
func SortEvents(es []Event) {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if a.Order != b.Order {
			return a.Order < b.Order
		}
		return a.Effective.Before(b.Effective)
	})
}
