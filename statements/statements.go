package statements

import (
	"fmt"
	"sort"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/funding"
	"cloudbill/internal/calendar"
	"cloudbill/rating"
)

// Header is what every statement carries.
type Header struct {
	Period    calendar.Period
	Number    string // statement number, stable for a month (e.g. BM202611-D001)
	IssueDate calendar.Date
	Final     bool // closed month; false: provisional (临时)
}

// Subtotal is one row of a breakdown; the rows of a breakdown add up to its total.
type Subtotal struct {
	Key    string
	Label  string
	Amount decimal.Decimal
}

// DepartmentStatement is a department's month (部门月度账单): its own lines and its
// subordinate units', each unit a section with its own subtotal.
type DepartmentStatement struct {
	Header
	Department catalog.Department
	// Parent is the department's 主管部门 (nil for a top-level department).
	Parent *catalog.Department
	Units  []UnitSection
	// Breakdowns of Total; each adds up to Total (deduction lines in a row of their own).
	ByProject, ByZone, ByCategory []Subtotal
	Total                         decimal.Decimal
	// Lines is every line of the month shown, in statement order; Total is their sum.
	Lines []rating.Line
	// TrueUp are the lines 上年12月预估差额 of the department and its units (January
	// only; see Month.TrueUp): December's final − estimated net per unit, vendor and
	// funding category. They are not a cost of January (not in Total, nor in the
	// breakdowns); TrueUpTotal is their sum and Payable = Total + TrueUpTotal. The CSV
	// is Lines, then TrueUp (FileLines).
	TrueUp               []rating.Line
	TrueUpTotal, Payable decimal.Decimal
}

// FileLines are the rows of the department's CSV: the month's lines, then the true-up's.
func (ds DepartmentStatement) FileLines() []rating.Line { return withTrueUp(ds.Lines, ds.TrueUp) }

// withTrueUp is ls followed by tu (ls itself when tu is empty; never ls's array).
func withTrueUp(ls, tu []rating.Line) []rating.Line {
	if len(tu) == 0 {
		return ls
	}
	return append(ls[:len(ls):len(ls)], tu...)
}

// UnitSection is one unit (the department itself or a subordinate unit) of a statement.
type UnitSection struct {
	Department catalog.Department
	// Projects group the charge and metered lines by project, then work order.
	Projects []ProjectGroup
	// Adjustments correct closed months (rating.Line.Corrects).
	Adjustments []rating.Line
	// Unfunded are charges of projects not on the year's approved list (§18–19).
	Unfunded []rating.Line
	// Deductions are the unit's shares of its vendors' acceptance deductions.
	Deductions []DeductionLine
	Subtotal   decimal.Decimal
}

// ProjectGroup is a project's lines by work order.
type ProjectGroup struct {
	Project  catalog.ProjectID
	Name     string
	Orders   []OrderGroup
	Subtotal decimal.Decimal
}

// OrderGroup is one work order's lines.
type OrderGroup struct {
	Order    catalog.OrderID
	Lines    []rating.Line
	Subtotal decimal.Decimal
}

// DeductionLine is a deduction line with its vendor's acceptance outcome.
type DeductionLine struct {
	rating.Line
	Vendor rating.VendorDeduction
	// Known is false when rating recorded no deduction outcome for the vendor.
	Known bool
}

// VendorSettlement is a vendor's month (服务商结算单).
type VendorSettlement struct {
	Header
	Vendor catalog.Vendor
	// Acceptance is how the vendor's acceptance record became its deduction rate; Known
	// is false when rating recorded none (then the deduction is pending).
	Acceptance rating.VendorDeduction
	Known      bool
	// CapApplied: the tiers added up to more than the cap.
	CapApplied bool
	// ByDepartment is per top-level department (subordinate units included).
	ByDepartment []VendorDepartment
	// ByItem is the gross (charge, metered and unfunded lines) per catalog item.
	ByItem []VendorItem
	// Gross + Adjustments + Deduction = Net, each the sum of its lines.
	Gross, Adjustments, Deduction, Net decimal.Decimal
	// YearToDate lists the net payable of each month of the year rated so far, this
	// one included (§21); YearToDateNet is their sum.
	YearToDate    []MonthNet
	YearToDateNet decimal.Decimal
	// TrueUp are the vendor's lines 上年12月预估差额 (January only), TrueUpTotal their
	// sum. Payable = Net + TrueUpTotal: what the settlement asks to pay, the sum of Lines.
	TrueUp               []rating.Line
	TrueUpTotal, Payable decimal.Decimal
	// Vouchers are the vendor's payments of the year up to this month (Month.Vouchers),
	// Paid their sum; Outstanding = YearToDateNet − Paid.
	Vouchers          []funding.Payment
	Paid, Outstanding decimal.Decimal
	// Lines is every line shown (the CSV): the month's, then the true-up's.
	Lines []rating.Line
}

