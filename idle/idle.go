// Package idle finds idle cloud capacity (§12–13 of the notice): for every resource that a
// work order names with a vCPU or memory item, the p95 utilisation over the observation
// window and its data coverage; per department and kind the idle ratio; against the
// redundancy ratio in force, the departments over it, the resources to reduce (most idle
// first, each to a size the catalog offers) and the monthly saving; and the cases that
// follow each reminder to its resolution or to the bureau's downsizing list.
//
// It holds types and pure logic only. The p95 and the coverage are computed in ClickHouse
// (package chstore); this package receives them as Measures. The rules, as docs/idle.md
// decides them:
//
//   - window: the 30 days ending on the analysis date (both days included);
//   - a resource counts only with valid samples on at least 14 of those days and at least
//     80% of the expected samples on the days it has data (expected: one sample each
//     sample interval); otherwise it is insufficient data, neither idle nor busy;
//   - samples above 100 or below 0 (or not finite) are excluded, counted and reported;
//   - used = allocated × p95 ÷ 100 (for a resource whose size changed inside the window,
//     each sample is first turned into the capacity it used that day, see Measure, and
//     the p95 of that capacity, capped at the allocation on the analysis date, is used);
//   - idle ratio of a department and kind = 1 − Σ used ÷ Σ allocated over its resources
//     that count; a subordinate unit is its own department (its 主管部门 is told);
//   - over-provisioned: idle ratio > r, the redundancy ratio in force (0.20 by default);
//   - recommendation: most idle first, each to the smallest offered quantity ≥
//     used ÷ (1 − r), until the idle ratio is ≤ r or nothing more can be reduced; the
//     monthly saving is the quantity removed × the unit price in force on the analysis
//     date in the order's zone, rounded once, half up, to the fen.
package idle

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
)

// Kind is the kind of capacity measured.
type Kind string

const (
	KindVCPU   Kind = "vcpu"
	KindMemory Kind = "memory"
)

// Kinds returns the kinds in report order.
func Kinds() []Kind {
	return []Kind{KindVCPU, KindMemory}
}

// ParseKind reads "vcpu" or "memory".
func ParseKind(s string) (Kind, bool) {
	switch Kind(strings.ToLower(strings.TrimSpace(s))) {
	case KindVCPU:
		return KindVCPU, true
	case KindMemory:
		return KindMemory, true
	}
	return "", false
}

// Metric is the usage_samples metric that measures the kind.
func (k Kind) Metric() string {
	if k == KindMemory {
		return "mem_util"
	}
	return "cpu_util"
}

// Label is the kind's name in Chinese documents.
func (k Kind) Label() string {
	if k == KindMemory {
		return "内存"
	}
	return "vCPU"
}

// Unit is the unit of the kind's quantities.
func (k Kind) Unit() string {
	if k == KindMemory {
		return "GB"
	}
	return "核"
}

// KindOf says which kind of capacity a catalog item sells, from its category and unit: a
// compute item priced per vCPU (unit "vCPU·月") is vcpu, one priced per GB (unit "GB·月")
// is memory. Other items (packages such as 2核4G, disks, databases) are not analysed.
func KindOf(it catalog.Item) (Kind, bool) {
	if it.Category != "compute" || it.Billing != catalog.Allocated {
		return "", false
	}
	u := strings.ToLower(it.Unit)
	switch {
	case strings.HasPrefix(u, "vcpu"):
		return KindVCPU, true
	case strings.HasPrefix(u, "gb"):
		return KindMemory, true
	}
	return "", false
}

// Rules of the analysis (docs/idle.md).
const (
	WindowDays = 30 // the window: the 30 days ending on the analysis date
	MinDays    = 14 // days with data needed
)

// minCoverage is the share of the expected samples needed on the days with data.
var minCoverage = decimal.RequireFromString("0.8")

// DefaultRatio is the redundancy ratio until one is imported: 0.20.
func DefaultRatio() decimal.Decimal { return decimal.RequireFromString("0.20") }

// Window is the observation window of an analysis on d: [d−29, d].
func Window(d calendar.Date) (from, to calendar.Date) { return d.AddDays(-(WindowDays - 1)), d }

