// Package synth makes rated months as plain values — an organisation, a catalog, rated
// lines with deductions spread to the fen — deterministically from a seed, for the
// statements' tests and benchmarks. It stands in for the whole rating pipeline where
// only the statements are under test.
package synth

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
	"cloudbill/invoicing"
	"cloudbill/rating"
)

// Config sizes a synthetic month.
type Config struct {
	Period calendar.Period
	// Departments is the number of departments; about one in five is a subordinate unit
	// of another.
	Departments int
	Vendors     int
	Orders      int
	Seed        uint64
	// Closed marks the month closed at the first day of the next month, 02:00.
	Closed bool
}

var items = []struct {
	code, name, unit string
	price            string
	metered          bool
}{
	{"ECS-CPU", "云服务器计算资源", "vCPU·月", "80", false},
	{"ECS-MEM", "云服务器内存", "GB·月", "20", false},
	{"EVS-SSD", "云硬盘（SSD 高性能型）", "GB·月", "0.5", false},
	{"EVS-SATA", "云硬盘（普通型）", "GB·月", "0.25", false},
	{"OSS", "对象存储", "GB·月", "0.12", true},
	{"NET-BW", "互联网带宽", "Mbps·月", "45", false},
	{"NET-TRAFFIC", "公网流量", "GB", "0.8", true},
	{"RDS-MYSQL", "关系型数据库 MySQL 版（高可用主备实例）", "实例·月", "1200", false},
	{"WAF", "Web 应用防火墙", "域名·月", "300", false},
	{"BMS", "裸金属服务器（通用计算型）", "台·月", "4500", false},
}

var deptWords = []string{"财政局", "教育局", "卫生健康委员会", "公安分局", "民政局", "人力资源和社会保障局", "自然资源局",
	"生态环境分局", "住房和城乡建设局", "交通运输局", "水务局", "农业农村局", "商务局", "文化和旅游局", "应急管理局",
	"市场监督管理局", "统计局", "医疗保障局", "城市管理局", "大数据发展局"}

// Month makes the month: deterministic for a Config.
func Month(cfg Config) invoicing.Month {
	r := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	p := cfg.Period
	version := catalog.Version{Effective: calendar.Date{Year: p.Year, Month: time.January, Day: 1}, Items: map[catalog.ItemCode]catalog.Item{}}
	for _, it := range items {
		billing := catalog.Allocated
		if it.metered {
			billing = catalog.Metered
		}
		price := decimal.RequireFromString(it.price)
		version.Items[catalog.ItemCode(it.code)] = catalog.Item{Code: catalog.ItemCode(it.code), Name: it.name, Unit: it.unit, Billing: billing,
			Prices: map[catalog.Zone]decimal.Decimal{catalog.ZoneInternet: price, catalog.ZoneExtranet: price.Mul(decimal.RequireFromString("1.1"))}}
	}
	org := catalog.Org{Departments: map[catalog.DepartmentID]catalog.Department{}, Projects: map[catalog.ProjectKey]catalog.Project{},
		Vendors: map[catalog.VendorID]catalog.Vendor{}}
	var deps []catalog.DepartmentID
	for i := 1; i <= cfg.Departments; i++ {
		id := catalog.DepartmentID(fmt.Sprintf("D%04d", i))
		d := catalog.Department{ID: id, Name: fmt.Sprintf("第%d%s", i, deptWords[i%len(deptWords)])}
		if i > 5 && r.IntN(5) == 0 {
			parent := deps[r.IntN(len(deps))]
			if org.Departments[parent].Parent == "" {
				d.Parent = parent
				d.Name = org.Departments[parent].Name + "下属第" + fmt.Sprint(i) + "事务中心"
			}
		}
		org.Departments[id] = d
		deps = append(deps, id)
		for j := 1; j <= 3; j++ {
			pid := catalog.ProjectID(fmt.Sprintf("P%04d-%d", i, j))
			cat := []catalog.ProjectCategory{catalog.CategoryOM, catalog.CategoryNew, catalog.CategoryRenovation}[r.IntN(3)]
			org.Projects[catalog.ProjectKey{ID: pid, Year: p.Year}] = catalog.Project{ID: pid, Name: fmt.Sprintf("%s信息化项目%d", d.Name, j),
				Department: id, Year: p.Year, Category: cat, Approved: r.IntN(20) != 0}
		}
	}
	var vendors []catalog.VendorID
	for i := 1; i <= cfg.Vendors; i++ {
		id := catalog.VendorID(fmt.Sprintf("V%02d", i))
		org.Vendors[id] = catalog.Vendor{ID: id, Name: []string{"华信政务云", "天翼政务云", "移动政务云", "联通政务云", "浪潮政务云"}[(i-1)%5]}
		vendors = append(vendors, id)
	}
	m := invoicing.Month{Period: p, Org: org, Catalog: catalog.Catalog{Versions: []catalog.Version{version}},
		EarlierNet: map[calendar.Period]map[catalog.VendorID]decimal.Decimal{}, IssuedAt: p.Next().First().Start().Add(2 * time.Hour)}
	m.Lines = lines(r, cfg, p, org, deps, vendors, version)
	m.Deductions, m.Lines = deduct(r, p, m.Lines, vendors)
	m.Run = rating.Run{ID: "synth", Period: p, Lines: len(m.Lines)}
	if cfg.Closed {
		m.Close = &rating.Close{Period: p, ClosedAt: m.IssuedAt, RunID: "synth", Lines: len(m.Lines)}
	}
	prev := cfg
	prev.Seed++
	prev.Period = p.Prev()
	prev.Orders = cfg.Orders * 9 / 10
	if p.Month > time.January && cfg.Orders > 0 {
		pr := rand.New(rand.NewPCG(prev.Seed, 0x5eed))
		m.Previous = lines(pr, prev, prev.Period, org, deps, vendors, version)
		m.PreviousRated = true
		m.EarlierNet[prev.Period] = invoicing.NetByVendor(m.Previous)
	}
	return m
}