// VendorDepartment is a vendor's amounts for one department.
type VendorDepartment struct {
	Department                         catalog.DepartmentID
	Name                               string
	Gross, Adjustments, Deduction, Net decimal.Decimal
}

// VendorItem is a vendor's gross for one catalog item.
type VendorItem struct {
	Item   catalog.ItemCode
	Name   string
	Unit   string
	Lines  int
	Amount decimal.Decimal
}

// MonthNet is a month's net payable.
type MonthNet struct {
	Period calendar.Period
	Net    decimal.Decimal
	// TrueUp: the row is the previous December's true-up (上年12月预估差额, booked in
	// January), not a month's net.
	TrueUp bool
}

// FinanceSummary is the district's month (财政月度汇总).
type FinanceSummary struct {
	Header
	// Matrix has a row per top-level department × vendor; its columns add up to Total.
	Matrix []MatrixRow
	// Totals is the column sums of Matrix.
	Totals MatrixRow
	// ByDepartment, ByVendor and ByCategory each add up to Total.
	ByDepartment, ByVendor, ByCategory []Subtotal
	Total                              decimal.Decimal
	// Unfunded lists the unfunded charges per unit, project and order (exceptions).
	Unfunded      []UnfundedRow
	UnfundedTotal decimal.Decimal
	// Pending lists the vendors whose acceptance is missing.
	Pending []catalog.Vendor
	// MonthOnMonth compares each department's total with the previous month's
	// (PreviousRated false: that month was not rated).
	MonthOnMonth  []DepartmentChange
	PreviousRated bool
	// Exceptions are the rating run's findings.
	Exceptions []string
	// Lines are the month's lines; Total is their sum.
	Lines []rating.Line
	// TrueUp are every line 上年12月预估差额 (January only; see Month.TrueUp),
	// TrueUpByVendor their sums per vendor and TrueUpTotal their sum: not a cost of
	// January (not in Total). Payable = Total + TrueUpTotal. The CSV is Lines, then
	// TrueUp (FileLines).
	TrueUp               []rating.Line
	TrueUpByVendor       []Subtotal
	TrueUpTotal, Payable decimal.Decimal
	// Ledger is each vendor's payable, paid and outstanding of the year to date (§21),
	// as the vendor settlements compute them (nil when no vendor has vouchers).
	Ledger []VendorLedger
	// LedgerTotal adds up Ledger's columns.
	LedgerTotal VendorLedger
}

// VendorLedger is a vendor's year to date in the finance summary: payable (the vendor
// settlement's 本年累计应付), paid (its vouchers) and outstanding = payable − paid.
type VendorLedger struct {
	Vendor                     catalog.VendorID
	Name                       string
	Vouchers                   int
	Payable, Paid, Outstanding decimal.Decimal
}

// FileLines are the rows of the summary's CSV: the month's lines, then the true-up's.
func (fs FinanceSummary) FileLines() []rating.Line { return withTrueUp(fs.Lines, fs.TrueUp) }

// MatrixRow is a department × vendor cell row: O&M, new build, uncategorised charges,
// deductions, and their total.
type MatrixRow struct {
	Department                                 catalog.DepartmentID
	DepartmentName                             string
	Vendor                                     catalog.VendorID
	VendorName                                 string
	OM, New, Other, Deduction, Adjusted, Total decimal.Decimal
}

// UnfundedRow is the unfunded charge of one order.
type UnfundedRow struct {
	Department catalog.DepartmentID
	Project    catalog.ProjectID
	Order      catalog.OrderID
	Vendor     catalog.VendorID
	Amount     decimal.Decimal
}

