// Package conformance checks a FOCUS 1.2 cost-and-usage CSV file against the
// specification's conformance rules: the presence of every mandatory column (and of the
// conditional ones cloudbill claims to support), each column's type, format,
// nullability and allowed values, and the cross-column rules. Every finding names the
// rule by its FOCUS 1.2 conformance rule id (e.g. ChargeClass-C-005-C), the row and the
// column.
//
// It reads the file as text, independently of the writer in package focus, so a test of
// the writer's output through Check is a test against the specification, not against
// the writer's own idea of it. `cloudbill export focus` also checks every file it writes
// and refuses to leave a non-conformant one behind.
package conformance

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Violation is one broken rule.
type Violation struct {
	Rule   string // FOCUS 1.2 conformance rule id
	Row    int    // 1-based data row (0: the dataset as a whole)
	Column string
	Detail string
}

func (v Violation) String() string {
	if v.Row == 0 {
		return fmt.Sprintf("%s: column %s: %s", v.Rule, v.Column, v.Detail)
	}
	return fmt.Sprintf("%s: row %d column %s: %s", v.Rule, v.Row, v.Column, v.Detail)
}

// presence lists the columns that must be present, with the rule requiring each: the
// mandatory ones (…-M) and the conditional ones (…-C, -O) whose feature cloudbill
// supports (a public price list, usage measurement, sub accounts, regions, resources,
// SKUs, invoice ids, charge frequency).
var presence = []struct{ column, rule string }{
	{"ListUnitPrice", "CostAndUsage-D-004-C"},
	{"BillingAccountName", "CostAndUsage-D-005-M"},
	{"BilledCost", "CostAndUsage-D-006-M"},
	{"BillingAccountType", "CostAndUsage-D-007-M"},
	{"ChargeCategory", "CostAndUsage-D-008-M"},
	{"BillingPeriodStart", "CostAndUsage-D-009-M"},
	{"BillingPeriodEnd", "CostAndUsage-D-010-M"},
	{"ConsumedQuantity", "CostAndUsage-D-011-C"},
	{"SubAccountId", "CostAndUsage-D-019-C"},
	{"PublisherName", "CostAndUsage-D-021-M"},
	{"PricingCategory", "CostAndUsage-D-022-C"},
	{"InvoiceIssuerName", "CostAndUsage-D-023-M"},
	{"BillingAccountId", "CostAndUsage-D-024-M"},
	{"ChargeDescription", "CostAndUsage-D-025-M"},
	{"ChargeClass", "CostAndUsage-D-026-M"},
	{"ChargeFrequency", "CostAndUsage-D-027-O"},
	{"ChargePeriodEnd", "CostAndUsage-D-028-M"},
	{"SubAccountName", "CostAndUsage-D-029-C"},
	{"ContractedCost", "CostAndUsage-D-030-M"},
	{"EffectiveCost", "CostAndUsage-D-031-M"},
	{"ListCost", "CostAndUsage-D-032-M"},
	{"InvoiceId", "CostAndUsage-D-033-O"},
	{"BillingCurrency", "CostAndUsage-D-035-M"},
	{"PricingQuantity", "CostAndUsage-D-036-M"},
	{"ChargePeriodStart", "CostAndUsage-D-037-M"},
	{"ProviderName", "CostAndUsage-D-038-M"},
	{"ResourceType", "CostAndUsage-D-039-C"},
	{"ServiceCategory", "CostAndUsage-D-040-M"},
	{"ServiceName", "CostAndUsage-D-041-M"},
	{"ResourceId", "CostAndUsage-D-043-C"},
	{"ResourceName", "CostAndUsage-D-044-C"},
	{"SkuPriceId", "CostAndUsage-D-055-C"},
	{"SkuId", "CostAndUsage-D-057-C"},
	{"RegionName", "CostAndUsage-D-059-C"},
	{"RegionId", "CostAndUsage-D-060-C"},
	{"ConsumedUnit", "CostAndUsage-D-063-C"},
	{"PricingUnit", "CostAndUsage-D-065-M"},
}

