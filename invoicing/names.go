package invoicing

import (
	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/rating"
)

// Chinese labels of the codes that statements print.
var (
	zoneNames = map[catalog.Zone]string{
		catalog.ZoneInternet: "互联网业务区",
		catalog.ZoneExtranet: "电子政务外网业务区",
	}
	modeNames = map[catalog.Mode]string{
		catalog.ModeShared:    "共享云",
		catalog.ModeDedicated: "专享云",
		catalog.ModeHosting:   "云托管",
		catalog.ModeBareMetal: "裸金属",
	}
	categoryNames = map[catalog.ProjectCategory]string{
		catalog.CategoryOM:         "运维",
		catalog.CategoryNew:        "新建",
		catalog.CategoryRenovation: "改扩建",
	}
	kindNames = map[rating.Kind]string{
		rating.KindCharge:     "资源费用",
		rating.KindMetered:    "计量费用",
		rating.KindDeduction:  "验收扣减",
		rating.KindAdjustment: "调整",
		rating.KindUnfunded:   "未列入项目清单",
	}
	resultNames = map[catalog.AcceptanceResult]string{
		catalog.Passed:   "通过",
		catalog.Deferred: "暂缓通过",
		catalog.Failed:   "不通过",
	}
	groupNames = map[string]string{
		"result":       "验收结果",
		"score":        "评价得分",
		"availability": "月度可用率",
	}
)

func label[K ~string](names map[K]string, k K) string {
	if n, ok := names[k]; ok {
		return n
	}
	if k == "" {
		return "—"
	}
	return string(k)
}

// ZoneName, ModeName, CategoryName and KindName are the Chinese labels of codes.
func ZoneName(z catalog.Zone) string                { return label(zoneNames, z) }
func ModeName(md catalog.Mode) string               { return label(modeNames, md) }
func CategoryName(c catalog.ProjectCategory) string { return label(categoryNames, c) }
func KindName(k rating.Kind) string                 { return label(kindNames, k) }

// resultName is the acceptance result of a vendor's month in words.
func resultName(vd rating.VendorDeduction, known bool) string {
	switch {
	case !known || vd.Pending:
		return "待验收（无验收记录）"
	case vd.Acceptance != nil && vd.EffectiveResult != vd.Acceptance.Result:
		return label(resultNames, vd.EffectiveResult) + "（" + label(resultNames, vd.Acceptance.Result) + "，安全评估无效）"
	}
	return label(resultNames, vd.EffectiveResult)
}

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
	for _, d := range []calendar.Date{l.CatalogVersion, l.From} {
		if d.IsZero() {
			continue
		}
		if v, ok := m.Catalog.InForce(d); ok {
			if it, ok := v.Items[l.Item]; ok {
				return it, true
			}
		}
	}
	for i := len(m.Catalog.Versions) - 1; i >= 0; i-- {
		if it, ok := m.Catalog.Versions[i].Items[l.Item]; ok {
			return it, true
		}
	}
	return catalog.Item{}, false
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
