package breakdown

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/rating"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var nov = calendar.MustPeriod("2026-11")

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// sample is a small rated November: department d1 with a subordinate unit d1a (and its
// own unit d1a1), and an unrelated department d2.
//
//	d1  p1 o1 ECS-2C4G charge   1–30 Nov, 2 × 100.00          = 200.00
//	d1  p1 o2 OSS-GB   metered  1–30 Nov, 150 GB × 0.12        =  18.00
//	d1  –  –  v1       deduction (no project, no order)        = −13.50
//	d1a p2 o3 ECS-2C4G charge  10–30 Nov, 1 × 100.00 × 21/30   =  70.00
//	d1a p2 o3 ECS-2C4G adjustment of October                   =   5.00
//	d1a1 p3 o4 RDS     unfunded 20–30 Nov, 1 × 300.00 × 11/30  = 110.00
//	d2  p9 o9 ECS-2C4G charge   1–30 Nov                       = 999.00 (not shown)
func sample() (catalog.Org, []rating.Line) {
	org := catalog.Org{
		Departments: map[catalog.DepartmentID]catalog.Department{
			"d1":   {ID: "d1", Name: "区大数据发展局"},
			"d1a":  {ID: "d1a", Name: "区大数据中心", Parent: "d1"},
			"d1a1": {ID: "d1a1", Name: "区大数据中心机房", Parent: "d1a"},
			"d2":   {ID: "d2", Name: "区财政局"},
		},
		Projects: map[catalog.ProjectKey]catalog.Project{
			{ID: "p1", Year: 2026}: {ID: "p1", Name: "政务云运维", Department: "d1", Year: 2026, Category: catalog.CategoryOM, Approved: true},
			{ID: "p2", Year: 2026}: {ID: "p2", Name: "数据中台新建", Department: "d1a", Year: 2026, Category: catalog.CategoryNew, Approved: true},
			{ID: "p3", Year: 2025}: {ID: "p3", Name: "机房改造", Department: "d1a1", Year: 2025, Category: catalog.CategoryRenovation},
		},
	}
	charge := func(dep, proj, order, item string, kind rating.Kind, cat catalog.ProjectCategory, from, to, qty, price string) rating.Line {
		f, t := calendar.MustDate(from), calendar.MustDate(to)
		days := f.DaysUntil(t) + 1
		unr := dec(qty).Mul(dec(price)).Mul(decimal.NewFromInt(int64(days))).DivRound(decimal.NewFromInt(30), rating.Places)
		if kind == rating.KindMetered {
			unr = dec(qty).Mul(dec(price))
		}
		return rating.Line{Period: nov, Kind: kind, Department: catalog.DepartmentID(dep), Vendor: "v1",
			Project: catalog.ProjectID(proj), Category: cat, Order: catalog.OrderID(order), Item: catalog.ItemCode(item),
			Zone: catalog.ZoneInternet, Mode: catalog.ModeShared, From: f, To: t, Days: days, DaysInMonth: 30,
			Quantity: dec(qty), UnitPrice: dec(price), Unrounded: unr, Amount: unr.Round(2)}
	}
	lines := []rating.Line{
		charge("d1", "p1", "o1", "ECS-2C4G", rating.KindCharge, catalog.CategoryOM, "2026-11-01", "2026-11-30", "2", "100"),
		charge("d1", "p1", "o2", "OSS-GB", rating.KindMetered, catalog.CategoryOM, "2026-11-01", "2026-11-30", "150", "0.12"),
		{Period: nov, Kind: rating.KindDeduction, Department: "d1", Vendor: "v1", Category: catalog.CategoryOM,
			From: nov.First(), To: nov.Last(), DaysInMonth: 30, Quantity: dec("218"), UnitPrice: dec("-0.0619266"),
			Unrounded: dec("-13.5"), Amount: dec("-13.50")},
		charge("d1a", "p2", "o3", "ECS-2C4G", rating.KindCharge, catalog.CategoryNew, "2026-11-10", "2026-11-30", "1", "100"),
		{Period: nov, Kind: rating.KindAdjustment, Department: "d1a", Vendor: "v1", Project: "p2", Category: catalog.CategoryNew,
			Order: "o3", Item: "ECS-2C4G", Unrounded: dec("5"), Amount: dec("5.00"), Corrects: calendar.MustPeriod("2026-10"),
			CorrectsKind: rating.KindCharge, Note: "late change"},
		charge("d1a1", "p3", "o4", "RDS", rating.KindUnfunded, catalog.CategoryNew, "2026-11-20", "2026-11-30", "1", "300"),
		charge("d2", "p9", "o9", "ECS-2C4G", rating.KindCharge, catalog.CategoryOM, "2026-11-01", "2026-11-30", "9.99", "100"),
	}
	return org, lines
}

