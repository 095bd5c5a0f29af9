package rating

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
)

// A hand-computed case (rating/testdata/price/*.case) is a list of directives, one a
// line, with the arithmetic in # comments:
//
//	case NAME                  starts a case
//	period YYYY-MM
//	item EFFECTIVE CODE allocated|metered PRICE_INTERNET|- PRICE_EXTRANET|- [METRIC AGG] [mode=M]
//	project ID YEAR om|new|renovation approved|unapproved
//	event ORDER open|change|terminate DATE key=value...   (dep proj vendor zone item qty res type portion)
//	usage RES METRIC AGG FROM TO QTY      an aggregated quantity as ClickHouse returns it
//	accept VENDOR RESULT [score=S] [avail=A] [secure=DATE]
//	line KIND ORDER ITEM FROM TO DAYS QTY PRICE AMOUNT [category=C]   an expected line
//	deduction VENDOR DEP CATEGORY AMOUNT                                 an expected deduction line
//	vendor VENDOR GROSS RATE DEDUCTION NET [pending]                     an expected assessment
//	exception TEXT                                                       an expected exception (substring)
//
// Every priced line of the result must be listed; defaults: dep D1, proj P1, vendor V1,
// zone internet.
type rateCase struct {
	name      string
	file      string
	in        Input
	lines     []Line
	ded       []Line
	vendors   []VendorDeduction
	exception []string
}

func readCases(t *testing.T, path string) []*rateCase {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var cases []*rateCase
	var c *rateCase
	versions := map[calendar.Date]*catalog.Version{}
	flush := func() {
		if c == nil {
			return
		}
		for _, v := range versions {
			c.in.Catalog.Versions = append(c.in.Catalog.Versions, *v)
		}
		c.in.Catalog.Sort()
		cases = append(cases, c)
	}
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		fs := strings.Fields(line)
		if len(fs) == 0 {
			continue
		}
		where := fmt.Sprintf("%s:%d", filepath.Base(path), n)
		kv := map[string]string{}
		var pos []string
		for _, f := range fs[1:] {
			if k, v, ok := strings.Cut(f, "="); ok {
				kv[k] = v
			} else {
				pos = append(pos, f)
			}
		}
		need := func(k int) {
			require.GreaterOrEqual(t, len(pos), k, "%s: %s wants %d fields", where, fs[0], k)
		}
		dec := decimal.RequireFromString
		switch fs[0] {
		case "case":
			flush()
			c = &rateCase{name: strings.Join(fs[1:], " "), file: where, in: Input{Rules: DefaultRules(), Usage: Usage{},
				Org: catalog.Org{Projects: map[catalog.ProjectKey]catalog.Project{}}}}
			versions = map[calendar.Date]*catalog.Version{}
		case "period":
			c.in.Period = calendar.MustPeriod(pos[0])
		case "item":
			need(5)
			eff := calendar.MustDate(pos[0])
			v := versions[eff]
			if v == nil {
				v = &catalog.Version{Effective: eff, Items: map[catalog.ItemCode]catalog.Item{}}
				versions[eff] = v
			}
			it := catalog.Item{Code: catalog.ItemCode(pos[1]), Billing: catalog.Billing(pos[2]), Prices: map[catalog.Zone]decimal.Decimal{}, Mode: catalog.Mode(kv["mode"])}
			if pos[3] != "-" {
				it.Prices[catalog.ZoneInternet] = dec(pos[3])
			}
			if pos[4] != "-" {
				it.Prices[catalog.ZoneExtranet] = dec(pos[4])
			}
			if len(pos) >= 7 {
				it.MeterMetric, it.MeterAgg = pos[5], catalog.Agg(pos[6])
			}
			v.Items[it.Code] = it
		case "project":
			need(4)
			var year int
			fmt.Sscan(pos[1], &year)
			pr := catalog.Project{ID: catalog.ProjectID(pos[0]), Year: year, Category: catalog.ProjectCategory(pos[2]), Approved: pos[3] == "approved"}
			c.in.Org.Projects[catalog.ProjectKey{ID: pr.ID, Year: year}] = pr
		case "event":
			need(3)
			get := func(k, def string) string {
				if v, ok := kv[k]; ok {
					return v
				}
				return def
			}
			qty := dec(get("qty", "1"))
			c.in.Events = append(c.in.Events, catalog.Event{Order: catalog.OrderID(pos[0]), Kind: catalog.EventKind(pos[1]), Effective: calendar.MustDate(pos[2]),
				Config: catalog.Config{Department: catalog.DepartmentID(get("dep", "D1")), Project: catalog.ProjectID(get("proj", "P1")),
					Vendor: catalog.VendorID(get("vendor", "V1")), Zone: catalog.Zone(get("zone", "internet")), Item: catalog.ItemCode(get("item", "")),
					Quantity: qty, ResourceID: catalog.ResourceID(get("res", "")), ResourceType: get("type", ""), Portion: catalog.Portion(get("portion", ""))}})
		case "usage":
			need(6)
			c.in.Usage[UsageWindow{Resource: catalog.ResourceID(pos[0]), Metric: pos[1], Agg: catalog.Agg(pos[2]),
				From: calendar.MustDate(pos[3]), To: calendar.MustDate(pos[4]), Vendor: catalog.VendorID(kvOr(kv, "vendor", "V1"))}] = dec(pos[5])
		case "accept":
			need(2)
			a := catalog.Acceptance{Vendor: catalog.VendorID(pos[0]), Period: c.in.Period, Result: catalog.AcceptanceResult(pos[1])}
			if s, ok := kv["score"]; ok {
				d := dec(s)
				a.Score = &d
			}
			if s, ok := kv["avail"]; ok {
				d := dec(s)
				a.Availability = &d
			}
			if s, ok := kv["secure"]; ok {
				d := calendar.MustDate(s)
				a.SecurityValidUntil = &d
			}
			c.in.Acceptances = append(c.in.Acceptances, a)
		case "line":
			need(9)
			var days int
			fmt.Sscan(pos[5], &days)
			cat := kv["category"]
			if cat == "" {
				cat = "om"
			}
			c.lines = append(c.lines, Line{Kind: Kind(pos[0]), Order: catalog.OrderID(pos[1]), Item: catalog.ItemCode(pos[2]),
				From: calendar.MustDate(pos[3]), To: calendar.MustDate(pos[4]), Days: days, Quantity: dec(pos[6]), UnitPrice: dec(pos[7]),
				Amount: dec(pos[8]), Category: catalog.ProjectCategory(cat)})
		case "deduction":
			need(4)
			c.ded = append(c.ded, Line{Vendor: catalog.VendorID(pos[0]), Department: catalog.DepartmentID(pos[1]), Category: catalog.ProjectCategory(pos[2]), Amount: dec(pos[3])})
		case "vendor":
			need(5)
			c.vendors = append(c.vendors, VendorDeduction{Vendor: catalog.VendorID(pos[0]), Gross: dec(pos[1]), Rate: dec(pos[2]), Deduction: dec(pos[3]), Net: dec(pos[4]),
				Pending: len(pos) > 5 && pos[5] == "pending"})
		case "exception":
			c.exception = append(c.exception, strings.Join(fs[1:], " "))
		default:
			t.Fatalf("%s: unknown directive %q", where, fs[0])
		}
	}
	require.NoError(t, sc.Err())
	flush()
	return cases
}

