package funding

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/glossary"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
)

// MonthAmount is an order's metered amount of one closed month.
type MonthAmount struct {
	Period calendar.Period
	Amount decimal.Decimal
}

// DeclarationLine is one line of a department's 测算表: the orders of one project, item,
// vendor and zone in service on the as-of date, declared for a year.
type DeclarationLine struct {
	Department catalog.DepartmentID
	Parent     catalog.DepartmentID
	Project    catalog.ProjectID
	Name       string // the project's name
	// Category is the project's category; Label how it is declared (运维 or 转为运维).
	Category catalog.ProjectCategory
	Label    string
	Item     catalog.ItemCode
	ItemName string
	Unit     string
	Vendor   catalog.VendorID
	Zone     catalog.Zone
	Billing  catalog.Billing
	Orders   int
	// Quantity and UnitPrice (the price in force on the as-of date) of allocated items;
	// Monthly is the monthly amount (allocated: price × quantity; metered: the average
	// monthly amount), unrounded; Annual = round(12 × Monthly).
	Quantity  decimal.Decimal
	UnitPrice decimal.Decimal
	Monthly   decimal.Decimal
	Annual    decimal.Decimal
	// Basis says how Monthly was found, in Chinese (metered: the months averaged).
	Basis string
}

// Declaration is next year's 测算表 of every department (§19).
type Declaration struct {
	Year  int
	AsOf  calendar.Date
	Lines []DeclarationLine
}

// DeclarationInput is what a declaration reads.
type DeclarationInput struct {
	Year    int // the year declared (the as-of date's year + 1)
	AsOf    calendar.Date
	Catalog catalog.Catalog
	Org     catalog.Org
	// InService: the orders in service on AsOf (InServiceOn).
	InService []InService
	// Metered: each metered order's amounts in the latest (up to three) closed months.
	Metered map[catalog.OrderID][]MonthAmount
}

