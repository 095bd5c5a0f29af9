// Package breakdown builds a department's charge breakdown for a month (the
// `cloudbill breakdown` report): its rated lines, subordinate units included, by unit,
// project, work order and catalog item, each line with its daily amounts; for an open
// month, month to date. It prints the report as a table, CSV or JSON.
//
// It reads through the Reader interface, which the ClickHouse store satisfies.
package breakdown

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/glossary"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
	"cloudbill/rating"
)

// Reader is what a breakdown reads.
type Reader interface {
	RatedLines(ctx context.Context, p calendar.Period) ([]rating.Line, error)
	DailyAmounts(ctx context.Context, p calendar.Period, dep catalog.DepartmentID) ([]rating.Day, error)
	LatestRun(ctx context.Context, p calendar.Period) (rating.Run, error)
	CloseOf(ctx context.Context, p calendar.Period) (rating.Close, bool, error)
	Org(ctx context.Context) (catalog.Org, error)
	Catalog(ctx context.Context) (catalog.Catalog, error)
	VendorDeductions(ctx context.Context, p calendar.Period) ([]rating.VendorDeduction, error)
}

// Input is everything a breakdown is built from (Load reads it).
type Input struct {
	Period     calendar.Period
	Department catalog.DepartmentID
	Org        catalog.Org
	Catalog    catalog.Catalog          // names and units of items, how metered items aggregate
	Deductions []rating.VendorDeduction // how each vendor's acceptance became its deduction
	Lines      []rating.Line            // the month's lines (every department)
	Days       []rating.Day             // daily detail of the department and its units
	Closed     bool
	RunID      string
	Today      calendar.Date
	// DaysFromLines: take each line's days from the line itself (rating.Line.Daily, the
	// rule the stored daily detail is computed by) instead of Days, so that a breakdown
	// needs the month's lines and nothing else (the portal, whose first view must not
	// wait for a query per department).
	DaysFromLines bool
}

// ErrUnknownDepartment: the organisation does not list the department asked for.
var ErrUnknownDepartment = errors.New("unknown department")

// Load reads the Input of department dep's breakdown of month p; today is the local
// date that an open month is counted up to. A month never rated gives an error wrapping
// rating.ErrNotRated; an unknown department ErrUnknownDepartment.
func Load(ctx context.Context, s Reader, p calendar.Period, dep catalog.DepartmentID, today calendar.Date) (Input, error) {
	in := Input{Period: p, Department: dep, Today: today}
	org, err := s.Org(ctx)
	if err != nil {
		return in, err
	}
	if _, ok := org.Departments[dep]; !ok {
		return in, fmt.Errorf("breakdown: department %s: %w (import it with cloudbill org import)", dep, ErrUnknownDepartment)
	}
	in.Org = org
	if in.Catalog, err = s.Catalog(ctx); err != nil {
		return in, err
	}
	c, closed, err := s.CloseOf(ctx, p)
	if err != nil {
		return in, err
	}
	in.Closed = closed
	if closed {
		in.RunID = c.RunID
	} else {
		run, err := s.LatestRun(ctx, p)
		if errors.Is(err, rating.ErrNotRated) {
			return in, fmt.Errorf("breakdown %s: %w: rate it first (cloudbill rate --period %s)", p, rating.ErrNotRated, p)
		}
		if err != nil {
			return in, err
		}
		in.RunID = run.ID
	}
	if in.Lines, err = s.RatedLines(ctx, p); err != nil {
		return in, fmt.Errorf("breakdown %s: %w", p, err)
	}
	if in.Deductions, err = s.VendorDeductions(ctx, p); err != nil {
		return in, fmt.Errorf("breakdown %s: %w", p, err)
	}
	for _, d := range Units(org, dep) {
		days, err := s.DailyAmounts(ctx, p, d)
		if err != nil {
			return in, fmt.Errorf("breakdown %s: daily amounts of %s: %w", p, d, err)
		}
		in.Days = append(in.Days, days...)
	}
	return in, nil
}