// fakeReader serves the sample; its days come from rating.Line.Daily, as the rating
// engine stores them.
type fakeReader struct {
	org    catalog.Org
	lines  []rating.Line
	closed bool
}

func (f fakeReader) RatedLines(context.Context, calendar.Period) ([]rating.Line, error) {
	return f.lines, nil
}

func (f fakeReader) DailyAmounts(_ context.Context, _ calendar.Period, dep catalog.DepartmentID) ([]rating.Day, error) {
	var out []rating.Day
	for _, l := range f.lines {
		if l.Department == dep {
			out = append(out, l.Daily()...)
		}
	}
	return out, nil
}

func (f fakeReader) LatestRun(_ context.Context, p calendar.Period) (rating.Run, error) {
	if f.lines == nil {
		return rating.Run{}, fmt.Errorf("latest run: %w", rating.ErrNotRated)
	}
	return rating.Run{ID: "2026-11-latest", Period: p}, nil
}

func (f fakeReader) CloseOf(_ context.Context, p calendar.Period) (rating.Close, bool, error) {
	if !f.closed {
		return rating.Close{}, false, nil
	}
	return rating.Close{Period: p, RunID: "2026-11-frozen"}, true, nil
}

func (f fakeReader) Org(context.Context) (catalog.Org, error) { return f.org, nil }

func (f fakeReader) Catalog(context.Context) (catalog.Catalog, error) {
	item := func(code, name, unit string, b catalog.Billing, agg catalog.Agg) catalog.Item {
		return catalog.Item{Code: catalog.ItemCode(code), Name: name, Unit: unit, Billing: b, MeterAgg: agg}
	}
	return catalog.Catalog{Versions: []catalog.Version{{Effective: calendar.MustDate("2026-01-01"), Items: map[catalog.ItemCode]catalog.Item{
		"ECS-2C4G": item("ECS-2C4G", "云服务器 2核4G", "台·月", catalog.Allocated, ""),
		"OSS-GB":   item("OSS-GB", "对象存储", "GB", catalog.Metered, catalog.AggMax),
		"RDS":      item("RDS", "云数据库", "套·月", catalog.Allocated, ""),
	}}}}, nil
}

func (f fakeReader) VendorDeductions(_ context.Context, p calendar.Period) ([]rating.VendorDeduction, error) {
	five := decimal.RequireFromString("0.05")
	return []rating.VendorDeduction{{Period: p, Vendor: "v1", EffectiveResult: catalog.Deferred, SecurityValid: true,
		Tiers: []rating.Tier{{Group: rating.TierResult, Recorded: catalog.Deferred, Effective: catalog.Deferred, Rate: five},
			{Group: rating.TierScore, Rate: decimal.Zero}, {Group: rating.TierAvailability, Rate: decimal.Zero}},
		RateUncapped: five, Cap: dec("0.5"), Rate: five, Gross: dec("270"), Deduction: dec("-13.50"), Net: dec("256.50")}}, nil
}

func build(t *testing.T, closed bool, today string) Report {
	t.Helper()
	org, lines := sample()
	in, err := Load(context.Background(), fakeReader{org: org, lines: lines, closed: closed}, nov, "d1", calendar.MustDate(today))
	require.NoError(t, err)
	r, err := Build(in)
	require.NoError(t, err)
	return r
}

