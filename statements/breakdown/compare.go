package breakdown

import (
	"sort"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/glossary"
	"cloudbill/internal/calendar"
	"cloudbill/rating"
)

// Change is one row of a comparison: a figure of the month, of the month before and of
// the same month a year before, each the sum of the rounded lines it covers. Key is the
// row's stable id (an item's is "CODE/KIND"); Name and Code are what a reader sees: the
// name, and the code beside it as the statements print it (an item: its catalog code and
// the line kind's glossary name; a line kind or the deduction row: none).
type Change struct {
	Key, Name, Code             string
	Current, Previous, LastYear decimal.Decimal
}

// MoM and YoY are the changes against the month before and the same month a year before.
func (c Change) MoM() decimal.Decimal { return c.Current.Sub(c.Previous) }
func (c Change) YoY() decimal.Decimal { return c.Current.Sub(c.LastYear) }

// MoMPct and YoYPct are those changes as a fraction of the earlier figure (0.125 is
// +12.5%), rounded to 4 decimals; ok is false when the earlier figure is zero.
func (c Change) MoMPct() (decimal.Decimal, bool) { return pct(c.MoM(), c.Previous) }
func (c Change) YoYPct() (decimal.Decimal, bool) { return pct(c.YoY(), c.LastYear) }

func pct(delta, base decimal.Decimal) (decimal.Decimal, bool) {
	if base.IsZero() {
		return decimal.Zero, false
	}
	return delta.DivRound(base.Abs(), 4), true
}

// Comparison is a department's (or the district's) month against the month before and
// the same month a year before: in total and by unit, project, vendor, catalog item and
// line kind. The district's has Heads (by 主管部门: a top-level department with all its
// subordinate units) and no Projects.
type Comparison struct {
	Period, Previous, LastYear calendar.Period
	// HasPrevious and HasLastYear: those months were rated (else their figures are 0).
	HasPrevious, HasLastYear               bool
	Total                                  Change
	Units, Projects, Vendors, Items, Kinds []Change
	Heads                                  []Change
}

// CompareInput is what Compare reads: the department ("" for the whole district), the
// organisation and catalog for names, and the lines of the three months (every
// department; nil: not rated).
type CompareInput struct {
	Period                   calendar.Period
	Department               catalog.DepartmentID
	Org                      catalog.Org
	Catalog                  catalog.Catalog
	Current                  []rating.Line
	Previous, LastYear       []rating.Line
	HasPrevious, HasLastYear bool
}

// Compare compares department dep (with its subordinate units), or the whole district
// when dep is "", over three months. Whole months: an open month's lines count in full,
// as its statement would. Rows are in order of the current figure, largest first, then
// by key; a row present in any month is shown.
func Compare(in CompareInput) Comparison {
	district := in.Department == ""
	units := map[catalog.DepartmentID]bool{}
	for _, u := range Units(in.Org, in.Department) {
		units[u] = true
	}
	out := Comparison{Period: in.Period, Previous: in.Period.Prev(),
		LastYear:    in.Period.YearBefore(),
		HasPrevious: in.HasPrevious, HasLastYear: in.HasLastYear,
		Total: Change{Key: string(in.Department), Name: in.Org.Departments[in.Department].Name}}
	if district {
		out.Total.Name = glossary.District
	}
	type table map[string]*Change
	by := map[string]table{"unit": {}, "project": {}, "vendor": {}, "item": {}, "kind": {}, "head": {}}
	row := func(t table, key, name, code string) *Change {
		c, ok := t[key]
		if !ok {
			c = &Change{Key: key, Name: name, Code: code}
			t[key] = c
		}
		return c
	}
	depName := func(d catalog.DepartmentID) string {
		if dep, ok := in.Org.Departments[d]; ok && dep.Name != "" {
			return dep.Name
		}
		return string(d)
	}
	add := func(ls []rating.Line, which int) {
		for _, l := range ls {
			if !district && !units[l.Department] {
				continue
			}
			itemName := glossary.Kind(l.Kind)
			if it, ok := in.Catalog.Priced(l.Item, l.CatalogVersion, l.From); ok {
				itemName = it.Name
			}
			itemCode := "" // a deduction: named by its kind alone
			if l.Item != "" {
				itemCode = string(l.Item) + " · " + glossary.Kind(l.Kind)
			}
			rows := []*Change{&out.Total,
				row(by["unit"], string(l.Department), depName(l.Department), string(l.Department)),
				row(by["vendor"], string(l.Vendor), vendorName(in.Org, l.Vendor), string(l.Vendor)),
				row(by["item"], string(l.Item)+"/"+string(l.Kind), itemName, itemCode),
				row(by["kind"], string(l.Kind), glossary.Kind(l.Kind), "")}
			if district {
				h := Head(in.Org, l.Department)
				rows = append(rows, row(by["head"], string(h), depName(h), string(h)))
			} else {
				projName, projCode := projectName(in.Org, l.Project, in.Period.Year), string(l.Project)
				if l.Project == "" {
					projName = glossary.NoProject
				}
				rows = append(rows, row(by["project"], string(l.Project), projName, projCode))
			}
			for _, c := range rows {
				switch which {
				case 0:
					c.Current = c.Current.Add(l.Amount)
				case 1:
					c.Previous = c.Previous.Add(l.Amount)
				default:
					c.LastYear = c.LastYear.Add(l.Amount)
				}
			}
		}
	}
	add(in.Current, 0)
	add(in.Previous, 1)
	add(in.LastYear, 2)
	list := func(t table) []Change {
		var cs []Change
		for _, c := range t {
			cs = append(cs, *c)
		}
		sort.Slice(cs, func(i, j int) bool {
			if !cs[i].Current.Equal(cs[j].Current) {
				return cs[i].Current.GreaterThan(cs[j].Current)
			}
			return cs[i].Key < cs[j].Key
		})
		return cs
	}
	out.Units, out.Vendors, out.Items, out.Kinds = list(by["unit"]), list(by["vendor"]), list(by["item"]), list(by["kind"])
	if district {
		out.Heads = list(by["head"])
	} else {
		out.Projects = list(by["project"])
	}
	return out
}

// Head is department d's 主管部门 at the top: d's parent's parent and so on up to a
// department without a parent (d itself when it has none; a cycle stops where it closes).
func Head(org catalog.Org, d catalog.DepartmentID) catalog.DepartmentID {
	seen := map[catalog.DepartmentID]bool{d: true}
	for {
		p := org.Departments[d].Parent
		if p == "" || seen[p] {
			return d
		}
		seen[p] = true
		d = p
	}
}