// Units is dep followed by its subordinate units (at any depth), each level sorted by id.
func Units(org catalog.Org, dep catalog.DepartmentID) []catalog.DepartmentID {
	children := map[catalog.DepartmentID][]catalog.DepartmentID{}
	for id, d := range org.Departments {
		if d.Parent != "" && d.Parent != id {
			children[d.Parent] = append(children[d.Parent], id)
		}
	}
	seen := map[catalog.DepartmentID]bool{}
	var out []catalog.DepartmentID
	var walk func(catalog.DepartmentID)
	walk = func(id catalog.DepartmentID) {
		if seen[id] {
			return
		}
		seen[id] = true
		out = append(out, id)
		kids := children[id]
		sort.Slice(kids, func(i, j int) bool { return kids[i] < kids[j] })
		for _, k := range kids {
			walk(k)
		}
	}
	walk(dep)
	return out
}

// Status is whether a breakdown's figures are final: its words are the API's.
type Status string

const (
	// StatusClosed: the month is closed, the figures are final.
	StatusClosed Status = "closed"
	// StatusProvisional: the month is open, the figures may still change.
	StatusProvisional Status = "provisional"
)

// Final: the month is closed and the breakdown's figures are final.
func (r Report) Final() bool { return r.Status == StatusClosed }

// Report is the breakdown: the tree the three formats print.
type Report struct {
	Period     string `json:"period"`
	Department string `json:"department_id"`
	Name       string `json:"department_name"`
	// Status: StatusClosed (final) or StatusProvisional.
	Status Status `json:"status"`
	// Through is the last day counted: the month's last day, or today for an open month
	// (month to date).
	Through     string `json:"through"`
	MonthToDate bool   `json:"month_to_date"`
	RunID       string `json:"run_id"`
	Units       []Unit `json:"units"`
	Total       Yuan   `json:"total"`
}

type Unit struct {
	ID       string    `json:"department_id"`
	Name     string    `json:"name"`
	Parent   string    `json:"parent_id,omitempty"`
	Projects []Project `json:"projects"`
	Total    Yuan      `json:"total"`
}

type Project struct {
	ID           string  `json:"project_id"`
	Name         string  `json:"name"`
	Category     string  `json:"category"`
	CategoryName string  `json:"category_name,omitempty"`
	Orders       []Order `json:"orders"`
	Total        Yuan    `json:"total"`
}

type Order struct {
	ID         string `json:"order_id"`
	Vendor     string `json:"vendor_id"`
	VendorName string `json:"vendor_name,omitempty"`
	Lines      []Line `json:"lines"`
	Total      Yuan   `json:"total"`
}

type Line struct {
	// ID names the line stably across re-ratings of the month (LineID).
	ID          string          `json:"line_id,omitempty"`
	Item        string          `json:"item_code,omitempty"`
	ItemName    string          `json:"item_name,omitempty"`
	Unit        string          `json:"unit,omitempty"`
	Kind        string          `json:"kind"`
	KindName    string          `json:"kind_name,omitempty"`
	Zone        string          `json:"zone,omitempty"`
	ZoneName    string          `json:"zone_name,omitempty"`
	Mode        string          `json:"mode,omitempty"`
	From        string          `json:"from,omitempty"`
	To          string          `json:"to,omitempty"`
	Days        int             `json:"days"`
	DaysInMonth int             `json:"days_in_month"`
	Quantity    decimal.Decimal `json:"quantity"`
	UnitPrice   decimal.Decimal `json:"unit_price"`
	// Amount is rounded to the fen: the line's amount, or for a line cut at today the
	// sum of its days up to today, rounded once.
	Amount   Yuan   `json:"amount"`
	Corrects string `json:"corrects,omitempty"`
	Note     string `json:"note,omitempty"`
	// Explanation is the line's calculation in one Chinese line, true for its kind
	// (glossary.Explain).
	Explanation string `json:"explanation,omitempty"`
	// Daily are the unrounded amounts of the line's days: allocated (charge, unfunded)
	// lines only. A metered line's amount is its measured quantity × price, not a sum of
	// days; deductions and adjustments have no days.
	Daily []Day `json:"daily,omitempty"`
}

type Day struct {
	Date   string          `json:"date"`
	Amount decimal.Decimal `json:"amount"`
}

