package csvin

import (
	"strconv"

	"cloudbill/internal/safeid"
)

// The codes of the importers' own errors (master data, orders, acceptance, the year's
// money, the idle configuration, the deduction rules), beside the reader's and the
// invoice's in codes.go; their English texts are what the importers wrote before they
// were codes. {at} is a place in a file, given as the values at_line and at_file (empty:
// the file of the error): "line 7" or "other.csv:7" in English (Coded fills it in),
// 第 7 行 or 文件 other.csv 第 7 行 in Chinese.
const (
	// values of every importer (catalog.rowReader, funding.reader)
	CodeEmpty         Code = "value.empty"
	CodeIDTooLong     Code = "id.too_long" // max
	CodeIDUnsafe      Code = "id.unsafe"   // value
	CodeDateBad       Code = "date.bad"    // value
	CodeDateRange     Code = "date.range"  // value
	CodePeriodBadOf   Code = "period.bad"  // value
	CodeOneOf         Code = "value.one_of"
	CodeDecimalBad    Code = "decimal.bad"       // value
	CodeDecimalSep    Code = "decimal.separator" // value
	CodeDecimalScale  Code = "decimal.scale"     // value, max
	CodePriceTooLarge Code = "price.too_large"   // value, max
	CodeQtyTooLarge   Code = "quantity.too_large"
	CodeMoneyBad      Code = "money.bad"       // value
	CodeMoneySep      Code = "money.separator" // value
	CodeMoneyNegative Code = "money.negative"  // value
	CodeMoneyTooLarge Code = "money.too_large" // value, max
	CodeYearBad       Code = "year.bad"        // value
	CodeUnknownVendor Code = "vendor.unknown"  // vendor
	CodeUnknownDept   Code = "department.unknown"
	CodeUnknownProj   Code = "project.unknown" // project
	// the catalog (catalog import) and its adaptations (catalog adapt)
	CodeItemTwice         Code = "catalog.item_twice"        // item, at
	CodeCategoryName      Code = "catalog.category"          // value
	CodeItemNoPrice       Code = "catalog.no_price"          // item
	CodeMeteredMetric     Code = "catalog.metered_metric"    // a metered item without its metric
	CodeMeteredAgg        Code = "catalog.metered_agg"       //
	CodeAllocatedMetric   Code = "catalog.allocated_metric"  // value
	CodeAllocatedAgg      Code = "catalog.allocated_agg"     // value
	CodeCatalogEmpty      Code = "catalog.empty"             //
	CodeResourceTypeTwice Code = "adapt.type_twice"          // type, at
	CodeAdaptNoCatalog    Code = "adapt.item_no_catalog"     // item
	CodeAdaptUnknownItem  Code = "adapt.item_unknown"        // item
	CodeDeptTwice         Code = "org.department_twice"      // department, at
	CodeDeptCase          Code = "org.department_case"       // department, other
	CodeDeptParent        Code = "org.parent_unknown"        // parent, department, name
	CodeDeptCycle         Code = "org.parent_cycle"          // department, name, cycle
	CodeProjectYear       Code = "org.project_year"          // value
	CodeApproved          Code = "org.approved"              // value
	CodeProjectTwice      Code = "org.project_twice"         // project, year, at
	CodeVendorTwice       Code = "org.vendor_twice"          // vendor, at
	CodeVendorCase        Code = "org.vendor_case"           // vendor, other
	CodeOrderOpenedTwice  Code = "orders.opened_twice"       // order, date, at
	CodeBeforeOpen        Code = "orders.no_open"            // event, order
	CodeBeforeOpenDate    Code = "orders.before_open"        // event, order, open, at, date
	CodeAfterTerminate    Code = "orders.after_terminate"    // order, date, at
	CodeGoesBack          Code = "orders.goes_back"          // date, last, order, at
	CodeProjectOtherDept  Code = "orders.project_department" // project, owner, department
	CodeQtyNotPositive    Code = "orders.quantity"           // value
	CodePortion           Code = "orders.portion"            // value, project, category
	CodeTypeNotAdapted    Code = "orders.type_not_adapted"   // type
	CodeNoItem            Code = "orders.no_item"
	CodeNoCatalogOn       Code = "orders.no_catalog"       // date
	CodeItemNotOffered    Code = "orders.item_not_offered" // item, date, version
	CodeItemUnknown       Code = "orders.item_unknown"     // item
	CodeZoneNotOffered    Code = "orders.zone"             // item, name, zone, date, version
	CodeTerminateKeeps    Code = "orders.terminate_keeps"  // want, got
	// acceptance records
	CodeAbove100        Code = "acceptance.above_100" // value
	CodeAcceptanceTwice Code = "acceptance.twice"     // vendor, period, at
	// budgets, payments, thresholds (funding)
	CodeBudgetNotOnList   Code = "budget.not_on_list"   // project, year
	CodeBudgetNotApproved Code = "budget.not_approved"  // project, year
	CodeBudgetTwice       Code = "budget.twice"         // project, year, at
	CodeNotPayable        Code = "payment.not_payable"  // period
	CodeAmountZero        Code = "payment.zero"         //
	CodeRefundNoVoucher   Code = "payment.refund_names" // a negative amount without refunds
	CodeRefundPositive    Code = "payment.refund_sign"  // value
	CodeVoucherTwice      Code = "payment.twice"        // voucher, at
	CodeVoucherChanged    Code = "payment.changed"      // voucher, file, vendor, period, amount, paid
	CodeRefundUnknown     Code = "payment.refund_unknown"
	CodeRefundOfRefund    Code = "payment.refund_of_refund" // voucher
	CodeRefundVendor      Code = "payment.refund_vendor"    // voucher, paid, vendor
	CodeRefundExceeds     Code = "payment.refund_exceeds"   // voucher, refunded, paid
	CodeShareBad          Code = "threshold.share"          // value
	CodeShareRange        Code = "threshold.share_range"    // value, max
	CodeWarningAboveOver  Code = "threshold.warning_above"  // warning, over
	CodeThresholdTwice    Code = "threshold.twice"          // date, at
	// the redundancy ratios (idle config import)
	CodeIdleKind      Code = "idle.kind"        // value
	CodeUntilBefore   Code = "idle.until"       // until, effective
	CodeRatioBad      Code = "idle.ratio"       // value
	CodeRatioRange    Code = "idle.ratio_range" // value
	CodeSizeBad       Code = "idle.size"        // value
	CodeSizeNotPos    Code = "idle.size_positive"
	CodeSizeOrder     Code = "idle.size_order" // value, previous
	CodeIdleTwice     Code = "idle.twice"      // kind, date, at
	CodeIdleRewritten Code = "idle.rewritten"  // kind, date, ratio, file, line
	CodeIdleOverlap   Code = "idle.overlap"    // kind, date, until, next
	// the deduction rules (rules import)
	CodeRulesOtherMonth  Code = "rules.other_month"  // period, fixed
	CodeRulesRate        Code = "rules.rate"         // value
	CodeRulesResult      Code = "rules.result"       // value
	CodeRulesResultTwice Code = "rules.result_twice" // result, period
	CodeRulesThreshold   Code = "rules.threshold"    // group, value
	CodeRulesTierTwice   Code = "rules.tier_twice"   // group, value, period
	CodeRulesCapValue    Code = "rules.cap_value"    // value
	CodeRulesCapTwice    Code = "rules.cap_twice"    // period
	CodeRulesGroup       Code = "rules.group"        // value
	CodeRulesNoResult    Code = "rules.no_result"    // period, result
	CodeRulesNoCap       Code = "rules.no_cap"       // period
	CodeRulesEmpty       Code = "rules.empty"
	CodeRulesClosed      Code = "rules.closed_month" // effective, closed, next
)