// The days of the lines themselves (rating.Line.Daily) give the same report as the
// stored daily detail, closed and month to date.
func TestBuildDaysFromLines(t *testing.T) {
	for _, today := range []string{"2026-12-05", "2026-11-15", "2026-11-01"} {
		org, lines := sample()
		in, err := Load(context.Background(), fakeReader{org: org, lines: lines}, nov, "d1", calendar.MustDate(today))
		require.NoError(t, err)
		want, err := Build(in)
		require.NoError(t, err)
		in.Days, in.DaysFromLines = nil, true
		got, err := Build(in)
		require.NoError(t, err)
		assert.Equal(t, want, got, today)
	}
}

func TestUnits(t *testing.T) {
	org, _ := sample()
	assert.Equal(t, []catalog.DepartmentID{"d1", "d1a", "d1a1"}, Units(org, "d1"))
	assert.Equal(t, []catalog.DepartmentID{"d1a", "d1a1"}, Units(org, "d1a"))
	assert.Equal(t, []catalog.DepartmentID{"d2"}, Units(org, "d2"))
	org.Departments["d1"] = catalog.Department{ID: "d1", Parent: "d1a1"} // a cycle ends
	assert.Equal(t, []catalog.DepartmentID{"d1", "d1a", "d1a1"}, Units(org, "d1"))
}

func TestBuildTotals(t *testing.T) {
	tests := []struct {
		name      string
		closed    bool
		today     string
		wantTotal string
		wantUnits []string
		wantMTD   bool
	}{
		{name: "closed month: the frozen lines", closed: true, today: "2026-12-05", wantTotal: "389.50",
			wantUnits: []string{"204.50", "75.00", "110.00"}},
		{name: "open month after its end: provisional, whole month", today: "2026-12-05", wantTotal: "389.50",
			wantUnits: []string{"204.50", "75.00", "110.00"}},
		// 15 November: o1 15/30 of 200 = 100.00; o2 15/30 of 18 = 9.00; deduction −13.50;
		// o3 6 days (10–15) of 100/30 = 20.00; adjustment 5.00; o4 begins on the 20th: out.
		{name: "open month: month to date", today: "2026-11-15", wantTotal: "120.50", wantMTD: true,
			wantUnits: []string{"95.50", "25.00", "0.00"}},
		// 1 November: o1 one day of 200/30 = 6.67; o2 0.60; deduction −13.50; o3 and o4
		// not begun; the adjustment 5.00.
		{name: "open month, first day", today: "2026-11-01", wantTotal: "-1.23", wantMTD: true,
			wantUnits: []string{"-6.23", "5.00", "0.00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := build(t, tt.closed, tt.today)
			var units []string
			sum := decimal.Zero
			for _, u := range r.Units {
				units = append(units, u.Total.StringFixed(2))
				sum = sum.Add(u.Total.Decimal)
				// every total is the sum of the lines below it
				us := decimal.Zero
				for _, p := range u.Projects {
					ps := decimal.Zero
					for _, o := range p.Orders {
						os := decimal.Zero
						for _, l := range o.Lines {
							os = os.Add(l.Amount.Decimal)
						}
						assert.True(t, os.Equal(o.Total.Decimal), "order %s total %s, lines add to %s", o.ID, o.Total, os)
						ps = ps.Add(os)
					}
					assert.True(t, ps.Equal(p.Total.Decimal), "project %s total %s, orders add to %s", p.ID, p.Total, ps)
					us = us.Add(ps)
				}
				assert.True(t, us.Equal(u.Total.Decimal), "unit %s total %s, projects add to %s", u.ID, u.Total, us)
			}
			assert.Equal(t, tt.wantUnits, units)
			assert.Equal(t, tt.wantTotal, r.Total.StringFixed(2))
			assert.True(t, sum.Equal(r.Total.Decimal))
			assert.Equal(t, tt.wantMTD, r.MonthToDate)
			// a closed month's breakdown is final (closed); an open month's provisional
			assert.Equal(t, tt.closed, r.Final())
			want := StatusProvisional
			if tt.closed {
				want = StatusClosed
			}
			assert.Equal(t, want, r.Status)
		})
	}
}