// Declare is the declaration for in.Year as of in.AsOf (docs/year.md, "The declaration"): every
// order in service on AsOf at its configuration then and the price in force then in its
// zone, annual amount = 12 × monthly price × quantity; a metered order at 12 × its average
// monthly amount over the latest three closed months it has lines in (fewer when fewer
// exist; the basis is printed). Grouped by department, project, item, vendor and zone;
// each group rounded once; totals are sums of lines. Everything in service is declared as
// O&M (运维); a new-build project of the as-of year or earlier, and the new portion of a
// renovation, as 转为运维 (§19: after acceptance a new build is declared as O&M). Orders
// the catalog cannot price on AsOf are returned as findings.
func Declare(in DeclarationInput) (Declaration, []string) {
	d := Declaration{Year: in.Year, AsOf: in.AsOf}
	type key struct {
		dep     catalog.DepartmentID
		proj    catalog.ProjectID
		item    catalog.ItemCode
		vendor  catalog.VendorID
		zone    catalog.Zone
		label   string
		metered bool
	}
	groups := map[key]*DeclarationLine{}
	months := map[key]map[calendar.Period]bool{}
	var findings []string
	version, okV := in.Catalog.InForce(in.AsOf)
	for _, s := range in.InService {
		it, found := version.Items[s.Item]
		if !okV || !found {
			findings = append(findings, fmt.Sprintf("order %s: item %s is not in the catalog in force on %s; not declared", s.Order, s.Item, in.AsOf))
			continue
		}
		p, _ := in.Org.ProjectFor(s.Project, in.AsOf.Year)
		label := Label("to_om")
		switch {
		case p.Category == catalog.CategoryOM, p.Category == catalog.CategoryRenovation && s.Portion == catalog.PortionStock:
			label = glossary.Category(catalog.CategoryOM)
		case p.Category == catalog.CategoryNew && p.Year > in.AsOf.Year:
			label = glossary.Category(catalog.CategoryOM) // a new build of a later list: declared as O&M all the same
		}
		k := key{s.Department, s.Project, s.Item, s.Vendor, s.Zone, label, it.Billing == catalog.Metered}
		l, ok := groups[k]
		if !ok {
			l = &DeclarationLine{Department: s.Department, Parent: in.Org.ParentOf(s.Department), Project: s.Project, Name: p.Name,
				Category: p.Category, Label: label, Item: s.Item, ItemName: it.Name, Unit: it.Unit, Vendor: s.Vendor, Zone: s.Zone,
				Billing: it.Billing, Quantity: decimal.Zero, Monthly: decimal.Zero}
			groups[k] = l
			months[k] = map[calendar.Period]bool{}
		}
		l.Orders++
		if it.Billing == catalog.Metered {
			ms := in.Metered[s.Order]
			if len(ms) == 0 {
				continue
			}
			sum := decimal.Zero
			for _, m := range ms {
				sum = sum.Add(m.Amount)
				months[k][m.Period] = true
			}
			l.Monthly = l.Monthly.Add(sum.Div(decimal.NewFromInt(int64(len(ms)))))
			continue
		}
		price, offered := it.Price(s.Zone)
		if !offered {
			findings = append(findings, fmt.Sprintf("order %s: item %s is not offered in zone %s on %s; not declared", s.Order, s.Item, s.Zone, in.AsOf))
			continue
		}
		l.UnitPrice = price
		l.Quantity = l.Quantity.Add(s.Quantity)
		l.Monthly = l.Monthly.Add(price.Mul(s.Quantity))
	}
	twelve := decimal.NewFromInt(12)
	for k, l := range groups {
		l.Annual = money.Round(l.Monthly.Mul(twelve))
		if l.Billing == catalog.Metered {
			var ps []calendar.Period
			for p := range months[k] {
				ps = append(ps, p)
			}
			sort.Slice(ps, func(i, j int) bool { return ps[i].Before(ps[j]) })
			switch len(ps) {
			case 0:
				l.Basis = glossary.FundingText("basis_none")
			case 1:
				l.Basis = glossary.FundingText("basis_month", "month", ps[0].String())
			default:
				l.Basis = glossary.FundingText("basis_average", "from", ps[0].String(), "to", ps[len(ps)-1].String(), "months", strconv.Itoa(len(ps)))
			}
		} else {
			l.Basis = glossary.FundingText("basis_price", "price", l.UnitPrice.StringFixed(2), "quantity", l.Quantity.String(), "as_of", in.AsOf.String())
		}
		d.Lines = append(d.Lines, *l)
	}
	sort.Slice(d.Lines, func(i, j int) bool {
		a, b := d.Lines[i], d.Lines[j]
		switch {
		case a.Department != b.Department:
			return a.Department < b.Department
		case a.Project != b.Project:
			return a.Project < b.Project
		case a.Item != b.Item:
			return a.Item < b.Item
		case a.Vendor != b.Vendor:
			return a.Vendor < b.Vendor
		case a.Zone != b.Zone:
			return a.Zone < b.Zone
		}
		return a.Label < b.Label
	})
	return d, findings
}

// Departments lists the departments with lines, in order.
func (d Declaration) Departments() []catalog.DepartmentID {
	var out []catalog.DepartmentID
	for _, l := range d.Lines {
		if len(out) == 0 || out[len(out)-1] != l.Department {
			out = append(out, l.Department)
		}
	}
	return out
}

// ByDepartment splits the lines by department in one pass: ByDepartment()[dep] has the
// lines of d.Of(dep), in the same order (for many departments, instead of one Of each,
// which reads every line each time).
func (d Declaration) ByDepartment() map[catalog.DepartmentID]Declaration {
	out := map[catalog.DepartmentID]Declaration{}
	for _, l := range d.Lines {
		of, ok := out[l.Department]
		if !ok {
			of = Declaration{Year: d.Year, AsOf: d.AsOf}
		}
		of.Lines = append(of.Lines, l)
		out[l.Department] = of
	}
	return out
}

// Of keeps the lines of department dep.
func (d Declaration) Of(dep catalog.DepartmentID) Declaration {
	out := Declaration{Year: d.Year, AsOf: d.AsOf}
	for _, l := range d.Lines {
		if l.Department == dep {
			out.Lines = append(out.Lines, l)
		}
	}
	return out
}

// Total is the sum of the lines' annual amounts.
func (d Declaration) Total() decimal.Decimal {
	t := decimal.Zero
	for _, l := range d.Lines {
		t = t.Add(l.Annual)
	}
	return t
}