const terminateKeeps = ": leave the column empty or repeat the value in force"

var importEnglish = map[Code]string{
	CodeEmpty:         "is empty",
	CodeIDTooLong:     "identifier is longer than {max} characters",
	CodeIDUnsafe:      "identifier {value:q} is not safe: use only " + safeid.Rule,
	CodeDateBad:       "date {value:q} is not YYYY-MM-DD",
	CodeDateRange:     "date {value} is outside 1971–2105",
	CodePeriodBadOf:   "period {value:q} is not YYYY-MM",
	CodeOneOf:         "{value:q} is not one of {allowed}",
	CodeDecimalBad:    "{value:q} is not a plain non-negative decimal like 1234.5",
	CodeDecimalSep:    "{value:q} is not a plain non-negative decimal like 1234.5 (no thousands separators)",
	CodeDecimalScale:  "{value:q} has more than {max} decimal places",
	CodePriceTooLarge: "price {value} is above the largest allowed, {max}",
	CodeQtyTooLarge:   "quantity {value} is above the largest allowed, {max}",
	CodeMoneyBad:      "{value:q} is not an amount like 1234.56 (at most two decimals)",
	CodeMoneySep:      "{value:q} is not an amount like 1234.56 (at most two decimals) (no thousands separators)",
	CodeMoneyNegative: "amount {value} is negative",
	CodeMoneyTooLarge: "amount {value} is above the largest allowed, {max}",
	CodeYearBad:       "{value:q} is not a year YYYY",
	CodeUnknownVendor: "unknown vendor {vendor}",
	CodeUnknownDept:   "unknown department {department}",
	CodeUnknownProj:   "unknown project {project} (not on any year's project list)",

	CodeItemTwice:         "item {item} appears twice (also {at})",
	CodeCategoryName:      "{value:q} is not a category name (lower-case word such as compute, storage, network)",
	CodeItemNoPrice:       "item {item} has no price in any zone (give price_internet, price_extranet or both)",
	CodeMeteredMetric:     "a metered item names the usage metric it is priced on",
	CodeMeteredAgg:        "a metered item names its aggregation (sum, max, avg, p95, avg_daily_max)",
	CodeAllocatedMetric:   "an allocated item has no meter metric (got {value:q})",
	CodeAllocatedAgg:      "an allocated item has no meter aggregation (got {value:q})",
	CodeCatalogEmpty:      "the catalog has no items",
	CodeResourceTypeTwice: "resource type {type} appears twice (also {at})",
	CodeAdaptNoCatalog:    "unknown catalog item {item}: no catalog has been imported yet",
	CodeAdaptUnknownItem:  "unknown catalog item {item} (not in any catalog version)",

	CodeDeptTwice:    "department {department} appears twice (also {at})",
	CodeDeptCase:     "department {department} differs from department {other} only in letter case: their statement files would be one on a case-insensitive file system",
	CodeDeptParent:   "unknown parent department {parent} of {department} ({name})",
	CodeDeptCycle:    "department {department} ({name}) is in a cycle of parents: {cycle}",
	CodeProjectYear:  "{value:q} is not a year (2000–2100)",
	CodeApproved:     "{value:q} is not true or false",
	CodeProjectTwice: "project {project} of {year} appears twice (also {at})",
	CodeVendorTwice:  "vendor {vendor} appears twice (also {at})",
	CodeVendorCase:   "vendor {vendor} differs from vendor {other} only in letter case: their statement files would be one on a case-insensitive file system",

	CodeOrderOpenedTwice: "duplicate order id: order {order} is already opened on {date} ({at}) with different content",
	CodeBeforeOpen:       "{event} before open: order {order} has no open event",
	CodeBeforeOpenDate:   "{event} before open: order {order} opens on {open} ({at}), this {event} is dated {date}",
	CodeAfterTerminate:   "event after terminate: order {order} was terminated on {date} ({at}); nothing may follow a terminate",
	CodeGoesBack:         "effective date {date} goes back before {last}, the date of order {order}'s previous event ({at})",
	CodeProjectOtherDept: "project {project} belongs to department {owner}, which is neither the order's department {department} nor its parent",
	CodeQtyNotPositive:   "quantity must be positive, got {value}",
	CodePortion:          "portion {value} is only for renovation projects; project {project} is {category}",
	CodeTypeNotAdapted:   "resource type {type} is not in the catalog and has no adaptation (import one with `catalog adapt`)",
	CodeNoItem:           "is empty: give a catalog item code, or a resource_type that has an adaptation",
	CodeNoCatalogOn:      "no catalog version is in force on {date}",
	CodeItemNotOffered:   "item {item} is not offered on {date} (not in the catalog version effective {version})",
	CodeItemUnknown:      "unknown catalog item {item}",
	CodeZoneNotOffered:   "item {item} ({name}) is not offered in zone {zone} on {date} (no {zone} price in the catalog version effective {version})",
	CodeTerminateKeeps:   "a terminate keeps the configuration in force ({want}), got {got}" + terminateKeeps,

	CodeAbove100:        "{value} is above 100",
	CodeAcceptanceTwice: "a second record for vendor {vendor} and {period} (also {at})",

	CodeBudgetNotOnList:   "project {project} is not on the {year} project list",
	CodeBudgetNotApproved: "project {project} is not approved for {year} (its charges stay unfunded; it has no budget)",
	CodeBudgetTwice:       "a second amount for project {project} and {year} (also {at})",
	CodeNotPayable:        "month {period} is neither closed nor estimated: nothing is payable for it yet",
	CodeAmountZero:        "amount is zero",
	CodeRefundNoVoucher:   "a negative amount is a refund: name the refunded voucher_no",
	CodeRefundPositive:    "a refund has a negative amount (this one is {value})",
	CodeVoucherTwice:      "voucher {voucher} appears twice in the file (also {at})",
	CodeVoucherChanged:    "voucher {voucher} was imported before ({file}) with other content: vendor {vendor}, period {period}, amount {amount}, paid {paid}",
	CodeRefundUnknown:     "refunds voucher {voucher}, which is not imported",
	CodeRefundOfRefund:    "voucher {voucher} is itself a refund",
	CodeRefundVendor:      "voucher {voucher} paid vendor {paid}, not {vendor}",
	CodeRefundExceeds:     "refunds of voucher {voucher} ({refunded}) exceed what it paid ({paid})",
	CodeShareBad:          "{value:q} is not a share of the budget like 0.80 (80%; at most four decimals)",
	CodeShareRange:        "share {value} is outside (0, {max}]",
	CodeWarningAboveOver:  "warning share {warning} is above the over share {over}",
	CodeThresholdTwice:    "a second version effective {date} (also {at})",

	CodeIdleKind:      "{value:q} is not a kind: want vcpu or memory",
	CodeUntilBefore:   "{until} is before the effective date {effective}",
	CodeRatioBad:      "{value:q} is not a decimal number",
	CodeRatioRange:    "{value} is outside 0–1: a redundancy ratio is at least 0 and below 1 (e.g. 0.20)",
	CodeSizeBad:       "{value:q} is not a quantity",
	CodeSizeNotPos:    "{value} is not a positive quantity",
	CodeSizeOrder:     "{value} does not follow {previous}: sizes must ascend",
	CodeIdleTwice:     "kind {kind} has a second version effective {date} ({at} has the first)",
	CodeIdleRewritten: "kind {kind} already has a version effective {date} (ratio {ratio}, {file} line {line}): an imported version is never rewritten, give a new effective date",
	CodeIdleOverlap:   "kind {kind}: the version effective {date} until {until} overlaps the version effective {next}",

	CodeRulesOtherMonth:  "rules of {period} in a file imported as effective {fixed}: import one version at a time (leave the column empty or give {fixed})",
	CodeRulesRate:        "rate {value:q} is not a percentage between 0 and 100",
	CodeRulesResult:      "result {value:q} is not passed, deferred or failed",
	CodeRulesResultTwice: "result {result} given twice for {period}",
	CodeRulesThreshold:   "{group} threshold {value:q} is not a number between 0 and 100",
	CodeRulesTierTwice:   "{group} threshold {value} given twice for {period}",
	CodeRulesCapValue:    "the cap takes no threshold (got {value:q})",
	CodeRulesCapTwice:    "cap given twice for {period}",
	CodeRulesGroup:       "group {value:q} is not result, score, availability or cap",
	CodeRulesNoResult:    "rules effective {period} give no rate for result {result}",
	CodeRulesNoCap:       "rules effective {period} have no cap",
	CodeRulesEmpty:       "no rules: the file has a header but no rows",
	CodeRulesClosed:      "rules effective {effective}: {closed} is closed, its deductions are frozen; the earliest month new rules can take effect is {next}",
}

