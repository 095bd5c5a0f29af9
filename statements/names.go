package statements

import (
	"cloudbill/catalog"
	"cloudbill/glossary"
	"cloudbill/rating"
)

// ZoneName, ModeName, CategoryName and KindName are the glossary's Chinese names of codes.
func ZoneName(z catalog.Zone) string                { return glossary.Zone(z) }
func ModeName(md catalog.Mode) string               { return glossary.Mode(md) }
func CategoryName(c catalog.ProjectCategory) string { return glossary.Category(c) }
func KindName(k rating.Kind) string                 { return glossary.Kind(k) }

func (m Month) departmentName(id catalog.DepartmentID) string {
	if d, ok := m.Org.Departments[id]; ok && d.Name != "" {
		return d.Name
	}
	return string(id)
}

func (m Month) vendorName(id catalog.VendorID) string {
	if v, ok := m.Org.Vendors[id]; ok && v.Name != "" {
		return v.Name
	}
	return string(id)
}

func (m Month) projectName(id catalog.ProjectID) string {
	if id == "" {
		return "—"
	}
	if m.projectNames != nil {
		if n, ok := m.projectNames[id]; ok {
			return n
		}
		return string(id)
	}
	if p, ok := m.Org.ProjectFor(id, m.Period.Year); ok && p.Name != "" {
		return p.Name
	}
	return string(id)
}

// item is the catalog entry that priced a line: the version the line names, else the
// one in force on its first day, else the newest version holding the code.
func (m Month) item(l rating.Line) (catalog.Item, bool) {
	if l.Item == "" {
		return catalog.Item{}, false
	}
	if it, ok := m.items[itemKey{l.CatalogVersion, l.Item}]; ok {
		return it, true
	}
	return m.Catalog.Priced(l.Item, l.CatalogVersion, l.From)
}

func (m Month) itemName(l rating.Line) string {
	if it, ok := m.item(l); ok {
		return it.Name
	}
	return ""
}

func (m Month) itemUnit(l rating.Line) string {
	if it, ok := m.item(l); ok {
		return it.Unit
	}
	return ""
}