// focusColumns are the column ids FOCUS 1.2 defines; any other column must be a custom
// column, prefixed x_.
var focusColumns = setOf(`AvailabilityZone BilledCost BillingAccountId
		BillingAccountName BillingAccountType BillingCurrency BillingPeriodEnd
		BillingPeriodStart CapacityReservationId CapacityReservationStatus ChargeCategory
		ChargeClass ChargeDescription ChargeFrequency ChargePeriodEnd ChargePeriodStart
		CommitmentDiscountCategory CommitmentDiscountId CommitmentDiscountName
		CommitmentDiscountQuantity CommitmentDiscountStatus CommitmentDiscountType
		CommitmentDiscountUnit ConsumedQuantity ConsumedUnit ContractedCost
		ContractedUnitPrice EffectiveCost InvoiceId InvoiceIssuerName ListCost ListUnitPrice
		PricingCategory PricingCurrency PricingCurrencyContractedUnitPrice
		PricingCurrencyEffectiveCost PricingCurrencyListUnitPrice PricingQuantity
		PricingUnit ProviderName PublisherName RegionId RegionName ResourceId ResourceName
		ResourceType ServiceCategory ServiceName ServiceSubcategory SkuId SkuMeter
		SkuPriceDetails SkuPriceId SubAccountId SubAccountName SubAccountType Tags`)

// setOf is the set of the space-separated words of s.
func setOf(s string) map[string]bool {
	set := map[string]bool{}
	for _, w := range strings.Fields(s) {
		set[w] = true
	}
	return set
}