func lines(r *rand.Rand, cfg Config, p calendar.Period, org catalog.Org, deps []catalog.DepartmentID, vendors []catalog.VendorID, v catalog.Version) []rating.Line {
	dim := p.Days()
	var out []rating.Line
	for o := 1; o <= cfg.Orders; o++ {
		dep := deps[r.IntN(len(deps))]
		pid := catalog.ProjectID(fmt.Sprintf("P%s-%d", dep[1:], 1+r.IntN(3)))
		proj := org.Projects[catalog.ProjectKey{ID: pid, Year: p.Year}]
		it := items[r.IntN(len(items))]
		item := v.Items[catalog.ItemCode(it.code)]
		zone := catalog.ZoneInternet
		if r.IntN(3) == 0 {
			zone = catalog.ZoneExtranet
		}
		portion := catalog.PortionNone
		if proj.Category == catalog.CategoryRenovation && r.IntN(2) == 0 {
			portion = catalog.PortionStock
		}
		base := rating.Line{Period: p, Department: dep, Vendor: vendors[r.IntN(len(vendors))], Project: pid,
			Category: catalog.FundingCategory(proj.Category, portion), Order: catalog.OrderID(fmt.Sprintf("WO%d%06d", p.Year, o)),
			Item: item.Code, Zone: zone, Mode: catalog.ModeShared, UnitPrice: item.Prices[zone], CatalogVersion: v.Effective, DaysInMonth: dim}
		base.Kind = rating.KindCharge
		if it.metered {
			base.Kind = rating.KindMetered
		}
		if !proj.Approved {
			base.Kind = rating.KindUnfunded
		}
		from, to := 1, dim
		if r.IntN(4) == 0 {
			from = 1 + r.IntN(dim)
		}
		if r.IntN(6) == 0 {
			to = from + r.IntN(dim-from+1)
		}
		qty := decimal.NewFromInt(int64(1 + r.IntN(64)))
		if it.metered {
			qty = decimal.New(int64(r.IntN(5_000_000)), -2)
		}
		stretches := [][2]int{{from, to}}
		if !it.metered && to-from > 2 && r.IntN(5) == 0 { // a change mid-stretch
			c := from + 1 + r.IntN(to-from-1)
			stretches = [][2]int{{from, c - 1}, {c, to}}
		}
		for i, s := range stretches {
			l := base
			l.From = calendar.Date{Year: p.Year, Month: p.Month, Day: s[0]}
			l.To = calendar.Date{Year: p.Year, Month: p.Month, Day: s[1]}
			l.Days = s[1] - s[0] + 1
			l.Quantity = qty
			if i > 0 {
				l.Quantity = qty.Mul(decimal.NewFromInt(2))
			}
			if it.metered {
				l.Unrounded = l.Quantity.Mul(l.UnitPrice)
			} else {
				l.Unrounded = l.UnitPrice.Mul(l.Quantity).Mul(decimal.NewFromInt(int64(l.Days))).Div(decimal.NewFromInt(int64(dim)))
			}
			l.Amount = money.Round(l.Unrounded)
			out = append(out, l)
		}
	}
	return out
}