// englishPlace is a place in a file in English, for {at}: "line 7" in the error's own
// file, "other.csv:7" in another ("other.csv" for the whole file).
func englishPlace(p map[string]string) string {
	line, file := p["at_line"], p["at_file"]
	switch {
	case file == "":
		return "line " + line
	case line == "" || line == "0":
		return file
	}
	return file + ":" + line
}

// IDError is the error of a required identifier v of column c on row that is not in the
// safe alphabet (package safeid: an id becomes a file name, a spreadsheet cell and a URL
// path element), nil for a safe one (an empty v is CodeEmpty).
func (row Row) IDError(c, v string) *Error {
	switch {
	case v == "":
		return row.Coded(c, CodeEmpty)
	case len(v) > safeid.MaxLen:
		return row.Coded(c, CodeIDTooLong, "max", strconv.Itoa(safeid.MaxLen))
	case !safeid.Valid(v):
		return row.Coded(c, CodeIDUnsafe, "value", v)
	}
	return nil
}

// At is the values of a place in a file for {at}: its line, and its file when it is not
// file (the file of the error).
func At(file string, atFile string, line int) []string {
	if atFile == "" || atFile == file {
		return []string{"at_line", strconv.Itoa(line)}
	}
	return []string{"at_file", atFile, "at_line", strconv.Itoa(line)}
}