func TestHandComputedCases(t *testing.T) {
	files, err := filepath.Glob("testdata/price/*.case")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		for _, c := range readCases(t, file) {
			t.Run(strings.TrimSuffix(filepath.Base(file), ".case")+"/"+c.name, func(t *testing.T) {
				got := Price(c.in)
				var priced, ded []Line
				for _, l := range got.Lines {
					if l.Kind == KindDeduction {
						ded = append(ded, l)
					} else {
						priced = append(priced, l)
					}
				}
				require.Len(t, priced, len(c.lines), "%s: priced lines %+v", c.file, priced)
				for i, w := range c.lines {
					g := priced[i]
					what := fmt.Sprintf("%s line %d (%s %s %s)", c.file, i, g.Order, g.Item, g.From)
					assert.Equal(t, w.Kind, g.Kind, what)
					assert.Equal(t, w.Order, g.Order, what)
					assert.Equal(t, w.Item, g.Item, what)
					assert.Equal(t, w.From, g.From, what)
					assert.Equal(t, w.To, g.To, what)
					assert.Equal(t, w.Days, g.Days, what)
					assert.Equal(t, w.Category, g.Category, what)
					assert.True(t, g.Quantity.Equal(w.Quantity), "%s: quantity %s, want %s", what, g.Quantity, w.Quantity)
					assert.True(t, g.UnitPrice.Equal(w.UnitPrice), "%s: price %s, want %s", what, g.UnitPrice, w.UnitPrice)
					assert.True(t, g.Amount.Equal(w.Amount), "%s: amount %s, want %s", what, g.Amount, w.Amount)
					assertDaily(t, g)
				}
				require.Len(t, ded, len(c.ded), "%s: deduction lines %+v", c.file, ded)
				for i, w := range c.ded {
					g := ded[i]
					what := fmt.Sprintf("%s deduction %d", c.file, i)
					assert.Equal(t, w.Vendor, g.Vendor, what)
					assert.Equal(t, w.Department, g.Department, what)
					assert.Equal(t, w.Category, g.Category, what)
					assert.True(t, g.Amount.Equal(w.Amount), "%s: amount %s, want %s", what, g.Amount, w.Amount)
				}
				for _, w := range c.vendors {
					var g *VendorDeduction
					for i := range got.Deductions {
						if got.Deductions[i].Vendor == w.Vendor {
							g = &got.Deductions[i]
						}
					}
					require.NotNil(t, g, "%s: no assessment of vendor %s", c.file, w.Vendor)
					assert.Equal(t, w.Pending, g.Pending, "pending")
					assert.True(t, g.Gross.Equal(w.Gross), "gross %s, want %s", g.Gross, w.Gross)
					assert.True(t, g.Rate.Equal(w.Rate), "rate %s, want %s (tiers %+v)", g.Rate, w.Rate, g.Tiers)
					assert.True(t, g.Deduction.Equal(w.Deduction), "deduction %s, want %s", g.Deduction, w.Deduction)
					assert.True(t, g.Net.Equal(w.Net), "net %s, want %s", g.Net, w.Net)
				}
				for _, w := range c.exception {
					assert.Contains(t, strings.Join(got.Exceptions, "\n"), w)
				}
			})
		}
	}
}

// assertDaily checks that the line's days add up to its unrounded amount exactly.
func assertDaily(t *testing.T, l Line) {
	t.Helper()
	days := l.Daily()
	require.Len(t, days, l.Days)
	sum := decimal.Zero
	for i, d := range days {
		assert.Equal(t, l.From.AddDays(i), d.Date)
		sum = sum.Add(d.Amount)
	}
	assert.True(t, sum.Equal(l.Unrounded), "days of %s %s sum to %s, line unrounded %s", l.Order, l.Item, sum, l.Unrounded)
}

// kvOr is kv[k], or def when absent.
func kvOr(kv map[string]string, k, def string) string {
	if v, ok := kv[k]; ok {
		return v
	}
	return def
}
