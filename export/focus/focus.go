// Package focus turns a rated month into a FinOps FOCUS cost-and-usage dataset
// (FOCUS 1.2, the FinOps Open Cost and Usage Specification), one row per rated line, so
// that standard cost tools read cloudbill's charges without conversion.
//
// The dataset is built from the same rated lines as the statements (statements.Month):
// Σ BilledCost of a month equals the finance summary's net payable to the fen. How each
// cloudbill fact maps to a FOCUS column is in docs/focus.md; cloudbill's own facts
// (department, 主管部门, project, funding category, work order, zone, unfunded) are custom
// columns prefixed x_, as the specification requires.
//
// The package holds types and pure logic and writes CSV; the Parquet writer is an
// adapter (package focus/focusparquet). Build never reads a clock: a closed month's
// export is the same bytes every time.
package focus

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/glossary"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
	"cloudbill/rating"
	"cloudbill/statements"
)

// Version is the FOCUS version the dataset conforms to.
const Version = "1.2"

// Currency is the billing currency of every row (ISO 4217).
const Currency = "CNY"

// FOCUS values of ChargeCategory, ChargeClass, ChargeFrequency and PricingCategory that
// cloudbill uses.
const (
	CategoryUsage    = "Usage"
	CategoryPurchase = "Purchase"
	CategoryCredit   = "Credit"

	ClassCorrection = "Correction"

	FrequencyRecurring  = "Recurring"
	FrequencyUsageBased = "Usage-Based"

	PricingStandard = "Standard"
)

// Row is one row of the dataset. A nil pointer or an empty optional string is a null
// (an empty CSV cell, a null Parquet value).
type Row struct {
	BilledCost         decimal.Decimal
	BillingAccountID   string
	BillingAccountName string
	BillingAccountType string
	BillingCurrency    string
	BillingPeriodEnd   time.Time
	BillingPeriodStart time.Time
	ChargeCategory     string
	ChargeClass        string // "" (null) or Correction
	ChargeDescription  string
	ChargeFrequency    string
	ChargePeriodEnd    time.Time
	ChargePeriodStart  time.Time
	ConsumedQuantity   *decimal.Decimal
	ConsumedUnit       string
	ContractedCost     decimal.Decimal
	// ContractedUnitPrice and ListUnitPrice are the catalog price (the district pays the
	// published catalog price: no negotiated discount).
	ContractedUnitPrice *decimal.Decimal
	EffectiveCost       decimal.Decimal
	InvoiceID           string
	InvoiceIssuerName   string
	ListCost            decimal.Decimal
	ListUnitPrice       *decimal.Decimal
	PricingCategory     string
	PricingQuantity     *decimal.Decimal
	PricingUnit         string
	ProviderName        string
	PublisherName       string
	RegionID            string
	RegionName          string
	ResourceID          string
	ResourceName        string
	ResourceType        string
	ServiceCategory     string
	ServiceName         string
	SkuID               string
	SkuPriceID          string
	SubAccountID        string
	SubAccountName      string
	SubAccountType      string

	// cloudbill's own facts.
	XDepartmentID       string
	XParentDepartmentID string
	XProjectID          string
	XFundingCategory    string
	XWorkOrderID        string
	XZone               string
	XUnfunded           bool
	XLineKind           string
	XCorrectsPeriod     string
	XCatalogVersion     string
	XDays               int
	XDaysInMonth        int
}