// Deadline is one calendar month after the reminder date: the same day number, or the
// month's last day when it has none (01-31 → 02-28, or 02-29 in a leap year).
func Deadline(reminder calendar.Date) calendar.Date {
	p := reminder.Period().Next()
	day := reminder.Day
	if last := p.Days(); day > last {
		day = last
	}
	return calendar.Date{Year: p.Year, Month: p.Month, Day: day}
}

// Status is the verdict on one resource.
type Status string

const (
	StatusReduce       Status = "reduce"
	StatusKeep         Status = "keep"
	StatusInsufficient Status = "insufficient_data"
)

// Resource is one work order naming a vCPU or memory item, in service on the analysis
// date, with the configuration in force that day.
type Resource struct {
	Order      catalog.OrderID
	Resource   catalog.ResourceID
	Department catalog.DepartmentID
	Parent     catalog.DepartmentID // the department's 主管部门, if it is a subordinate unit
	Kind       Kind
	Item       catalog.ItemCode
	Zone       catalog.Zone
	Vendor     catalog.VendorID
	Project    catalog.ProjectID
	// Allocated is the quantity in force on the analysis date.
	Allocated decimal.Decimal
	// UnitPrice is the monthly unit price in force on the analysis date in the zone.
	UnitPrice decimal.Decimal
	// Spans are the quantities in force over the window, for the measure (a resource
	// whose size changed inside the window has several).
	Spans []Span
}

// Span is a run of days [From, To] with one quantity in force.
type Span struct {
	From, To calendar.Date
	Quantity decimal.Decimal
}

// Measure is what ClickHouse computed for one resource over the window, each sample
// identity (resource_id, metric, ts) once at its latest value.
type Measure struct {
	// Days is the number of days with at least one valid sample; Samples the valid
	// samples on those days.
	Days, Samples int
	// Excluded counts the samples not used: value above 100, below 0, or not finite.
	Excluded int
	// P95Used is the 95th percentile (ClickHouse quantileExact: the element at position
	// ⌊0.95·n⌋ of the n valid samples sorted, 0-based) of the capacity used at each
	// sample: value ÷ 100 × the quantity in force on the sample's day. For a resource
	// whose size did not change this is allocated × p95 utilisation ÷ 100.
	P95Used decimal.Decimal
}

// Row is one resource's line of the analysis.
type Row struct {
	Resource
	Measure
	// Expected is the number of samples expected on the days with data.
	Expected int
	// P95Util is P95Used as a percentage of the quantity allocated on the analysis date.
	P95Util decimal.Decimal
	// Used is the capacity used: Allocated × P95Util ÷ 100 (= P95Used).
	Used   decimal.Decimal
	Status Status
	// Recommended is the new quantity (status reduce); Saving the monthly saving, rounded
	// to the fen.
	Recommended decimal.Decimal
	Saving      decimal.Decimal
}

// IdleShare is the resource's own idle share, 1 − Used ÷ Allocated.
func (r Row) IdleShare() decimal.Decimal {
	if r.Allocated.IsZero() {
		return decimal.Zero
	}
	return decimal.NewFromInt(1).Sub(r.Used.DivRound(r.Allocated, 12))
}

// Group is one department and kind.
type Group struct {
	Department catalog.DepartmentID
	Parent     catalog.DepartmentID
	Kind       Kind
	// Ratio is the redundancy ratio in force.
	Ratio decimal.Decimal
	// Counted resources have enough data; Insufficient ones do not.
	Counted, Insufficient int
	// Allocated and Used add up the counted resources.
	Allocated, Used decimal.Decimal
	// IdleRatio is 1 − Used ÷ Allocated (zero without counted resources).
	IdleRatio decimal.Decimal
	Over      bool
	// After the recommended reductions: the allocation, its idle ratio, the quantity
	// removed, and the monthly saving (the sum of the rows' rounded savings).
	AllocatedAfter, IdleRatioAfter, Reduction decimal.Decimal
	Saving                                    decimal.Decimal
	// WithinAfter is false when nothing more could be reduced and the ratio is still over.
	WithinAfter bool
}

