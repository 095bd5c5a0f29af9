// Package rating prices a month: work-order timelines × catalog versions × usage
// aggregates × acceptance deductions → rated lines, following DESIGN.md's rating rules.
//
// It holds types and pure logic; it reads through small interfaces that it declares and
// package chstore satisfies. Rating never calls time.Now: a run takes its period and a
// clock explicitly, so re-running a month reproduces it.
package rating

import (
	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
)

// Kind is the kind of a rated line (the `kind` column of statements).
type Kind string

const (
	KindCharge     Kind = "charge"     // allocated item, prorated by day
	KindMetered    Kind = "metered"    // metered item, priced on aggregated usage
	KindDeduction  Kind = "deduction"  // acceptance-based deduction (negative)
	KindAdjustment Kind = "adjustment" // difference for a closed month, booked in an open one
	KindUnfunded   Kind = "unfunded"   // a charge whose project is not on the approved list
)

// Line is one rated statement line. Amount is Unrounded rounded once, half up, to the fen
// (money.Round); every total is a sum of Amounts.
type Line struct {
	Period     calendar.Period
	Kind       Kind
	Department catalog.DepartmentID
	Vendor     catalog.VendorID
	Project    catalog.ProjectID
	// Category is the funding category finance reports: "om" or "new".
	Category catalog.ProjectCategory
	Order    catalog.OrderID
	Item     catalog.ItemCode
	Zone     catalog.Zone
	Mode     catalog.Mode
	// From and To are the billed days (both inclusive); Days = To − From + 1.
	From, To    calendar.Date
	Days        int
	DaysInMonth int
	Quantity    decimal.Decimal
	UnitPrice   decimal.Decimal
	Unrounded   decimal.Decimal
	Amount      decimal.Decimal
	// CatalogVersion is the effective date of the catalog version that priced the line.
	CatalogVersion calendar.Date
	// Corrects is the closed month an adjustment line corrects (zero otherwise).
	Corrects calendar.Period
	// Note explains a line in words (deduction tiers, adjustment reason, …).
	Note string
}