// DepartmentChange is a department's month-on-month change.
type DepartmentChange struct {
	Department        catalog.DepartmentID
	Name              string
	Previous, Current decimal.Decimal
	Change            decimal.Decimal
	// Percent is Change / Previous in percent, one decimal; "" when Previous is zero.
	Percent string
}

// Statements are every statement of a month.
type Statements struct {
	Month       Month
	Departments []DepartmentStatement
	Vendors     []VendorSettlement
	Summary     FinanceSummary
}

var kindOrder = map[rating.Kind]int{
	rating.KindCharge: 0, rating.KindMetered: 1, rating.KindAdjustment: 2, rating.KindUnfunded: 3, rating.KindDeduction: 4,
}

// kindClass is the section of a department statement a line is shown in: the project
// groups (charge and metered), adjustments, unfunded, deductions.
func kindClass(k rating.Kind) int {
	switch k {
	case rating.KindAdjustment:
		return 1
	case rating.KindUnfunded:
		return 2
	case rating.KindDeduction:
		return 3
	}
	return 0
}

// SortLines puts lines in statement order: department; its charge and metered lines,
// then adjustments, unfunded lines and deductions; each by project, order, kind, item,
// dates, vendor, zone. The order is total on the line content, so a month's statements
// come out the same whatever order the store returned its lines in.
func SortLines(ls []rating.Line) {
	sort.SliceStable(ls, func(i, j int) bool {
		a, b := ls[i], ls[j]
		switch {
		case a.Department != b.Department:
			return a.Department < b.Department
		case kindClass(a.Kind) != kindClass(b.Kind):
			return kindClass(a.Kind) < kindClass(b.Kind)
		case a.Project != b.Project:
			return a.Project < b.Project
		case a.Order != b.Order:
			return a.Order < b.Order
		case a.Kind != b.Kind:
			return kindOrder[a.Kind] < kindOrder[b.Kind]
		case a.Item != b.Item:
			return a.Item < b.Item
		case a.From != b.From:
			return a.From.Before(b.From)
		case a.To != b.To:
			return a.To.Before(b.To)
		case a.Vendor != b.Vendor:
			return a.Vendor < b.Vendor
		case a.Zone != b.Zone:
			return a.Zone < b.Zone
		case a.Corrects != b.Corrects:
			return a.Corrects.Before(b.Corrects)
		case a.Note != b.Note:
			return a.Note < b.Note
		case !a.Quantity.Equal(b.Quantity):
			return a.Quantity.LessThan(b.Quantity)
		}
		return a.Amount.LessThan(b.Amount)
	})
}

// Build makes every statement of the month. Statements.Month is m with its lines in
// statement order and without the previous month's lines.
func Build(m Month) Statements {
	lines := append([]rating.Line(nil), m.Lines...)
	SortLines(lines)
	m.Lines = lines
	m.index()
	tree := newOrgTree(m)
	st := Statements{Month: m}
	for _, id := range tree.withStatement() {
		st.Departments = append(st.Departments, buildDepartment(m, tree, id))
	}
	st.Vendors = buildVendors(m, tree)
	st.Summary = buildSummary(m, tree)
	// The previous month's lines served the month-on-month change; the statements do not
	// hold on to them (less for the garbage collector to scan while typesetting).
	st.Month.Previous = nil
	return st
}

func header(m Month, number string) Header {
	return Header{Period: m.Period, Number: number, IssueDate: m.IssueDate(), Final: m.Final()}
}

// orgTree knows each department's top-level department and subordinate units.
type orgTree struct {
	m        Month
	children map[catalog.DepartmentID][]catalog.DepartmentID
	byDept   map[catalog.DepartmentID][]rating.Line // the department's own lines
}

func newOrgTree(m Month) *orgTree {
	t := &orgTree{m: m, children: map[catalog.DepartmentID][]catalog.DepartmentID{}, byDept: map[catalog.DepartmentID][]rating.Line{}}
	for id, d := range m.Org.Departments {
		if d.Parent != "" && d.Parent != id {
			if _, ok := m.Org.Departments[d.Parent]; ok {
				t.children[d.Parent] = append(t.children[d.Parent], id)
			}
		}
	}
	for _, cs := range t.children {
		sort.Slice(cs, func(i, j int) bool { return cs[i] < cs[j] })
	}
	// m.Lines is in statement order: each department's lines are one run of it.
	for i := 0; i < len(m.Lines); {
		j := i + 1
		for j < len(m.Lines) && m.Lines[j].Department == m.Lines[i].Department {
			j++
		}
		t.byDept[m.Lines[i].Department] = m.Lines[i:j:j]
		i = j
	}
	return t
}