func TestBuildMonthToDateCutsLines(t *testing.T) {
	r := build(t, false, "2026-11-15")
	require.Len(t, r.Units, 3)
	o1 := r.Units[0].Projects[0].Orders[0]
	require.Equal(t, "o1", o1.ID)
	require.Len(t, o1.Lines, 1)
	charge := o1.Lines[0]
	assert.Equal(t, "2026-11-01", charge.From)
	assert.Equal(t, "2026-11-15", charge.To, "cut at today")
	assert.Equal(t, 15, charge.Days)
	assert.Len(t, charge.Daily, 15)
	assert.Equal(t, "100.00", charge.Amount.StringFixed(2))
	ded := r.Units[0].Projects[1]
	require.Equal(t, "", ded.ID, "deductions have no project; they come last")
	require.Len(t, ded.Orders, 1)
	assert.Equal(t, "deduction", ded.Orders[0].Lines[0].Kind)
	assert.Equal(t, "-13.50", ded.Orders[0].Lines[0].Amount.StringFixed(2), "counted in full")
	assert.Empty(t, ded.Orders[0].Lines[0].Daily)
	assert.Empty(t, r.Units[2].Projects, "o4 begins after today")
}

// Every line explains itself in Chinese names, true for its kind; ids name lines, not
// positions.
func TestBuildExplains(t *testing.T) {
	r := build(t, true, "2026-12-05")
	byItem := map[string]Line{}
	for _, u := range r.Units {
		for _, p := range u.Projects {
			for _, o := range p.Orders {
				assert.Equal(t, "v1", o.Vendor)
				for _, l := range o.Lines {
					if _, ok := byItem[l.Item+"/"+l.Kind]; !ok {
						byItem[l.Item+"/"+l.Kind] = l
					}
					assert.NotEmpty(t, l.Explanation, "%s %s", l.Item, l.Kind)
					assert.Regexp(t, `^[0-9a-f]{12}$`, l.ID)
				}
			}
		}
	}
	charge := byItem["ECS-2C4G/charge"]
	assert.Equal(t, "云服务器 2核4G", charge.ItemName)
	assert.Equal(t, "互联网业务区", charge.ZoneName)
	assert.Equal(t, "单价 100.00 元/台·月 × 数量 2 × 天数 30 ÷ 当月天数 30 = 200.00 元", charge.Explanation)
	metered := byItem["OSS-GB/metered"]
	assert.Equal(t, "用量 150 GB（最大值，计量 2026-11-01 至 2026-11-30 共 30 天）× 单价 0.12 元 = 18.00 元", metered.Explanation)
	assert.Empty(t, metered.Daily, "a metered line's amount is not a sum of even days")
	ded := byItem["/deduction"]
	assert.Equal(t, "暂缓通过 5%，评价得分未提供 0%，月度可用率未提供 0%，合计 5%（封顶 50%）；按本单位运维类应收 218.00 元分摊（服务商本月应收合计 270.00 元，扣减 13.50 元）", ded.Explanation)
	assert.Equal(t, "运维", r.Units[0].Projects[0].CategoryName)
	// the same line keeps its id when the month is rated again with another line added
	org, lines := sample()
	extra := lines[0]
	extra.Order, extra.Department = "o0", "d1"
	in, err := Load(context.Background(), fakeReader{org: org, lines: append([]rating.Line{extra}, lines...), closed: true}, nov, "d1", calendar.MustDate("2026-12-05"))
	require.NoError(t, err)
	r2, err := Build(in)
	require.NoError(t, err)
	found := false
	for _, p := range r2.Units[0].Projects {
		for _, o := range p.Orders {
			for _, l := range o.Lines {
				if l.ID == charge.ID {
					found = true
					assert.Equal(t, "o1", o.ID)
				}
			}
		}
	}
	assert.True(t, found, "line %s kept its id", charge.ID)
}