// DaysToFen are the line's days as a page shows them, to the fen: the line's amount
// (rounded once) spread over its days in proportion to their unrounded amounts by
// money.Allocate, so the days shown add up to the line's amount exactly and each is
// within a fen of its unrounded amount. Nil for a line without days.
func (l Line) DaysToFen() []Day {
	if len(l.Daily) == 0 {
		return nil
	}
	weights := make([]decimal.Decimal, len(l.Daily))
	for i, d := range l.Daily {
		weights[i] = d.Amount.Abs()
	}
	shares := money.Allocate(l.Amount.Decimal, weights)
	out := make([]Day, len(l.Daily))
	for i, d := range l.Daily {
		out[i] = Day{Date: d.Date, Amount: shares[i]}
	}
	return out
}

// dayKey ties a day of rated_days to its line.
type dayKey struct {
	dep     catalog.DepartmentID
	vendor  catalog.VendorID
	project catalog.ProjectID
	order   catalog.OrderID
	item    catalog.ItemCode
	kind    rating.Kind
}

// Build makes the report. For a closed month it shows the frozen lines; for an open one
// the latest rating cut at in.Today (month to date): a line running past today counts its
// days up to today, its amount the sum of those days rounded once; a line beginning after
// today is left out; deductions and adjustments count in full. Every total is the sum of
// the rounded line amounts below it. Daily detail that does not match the lines is an
// error, never dropped.
func Build(in Input) (Report, error) {
	p := in.Period
	through := p.Last()
	mtd := false
	if !in.Closed && p.Contains(in.Today) {
		through, mtd = in.Today, true
	}
	if !in.Closed && in.Today.Before(p.First()) {
		return Report{}, fmt.Errorf("breakdown %s: the month has not begun (today is %s)", p, in.Today)
	}
	units := Units(in.Org, in.Department)
	inUnits := map[catalog.DepartmentID]bool{}
	for _, u := range units {
		inUnits[u] = true
	}
	b := Report{
		Period: p.String(), Department: string(in.Department), Name: in.Org.Departments[in.Department].Name,
		Status: StatusProvisional, Through: through.String(), MonthToDate: mtd, RunID: in.RunID, Total: Yuan{decimal.Zero},
	}
	if in.Closed {
		b.Status = StatusClosed
	}

	if in.DaysFromLines {
		in.Days = nil // each line's days are its own (below)
	}
	// Days by line key, to hand each line the days inside its billed range.
	days := map[dayKey][]rating.Day{}
	for _, d := range in.Days {
		if !inUnits[d.Department] {
			continue
		}
		k := dayKey{d.Department, d.Vendor, d.Project, d.Order, d.Item, d.Kind}
		days[k] = append(days[k], d)
	}
	used := map[dayKey]int{}
	ids := lineIDs{}
	dates := dateNames{}

	type lineAt struct {
		unit    catalog.DepartmentID
		project catalog.ProjectID
		cat     catalog.ProjectCategory
		order   catalog.OrderID
		vendor  catalog.VendorID
		line    Line
	}
	var rows []lineAt
	for _, l := range in.Lines {
		if !inUnits[l.Department] {
			continue
		}
		bl := Line{ID: ids.of(l), Item: string(l.Item), Kind: string(l.Kind), KindName: glossary.Kind(l.Kind),
			Zone: string(l.Zone), Mode: string(l.Mode),
			Days: l.Days, DaysInMonth: l.DaysInMonth, Quantity: l.Quantity, UnitPrice: l.UnitPrice,
			Amount: Yuan{l.Amount}, Note: glossary.Note(l.Note)}
		if l.Zone != "" {
			bl.ZoneName = glossary.Zone(l.Zone)
		}
		var item glossary.Item
		if it, ok := in.Catalog.Priced(l.Item, l.CatalogVersion, l.From); ok {
			bl.ItemName, bl.Unit, item = it.Name, it.Unit, glossary.ItemOf(it)
		}
		cut := l // the line as shown: cut at through for month to date
		if !l.From.IsZero() {
			bl.From, bl.To = dates.of(l.From), dates.of(l.To)
		}
		if l.Corrects != (calendar.Period{}) {
			bl.Corrects = l.Corrects.String()
		}
		k := dayKey{l.Department, l.Vendor, l.Project, l.Order, l.Item, l.Kind}
		if hasDays(l) {
			var mine []dayAmount
			if in.DaysFromLines {
				mine = lineDays(l)
			} else {
				for _, d := range days[k] {
					if !d.Date.Before(l.From) && !d.Date.After(l.To) {
						mine = append(mine, dayAmount{d.Date, d.Amount})
					}
				}
				used[k] += len(mine)
			}
			if len(mine) != l.Days {
				return Report{}, fmt.Errorf("breakdown %s: order %s item %s (%s) from %s: %d days rated, %d days of daily detail",
					p, l.Order, l.Item, l.Kind, l.From, l.Days, len(mine))
			}
			if l.From.After(through) {
				continue // begins after the day counted up to: not part of month to date
			}
			sort.Slice(mine, func(i, j int) bool { return mine[i].Date.Before(mine[j].Date) })
			sum := decimal.Zero
			n := 0
			if l.Kind != rating.KindMetered {
				bl.Daily = make([]Day, 0, len(mine))
			}
			for _, d := range mine {
				if d.Date.After(through) {
					break
				}
				if l.Kind != rating.KindMetered {
					bl.Daily = append(bl.Daily, Day{Date: dates.of(d.Date), Amount: d.Amount})
				}
				sum = sum.Add(d.Amount)
				n++
			}
			if l.To.After(through) {
				bl.To = dates.of(through)
				bl.Days = n
				bl.Amount = Yuan{money.Round(sum)}
				cut.To, cut.Days = through, n
			}
		}
		cut.Amount = bl.Amount.Decimal
		bl.Explanation = glossary.Explain(cut, item, deductionOf(in.Deductions, l))
		rows = append(rows, lineAt{l.Department, l.Project, l.Category, l.Order, l.Vendor, bl})
	}
	for k, ds := range days {
		if used[k] != len(ds) {
			return Report{}, fmt.Errorf("breakdown %s: daily detail of order %s item %s (%s) does not match its rated lines (%d days, %d matched)",
				p, k.order, k.item, k.kind, len(ds), used[k])
		}
	}

	// Assemble the tree: units in Units order, then projects, orders by id; lines in
	// the rating's order (rating.SortLines) within an order.
	for _, u := range units {
		unit := Unit{ID: string(u), Name: in.Org.Departments[u].Name, Parent: string(in.Org.Departments[u].Parent), Total: Yuan{decimal.Zero}}
		projIdx := map[catalog.ProjectID]int{}
		for _, r := range rows {
			if r.unit != u {
				continue
			}
			pi, ok := projIdx[r.project]
			if !ok {
				pi = len(unit.Projects)
				projIdx[r.project] = pi
				unit.Projects = append(unit.Projects, Project{ID: string(r.project),
					Name: projectName(in.Org, r.project, p.Year), Category: string(r.cat), Total: Yuan{decimal.Zero}})
				if r.cat != "" {
					unit.Projects[pi].CategoryName = glossary.Category(r.cat)
				}
			}
			pr := &unit.Projects[pi]
			oi := -1
			for i := range pr.Orders {
				if pr.Orders[i].ID == string(r.order) && pr.Orders[i].Vendor == string(r.vendor) {
					oi = i
				}
			}
			if oi < 0 {
				oi = len(pr.Orders)
				pr.Orders = append(pr.Orders, Order{ID: string(r.order), Vendor: string(r.vendor),
					VendorName: vendorName(in.Org, r.vendor), Total: Yuan{decimal.Zero}})
			}
			o := &pr.Orders[oi]
			o.Lines = append(o.Lines, r.line)
			o.Total = Yuan{o.Total.Add(r.line.Amount.Decimal)}
			pr.Total = Yuan{pr.Total.Add(r.line.Amount.Decimal)}
			unit.Total = Yuan{unit.Total.Add(r.line.Amount.Decimal)}
		}
		// Projects by id; lines without a project (deductions) last.
		sort.SliceStable(unit.Projects, func(i, j int) bool {
			a, b := unit.Projects[i].ID, unit.Projects[j].ID
			if (a == "") != (b == "") {
				return b == ""
			}
			return a < b
		})
		for i := range unit.Projects {
			os := unit.Projects[i].Orders
			sort.SliceStable(os, func(a, b int) bool {
				if os[a].ID != os[b].ID {
					return os[a].ID < os[b].ID
				}
				return os[a].Vendor < os[b].Vendor
			})
		}
		b.Units = append(b.Units, unit)
	}
	b.Total = TotalOf(b.Units)
	return b, nil
}