// top is the top-level department of d (d itself when its parent is unknown).
func (t *orgTree) top(d catalog.DepartmentID) catalog.DepartmentID {
	seen := map[catalog.DepartmentID]bool{}
	for {
		dep, ok := t.m.Org.Departments[d]
		if !ok || dep.Parent == "" || seen[d] {
			return d
		}
		if _, ok := t.m.Org.Departments[dep.Parent]; !ok {
			return d
		}
		seen[d] = true
		d = dep.Parent
	}
}

// subtree is d and its subordinate units, depth first, children by id.
func (t *orgTree) subtree(d catalog.DepartmentID) []catalog.DepartmentID {
	var out []catalog.DepartmentID
	seen := map[catalog.DepartmentID]bool{}
	var walk func(catalog.DepartmentID)
	walk = func(id catalog.DepartmentID) {
		if seen[id] {
			return
		}
		seen[id] = true
		out = append(out, id)
		for _, c := range t.children[id] {
			walk(c)
		}
	}
	walk(d)
	return out
}

// withStatement lists, by id, every department whose subtree has lines or an active
// department (Month.Active: a zero statement when it has no line).
func (t *orgTree) withStatement() []catalog.DepartmentID {
	set := map[catalog.DepartmentID]bool{}
	from := make([]catalog.DepartmentID, 0, len(t.byDept)+len(t.m.Active))
	for d := range t.byDept {
		from = append(from, d)
	}
	for d := range t.m.Active {
		from = append(from, d)
	}
	for _, d := range from {
		seen := map[catalog.DepartmentID]bool{}
		for cur := d; !seen[cur]; {
			seen[cur] = true
			set[cur] = true
			dep, ok := t.m.Org.Departments[cur]
			if !ok || dep.Parent == "" {
				break
			}
			if _, ok := t.m.Org.Departments[dep.Parent]; !ok {
				break
			}
			cur = dep.Parent
		}
	}
	out := make([]catalog.DepartmentID, 0, len(set))
	for d := range set {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func (t *orgTree) department(id catalog.DepartmentID) catalog.Department {
	if d, ok := t.m.Org.Departments[id]; ok {
		return d
	}
	return catalog.Department{ID: id, Name: string(id)}
}

func deductionsByVendor(m Month) map[catalog.VendorID]rating.VendorDeduction {
	out := map[catalog.VendorID]rating.VendorDeduction{}
	for _, vd := range m.Deductions {
		out[vd.Vendor] = vd
	}
	return out
}

func buildDepartment(m Month, t *orgTree, id catalog.DepartmentID) DepartmentStatement {
	ds := DepartmentStatement{Header: header(m, fmt.Sprintf("BM%d-%s", m.Period.Key(), id)), Department: t.department(id), Total: decimal.Zero}
	if p := ds.Department.Parent; p != "" {
		parent := t.department(p)
		ds.Parent = &parent
	}
	vds := deductionsByVendor(m)
	for _, u := range t.subtree(id) {
		own := t.byDept[u]
		if len(own) == 0 {
			continue
		}
		sec := UnitSection{Department: t.department(u), Subtotal: sum(own)}
		// own is in statement order: project lines, adjustments, unfunded, deductions;
		// the sections and groups are sub-slices of it.
		for start := 0; start < len(own); {
			l := own[start]
			end := start + 1
			for end < len(own) && kindClass(own[end].Kind) == kindClass(l.Kind) &&
				(kindClass(l.Kind) != 0 || (own[end].Project == l.Project && own[end].Order == l.Order)) {
				end++
			}
			run := own[start:end:end]
			switch kindClass(l.Kind) {
			case 1:
				sec.Adjustments = run
			case 2:
				sec.Unfunded = run
			case 3:
				for _, d := range run {
					vd, ok := vds[d.Vendor]
					sec.Deductions = append(sec.Deductions, DeductionLine{Line: d, Vendor: vd, Known: ok})
				}
			default:
				n := len(sec.Projects)
				if n == 0 || sec.Projects[n-1].Project != l.Project {
					sec.Projects = append(sec.Projects, ProjectGroup{Project: l.Project, Name: m.projectName(l.Project), Subtotal: decimal.Zero})
					n++
				}
				pg := &sec.Projects[n-1]
				og := OrderGroup{Order: l.Order, Lines: run, Subtotal: sum(run)}
				pg.Orders = append(pg.Orders, og)
				pg.Subtotal = pg.Subtotal.Add(og.Subtotal)
			}
			start = end
		}
		ds.Units = append(ds.Units, sec)
		ds.Total = ds.Total.Add(sec.Subtotal)
		if ds.Lines == nil {
			ds.Lines = own // a statement of one unit shares the month's lines
		} else {
			ds.Lines = append(ds.Lines, own...)
		}
	}
	ds.TrueUpTotal = decimal.Zero
	if m.Period.Month == 1 && len(m.TrueUp) > 0 {
		units := map[catalog.DepartmentID]bool{}
		for _, u := range t.subtree(id) {
			units[u] = true
		}
		for _, l := range m.TrueUp {
			if units[l.Department] {
				ds.TrueUp = append(ds.TrueUp, l)
				ds.TrueUpTotal = ds.TrueUpTotal.Add(l.Amount)
			}
		}
		sort.SliceStable(ds.TrueUp, func(i, j int) bool {
			a, b := ds.TrueUp[i], ds.TrueUp[j]
			if a.Department != b.Department {
				return a.Department < b.Department
			}
			if a.Vendor != b.Vendor {
				return a.Vendor < b.Vendor
			}
			return a.Category < b.Category
		})
	}
	ds.Payable = ds.Total.Add(ds.TrueUpTotal)
	ds.ByProject = breakdown(ds.Lines, func(l rating.Line) (string, string) {
		return string(l.Project), string(l.Project) + " " + m.projectName(l.Project)
	})
	ds.ByZone = breakdown(ds.Lines, func(l rating.Line) (string, string) { return string(l.Zone), ZoneName(l.Zone) })
	ds.ByCategory = breakdown(ds.Lines, func(l rating.Line) (string, string) {
		return string(l.Category), CategoryName(l.Category)
	})
	return ds
}

// breakdown sums lines by key; deduction lines go to a last row of their own, so the
// rows add up to the sum of the lines.
func breakdown(ls []rating.Line, key func(rating.Line) (key, label string)) []Subtotal {
	idx := map[string]int{}
	var rows []Subtotal
	ded := Subtotal{Key: "~deduction", Label: KindName(rating.KindDeduction), Amount: decimal.Zero}
	hasDed := false
	for _, l := range ls {
		if l.Kind == rating.KindDeduction {
			ded.Amount = ded.Amount.Add(l.Amount)
			hasDed = true
			continue
		}
		k, lbl := key(l)
		i, ok := idx[k]
		if !ok {
			i = len(rows)
			idx[k] = i
			if k == "" {
				lbl = "—"
			}
			rows = append(rows, Subtotal{Key: k, Label: lbl, Amount: decimal.Zero})
		}
		rows[i].Amount = rows[i].Amount.Add(l.Amount)
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Key < rows[j].Key })
	if hasDed {
		rows = append(rows, ded)
	}
	return rows
}

func buildVendors(m Month, t *orgTree) []VendorSettlement {
	byVendor := map[catalog.VendorID][]rating.Line{}
	for _, l := range m.Lines {
		byVendor[l.Vendor] = append(byVendor[l.Vendor], l)
	}
	vds := deductionsByVendor(m)
	for v := range vds {
		if _, ok := byVendor[v]; !ok {
			byVendor[v] = nil // a vendor with an acceptance outcome but no lines still settles
		}
	}
	if m.Period.Month == 1 {
		for _, l := range m.TrueUp {
			if _, ok := byVendor[l.Vendor]; !ok {
				byVendor[l.Vendor] = nil // a vendor owed (or owing) a true-up settles it in January
			}
		}
	}
	ids := make([]catalog.VendorID, 0, len(byVendor))
	for v := range byVendor {
		ids = append(ids, v)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	var out []VendorSettlement
	for _, v := range ids {
		ls := byVendor[v]
		vs := VendorSettlement{
			Header: header(m, fmt.Sprintf("JS%d-%s", m.Period.Key(), v)),
			Vendor: catalog.Vendor{ID: v, Name: m.vendorName(v)},
			Lines:  ls,
		}
		vs.Acceptance, vs.Known = vds[v]
		vs.CapApplied = vs.Known && vs.Acceptance.RateUncapped.GreaterThan(vs.Acceptance.Rate)
		tot := rating.TotalsOf(ls)
		vs.Gross, vs.Adjustments, vs.Deduction, vs.Net = tot.Gross, tot.Adjustments, tot.Deductions, tot.Net
		depIdx := map[catalog.DepartmentID]int{}
		depTot := []rating.Totals{}
		itemIdx := map[catalog.ItemCode]int{}
		for _, l := range ls {
			top := t.top(l.Department)
			i, ok := depIdx[top]
			if !ok {
				i = len(vs.ByDepartment)
				depIdx[top] = i
				vs.ByDepartment = append(vs.ByDepartment, VendorDepartment{Department: top, Name: m.departmentName(top)})
				depTot = append(depTot, rating.TotalsOf(nil))
			}
			depTot[i].Add(l)
			if l.Kind.CountsInGross() {
				j, ok := itemIdx[l.Item]
				if !ok {
					j = len(vs.ByItem)
					itemIdx[l.Item] = j
					vs.ByItem = append(vs.ByItem, VendorItem{Item: l.Item, Name: m.itemName(l), Unit: m.itemUnit(l), Amount: decimal.Zero})
				}
				vs.ByItem[j].Lines++
				vs.ByItem[j].Amount = vs.ByItem[j].Amount.Add(l.Amount)
			}
		}
		for i, dt := range depTot {
			vd := &vs.ByDepartment[i]
			vd.Gross, vd.Adjustments, vd.Deduction, vd.Net = dt.Gross, dt.Adjustments, dt.Deductions, dt.Net
		}
		sort.Slice(vs.ByDepartment, func(i, j int) bool { return vs.ByDepartment[i].Department < vs.ByDepartment[j].Department })
		sort.Slice(vs.ByItem, func(i, j int) bool { return vs.ByItem[i].Item < vs.ByItem[j].Item })
		vs.Payable, vs.TrueUpTotal = vs.Net, decimal.Zero
		vs.YearToDateNet = decimal.Zero
		if tu, total := m.trueUpOf(string(v)); len(tu) > 0 {
			if m.Period.Month == 1 {
				vs.TrueUp, vs.TrueUpTotal = tu, total
				vs.Payable = vs.Net.Add(total)
				vs.Lines = append(append(make([]rating.Line, 0, len(ls)+len(tu)), ls...), tu...)
			}
			vs.YearToDate = append(vs.YearToDate, MonthNet{Period: calendar.Period{Year: m.Period.Year - 1, Month: 12}, Net: total, TrueUp: true})
			vs.YearToDateNet = total
		}
		for q := (calendar.Period{Year: m.Period.Year, Month: 1}); !m.Period.Before(q); q = q.Next() {
			var net decimal.Decimal
			if q == m.Period {
				net = vs.Net
			} else {
				nets, ok := m.EarlierNet[q]
				if !ok {
					continue
				}
				net = nets[v] // zero when the vendor had no lines that month
			}
			vs.YearToDate = append(vs.YearToDate, MonthNet{Period: q, Net: net})
			vs.YearToDateNet = vs.YearToDateNet.Add(net)
		}
		vs.Paid = decimal.Zero
		for _, p := range m.Vouchers {
			if p.Vendor == v {
				vs.Vouchers = append(vs.Vouchers, p)
				vs.Paid = vs.Paid.Add(p.Amount)
			}
		}
		vs.Outstanding = vs.YearToDateNet.Sub(vs.Paid)
		out = append(out, vs)
	}
	return out
}

func buildSummary(m Month, t *orgTree) FinanceSummary {
	fs := FinanceSummary{Header: header(m, fmt.Sprintf("HZ%d", m.Period.Key())), Lines: m.Lines, Total: decimal.Zero,
		UnfundedTotal: decimal.Zero, PreviousRated: m.PreviousRated, Exceptions: m.Run.Exceptions}
	zero := MatrixRow{OM: decimal.Zero, New: decimal.Zero, Other: decimal.Zero, Deduction: decimal.Zero, Adjusted: decimal.Zero, Total: decimal.Zero}
	type mk struct {
		d catalog.DepartmentID
		v catalog.VendorID
	}
	idx := map[mk]int{}
	fs.Totals = zero
	unfundedIdx := map[UnfundedRow]int{}
	for _, l := range m.Lines {
		top := t.top(l.Department)
		k := mk{top, l.Vendor}
		i, ok := idx[k]
		if !ok {
			i = len(fs.Matrix)
			idx[k] = i
			r := zero
			r.Department, r.DepartmentName, r.Vendor, r.VendorName = top, m.departmentName(top), l.Vendor, m.vendorName(l.Vendor)
			fs.Matrix = append(fs.Matrix, r)
		}
		add := func(r *MatrixRow) {
			switch {
			case l.Kind == rating.KindDeduction:
				r.Deduction = r.Deduction.Add(l.Amount)
			case l.Category == catalog.CategoryOM:
				r.OM = r.OM.Add(l.Amount)
			case l.Category == catalog.CategoryNew:
				r.New = r.New.Add(l.Amount)
			default:
				r.Other = r.Other.Add(l.Amount)
			}
			if l.Kind == rating.KindAdjustment {
				r.Adjusted = r.Adjusted.Add(l.Amount)
			}
			r.Total = r.Total.Add(l.Amount)
		}
		add(&fs.Matrix[i])
		add(&fs.Totals)
		fs.Total = fs.Total.Add(l.Amount)
		if l.Kind == rating.KindUnfunded {
			key := UnfundedRow{Department: l.Department, Project: l.Project, Order: l.Order, Vendor: l.Vendor}
			j, ok := unfundedIdx[key]
			if !ok {
				j = len(fs.Unfunded)
				unfundedIdx[key] = j
				key.Amount = decimal.Zero
				fs.Unfunded = append(fs.Unfunded, key)
			}
			fs.Unfunded[j].Amount = fs.Unfunded[j].Amount.Add(l.Amount)
			fs.UnfundedTotal = fs.UnfundedTotal.Add(l.Amount)
		}
	}
	sort.Slice(fs.Matrix, func(i, j int) bool {
		a, b := fs.Matrix[i], fs.Matrix[j]
		if a.Department != b.Department {
			return a.Department < b.Department
		}
		return a.Vendor < b.Vendor
	})
	sort.Slice(fs.Unfunded, func(i, j int) bool {
		a, b := fs.Unfunded[i], fs.Unfunded[j]
		if a.Department != b.Department {
			return a.Department < b.Department
		}
		if a.Project != b.Project {
			return a.Project < b.Project
		}
		if a.Order != b.Order {
			return a.Order < b.Order
		}
		return a.Vendor < b.Vendor
	})
	fs.ByDepartment = sumBy(m.Lines, func(l rating.Line) (string, string) {
		top := t.top(l.Department)
		return string(top), m.departmentName(top)
	})
	fs.ByVendor = sumBy(m.Lines, func(l rating.Line) (string, string) { return string(l.Vendor), m.vendorName(l.Vendor) })
	fs.ByCategory = breakdown(m.Lines, func(l rating.Line) (string, string) {
		return string(l.Category), CategoryName(l.Category)
	})
	pendingSet := map[catalog.VendorID]bool{}
	for _, vd := range m.Deductions {
		if vd.Pending {
			pendingSet[vd.Vendor] = true
		}
	}
	for _, v := range m.Run.Pending {
		pendingSet[v] = true
	}
	for v := range pendingSet {
		fs.Pending = append(fs.Pending, catalog.Vendor{ID: v, Name: m.vendorName(v)})
	}
	sort.Slice(fs.Pending, func(i, j int) bool { return fs.Pending[i].ID < fs.Pending[j].ID })
	fs.MonthOnMonth = monthOnMonth(m, t, fs.ByDepartment)
	fs.TrueUpTotal = decimal.Zero
	if m.Period.Month == 1 && len(m.TrueUp) > 0 {
		fs.TrueUp = m.TrueUp
		fs.TrueUpByVendor = sumBy(m.TrueUp, func(l rating.Line) (string, string) { return string(l.Vendor), m.vendorName(l.Vendor) })
		fs.TrueUpTotal = sum(m.TrueUp)
	}
	fs.Payable = fs.Total.Add(fs.TrueUpTotal)
	if len(m.Vouchers) > 0 {
		fs.Ledger, fs.LedgerTotal = yearLedger(m)
	}
	return fs
}

// yearLedger is every vendor's year to date as its settlement computes it: payable = the
// previous December's true-up (when booked this year) + the net of each of the year's
// months up to this one, paid = its vouchers (Month.Vouchers), outstanding = payable −
// paid; the vendors that have either, by id, and their total.
func yearLedger(m Month) ([]VendorLedger, VendorLedger) {
	rows := map[catalog.VendorID]*VendorLedger{}
	get := func(v catalog.VendorID) *VendorLedger {
		r := rows[v]
		if r == nil {
			r = &VendorLedger{Vendor: v, Name: m.vendorName(v), Payable: decimal.Zero, Paid: decimal.Zero}
			rows[v] = r
		}
		return r
	}
	for _, l := range m.TrueUp {
		get(l.Vendor).Payable = get(l.Vendor).Payable.Add(l.Amount)
	}
	for q := (calendar.Period{Year: m.Period.Year, Month: 1}); q.Before(m.Period); q = q.Next() {
		for v, net := range m.EarlierNet[q] {
			get(v).Payable = get(v).Payable.Add(net)
		}
	}
	for _, l := range m.Lines {
		get(l.Vendor).Payable = get(l.Vendor).Payable.Add(l.Amount)
	}
	for _, p := range m.Vouchers {
		r := get(p.Vendor)
		r.Paid = r.Paid.Add(p.Amount)
		r.Vouchers++
	}
	total := VendorLedger{Payable: decimal.Zero, Paid: decimal.Zero, Outstanding: decimal.Zero}
	out := make([]VendorLedger, 0, len(rows))
	for _, r := range rows {
		r.Outstanding = r.Payable.Sub(r.Paid)
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Vendor < out[j].Vendor })
	for _, r := range out {
		total.Vouchers += r.Vouchers
		total.Payable, total.Paid, total.Outstanding = total.Payable.Add(r.Payable), total.Paid.Add(r.Paid), total.Outstanding.Add(r.Outstanding)
	}
	return out, total
}

// sumBy sums lines by key, rows sorted by key.
func sumBy(ls []rating.Line, key func(rating.Line) (key, label string)) []Subtotal {
	idx := map[string]int{}
	var rows []Subtotal
	for _, l := range ls {
		k, lbl := key(l)
		i, ok := idx[k]
		if !ok {
			i = len(rows)
			idx[k] = i
			rows = append(rows, Subtotal{Key: k, Label: lbl, Amount: decimal.Zero})
		}
		rows[i].Amount = rows[i].Amount.Add(l.Amount)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Key < rows[j].Key })
	return rows
}

func monthOnMonth(m Month, t *orgTree, current []Subtotal) []DepartmentChange {
	if !m.PreviousRated {
		return nil
	}
	prev := sumBy(m.Previous, func(l rating.Line) (string, string) {
		top := t.top(l.Department)
		return string(top), m.departmentName(top)
	})
	rows := map[string]*DepartmentChange{}
	get := func(s Subtotal) *DepartmentChange {
		if r, ok := rows[s.Key]; ok {
			return r
		}
		r := &DepartmentChange{Department: catalog.DepartmentID(s.Key), Name: s.Label, Previous: decimal.Zero, Current: decimal.Zero}
		rows[s.Key] = r
		return r
	}
	for _, s := range prev {
		get(s).Previous = s.Amount
	}
	for _, s := range current {
		get(s).Current = s.Amount
	}
	out := make([]DepartmentChange, 0, len(rows))
	for _, r := range rows {
		r.Change = r.Current.Sub(r.Previous)
		if !r.Previous.IsZero() {
			r.Percent = r.Change.Mul(decimal.NewFromInt(100)).Div(r.Previous).StringFixed(1) + "%"
		}
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Department < out[j].Department })
	return out
}
