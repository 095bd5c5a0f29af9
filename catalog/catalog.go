// Package catalog owns the master data that billing reads: the service catalog (服务目录)
// and its dated price versions, adaptations of non-catalog resource types (§17), the
// organisation (departments and their subordinate units, projects on the annual list,
// vendors), work orders and their timelines (§15–16, §20), and acceptance records (§22).
//
// It holds types and pure logic only; storage is in package chstore.
package catalog

import (
	"sort"

	"github.com/shopspring/decimal"

	"cloudbill/internal/calendar"
)

// Identifiers.
type (
	ItemCode     string
	DepartmentID string
	ProjectID    string
	VendorID     string
	OrderID      string
	ResourceID   string
)

// Zone is a network zone of the platform (§8).
type Zone string

const (
	ZoneInternet Zone = "internet" // 互联网业务区
	ZoneExtranet Zone = "extranet" // 电子政务外网业务区
)

// Mode is a service mode (§10).
type Mode string

const (
	ModeShared    Mode = "shared"    // 共享云 (default)
	ModeDedicated Mode = "dedicated" // 专享云
	ModeHosting   Mode = "hosting"   // 云托管
	ModeBareMetal Mode = "baremetal" // 裸金属服务器
)

// Billing says how an item is priced.
type Billing string

const (
	Allocated Billing = "allocated" // monthly price, prorated by day
	Metered   Billing = "metered"   // price per unit of measured usage
)

// Agg is the aggregation of usage samples that gives a metered item's quantity.
type Agg string

const (
	AggSum         Agg = "sum"
	AggMax         Agg = "max"
	AggAvg         Agg = "avg"
	AggP95         Agg = "p95"
	AggAvgDailyMax Agg = "avg_daily_max"
)

// Item is one entry of a catalog version.
type Item struct {
	Code     ItemCode
	Name     string
	Category string // compute, storage, network, database, middleware, security, hosting …
	Unit     string // vCPU·月, GB·月, …
	Billing  Billing
	// Prices per zone: monthly unit price (allocated) or price per unit (metered).
	// A zone absent from the map is not offered there.
	Prices      map[Zone]decimal.Decimal
	MeterMetric string // metered items: the usage_samples metric
	MeterAgg    Agg    // metered items: how samples aggregate into the quantity
	Mode        Mode
	Source      Source // where the item was read (file, line, import)
}

// Price is the item's price in zone z; ok is false when the item is not offered there.
func (it Item) Price(z Zone) (price decimal.Decimal, ok bool) {
	price, ok = it.Prices[z]
	return price, ok
}

// Version is a catalog version in force from Effective until the next version.
type Version struct {
	Effective calendar.Date
	ImportID  string
	Items     map[ItemCode]Item
}

// Catalog is every version, with the adaptations table.
type Catalog struct {
	Versions    []Version // ascending by Effective
	Adaptations map[string]Adaptation
}

// Sort orders the versions by effective date.
func (c *Catalog) Sort() {
	sort.Slice(c.Versions, func(i, j int) bool { return c.Versions[i].Effective.Before(c.Versions[j].Effective) })
}

// InForce is the version in force on day d; ok is false before the first version.
func (c Catalog) InForce(d calendar.Date) (v Version, ok bool) {
	i := sort.Search(len(c.Versions), func(i int) bool { return c.Versions[i].Effective.After(d) })
	if i == 0 {
		return Version{}, false
	}
	return c.Versions[i-1], true
}

// Priced is the item that priced a line of item code: the version effective on version
// (the line's catalog version), else the one in force on from (its first day), else the
// newest version holding the code; ok is false when no version holds it.
func (c Catalog) Priced(code ItemCode, version, from calendar.Date) (Item, bool) {
	if code == "" {
		return Item{}, false
	}
	for _, v := range c.Versions {
		if !version.IsZero() && v.Effective == version {
			if it, ok := v.Items[code]; ok {
				return it, true
			}
		}
	}
	for _, d := range []calendar.Date{version, from} {
		if d.IsZero() {
			continue
		}
		if v, ok := c.InForce(d); ok {
			if it, ok := v.Items[code]; ok {
				return it, true
			}
		}
	}
	for i := len(c.Versions) - 1; i >= 0; i-- {
		if it, ok := c.Versions[i].Items[code]; ok {
			return it, true
		}
	}
	return Item{}, false
}

// Stretch is a run of days [From, To] (both inclusive) priced by one catalog version.
type Stretch struct {
	From, To calendar.Date
	Version  Version
}

