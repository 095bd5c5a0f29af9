// Package rating prices a month: work-order timelines × catalog versions × usage
// aggregates × acceptance deductions → rated lines, following the rating rules of docs/rating.md.
//
// It holds types and pure logic; it reads through small interfaces that it declares and
// package chstore satisfies. Rating never calls time.Now: a run takes its period and a
// clock explicitly, so re-running a month reproduces it.
package rating

import (
	"time"

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

// CountsInGross reports whether lines of kind k make up a vendor's gross for the month:
// the month's own charges (charge, metered, unfunded). The acceptance deduction is a rate
// of that gross; deduction lines are taken from it, and adjustment lines carry the
// difference of the closed month they correct (its deduction difference included). Rating,
// statements, breakdowns and generators all ask this one method.
func (k Kind) CountsInGross() bool {
	return k == KindCharge || k == KindMetered || k == KindUnfunded
}

// Line is one rated statement line. Amount is Unrounded rounded once, half up, to the fen
// (money.Round); every total is a sum of Amounts.
//
// A deduction line (one per vendor, department and funding category) has no project,
// order or item; Quantity is the department's share of the vendor's gross, UnitPrice the
// negated rate, Unrounded the exact share of the deduction and Amount its allocation to
// the fen (largest remainder, so it can differ from Unrounded rounded by a fen). An
// adjustment line has Corrects and CorrectsKind set, From/To spanning the corrected
// month, Days 0 and Amount = Unrounded = the difference.
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
	// CorrectsKind is the kind of the corrected month's lines an adjustment line changes
	// (charge, metered, unfunded or deduction); empty otherwise.
	CorrectsKind Kind
	// Note explains a line in words (deduction tiers, adjustment reason, …).
	Note string
}

// Day is the unrounded amount of one line on one day: the daily detail behind a line.
// The Days of a line add up exactly to its Unrounded amount.
type Day struct {
	Period     calendar.Period
	Date       calendar.Date
	Department catalog.DepartmentID
	Vendor     catalog.VendorID
	Project    catalog.ProjectID
	Order      catalog.OrderID
	Item       catalog.ItemCode
	Kind       Kind
	Quantity   decimal.Decimal
	UnitPrice  decimal.Decimal
	Amount     decimal.Decimal // unrounded
}

// VendorDeduction is how a vendor's acceptance record became its deduction for a month.
type VendorDeduction struct {
	Period calendar.Period
	Vendor catalog.VendorID
	// Pending: no acceptance record; no deduction is applied and the month cannot be
	// closed without --allow-pending.
	Pending    bool
	Acceptance *catalog.Acceptance
	// SecurityValid: the security assessment is valid on the month's last day; when not,
	// the result counts as failed.
	SecurityValid bool
	// EffectiveResult is the result after the security rule.
	EffectiveResult catalog.AcceptanceResult
	// Tiers lists each rule group's rate (result, score, availability).
	Tiers []Tier
	// RateUncapped is the sum of the tiers; Rate is that capped at Cap.
	RateUncapped decimal.Decimal
	Cap          decimal.Decimal
	Rate         decimal.Decimal
	// Gross is the sum of the vendor's rounded lines of the month (charge, metered,
	// unfunded); Deduction = −round(Gross × Rate), spread over departments; Net = Gross +
	// Deduction.
	Gross     decimal.Decimal
	Deduction decimal.Decimal
	Net       decimal.Decimal
	// RulesVersion names the rules that applied (e.g. "default" or "2026-01 rules.csv").
	RulesVersion string
}

// TierGroup names a group of the deduction rules.
type TierGroup string

const (
	TierResult       TierGroup = "result"       // the acceptance result (after the security rule)
	TierScore        TierGroup = "score"        // the evaluation score
	TierAvailability TierGroup = "availability" // the monthly availability, in %
)

// SecurityState is why a result counts as failed: the security assessment is missing
// or expired on the month's last day ("" when valid).
type SecurityState string

const (
	SecurityMissing SecurityState = "missing"
	SecurityExpired SecurityState = "expired"
)

// Tier is the rate one rule group gave, as data; the glossary puts it into words.
type Tier struct {
	Group TierGroup
	Rate  decimal.Decimal
	// The result group: the recorded result, the one that counted, and why they differ.
	Recorded      catalog.AcceptanceResult `json:",omitempty"`
	Effective     catalog.AcceptanceResult `json:",omitempty"`
	Security      SecurityState            `json:",omitempty"`
	SecurityUntil *calendar.Date           `json:",omitempty"`
	// The score and availability groups: the value (nil: not provided) and the band it
	// fell in, Min ≤ Value < Below; Below nil: the top band; Min nil with a value: below
	// every band.
	Value *decimal.Decimal `json:",omitempty"`
	Min   *decimal.Decimal `json:",omitempty"`
	Below *decimal.Decimal `json:",omitempty"`
	// Label is the tier in English words as runs stored it before tiers were data; new
	// runs leave it empty.
	Label string `json:",omitempty"`
}

// Run records one rating of a month.
type Run struct {
	ID     string
	Period calendar.Period
	// RatedAt is the run's clock time; Fingerprint hashes every input it read.
	RatedAt     time.Time
	Fingerprint string
	Lines       int
	Total       decimal.Decimal
	// Pending lists vendors without an acceptance record.
	Pending []catalog.VendorID
	// Exceptions are findings to report (unfunded orders, prices missing, …).
	Exceptions []string
}

// RatedMonth is a month that has a rating run, as the month lists show it: its latest
// run, in brief.
type RatedMonth struct {
	Period  calendar.Period
	RunID   string
	RatedAt time.Time
	Lines   int
	Total   decimal.Decimal
	Pending []catalog.VendorID
}

// PartyTotal is the sum of a run's line amounts of one department and vendor.
type PartyTotal struct {
	Department catalog.DepartmentID
	Vendor     catalog.VendorID
	Amount     decimal.Decimal
}

// Close records a closed (frozen) month: the run whose lines were frozen, the hash of
// their content, and when. A closed month is never re-rated; later news about it is rated
// as adjustments in the first open month.
type Close struct {
	Period       calendar.Period
	ClosedAt     time.Time
	RunID        string
	ContentHash  string
	AllowPending bool
	Pending      []catalog.VendorID
	Lines        int
	Total        decimal.Decimal
	ClosedBy     string
}