// Analysis is the result of one analysis date.
type Analysis struct {
	Date           calendar.Date
	From, To       calendar.Date
	SampleInterval Seconds
	Rows           []Row   // by department, kind, order
	Groups         []Group // by department, kind
	// Excluded counts the samples excluded over every resource.
	Excluded int
}

// Seconds is a sample interval in seconds.
type Seconds int

// dividesDay: a sample interval is a whole number of seconds that divides a day (the
// days' samples then fall on the same times of day).
func (s Seconds) dividesDay() bool { return s > 0 && 86400%int(s) == 0 }

// IntervalOf is the sample interval d (a flag or a configuration value) as Seconds, or
// an error when d is not whole seconds that divide a day.
func IntervalOf(d time.Duration) (Seconds, error) {
	s := Seconds(d / time.Second)
	if time.Duration(s)*time.Second != d || !s.dividesDay() {
		return 0, fmt.Errorf("%s: want whole seconds that divide a day (e.g. 15m, 1h)", d)
	}
	return s, nil
}

// Over lists the groups over their ratio.
func (a Analysis) Over() []Group {
	var out []Group
	for _, g := range a.Groups {
		if g.Over {
			out = append(out, g)
		}
	}
	return out
}

// Saving is the total monthly saving found (the sum of the rounded row savings).
func (a Analysis) Saving() decimal.Decimal {
	s := decimal.Zero
	for _, g := range a.Groups {
		s = s.Add(g.Saving)
	}
	return s
}

// DepartmentsOver counts the distinct departments with a kind over its ratio.
func (a Analysis) DepartmentsOver() int {
	seen := map[catalog.DepartmentID]bool{}
	for _, g := range a.Over() {
		seen[g.Department] = true
	}
	return len(seen)
}

// RowsOf returns the rows of one group (a copy), found by binary search in Rows, which
// are by department, kind and order: a scan of every row for each group made writing a
// city's analysis quadratic (2,000 groups × 11,700 rows, a third of a second).
func (a Analysis) RowsOf(dep catalog.DepartmentID, k Kind) []Row {
	key := func(r Row) int {
		return cmp.Or(strings.Compare(string(r.Department), string(dep)), cmp.Compare(kindOrder(r.Kind), kindOrder(k)))
	}
	lo := sort.Search(len(a.Rows), func(i int) bool { return key(a.Rows[i]) >= 0 })
	hi := lo
	for hi < len(a.Rows) && key(a.Rows[hi]) == 0 {
		hi++
	}
	return slices.DeleteFunc(slices.Clone(a.Rows[lo:hi]), func(r Row) bool { return r.Kind != k })
}

// Input is what an analysis needs.
type Input struct {
	Date calendar.Date
	// SampleInterval is the expected spacing of samples, in seconds (e.g. 900).
	SampleInterval Seconds
	Resources      []Resource
	// Measures by order and kind; a resource without one has no valid sample.
	Measures map[catalog.OrderID]Measure
	Config   Config
}

// Analyze applies the rules to measured resources. It does not modify its input.
func Analyze(in Input) (Analysis, error) {
	if !in.SampleInterval.dividesDay() {
		return Analysis{}, fmt.Errorf("sample interval %ds: must divide a day", in.SampleInterval)
	}
	from, to := Window(in.Date)
	a := Analysis{Date: in.Date, From: from, To: to, SampleInterval: in.SampleInterval}
	perDay := 86400 / int(in.SampleInterval)
	rows := make([]Row, 0, len(in.Resources))
	for _, res := range in.Resources {
		m := in.Measures[res.Order]
		r := Row{Resource: res, Measure: m, Expected: m.Days * perDay}
		a.Excluded += m.Excluded
		enough := m.Days >= MinDays && decimal.NewFromInt(int64(m.Samples)).GreaterThanOrEqual(minCoverage.Mul(decimal.NewFromInt(int64(r.Expected))))
		if !enough || !res.Allocated.IsPositive() {
			r.Status = StatusInsufficient
		} else {
			// a resource cannot use more than it has: after a downsizing inside the
			// window, the capacity used at the old size is capped at the new one
			r.Used = decimal.Min(m.P95Used, res.Allocated)
			r.P95Util = r.Used.Mul(decimal.NewFromInt(100)).DivRound(res.Allocated, 6)
			r.Status = StatusKeep
		}
		rows = append(rows, r)
	}
	sort.SliceStable(rows, func(i, j int) bool {
		x, y := rows[i], rows[j]
		if x.Department != y.Department {
			return x.Department < y.Department
		}
		if x.Kind != y.Kind {
			return kindOrder(x.Kind) < kindOrder(y.Kind)
		}
		return x.Order < y.Order
	})
	for i := 0; i < len(rows); {
		j := i
		for j < len(rows) && rows[j].Department == rows[i].Department && rows[j].Kind == rows[i].Kind {
			j++
		}
		v := in.Config.InForce(rows[i].Kind, in.Date)
		a.Groups = append(a.Groups, recommend(rows[i:j], v))
		i = j
	}
	a.Rows = rows
	return a, nil
}

