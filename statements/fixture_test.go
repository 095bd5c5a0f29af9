package statements_test

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/rating"
)

// fakeSource is a hand-written Source over plain values.
type fakeSource struct {
	lines      map[calendar.Period][]rating.Line
	deductions map[calendar.Period][]rating.VendorDeduction
	closes     map[calendar.Period]rating.Close
	org        catalog.Org
	cat        catalog.Catalog
	events     []catalog.Event
}

func (s *fakeSource) RatedLines(_ context.Context, p calendar.Period) ([]rating.Line, error) {
	ls, ok := s.lines[p]
	if !ok {
		return nil, fmt.Errorf("lines of %s: %w", p, rating.ErrNotRated)
	}
	return append([]rating.Line(nil), ls...), nil
}

func (s *fakeSource) VendorDeductions(_ context.Context, p calendar.Period) ([]rating.VendorDeduction, error) {
	return s.deductions[p], nil
}

func (s *fakeSource) LatestRun(_ context.Context, p calendar.Period) (rating.Run, error) {
	if _, ok := s.lines[p]; !ok {
		return rating.Run{}, rating.ErrNotRated
	}
	return rating.Run{ID: "run-" + p.String(), Period: p, Lines: len(s.lines[p])}, nil
}

func (s *fakeSource) CloseOf(_ context.Context, p calendar.Period) (rating.Close, bool, error) {
	c, ok := s.closes[p]
	return c, ok, nil
}

func (s *fakeSource) Catalog(context.Context) (catalog.Catalog, error) { return s.cat, nil }
func (s *fakeSource) Org(context.Context) (catalog.Org, error)         { return s.org, nil }

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }
func decp(s string) *decimal.Decimal {
	d := dec(s)
	return &d
}

var nov = calendar.MustPeriod("2026-11")

// closedAt is when the hand month was closed: 2026-12-01 02:00 Asia/Shanghai.
var closedAt = time.Date(2026, 12, 1, 2, 0, 0, 0, calendar.Shanghai())

// line makes an allocated or metered line; amount is given as computed by hand.
func line(kind rating.Kind, dep, ven, proj string, cat catalog.ProjectCategory, order, item string, zone catalog.Zone, mode catalog.Mode,
	from, to string, qty, price, amount string) rating.Line {
	f, t := calendar.MustDate(from), calendar.MustDate(to)
	return rating.Line{Period: nov, Kind: kind, Department: catalog.DepartmentID(dep), Vendor: catalog.VendorID(ven),
		Project: catalog.ProjectID(proj), Category: cat, Order: catalog.OrderID(order), Item: catalog.ItemCode(item),
		Zone: zone, Mode: mode, From: f, To: t, Days: f.DaysUntil(t) + 1, DaysInMonth: f.Period().Days(),
		Quantity: dec(qty), UnitPrice: dec(price), Unrounded: dec(amount), Amount: dec(amount),
		CatalogVersion: calendar.MustDate("2026-01-01")}
}

func deduction(dep, ven, amount, note string) rating.Line {
	return rating.Line{Period: nov, Kind: rating.KindDeduction, Department: catalog.DepartmentID(dep), Vendor: catalog.VendorID(ven),
		Unrounded: dec(amount), Amount: dec(amount), Note: note}
}