// Columns returns the dataset's columns in file order: the FOCUS columns alphabetically,
// then the x_ columns.
func Columns() []string {
	return []string{
		"BilledCost", "BillingAccountId", "BillingAccountName", "BillingAccountType", "BillingCurrency",
		"BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory", "ChargeClass",
		"ChargeDescription", "ChargeFrequency", "ChargePeriodEnd", "ChargePeriodStart",
		"ConsumedQuantity", "ConsumedUnit", "ContractedCost", "ContractedUnitPrice",
		"EffectiveCost", "InvoiceId", "InvoiceIssuerName", "ListCost", "ListUnitPrice",
		"PricingCategory", "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName",
		"RegionId", "RegionName", "ResourceId", "ResourceName", "ResourceType",
		"ServiceCategory", "ServiceName", "SkuId", "SkuPriceId", "SubAccountId", "SubAccountName", "SubAccountType",
		"x_DepartmentId", "x_ParentDepartmentId", "x_ProjectId", "x_FundingCategory",
		"x_WorkOrderId", "x_Zone", "x_Unfunded", "x_LineKind", "x_CorrectsPeriod",
		"x_CatalogVersion", "x_Days", "x_DaysInMonth",
	}
}

// Values are the row's cells in Columns order, as the CSV writes them: decimals in plain
// notation, date-times in UTC as YYYY-MM-DDTHH:mm:ssZ, nulls empty.
func (r Row) Values() []string {
	return []string{
		plain(r.BilledCost), r.BillingAccountID, r.BillingAccountName, r.BillingAccountType, r.BillingCurrency,
		stamp(r.BillingPeriodEnd), stamp(r.BillingPeriodStart), r.ChargeCategory, r.ChargeClass,
		r.ChargeDescription, r.ChargeFrequency, stamp(r.ChargePeriodEnd), stamp(r.ChargePeriodStart),
		plainPtr(r.ConsumedQuantity), r.ConsumedUnit, plain(r.ContractedCost), plainPtr(r.ContractedUnitPrice),
		plain(r.EffectiveCost), r.InvoiceID, r.InvoiceIssuerName, plain(r.ListCost), plainPtr(r.ListUnitPrice),
		r.PricingCategory, plainPtr(r.PricingQuantity), r.PricingUnit, r.ProviderName, r.PublisherName,
		r.RegionID, r.RegionName, r.ResourceID, r.ResourceName, r.ResourceType,
		r.ServiceCategory, r.ServiceName, r.SkuID, r.SkuPriceID, r.SubAccountID, r.SubAccountName, r.SubAccountType,
		r.XDepartmentID, r.XParentDepartmentID, r.XProjectID, r.XFundingCategory,
		r.XWorkOrderID, r.XZone, fmt.Sprint(r.XUnfunded), r.XLineKind, r.XCorrectsPeriod,
		r.XCatalogVersion, fmt.Sprint(r.XDays), fmt.Sprint(r.XDaysInMonth),
	}
}

// TimeLayout is FOCUS's date-time format (UTC, seconds, Z).
const TimeLayout = "2006-01-02T15:04:05Z"

func stamp(t time.Time) string { return t.UTC().Format(TimeLayout) }

func plain(d decimal.Decimal) string { return d.String() }

func plainPtr(d *decimal.Decimal) string {
	if d == nil {
		return ""
	}
	return d.String()
}

// quantityPlaces bounds the decimals of a prorated PricingQuantity (quantity × days ÷
// days in month): enough that ListUnitPrice × PricingQuantity rounds to ListCost.
const quantityPlaces = 12

// ErrProvisional: the month is not closed and the caller did not ask for a provisional
// export.
var ErrProvisional = errors.New("the month is not closed: its export would be provisional (use --provisional)")

// serviceCategories maps the catalog's categories to FOCUS ServiceCategory values.
var serviceCategories = map[string]string{
	"compute":    "Compute",
	"storage":    "Storage",
	"network":    "Networking",
	"database":   "Databases",
	"middleware": "Integration",
	"security":   "Security",
	"hosting":    "Compute",
}

// ServiceCategory is the FOCUS ServiceCategory of a catalog category ("Other" when the
// catalog names one FOCUS does not know).
func ServiceCategory(catalogCategory string) string {
	if c, ok := serviceCategories[catalogCategory]; ok {
		return c
	}
	return "Other"
}