// Split cuts [from, to] at the effective dates of versions. Days before the first
// version are left out (they have no price); the caller reports them.
func (c Catalog) Split(from, to calendar.Date) []Stretch {
	var out []Stretch
	for i, v := range c.Versions {
		start := calendar.MaxDate(from, v.Effective)
		end := to
		if i+1 < len(c.Versions) {
			end = calendar.MinDate(to, c.Versions[i+1].Effective.AddDays(-1))
		}
		if start.After(end) {
			continue
		}
		out = append(out, Stretch{From: start, To: end, Version: v})
	}
	return out
}

// Adaptation maps a resource type that is not in the catalog to the catalog item of
// closest function and configuration (§17).
type Adaptation struct {
	ResourceType string
	Item         ItemCode
	Note         string
	Source       Source
}

// Department is a 政务部门 or a subordinate unit (Parent set: its 主管部门).
type Department struct {
	ID     DepartmentID
	Name   string
	Parent DepartmentID
	Source Source
}

// ProjectCategory is a project's funding category (§18).
type ProjectCategory string

const (
	CategoryOM         ProjectCategory = "om"         // 运维
	CategoryNew        ProjectCategory = "new"        // 新建
	CategoryRenovation ProjectCategory = "renovation" // 改扩建: stock part O&M, new part new build
)

// Project is an entry of a year's project list (政务信息化项目清单).
type Project struct {
	ID         ProjectID
	Name       string
	Department DepartmentID
	Year       int
	Category   ProjectCategory
	Approved   bool
	Source     Source
}

// Vendor is a 政务云服务商.
type Vendor struct {
	ID     VendorID
	Name   string
	Source Source
}

// Org is the organisation master data.
type Org struct {
	Departments map[DepartmentID]Department
	// Projects by id and year: a project id may appear on several years' lists.
	Projects map[ProjectKey]Project
	Vendors  map[VendorID]Vendor
}

// ProjectKey identifies a project on one year's list.
type ProjectKey struct {
	ID   ProjectID
	Year int
}

// Portion is the part of a renovation project an order belongs to.
type Portion string

const (
	PortionNone  Portion = ""
	PortionStock Portion = "stock" // existing part: counts as O&M
	PortionNew   Portion = "new"   // added part: counts as new build
)

// FundingCategory is the category finance reports: O&M or new build (a renovation
// project splits by the order's portion; a renovation order without portion counts as
// new build). The result is CategoryOM or CategoryNew.
func FundingCategory(c ProjectCategory, p Portion) ProjectCategory {
	switch c {
	case CategoryOM:
		return CategoryOM
	case CategoryRenovation:
		if p == PortionStock {
			return CategoryOM
		}
	}
	return CategoryNew
}

// EventKind is the kind of a work-order event.
type EventKind string

const (
	EventOpen      EventKind = "open"
	EventChange    EventKind = "change"
	EventTerminate EventKind = "terminate"
)

// Source says where a fact came from.
type Source struct {
	ImportID string
	File     string
	Line     int
}

// Event is a confirmed work-order event from the multi-cloud management system.
type Event struct {
	Order     OrderID
	Kind      EventKind
	Effective calendar.Date // the department-confirmed date
	Config                  // the configuration from Effective on (for terminate: as before)
	// Late marks a terminate (or change) whose date falls in a month already closed when
	// it was imported; rating books its effect as an adjustment.
	Late   bool
	Source Source
}

// Config is a work order's configuration during a segment.
type Config struct {
	Department   DepartmentID
	Project      ProjectID
	Vendor       VendorID
	Zone         Zone
	Item         ItemCode // after adaptation: always a catalog item
	Quantity     decimal.Decimal
	ResourceID   ResourceID
	ResourceType string // the non-catalog type it was adapted from, if any
	Portion      Portion
}

// Segment is a run of days [From, To], both inclusive, with one configuration in force.
type Segment struct {
	Order    OrderID
	From, To calendar.Date
	Config
}

// Days is the number of days of the segment.
func (s Segment) Days() int { return s.From.DaysUntil(s.To) + 1 }

// Acceptance is a vendor's acceptance and evaluation record for one month (§22, §25).
type Acceptance struct {
	Vendor       VendorID
	Period       calendar.Period
	Result       AcceptanceResult
	Score        *decimal.Decimal // 0–100; nil when not given
	Availability *decimal.Decimal // percent, e.g. 99.95; nil when not given
	// SecurityValidUntil is the last day the platform's security assessment is valid;
	// nil when missing.
	SecurityValidUntil *calendar.Date
	Source             Source
}

// AcceptanceResult is the outcome of acceptance.
type AcceptanceResult string

const (
	Passed   AcceptanceResult = "passed"   // 通过
	Deferred AcceptanceResult = "deferred" // 暂缓通过
	Failed   AcceptanceResult = "failed"   // 不通过
)