// Column kinds and the type and format rules of each, by rule-id prefix.
var (
	decimalColumns = map[string][2]string{ // column: type rule, format rule
		"BilledCost":          {"BilledCost-C-002-M", "BilledCost-C-003-M"},
		"ContractedCost":      {"ContractedCost-C-001-M", "ContractedCost-C-002-M"},
		"EffectiveCost":       {"EffectiveCost-C-001-M", "EffectiveCost-C-002-M"},
		"ListCost":            {"ListCost-C-001-M", "ListCost-C-002-M"},
		"ListUnitPrice":       {"ListUnitPrice-C-001-M", "ListUnitPrice-C-002-M"},
		"ContractedUnitPrice": {"ContractedUnitPrice-C-002-M", "ContractedUnitPrice-C-003-M"},
		"PricingQuantity":     {"PricingQuantity-C-001-M", "PricingQuantity-C-002-M"},
		"ConsumedQuantity":    {"ConsumedQuantity-C-001-M", "ConsumedQuantity-C-002-M"},
	}
	dateTimeColumns = map[string][2]string{
		"BillingPeriodStart": {"BillingPeriodStart-C-001-M", "BillingPeriodStart-C-002-M"},
		"BillingPeriodEnd":   {"BillingPeriodEnd-C-001-M", "BillingPeriodEnd-C-002-M"},
		"ChargePeriodStart":  {"ChargePeriodStart-C-001-M", "ChargePeriodStart-C-002-M"},
		"ChargePeriodEnd":    {"ChargePeriodEnd-C-001-M", "ChargePeriodEnd-C-002-M"},
	}
	// notNull: columns that must never be null, with the rule.
	notNull = map[string]string{
		"BilledCost":         "BilledCost-C-001-M",
		"BillingAccountId":   "BillingAccountId-C-001-M",
		"BillingAccountName": "BillingAccountName-C-003-C",
		"BillingCurrency":    "BillingCurrency-C-004-M",
		"BillingPeriodEnd":   "BillingPeriodEnd-C-003-M",
		"BillingPeriodStart": "BillingPeriodStart-C-003-M",
		"ChargeCategory":     "ChargeCategory-C-002-M",
		"ChargeDescription":  "ChargeDescription-C-003-O",
		"ChargeFrequency":    "ChargeFrequency-C-002-M",
		"ChargePeriodEnd":    "ChargePeriodEnd-C-003-M",
		"ChargePeriodStart":  "ChargePeriodStart-C-003-M",
		"ContractedCost":     "ContractedCost-C-003-M",
		"EffectiveCost":      "EffectiveCost-C-003-M",
		"InvoiceIssuerName":  "InvoiceIssuerName-C-003-M",
		"ListCost":           "ListCost-C-003-M",
		"ProviderName":       "ProviderName-C-003-M",
		"PublisherName":      "PublisherName-C-003-M",
		"ServiceCategory":    "ServiceCategory-C-002-M",
		"ServiceName":        "ServiceName-C-003-M",
	}
	allowed = map[string]struct {
		rule   string
		values []string
	}{
		"ChargeCategory":  {"ChargeCategory-C-003-M", []string{"Usage", "Purchase", "Tax", "Credit", "Adjustment"}},
		"ChargeClass":     {"ChargeClass-C-005-C", []string{"Correction"}},
		"ChargeFrequency": {"ChargeFrequency-C-003-M", []string{"One-Time", "Recurring", "Usage-Based"}},
		"PricingCategory": {"PricingCategory-C-007-M", []string{"Standard", "Committed", "Dynamic", "Other"}},
		"ServiceCategory": {"ServiceCategory-C-003-M", []string{"AI and Machine Learning", "Analytics",
			"Business Applications", "Compute", "Databases", "Developer Tools", "Multicloud", "Identity",
			"Integration", "Internet of Things", "Management and Governance", "Media", "Migration",
			"Mobile", "Networking", "Security", "Storage", "Web", "Other"}},
	}
	// pairs: a null in one column iff a null in the other (…-C rules of both ways).
	pairs = []struct{ column, with, rule string }{
		{"PricingUnit", "PricingQuantity", "PricingUnit-C-005-C/PricingUnit-C-006-C"},
		{"ConsumedUnit", "ConsumedQuantity", "ConsumedUnit-C-004-C/ConsumedUnit-C-005-C"},
		{"SubAccountName", "SubAccountId", "SubAccountName-C-003-C/SubAccountName-C-004-C"},
		{"ResourceType", "ResourceId", "ResourceType-C-004-C/ResourceType-C-005-C"},
		{"BillingAccountType", "BillingAccountId", "BillingAccountType-C-004-C/BillingAccountType-C-005-C"},
	}
	// chargedNotNull: not null on Usage and Purchase rows that are not corrections.
	chargedNotNull = map[string]string{
		"PricingQuantity":     "PricingQuantity-C-005-C",
		"ListUnitPrice":       "ListUnitPrice-C-005-C",
		"ContractedUnitPrice": "ContractedUnitPrice-C-006-C",
		"PricingCategory":     "PricingCategory-C-004-C",
		"SkuId":               "SkuId-C-005-C",
		"SkuPriceId":          "SkuPriceId-C-005-C",
	}
)