// deduct gives each vendor an acceptance outcome and spreads its deduction over its
// departments: each share rounded, the residue on the largest share, so the shares add up
// to the vendor's deduction to the fen.
func deduct(r *rand.Rand, p calendar.Period, ls []rating.Line, vendors []catalog.VendorID) ([]rating.VendorDeduction, []rating.Line) {
	rates := []string{"0", "0.02", "0.1", "0.15", "0.5"}
	gross := map[catalog.VendorID]map[catalog.DepartmentID]decimal.Decimal{}
	for _, l := range ls {
		if gross[l.Vendor] == nil {
			gross[l.Vendor] = map[catalog.DepartmentID]decimal.Decimal{}
		}
		gross[l.Vendor][l.Department] = gross[l.Vendor][l.Department].Add(l.Amount)
	}
	var vds []rating.VendorDeduction
	for i, v := range vendors {
		vd := rating.VendorDeduction{Period: p, Vendor: v, Cap: decimal.RequireFromString("0.5"), RulesVersion: "default"}
		if i == len(vendors)-1 && len(vendors) > 2 {
			vd.Pending = true
			vd.Rate, vd.RateUncapped = decimal.Zero, decimal.Zero
		} else {
			vd.Rate = decimal.RequireFromString(rates[r.IntN(len(rates))])
			vd.RateUncapped = vd.Rate
			vd.EffectiveResult = catalog.Passed
			if vd.Rate.GreaterThan(decimal.RequireFromString("0.1")) {
				vd.EffectiveResult = catalog.Deferred
			}
			score, avail := decimal.New(int64(60+r.IntN(40)), 0), decimal.RequireFromString("99.95")
			vd.Acceptance = &catalog.Acceptance{Vendor: v, Period: p, Result: vd.EffectiveResult, Score: &score, Availability: &avail}
			vd.SecurityValid = true
			vd.Tiers = []rating.Tier{{Group: "result", Label: string(vd.EffectiveResult), Rate: vd.Rate}}
		}
		deps := make([]catalog.DepartmentID, 0, len(gross[v]))
		total := decimal.Zero
		for d, g := range gross[v] {
			deps = append(deps, d)
			total = total.Add(g)
		}
		sort.Slice(deps, func(i, j int) bool { return deps[i] < deps[j] })
		vd.Gross = total
		vd.Deduction = money.Round(total.Mul(vd.Rate)).Neg()
		vd.Net = total.Add(vd.Deduction)
		vds = append(vds, vd)
		if vd.Rate.IsZero() || len(deps) == 0 {
			continue
		}
		var shares []rating.Line
		spread, largest := decimal.Zero, 0
		for k, d := range deps {
			amt := money.Round(gross[v][d].Mul(vd.Rate)).Neg()
			shares = append(shares, rating.Line{Period: p, Kind: rating.KindDeduction, Department: d, Vendor: v, Amount: amt, Unrounded: amt,
				Note: "验收扣减 " + vd.Rate.Shift(2).String() + "%"})
			spread = spread.Add(amt)
			if gross[v][d].GreaterThan(gross[v][deps[largest]]) {
				largest = k
			}
		}
		shares[largest].Amount = shares[largest].Amount.Add(vd.Deduction.Sub(spread))
		ls = append(ls, shares...)
	}
	return vds, ls
}