func TestLoadErrors(t *testing.T) {
	org, lines := sample()
	ctx := context.Background()
	t.Run("unknown department", func(t *testing.T) {
		_, err := Load(ctx, fakeReader{org: org, lines: lines}, nov, "d404", calendar.MustDate("2026-11-15"))
		require.Error(t, err)
		assert.ErrorIs(t, err, ErrUnknownDepartment)
		assert.Equal(t, "breakdown: department d404: unknown department (import it with cloudbill org import)", err.Error())
	})
	t.Run("month not rated", func(t *testing.T) {
		_, err := Load(ctx, fakeReader{org: org}, nov, "d1", calendar.MustDate("2026-11-15"))
		require.Error(t, err)
		assert.ErrorIs(t, err, rating.ErrNotRated)
		assert.Equal(t, "breakdown 2026-11: month not rated: rate it first (cloudbill rate --period 2026-11)", err.Error())
	})
	t.Run("month not begun", func(t *testing.T) {
		in, err := Load(ctx, fakeReader{org: org, lines: lines}, nov, "d1", calendar.MustDate("2026-10-31"))
		require.NoError(t, err)
		_, err = Build(in)
		assert.EqualError(t, err, "breakdown 2026-11: the month has not begun (today is 2026-10-31)")
	})
	t.Run("daily detail missing", func(t *testing.T) {
		in, err := Load(ctx, fakeReader{org: org, lines: lines}, nov, "d1", calendar.MustDate("2026-11-15"))
		require.NoError(t, err)
		in.Days = in.Days[1:]
		_, err = Build(in)
		assert.EqualError(t, err, "breakdown 2026-11: order o1 item ECS-2C4G (charge) from 2026-11-01: 30 days rated, 29 days of daily detail")
	})
	t.Run("daily detail without a line", func(t *testing.T) {
		in, err := Load(ctx, fakeReader{org: org, lines: lines}, nov, "d1", calendar.MustDate("2026-11-15"))
		require.NoError(t, err)
		stray := in.Days[0]
		stray.Order = "o77"
		in.Days = append(in.Days, stray)
		_, err = Build(in)
		assert.EqualError(t, err, "breakdown 2026-11: daily detail of order o77 item ECS-2C4G (charge) does not match its rated lines (1 days, 0 matched)")
	})
}

func TestFormatsGolden(t *testing.T) {
	for _, c := range []struct {
		name   string
		closed bool
		today  string
	}{{"closed", true, "2026-12-05"}, {"mtd", false, "2026-11-03"}} {
		r := build(t, c.closed, c.today)
		for _, format := range []string{"table", "csv", "json"} {
			t.Run(c.name+"/"+format, func(t *testing.T) {
				var buf bytes.Buffer
				write, ok := Writer(format)
				require.True(t, ok, format)
				require.NoError(t, write(&buf, r))
				golden(t, filepath.Join("testdata", c.name+"."+format), buf.Bytes())
			})
		}
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "golden file (go test -update writes it)")
	assert.Equal(t, string(want), string(got), "output differs from %s (go test -update rewrites it)", path)
}

// TestLineDaysAreDaily: a line's days as the breakdown makes them are rating.Line.Daily's,
// date for date and amount for amount (the same decimal, the same text).
func TestLineDaysAreDaily(t *testing.T) {
	_, lines := sample()
	checked := 0
	for _, l := range lines {
		want := l.Daily()
		got := lineDays(l)
		require.Len(t, got, len(want), "line %s %s", l.Order, l.Item)
		for i := range want {
			assert.Equal(t, want[i].Date, got[i].Date)
			assert.Equal(t, want[i].Amount.String(), got[i].Amount.String())
			assert.True(t, want[i].Amount.Equal(got[i].Amount))
		}
		checked += len(want)
	}
	assert.Positive(t, checked, "days checked")
}