var (
	numeric   = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)
	dateTime  = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$`)
	currency  = regexp.MustCompile(`^[A-Z]{3}$`)
	customCol = regexp.MustCompile(`^x_[A-Za-z0-9_]+$`)
)

// nationalCurrencies are the ISO 4217 codes a Chinese government ledger may carry.
var nationalCurrencies = map[string]bool{"CNY": true, "HKD": true, "MOP": true, "TWD": true, "USD": true, "EUR": true}

// Check reads a FOCUS CSV file and returns every violation found (nil when the file
// conforms). An error means the file could not be read as CSV at all.
func Check(r io.Reader) ([]Violation, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 0
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("focus conformance: empty file: no header row")
	}
	if err != nil {
		return nil, fmt.Errorf("focus conformance: header: %w", err)
	}
	var records [][]string
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("focus conformance: %w", err)
		}
		records = append(records, rec)
	}
	return CheckRecords(header, records), nil
}

// CheckRecords checks a header and its records (cells as text, "" is null).
func CheckRecords(header []string, records [][]string) []Violation {
	var vs []Violation
	add := func(rule string, row int, col, format string, args ...any) {
		vs = append(vs, Violation{Rule: rule, Row: row, Column: col, Detail: fmt.Sprintf(format, args...)})
	}
	idx := map[string]int{}
	for i, h := range header {
		if _, dup := idx[h]; dup {
			add("ColumnHandling", 0, h, "the column appears twice")
		}
		idx[h] = i
		if !focusColumns[h] && !customCol.MatchString(h) {
			add("ColumnHandling", 0, h, "a column FOCUS does not define must be a custom column prefixed x_")
		}
	}
	for _, p := range presence {
		if _, ok := idx[p.column]; !ok {
			add(p.rule, 0, p.column, "the column is missing")
		}
	}
	serviceCats := map[string]map[string]bool{}
	skuOfPrice := map[string]map[string]bool{}
	for n, rec := range records {
		row := n + 1
		if len(rec) != len(header) {
			add("ColumnHandling", row, "", "the row has %d cells, the header %d", len(rec), len(header))
			continue
		}
		get := func(col string) (string, bool) {
			i, ok := idx[col]
			if !ok {
				return "", false
			}
			return rec[i], true
		}
		val := func(col string) string { v, _ := get(col); return v }
		dec := map[string]decimal.Decimal{}
		for col, rules := range decimalColumns {
			v, ok := get(col)
			if !ok || v == "" {
				continue
			}
			if !numeric.MatchString(v) {
				add(rules[1], row, col, "%q is not in the numeric format (digits, an optional sign and decimal point; no grouping, no exponent)", v)
				continue
			}
			d, err := decimal.NewFromString(v)
			if err != nil {
				add(rules[0], row, col, "%q is not a decimal", v)
				continue
			}
			dec[col] = d
		}
		times := map[string]time.Time{}
		for col, rules := range dateTimeColumns {
			v, ok := get(col)
			if !ok || v == "" {
				continue
			}
			if !dateTime.MatchString(v) {
				add(rules[1], row, col, "%q is not a UTC date-time YYYY-MM-DDTHH:mm:ssZ", v)
				continue
			}
			t, err := time.Parse("2006-01-02T15:04:05Z", v)
			if err != nil {
				add(rules[0], row, col, "%q is not a date-time: %v", v, err)
				continue
			}
			times[col] = t
		}
		for col, rule := range notNull {
			if v, ok := get(col); ok && v == "" {
				add(rule, row, col, "must not be null")
			}
		}
		for col, a := range allowed {
			if v, ok := get(col); ok && v != "" && !contains(a.values, v) {
				add(a.rule, row, col, "%q is not one of %s", v, strings.Join(a.values, ", "))
			}
		}
		if v := val("BillingCurrency"); v != "" && (!currency.MatchString(v) || !nationalCurrencies[v]) {
			add("BillingCurrency-C-006-M", row, "BillingCurrency", "%q is not an ISO 4217 national currency code", v)
		}
		for _, p := range pairs {
			a, okA := get(p.column)
			b, okB := get(p.with)
			if okA && okB && (a == "") != (b == "") {
				add(p.rule, row, p.column, "must be null exactly when %s is null (%s %q, %s %q)", p.with, p.column, a, p.with, b)
			}
		}

		category, class := val("ChargeCategory"), val("ChargeClass")
		charged := (category == "Usage" || category == "Purchase") && class != "Correction"
		if charged {
			for col, rule := range chargedNotNull {
				if v, ok := get(col); ok && v == "" {
					add(rule, row, col, "must not be null on a %s row that is not a correction", category)
				}
			}
		}
		if category == "Purchase" && val("ChargeFrequency") == "Usage-Based" {
			add("ChargeFrequency-C-004-C", row, "ChargeFrequency", "must not be Usage-Based on a Purchase row")
		}
		if cq, ok := get("ConsumedQuantity"); ok {
			switch {
			case category != "Usage" && cq != "":
				add("ConsumedQuantity-C-004-C", row, "ConsumedQuantity", "must be null when ChargeCategory is %s", category)
			case category == "Usage" && class != "Correction" && cq == "":
				add("ConsumedQuantity-C-006-C", row, "ConsumedQuantity", "must not be null on a Usage row that is not a correction")
			}
		}
		if category == "Purchase" {
			if ec, ok := dec["EffectiveCost"]; ok && !ec.IsZero() {
				add("EffectiveCost-C-005-C", row, "EffectiveCost", "must be 0 on a Purchase row (amortised onto the charges it covers)")
			}
		}
		if val("ProviderName") != val("InvoiceIssuerName") {
			if bc, ok := dec["BilledCost"]; ok && !bc.IsZero() {
				add("BilledCost-C-004-C", row, "BilledCost", "must be 0 when the provider is not the invoice issuer")
			}
		}
		for _, price := range []struct{ unit, cost, rule string }{
			{"ListUnitPrice", "ListCost", "ListCost-C-009-C"},
			{"ContractedUnitPrice", "ContractedCost", "ContractedUnitPrice-C-011-C"},
		} {
			p, okP := dec[price.unit]
			q, okQ := dec["PricingQuantity"]
			c, okC := dec[price.cost]
			if okP && p.IsNegative() {
				rule := "ListUnitPrice-C-008-M"
				if price.unit == "ContractedUnitPrice" {
					rule = "ContractedUnitPrice-C-009-C"
				}
				add(rule, row, price.unit, "%s is negative", p)
			}
			// cost = unit price × pricing quantity; the cost is rounded to the fen, so the
			// product is compared after rounding half up to two places.
			if okP && okQ && okC && class != "Correction" && !p.Mul(q).Round(2).Equal(c) {
				add(price.rule, row, price.cost, "%s × PricingQuantity %s = %s, not %s", price.unit, q, p.Mul(q), c)
			}
		}
		cs, okS := times["ChargePeriodStart"]
		ce, okE := times["ChargePeriodEnd"]
		if okS && okE && !ce.After(cs) {
			add("ChargePeriodEnd-C-004-M", row, "ChargePeriodEnd", "%s is not after ChargePeriodStart %s (the end is exclusive)", val("ChargePeriodEnd"), val("ChargePeriodStart"))
		}
		bs, okBS := times["BillingPeriodStart"]
		be, okBE := times["BillingPeriodEnd"]
		if okBS && okBE && !be.After(bs) {
			add("BillingPeriodEnd-C-004-M", row, "BillingPeriodEnd", "%s is not after BillingPeriodStart %s (the end is exclusive)", val("BillingPeriodEnd"), val("BillingPeriodStart"))
		}
		if okS && okE && okBS && okBE {
			inside := !cs.Before(bs) && !ce.After(be)
			switch {
			case class == "" && !inside:
				add("ChargeClass-C-004-C", row, "ChargeClass", "a charge outside its billing period (%s – %s) is a correction of another period and needs ChargeClass Correction", val("ChargePeriodStart"), val("ChargePeriodEnd"))
			case class == "Correction" && !cs.Before(bs):
				add("ChargeClass-C-004-C", row, "ChargeClass", "ChargeClass must be null on a correction within the current billing period")
			}
		}
		if sn, sc := val("ServiceName"), val("ServiceCategory"); sn != "" {
			if serviceCats[sn] == nil {
				serviceCats[sn] = map[string]bool{}
			}
			serviceCats[sn][sc] = true
		}
		if sp, sk := val("SkuPriceId"), val("SkuId"); sp != "" {
			if skuOfPrice[sp] == nil {
				skuOfPrice[sp] = map[string]bool{}
			}
			skuOfPrice[sp][sk] = true
		}
	}
	for _, sn := range sortedKeys(serviceCats) {
		if len(serviceCats[sn]) > 1 {
			add("ServiceName-C-005-C", 0, "ServiceName", "%q has %d ServiceCategory values (%s); one is allowed", sn, len(serviceCats[sn]), strings.Join(sortedKeys(serviceCats[sn]), ", "))
		}
	}
	for _, sp := range sortedKeys(skuOfPrice) {
		if len(skuOfPrice[sp]) > 1 {
			add("SkuPriceId-C-008-M", 0, "SkuPriceId", "%q has %d SkuId values; one is allowed", sp, len(skuOfPrice[sp]))
		}
	}
	sort.SliceStable(vs, func(i, j int) bool { return vs[i].Row < vs[j].Row })
	return vs
}

func contains(vs []string, v string) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