// ChargeCategoryOf is the FOCUS ChargeCategory of a line kind. Charges of allocated items
// (charge, unfunded) and metered lines are Usage: a department pays for capacity by the
// days it is in service, after the fact, with nothing bought upfront (FOCUS keeps
// Purchase for upfront and commitment acquisitions, whose EffectiveCost is 0 and
// amortised elsewhere: EffectiveCost-C-005-C). Deductions are Credit. An adjustment
// takes the category of the kind it corrects.
func ChargeCategoryOf(k rating.Kind) string {
	if k == rating.KindDeduction {
		return CategoryCredit
	}
	return CategoryUsage
}

// Build makes the dataset of month m, one row per rated line in the month's line order.
// resources maps a work order to the resource its events name (absent when none).
// It refuses an open month unless provisional is set.
func Build(m statements.Month, resources map[catalog.OrderID]Resource, provisional bool) ([]Row, error) {
	if !m.Final() && !provisional {
		return nil, fmt.Errorf("export focus %s: %w", m.Period, ErrProvisional)
	}
	b := builder{m: m, resources: resources}
	rows := make([]Row, 0, len(m.Lines))
	for i, l := range m.Lines {
		r, err := b.row(l)
		if err != nil {
			return nil, fmt.Errorf("export focus %s: line %d (order %s, item %s, kind %s): %w", m.Period, i+1, l.Order, l.Item, l.Kind, err)
		}
		rows = append(rows, r)
	}
	return rows, nil
}

type builder struct {
	m         statements.Month
	resources map[catalog.OrderID]Resource
}

// subAccountType tells a top-level department (一级部门) from a subordinate unit (下属单位).
func subAccountType(d catalog.Department) string {
	if d.Parent != "" {
		return "下属单位"
	}
	return "一级部门"
}

func (b builder) item(l rating.Line) (catalog.Item, bool) {
	for _, v := range b.m.Catalog.Versions {
		if v.Effective == l.CatalogVersion {
			it, ok := v.Items[l.Item]
			return it, ok
		}
	}
	day := l.From
	if day.IsZero() {
		day = b.m.Period.First()
	}
	v, ok := b.m.Catalog.InForce(day)
	if !ok {
		return catalog.Item{}, false
	}
	it, ok := v.Items[l.Item]
	return it, ok
}