func kindOrder(k Kind) int {
	if k == KindMemory {
		return 1
	}
	return 0
}

var one = decimal.NewFromInt(1)

// idleRatio is 1 − used ÷ allocated, exact to 12 places.
func idleRatio(used, allocated decimal.Decimal) decimal.Decimal {
	if !allocated.IsPositive() {
		return decimal.Zero
	}
	return one.Sub(used.DivRound(allocated, 12))
}

// recommend sets the verdict of the rows of one department and kind (modifying them)
// and returns the group.
func recommend(rows []Row, v Version) Group {
	g := Group{Department: rows[0].Department, Parent: rows[0].Parent, Kind: rows[0].Kind, Ratio: v.Ratio,
		Allocated: decimal.Zero, Used: decimal.Zero, Saving: decimal.Zero, Reduction: decimal.Zero}
	var counted []int
	for i, r := range rows {
		if r.Status == StatusInsufficient {
			g.Insufficient++
			continue
		}
		g.Counted++
		counted = append(counted, i)
		g.Allocated = g.Allocated.Add(r.Allocated)
		g.Used = g.Used.Add(r.Used)
	}
	g.IdleRatio = idleRatio(g.Used, g.Allocated)
	// the ratio is compared exactly: Used/Allocated is compared by cross-multiplying
	g.Over = g.Counted > 0 && overRatio(g.Used, g.Allocated, v.Ratio)
	g.AllocatedAfter = g.Allocated
	g.IdleRatioAfter = g.IdleRatio
	g.WithinAfter = !g.Over
	if !g.Over {
		return g
	}
	// most idle first: the lowest share used; ties by order id
	sort.SliceStable(counted, func(a, b int) bool {
		x, y := rows[counted[a]], rows[counted[b]]
		sx, sy := x.Used.Mul(y.Allocated), y.Used.Mul(x.Allocated) // x.Used/x.Alloc < y.Used/y.Alloc
		if c := sx.Cmp(sy); c != 0 {
			return c < 0
		}
		return x.Order < y.Order
	})
	after := g.Allocated
	for _, i := range counted {
		if !overRatio(g.Used, after, v.Ratio) {
			break
		}
		r := &rows[i]
		target := r.Used.Div(one.Sub(v.Ratio)) // used ÷ (1 − r), exact enough (16 places)
		q, ok := v.Sizes.Smallest(target)
		if !ok || !q.LessThan(r.Allocated) {
			continue // nothing smaller to offer
		}
		r.Status = StatusReduce
		r.Recommended = q
		removed := r.Allocated.Sub(q)
		r.Saving = money.Round(removed.Mul(r.UnitPrice))
		after = after.Sub(removed)
		g.Reduction = g.Reduction.Add(removed)
		g.Saving = g.Saving.Add(r.Saving)
	}
	g.AllocatedAfter = after
	g.IdleRatioAfter = idleRatio(g.Used, after)
	g.WithinAfter = !overRatio(g.Used, after, v.Ratio)
	return g
}

// overRatio reports 1 − used/allocated > r, i.e. used < (1 − r) × allocated, exactly.
func overRatio(used, allocated, r decimal.Decimal) bool {
	return used.LessThan(one.Sub(r).Mul(allocated))
}