// TotalOf is the total of a department's units: the sum of their totals, each the sum of
// the rounded line amounts below it (what the department's statement shows as its
// total, rating.TotalsOf's Net of the same lines for a closed month).
func TotalOf(units []Unit) Yuan {
	t := Yuan{decimal.Zero}
	for _, u := range units {
		t = Yuan{t.Add(u.Total.Decimal)}
	}
	return t
}

// Compose is a department's report made of its units' own reports: head is Build's
// report of the department without lines (its heading, its units empty), units each
// unit's own unit (Build's first unit of that department's own lines) in Units order.
// The result is the report Build makes from all the lines (TestCompose): head with
// units and their total (TotalOf). The units are shared, not copied. Units that are not
// head's, in its order, are an error.
func Compose(head Report, units []Unit) (Report, error) {
	if len(head.Units) != len(units) {
		return Report{}, fmt.Errorf("breakdown %s of %s: %d units, %d expected", head.Period, head.Department, len(units), len(head.Units))
	}
	for i, u := range units {
		if u.ID != head.Units[i].ID {
			return Report{}, fmt.Errorf("breakdown %s of %s: unit %d is %s, %s expected", head.Period, head.Department, i+1, u.ID, head.Units[i].ID)
		}
	}
	head.Units = units
	head.Total = TotalOf(units)
	return head, nil
}