func (b builder) row(l rating.Line) (Row, error) {
	m := b.m
	vendor := m.Org.Vendors[l.Vendor]
	vendorName := vendor.Name
	if vendorName == "" {
		vendorName = string(l.Vendor)
	}
	dept := m.Org.Departments[l.Department]
	r := Row{
		BilledCost:         l.Amount,
		BillingAccountID:   string(l.Vendor),
		BillingAccountName: vendorName + " 政务云结算账户",
		BillingAccountType: "服务商结算账户",
		BillingCurrency:    Currency,
		BillingPeriodStart: m.Period.Start(),
		BillingPeriodEnd:   m.Period.End(),
		ChargeCategory:     ChargeCategoryOf(l.Kind),
		ContractedCost:     l.Amount,
		EffectiveCost:      l.Amount,
		ListCost:           l.Amount,
		InvoiceID:          fmt.Sprintf("JS%d-%s", m.Period.Key(), l.Vendor),
		InvoiceIssuerName:  vendorName,
		ProviderName:       vendorName,
		PublisherName:      vendorName,
		SubAccountID:       string(l.Department),
		SubAccountName:     dept.Name,
		SubAccountType:     subAccountType(dept),

		XDepartmentID:       string(l.Department),
		XParentDepartmentID: string(dept.Parent),
		XProjectID:          string(l.Project),
		XFundingCategory:    string(l.Category),
		XWorkOrderID:        string(l.Order),
		XZone:               string(l.Zone),
		XUnfunded:           l.Kind == rating.KindUnfunded || l.CorrectsKind == rating.KindUnfunded,
		XLineKind:           string(l.Kind),
		XDays:               l.Days,
		XDaysInMonth:        l.DaysInMonth,
	}
	if !l.CatalogVersion.IsZero() {
		r.XCatalogVersion = l.CatalogVersion.String()
	}
	if l.Zone != "" {
		r.RegionID = string(l.Zone)
		r.RegionName = statements.ZoneName(l.Zone)
	}
	if res := b.resources[l.Order]; res.ID != "" {
		r.ResourceID = string(res.ID)
		r.ResourceName = string(res.ID)
		r.ResourceType = res.Type
		if r.ResourceType == "" {
			r.ResourceType = string(l.Item)
		}
	}
	// The charge period: the billed days, end exclusive; a deduction covers the month.
	r.ChargePeriodStart, r.ChargePeriodEnd = m.Period.Start(), m.Period.End()
	if !l.From.IsZero() && !l.To.IsZero() {
		r.ChargePeriodStart, r.ChargePeriodEnd = l.From.Start(), l.To.AddDays(1).Start()
	}

	it, hasItem := b.item(l)
	if l.Item != "" {
		r.SkuID = string(l.Item)
		if !l.CatalogVersion.IsZero() {
			r.SkuPriceID = fmt.Sprintf("%s@%s/%s", l.Item, l.CatalogVersion, l.Zone)
		}
		r.ServiceName = string(l.Item)
		r.ServiceCategory = "Other"
		if hasItem {
			r.ServiceName = it.Name
			r.ServiceCategory = ServiceCategory(it.Category)
		}
	}

	switch l.Kind {
	case rating.KindCharge, rating.KindUnfunded, rating.KindMetered:
		if !hasItem {
			return Row{}, fmt.Errorf("item %s is not in catalog version %s", l.Item, l.CatalogVersion)
		}
		r.ChargeClass = ""
		r.PricingCategory = PricingStandard
		r.PricingUnit = it.Unit
		price := l.UnitPrice
		r.ListUnitPrice, r.ContractedUnitPrice = &price, &price
		q := l.Quantity
		// An unfunded line keeps the pricing of its item: a metered item's quantity is
		// the measured usage, an allocated one's is prorated.
		if it.Billing == catalog.Metered {
			r.ChargeFrequency = FrequencyUsageBased
		} else {
			r.ChargeFrequency = FrequencyRecurring
			// A month's capacity prorated by day: quantity × days ÷ days in month.
			q = l.Quantity.Mul(decimal.NewFromInt(int64(l.Days))).DivRound(decimal.NewFromInt(int64(l.DaysInMonth)), quantityPlaces)
		}
		r.PricingQuantity, r.ConsumedQuantity = &q, &q
		r.ConsumedUnit = it.Unit
		r.ChargeDescription = describe(l, it)
	case rating.KindDeduction:
		r.ChargeFrequency = FrequencyRecurring
		r.ServiceName = statements.KindName(rating.KindDeduction)
		r.ServiceCategory = "Other"
		r.ChargeDescription = statements.KindName(rating.KindDeduction) + "（" + vendorName + "）" + noteSuffix(b.m.Note(l))
	case rating.KindAdjustment:
		r.ChargeClass = ClassCorrection
		r.ChargeCategory = ChargeCategoryOf(l.CorrectsKind)
		r.XCorrectsPeriod = l.Corrects.String()
		r.ChargePeriodStart, r.ChargePeriodEnd = l.Corrects.Start(), l.Corrects.End()
		if !l.From.IsZero() && !l.To.IsZero() {
			r.ChargePeriodStart, r.ChargePeriodEnd = l.From.Start(), l.To.AddDays(1).Start()
		}
		switch {
		case l.CorrectsKind == rating.KindMetered:
			r.ChargeFrequency = FrequencyUsageBased
		default:
			r.ChargeFrequency = FrequencyRecurring
		}
		if r.ServiceName == "" {
			r.ServiceName = statements.KindName(rating.KindDeduction)
			r.ServiceCategory = "Other"
		}
		r.ChargeDescription = fmt.Sprintf("更正 %s 已结账月份（%s）%s", l.Corrects, statements.KindName(l.CorrectsKind), noteSuffix(glossary.Note(l.Note)))
	default:
		return Row{}, fmt.Errorf("unknown line kind %q", l.Kind)
	}
	if !r.ChargePeriodEnd.After(r.ChargePeriodStart) {
		return Row{}, fmt.Errorf("charge period %s – %s is empty", r.ChargePeriodStart, r.ChargePeriodEnd)
	}
	return r, nil
}