// handMonth is a small November 2026 computed by hand (see hand_test.go for the sums).
func handMonth() *fakeSource {
	const (
		in, ex       = catalog.ZoneInternet, catalog.ZoneExtranet
		shared, dedi = catalog.ModeShared, catalog.ModeDedicated
		om, nw       = catalog.CategoryOM, catalog.CategoryNew
	)
	item := func(code, name, unit string, billing catalog.Billing, in, ex string) catalog.Item {
		return catalog.Item{Code: catalog.ItemCode(code), Name: name, Unit: unit, Billing: billing,
			Prices: map[catalog.Zone]decimal.Decimal{catalog.ZoneInternet: dec(in), catalog.ZoneExtranet: dec(ex)}}
	}
	cat := catalog.Catalog{Versions: []catalog.Version{{Effective: calendar.MustDate("2026-01-01"), Items: map[catalog.ItemCode]catalog.Item{
		"ECS-CPU":     item("ECS-CPU", "云服务器计算资源", "vCPU·月", catalog.Allocated, "80", "90"),
		"ECS-MEM":     item("ECS-MEM", "云服务器内存", "GB·月", catalog.Allocated, "20", "20"),
		"EVS-SSD":     item("EVS-SSD", "云硬盘（SSD 高性能型，适用于数据库与核心业务系统）", "GB·月", catalog.Allocated, "0.5", "0.5"),
		"NET-TRAFFIC": item("NET-TRAFFIC", "公网流量", "GB", catalog.Metered, "0.8", "0.8"),
	}}}}
	org := catalog.Org{
		Departments: map[catalog.DepartmentID]catalog.Department{
			"D01":   {ID: "D01", Name: "区财政局"},
			"D02":   {ID: "D02", Name: "区大数据发展局"},
			"D0201": {ID: "D0201", Name: "区大数据发展局政务信息化项目建设与运维管理服务中心", Parent: "D02"},
		},
		Projects: map[catalog.ProjectKey]catalog.Project{
			{ID: "P01", Year: 2026}: {ID: "P01", Name: "财政预算管理一体化系统运维", Department: "D01", Year: 2026, Category: om, Approved: true},
			{ID: "P02", Year: 2026}: {ID: "P02", Name: "政务云监控平台建设", Department: "D02", Year: 2026, Category: nw, Approved: true},
			{ID: "P03", Year: 2026}: {ID: "P03", Name: "数据共享交换平台改扩建", Department: "D0201", Year: 2026, Category: catalog.CategoryRenovation, Approved: true},
			{ID: "P09", Year: 2026}: {ID: "P09", Name: "视频会商系统扩容", Department: "D0201", Year: 2026, Category: nw, Approved: false},
		},
		Vendors: map[catalog.VendorID]catalog.Vendor{
			"V1": {ID: "V1", Name: "华信政务云"},
			"V2": {ID: "V2", Name: "天翼政务云"},
		},
	}
	adj := line(rating.KindAdjustment, "D01", "V1", "P01", om, "O-1003", "ECS-CPU", in, shared, "2026-10-29", "2026-10-31", "-2", "80", "-15.48")
	adj.Corrects, adj.CorrectsKind = calendar.MustPeriod("2026-10"), rating.KindCharge
	adj.Unrounded = dec("-15.483870967741935")
	adj.Note = "迟报终止：10-29 起不再计费"
	lines := []rating.Line{
		line(rating.KindCharge, "D01", "V1", "P01", om, "O-1001", "ECS-CPU", in, shared, "2026-11-01", "2026-11-30", "8", "80", "640.00"),
		line(rating.KindCharge, "D01", "V1", "P01", om, "O-1001", "ECS-MEM", in, shared, "2026-11-01", "2026-11-30", "16", "20", "320.00"),
		line(rating.KindCharge, "D01", "V1", "P01", om, "O-1002", "EVS-SSD", in, shared, "2026-11-11", "2026-11-30", "500", "0.5", "166.67"),
		adj,
		line(rating.KindCharge, "D02", "V2", "P02", nw, "O-2001", "ECS-CPU", ex, dedi, "2026-11-01", "2026-11-15", "16", "90", "720.00"),
		line(rating.KindCharge, "D02", "V2", "P02", nw, "O-2001", "ECS-CPU", ex, dedi, "2026-11-16", "2026-11-30", "32", "90", "1440.00"),
		line(rating.KindMetered, "D02", "V2", "P02", nw, "O-2002", "NET-TRAFFIC", in, shared, "2026-11-01", "2026-11-30", "1234.5", "0.8", "987.60"),
		line(rating.KindCharge, "D0201", "V1", "P03", om, "O-3001", "ECS-CPU", ex, shared, "2026-11-01", "2026-11-30", "4", "90", "360.00"),
		line(rating.KindUnfunded, "D0201", "V2", "P09", nw, "O-3002", "ECS-MEM", in, shared, "2026-11-07", "2026-11-30", "8", "20", "128.00"),
		deduction("D01", "V1", "-22.53", "验收扣减 2%"),
		deduction("D0201", "V1", "-7.20", "验收扣减 2%"),
		deduction("D02", "V2", "-1573.80", "验收扣减 50%（封顶）"),
		deduction("D0201", "V2", "-64.00", "验收扣减 50%（封顶）"),
	}
	lines[2].Unrounded = dec("166.666666666666667")
	// the remarks rating stores on metered and unfunded lines (codes and values), which
	// the statements print in words (glossary.Note)
	for i, l := range lines {
		switch l.Kind {
		case rating.KindMetered:
			lines[i].Note = rating.EncodeNote([]rating.Remark{rating.WindowRemark(rating.UsageWindow{Metric: "traffic_gb", Agg: catalog.AggSum, From: l.From, To: l.To})})
		case rating.KindUnfunded:
			lines[i].Note = rating.EncodeNote([]rating.Remark{rating.UnfundedRemark(rating.KindCharge, l.Project, 2026, rating.UnfundedNotApproved)})
		}
	}
	oct := calendar.MustPeriod("2026-10")
	octLine := func(dep, ven, amount string) rating.Line {
		return rating.Line{Period: oct, Kind: rating.KindCharge, Department: catalog.DepartmentID(dep), Vendor: catalog.VendorID(ven),
			Project: "P01", Category: om, Amount: dec(amount), Unrounded: dec(amount)}
	}
	v1 := rating.VendorDeduction{Period: nov, Vendor: "V1", SecurityValid: true, EffectiveResult: catalog.Passed,
		Acceptance: &catalog.Acceptance{Vendor: "V1", Period: nov, Result: catalog.Passed, Score: decp("85"), Availability: decp("99.95"),
			SecurityValidUntil: func() *calendar.Date { d := calendar.MustDate("2027-06-30"); return &d }()},
		Tiers: []rating.Tier{{Group: rating.TierResult, Recorded: catalog.Passed, Effective: catalog.Passed, Rate: dec("0")},
			{Group: rating.TierScore, Value: decp("85"), Min: decp("80"), Below: decp("90"), Rate: dec("0.02")},
			{Group: rating.TierAvailability, Value: decp("99.95"), Min: decp("99.95"), Rate: dec("0")}},
		RateUncapped: dec("0.02"), Cap: dec("0.5"), Rate: dec("0.02"), Gross: dec("1486.67"), Deduction: dec("-29.73"), Net: dec("1456.94"), RulesVersion: "default"}
	v2 := rating.VendorDeduction{Period: nov, Vendor: "V2", SecurityValid: true, EffectiveResult: catalog.Failed,
		Acceptance: &catalog.Acceptance{Vendor: "V2", Period: nov, Result: catalog.Failed, Score: decp("65"), Availability: decp("98.5"),
			SecurityValidUntil: func() *calendar.Date { d := calendar.MustDate("2027-03-31"); return &d }()},
		Tiers: []rating.Tier{{Group: rating.TierResult, Recorded: catalog.Failed, Effective: catalog.Failed, Rate: dec("0.3")},
			{Group: rating.TierScore, Value: decp("65"), Min: decp("60"), Below: decp("70"), Rate: dec("0.1")},
			{Group: rating.TierAvailability, Value: decp("98.5"), Min: decp("95"), Below: decp("99"), Rate: dec("0.2")}},
		RateUncapped: dec("0.6"), Cap: dec("0.5"), Rate: dec("0.5"), Gross: dec("3275.60"), Deduction: dec("-1637.80"), Net: dec("1637.80"), RulesVersion: "default"}
	return &fakeSource{
		lines: map[calendar.Period][]rating.Line{
			nov: lines,
			oct: {octLine("D01", "V1", "1000.00"), octLine("D02", "V2", "1500.00")},
		},
		deductions: map[calendar.Period][]rating.VendorDeduction{nov: {v1, v2}},
		closes:     map[calendar.Period]rating.Close{},
		org:        org,
		cat:        cat,
	}
}

// closeHand marks the hand month closed, and October before it unless openOctober.
func closeHand(s *fakeSource, openOctober ...bool) {
	s.closes[nov] = rating.Close{Period: nov, ClosedAt: closedAt, RunID: "run-2026-11", ContentHash: "h", Lines: len(s.lines[nov])}
	if len(openOctober) == 0 || !openOctober[0] {
		oct := calendar.MustPeriod("2026-10")
		s.closes[oct] = rating.Close{Period: oct, ClosedAt: closedAt.AddDate(0, -1, 0), RunID: "run-2026-10", ContentHash: "o", Lines: len(s.lines[oct])}
	}
}

func (s *fakeSource) OrderEvents(context.Context) ([]catalog.Event, error) { return s.events, nil }