// dayAmount is a day of a line's daily detail: its date and unrounded amount.
type dayAmount struct {
	Date   calendar.Date
	Amount decimal.Decimal
}

// lineDays are the dates and amounts of l.Daily() (rating.Line.Daily: each day
// l.DailyAmount(), the last day the rest of l.Unrounded), without the rest of each day's
// record: a breakdown of the city's every line made them by the million
// (TestLineDaysAreDaily).
func lineDays(l rating.Line) []dayAmount {
	if !l.Kind.CountsInGross() || l.Days <= 0 {
		return nil
	}
	each := l.DailyAmount()
	last := l.Unrounded.Sub(each.Mul(decimal.NewFromInt(int64(l.Days - 1))))
	out := make([]dayAmount, l.Days)
	for i := range out {
		amt := each
		if i == l.Days-1 {
			amt = last
		}
		out[i] = dayAmount{l.From.AddDays(i), amt}
	}
	return out
}

// dateNames hands out each date's text once per report (a month's lines share 31 dates).
type dateNames map[calendar.Date]string

func (n dateNames) of(d calendar.Date) string {
	s, ok := n[d]
	if !ok {
		s = d.String()
		n[d] = s
	}
	return s
}

// deductionOf is the vendor record behind deduction line l (nil for other kinds, or
// none recorded).
func deductionOf(ds []rating.VendorDeduction, l rating.Line) *rating.VendorDeduction {
	if l.Kind != rating.KindDeduction {
		return nil
	}
	for i := range ds {
		if ds[i].Vendor == l.Vendor {
			return &ds[i]
		}
	}
	return nil
}

func vendorName(org catalog.Org, v catalog.VendorID) string {
	if ven, ok := org.Vendors[v]; ok && ven.Name != "" {
		return ven.Name
	}
	return string(v)
}

// LineID names a line by what it is, not where it sits: a hash of its department,
// vendor, project, order, item, kind, first day, catalog version, corrected month and
// kind, category, zone and mode. A re-rating that leaves a line in place keeps its id;
// saved links to it stay good.
func LineID(l rating.Line) string {
	h := sha256.New()
	for _, f := range []string{string(l.Department), string(l.Vendor), string(l.Project), string(l.Order), string(l.Item),
		string(l.Kind), l.From.String(), l.CatalogVersion.String(), l.Corrects.String(), string(l.CorrectsKind),
		string(l.Category), string(l.Zone), string(l.Mode)} {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// lineIDs hands out LineID, with -2, -3 … for lines that share every field it hashes.
type lineIDs map[string]int

func (ids lineIDs) of(l rating.Line) string {
	id := LineID(l)
	ids[id]++
	if n := ids[id]; n > 1 {
		return fmt.Sprintf("%s-%d", id, n)
	}
	return id
}

// hasDays reports a line with daily detail: charge, metered and unfunded lines.
func hasDays(l rating.Line) bool {
	return l.Kind.CountsInGross() && l.Days > 0
}

// projectName is the project's name on year's list (or any year's, or "").
func projectName(org catalog.Org, id catalog.ProjectID, year int) string {
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