func describe(l rating.Line, it catalog.Item) string {
	var b strings.Builder
	b.WriteString(it.Name)
	b.WriteString("（")
	b.WriteString(it.Unit)
	b.WriteString("）")
	b.WriteString(statements.ZoneName(l.Zone))
	if it.Billing == catalog.Metered {
		fmt.Fprintf(&b, " 计量 %s %s", l.Quantity, it.Unit)
	} else {
		fmt.Fprintf(&b, " %s~%s 计 %d/%d 天", l.From, l.To, l.Days, l.DaysInMonth)
	}
	if l.Kind == rating.KindUnfunded {
		b.WriteString("（项目未列入年度清单）")
	}
	return b.String()
}

func noteSuffix(note string) string {
	if note == "" {
		return ""
	}
	return "：" + note
}

// Total is Σ BilledCost of rows.
func Total(rows []Row) decimal.Decimal {
	s := decimal.Zero
	for _, r := range rows {
		s = s.Add(r.BilledCost)
	}
	return money.Round(s)
}

// Resource is the resource a work order names: the vendor's instance id that usage
// samples name, and the non-catalog resource type it was adapted from (if any).
type Resource struct {
	ID   catalog.ResourceID
	Type string
}

// Resources maps each work order to the resource of its latest event on or before day
// that names one (events in any order).
func Resources(events []catalog.Event, day calendar.Date) map[catalog.OrderID]Resource {
	sorted := append([]catalog.Event(nil), events...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Effective.Before(sorted[j].Effective) })
	out := map[catalog.OrderID]Resource{}
	for _, e := range sorted {
		if e.ResourceID == "" {
			continue
		}
		if _, seen := out[e.Order]; seen && e.Effective.After(day) {
			continue
		}
		out[e.Order] = Resource{ID: e.ResourceID, Type: e.ResourceType}
	}
	return out
}

// Type is the FOCUS data type of a column.
type Type int

const (
	TypeString   Type = iota
	TypeCost          // Decimal, rounded to the fen
	TypeDecimal       // Decimal: prices and quantities
	TypeDateTime      // UTC date-time
	TypeBool          // x_ columns only
	TypeInt           // x_ columns only
)

// ColumnType is the data type of column name (TypeString for any other).
func ColumnType(name string) Type {
	switch name {
	case "BilledCost", "ContractedCost", "EffectiveCost", "ListCost":
		return TypeCost
	case "ConsumedQuantity", "ContractedUnitPrice", "ListUnitPrice", "PricingQuantity":
		return TypeDecimal
	case "BillingPeriodEnd", "BillingPeriodStart", "ChargePeriodEnd", "ChargePeriodStart":
		return TypeDateTime
	case "x_Unfunded":
		return TypeBool
	case "x_Days", "x_DaysInMonth":
		return TypeInt
	}
	return TypeString
}

// Nullable reports whether column name may hold nulls in cloudbill's dataset.
func Nullable(name string) bool {
	switch name {
	case "ChargeClass", "ConsumedQuantity", "ConsumedUnit", "ContractedUnitPrice",
		"ListUnitPrice", "PricingCategory", "PricingQuantity", "PricingUnit",
		"RegionId", "RegionName", "ResourceId", "ResourceName", "ResourceType",
		"SkuId", "SkuPriceId", "x_ParentDepartmentId", "x_ProjectId", "x_FundingCategory",
		"x_WorkOrderId", "x_Zone", "x_CorrectsPeriod", "x_CatalogVersion":
		return true
	}
	return false
}