// A line's days as a page shows them are to the fen, each within a fen of its unrounded
// amount, and add up to the line's amount exactly (closed and month to date).
func TestDaysToFen(t *testing.T) {
	seen := 0
	for _, today := range []string{"2026-12-05", "2026-11-15"} {
		r := build(t, today == "2026-12-05", today)
		for _, u := range r.Units {
			for _, p := range u.Projects {
				for _, o := range p.Orders {
					for _, l := range o.Lines {
						fen := l.DaysToFen()
						if len(l.Daily) == 0 {
							assert.Nil(t, fen, "%s: no days", l.ID)
							continue
						}
						seen++
						require.Len(t, fen, len(l.Daily))
						sum := decimal.Zero
						for i, d := range fen {
							assert.Equal(t, l.Daily[i].Date, d.Date)
							assert.True(t, d.Amount.Equal(d.Amount.Round(2)), "%s %s: %s is to the fen", l.ID, d.Date, d.Amount)
							assert.True(t, d.Amount.Sub(l.Daily[i].Amount).Abs().LessThan(dec("0.01")), "%s %s: %s within a fen of %s", l.ID, d.Date, d.Amount, l.Daily[i].Amount)
							sum = sum.Add(d.Amount)
						}
						assert.True(t, sum.Equal(l.Amount.Decimal), "%s (%s): days %s = line %s", l.ID, today, sum, l.Amount)
					}
				}
			}
		}
	}
	assert.GreaterOrEqual(t, seen, 4, "lines with days checked")
}

// TestTotalOf: a department's total is the sum of its units' totals, to the fen, with
// negative units (deductions) and none.
func TestTotalOf(t *testing.T) {
	unit := func(total string) Unit { return Unit{Total: Yuan{dec(total)}} }
	for _, tt := range []struct {
		name  string
		units []Unit
		want  string
	}{
		{"no unit", nil, "0"},
		{"one unit", []Unit{unit("204.50")}, "204.50"},
		{"units of the sample", []Unit{unit("204.50"), unit("75.00"), unit("110.00")}, "389.50"},
		{"a unit of deductions only", []Unit{unit("6.67"), unit("-13.50"), unit("0.01")}, "-6.82"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := TotalOf(tt.units)
			assert.True(t, got.Equal(dec(tt.want)), "got %s, want %s", got, tt.want)
		})
	}
}

// TestCompose: a department's report made of its units' own reports (each unit built from
// its own lines only, as the portal keeps them) is Build's report from all the lines, for
// every department, closed and month to date; its total is the units' (TotalOf) and, for a
// closed month, the net of the department's and its units' lines (rating.TotalsOf): the
// breakdown's total and the statement's are one rule.
func TestCompose(t *testing.T) {
	org, lines := sample()
	for _, closed := range []bool{true, false} {
		for _, today := range []string{"2026-12-05", "2026-11-15"} {
			for dep := range org.Departments {
				name := fmt.Sprintf("%s closed=%v today=%s", dep, closed, today)
				load := func(d catalog.DepartmentID, own bool) Input {
					in, err := Load(context.Background(), fakeReader{org: org, lines: lines, closed: closed}, nov, d, calendar.MustDate(today))
					require.NoError(t, err, name)
					in.Days, in.DaysFromLines = nil, true
					if own { // d's own lines only
						var ls []rating.Line
						for _, l := range in.Lines {
							if l.Department == d {
								ls = append(ls, l)
							}
						}
						in.Lines = ls
					}
					return in
				}
				want, err := Build(load(dep, false))
				require.NoError(t, err, name)
				head := load(dep, false)
				head.Lines = nil
				h, err := Build(head)
				require.NoError(t, err, name)
				var units []Unit
				for _, u := range Units(org, dep) {
					r, err := Build(load(u, true))
					require.NoError(t, err, name)
					units = append(units, r.Units[0])
				}
				got, err := Compose(h, units)
				require.NoError(t, err, name)
				assert.Equal(t, want, got, name)
				if closed {
					var mine []rating.Line
					for _, l := range lines {
						for _, u := range Units(org, dep) {
							if l.Department == u {
								mine = append(mine, l)
							}
						}
					}
					net := rating.TotalsOf(mine).Net
					assert.True(t, net.Equal(got.Total.Decimal), "%s: total %s, statement's net %s", name, got.Total, net)
				}
			}
		}
	}
	org2, _ := sample()
	h, err := Build(Input{Period: nov, Department: "d1", Org: org2, Closed: true})
	require.NoError(t, err)
	_, err = Compose(h, []Unit{{ID: "d1"}})
	assert.ErrorContains(t, err, "1 units, 3 expected")
	_, err = Compose(h, []Unit{{ID: "d1"}, {ID: "d1a1"}, {ID: "d1a"}})
	assert.ErrorContains(t, err, "unit 2 is d1a1, d1a expected")
}
