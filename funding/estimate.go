package funding

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/glossary"
	"cloudbill/internal/calendar"
	"cloudbill/internal/csvout"
	"cloudbill/internal/money"
	"cloudbill/rating"
)

// EstimateLine is one line of an estimated settlement: a rated line of the month (its
// days up to the analysis date) with its extension to the month's end, a deduction line,
// or an adjustment line booked in the month. ToDate and Rest are unrounded; Amount is
// their sum rounded once to the fen (a deduction line: its allocation to the fen).
type EstimateLine struct {
	Kind       rating.Kind
	Department catalog.DepartmentID
	Vendor     catalog.VendorID
	Project    catalog.ProjectID
	Category   catalog.ProjectCategory
	Order      catalog.OrderID
	Item       catalog.ItemCode
	Zone       catalog.Zone
	ToDate     decimal.Decimal
	Rest       decimal.Decimal
	Amount     decimal.Decimal
	Note       string
}

// VendorRate is the deduction rate an estimate applies to a vendor: that of its latest
// closed month (From; zero when it has none: no deduction).
type VendorRate struct {
	Rate decimal.Decimal
	From calendar.Period
}

// Estimate is an estimated settlement of a month (docs/year.md, "The December estimate").
type Estimate struct {
	Period calendar.Period
	AsOf   calendar.Date
	Lines  []EstimateLine
	Rates  map[catalog.VendorID]VendorRate
	// Hash is the SHA-256 of the lines as EstimateCSV writes them (all vendors).
	Hash string
}

// EstimateInput is what an estimate reads.
type EstimateInput struct {
	AsOf    calendar.Date
	Catalog catalog.Catalog
	// Lines: the month's latest rating (deduction lines are left out and recomputed).
	Lines []rating.Line
	// InService: the orders in service on AsOf (InServiceOn, horizon the month's end).
	InService []InService
	// Windows: the usage window of each metered line of the month (rating.LineWindows on
	// the month's orders and catalog). SoFar: the quantities of those windows cut at AsOf
	// (SoFarWindows), aggregated as rating aggregates them from the samples of the days up
	// to AsOf only; a window absent had no samples (quantity 0).
	Windows []rating.LineWindow
	SoFar   rating.Usage
	// Rates: each vendor's rate of its latest closed month.
	Rates map[catalog.VendorID]VendorRate
}

// SoFarWindows are the usage windows an estimate as of asOf reads: the window of each
// metered line that starts by asOf, cut at asOf (sorted, without duplicates).
func SoFarWindows(lws []rating.LineWindow, asOf calendar.Date) []rating.UsageWindow {
	seen := map[rating.UsageWindow]bool{}
	var out []rating.UsageWindow
	for _, lw := range lws {
		if w, ok := soFarWindow(lw.Window, asOf); ok && !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// soFarWindow is w cut at asOf; ok is false when w starts after asOf.
func soFarWindow(w rating.UsageWindow, asOf calendar.Date) (rating.UsageWindow, bool) {
	if w.From.After(asOf) {
		return w, false
	}
	w.To = calendar.MinDate(w.To, asOf)
	return w, true
}

// meteredLine says whether l is priced on usage: a metered line, or an unfunded one of a
// metered item (rating notes the usage window of both).
func meteredLine(l rating.Line) bool {
	if l.Kind == rating.KindMetered {
		return true
	}
	for _, r := range rating.ParseNote(l.Note) {
		if r.Code == rating.RemarkWindow {
			return true
		}
	}
	return false
}

type lineKey struct {
	order catalog.OrderID
	from  calendar.Date
}

// BuildEstimate estimates the month of AsOf per vendor and department (docs/year.md,
// "The December estimate"); each line rounded once:
//   - an allocated line (charge, unfunded): its rated daily amounts of the days ≤ AsOf,
//     plus, for the order in service on AsOf, the days after it to the month's end at its
//     configuration on AsOf and the price in force each day (Extend; a change or a
//     termination confirmed for a later day is not anticipated);
//   - a metered line: its quantity so far — its usage window cut at AsOf (SoFar), the
//     samples of the days ≤ AsOf only — × its unit price; for the line in service on AsOf
//     of an item aggregated by sum, plus that amount ÷ its days so far × the days after
//     AsOf to the month's end; an item aggregated otherwise (max, p95, avg,
//     avg_daily_max) takes its aggregate so far as the month's quantity: not extended;
//   - the month's adjustment lines as booked.
//
// The deduction is −round(gross × the vendor's rate of its latest closed month), spread
// over the vendor's departments and funding categories by their gross (money.Allocate).
// The findings name orders in service on AsOf that the month's rating has no line for,
// and lines the current orders and catalog no longer explain (rate the month again).
func BuildEstimate(in EstimateInput) (Estimate, []string) {
	p := in.AsOf.Period()
	est := Estimate{Period: p, AsOf: in.AsOf, Rates: in.Rates}
	if est.Rates == nil {
		est.Rates = map[catalog.VendorID]VendorRate{}
	}
	ins := map[catalog.OrderID]InService{}
	for _, s := range in.InService {
		ins[s.Order] = s
	}
	windows := map[lineKey]rating.UsageWindow{}
	for _, lw := range in.Windows {
		windows[lineKey{lw.Order, lw.From}] = lw.Window
	}
	covered := map[catalog.OrderID]bool{}
	var findings []string
	for _, l := range in.Lines {
		e := EstimateLine{Kind: l.Kind, Department: l.Department, Vendor: l.Vendor, Project: l.Project, Category: l.Category,
			Order: l.Order, Item: l.Item, Zone: l.Zone, ToDate: decimal.Zero, Rest: decimal.Zero}
		s, inService := ins[l.Order]
		coversAsOf := inService && !l.From.After(in.AsOf) && !l.To.Before(in.AsOf)
		w, windowed := windows[lineKey{l.Order, l.From}]
		switch {
		case l.Kind == rating.KindDeduction:
			continue
		case l.Kind == rating.KindAdjustment:
			e.ToDate, e.Note = l.Amount, l.Note
		case meteredLine(l) && l.From.After(in.AsOf):
			continue // its days are all after AsOf: the line in service on AsOf stands for them
		case meteredLine(l) && windowed:
			sw, _ := soFarWindow(w, in.AsOf)
			e.ToDate = rating.Unrounded(true, l.UnitPrice, in.SoFar[sw], 0, 0)
			if coversAsOf {
				covered[l.Order] = true
				left := in.AsOf.DaysUntil(p.Last())
				so := l.From.DaysUntil(in.AsOf) + 1
				if w.Agg == catalog.AggSum && left > 0 && so > 0 {
					e.Rest = e.ToDate.Mul(decimal.NewFromInt(int64(left))).DivRound(decimal.NewFromInt(int64(so)), rating.Places)
				}
			}
		case meteredLine(l):
			findings = append(findings, fmt.Sprintf("order %s: the metered line of %s..%s has no usage window in the current orders and catalog; estimated to date at its rated amount spread over its days: rate %s again", l.Order, l.From, l.To, p))
			for _, d := range l.Daily() {
				if !d.Date.After(in.AsOf) {
					e.ToDate = e.ToDate.Add(d.Amount)
				}
			}
			covered[l.Order] = covered[l.Order] || coversAsOf
		default: // charge, unfunded
			for _, d := range l.Daily() {
				if !d.Date.After(in.AsOf) {
					e.ToDate = e.ToDate.Add(d.Amount)
				}
			}
			if coversAsOf {
				covered[l.Order] = true
				if to := p.Last(); to.After(in.AsOf) {
					rest, ok := Extend(in.Catalog, s, in.AsOf.AddDays(1), to)
					if !ok {
						findings = append(findings, fmt.Sprintf("order %s: item %s has no price in zone %s after %s; estimated to date only", s.Order, s.Item, s.Zone, in.AsOf))
					}
					e.Rest = rest
				}
			}
		}
		if l.Kind != rating.KindAdjustment {
			e.Amount = money.Round(e.ToDate.Add(e.Rest))
		} else {
			e.Amount = l.Amount
		}
		if e.Amount.IsZero() && e.ToDate.IsZero() {
			continue
		}
		est.Lines = append(est.Lines, e)
	}
	for _, s := range in.InService {
		if !covered[s.Order] {
			findings = append(findings, fmt.Sprintf("order %s is in service on %s but the rating of %s has no line for it: rate %s again", s.Order, in.AsOf, p, p))
		}
	}
	est.Lines = append(est.Lines, estimateDeductions(est.Lines, est.Rates)...)
	sortEstimateLines(est.Lines)
	var buf bytes.Buffer
	_ = est.WriteCSV(&buf, "")
	h := sha256.Sum256(buf.Bytes())
	est.Hash = hex.EncodeToString(h[:])
	return est, findings
}

// estimateDeductions: per vendor −round(gross × rate), spread over its departments and
// categories in proportion to their gross.
func estimateDeductions(lines []EstimateLine, rates map[catalog.VendorID]VendorRate) []EstimateLine {
	type group struct {
		d catalog.DepartmentID
		c catalog.ProjectCategory
	}
	gross := map[catalog.VendorID]map[group]decimal.Decimal{}
	for _, l := range lines {
		if !l.Kind.CountsInGross() {
			continue
		}
		if gross[l.Vendor] == nil {
			gross[l.Vendor] = map[group]decimal.Decimal{}
		}
		g := group{l.Department, l.Category}
		gross[l.Vendor][g] = gross[l.Vendor][g].Add(l.Amount)
	}
	vendors := make([]catalog.VendorID, 0, len(gross))
	for v := range gross {
		vendors = append(vendors, v)
	}
	sort.Slice(vendors, func(i, j int) bool { return vendors[i] < vendors[j] })
	var out []EstimateLine
	for _, v := range vendors {
		r, ok := rates[v]
		if !ok || r.Rate.IsZero() {
			continue
		}
		groups := make([]group, 0, len(gross[v]))
		total := decimal.Zero
		for g, a := range gross[v] {
			groups = append(groups, g)
			total = total.Add(a)
		}
		sort.Slice(groups, func(i, j int) bool {
			if groups[i].d != groups[j].d {
				return groups[i].d < groups[j].d
			}
			return groups[i].c < groups[j].c
		})
		weights := make([]decimal.Decimal, len(groups))
		for i, g := range groups {
			weights[i] = gross[v][g]
		}
		ded := money.Round(total.Mul(r.Rate)).Neg()
		note := glossary.FundingText("deduction_note", "rate", r.Rate.Shift(2).StringFixed(2), "from", r.From.String())
		for i, share := range money.Allocate(ded, weights) {
			out = append(out, EstimateLine{Kind: rating.KindDeduction, Department: groups[i].d, Vendor: v, Category: groups[i].c,
				ToDate: decimal.Zero, Rest: decimal.Zero, Amount: share, Note: note})
		}
	}
	return out
}

func sortEstimateLines(ls []EstimateLine) {
	rank := map[rating.Kind]int{rating.KindCharge: 0, rating.KindMetered: 1, rating.KindUnfunded: 2, rating.KindAdjustment: 3, rating.KindDeduction: 4}
	sort.SliceStable(ls, func(i, j int) bool {
		a, b := ls[i], ls[j]
		switch {
		case a.Vendor != b.Vendor:
			return a.Vendor < b.Vendor
		case a.Department != b.Department:
			return a.Department < b.Department
		case rank[a.Kind] != rank[b.Kind]:
			return rank[a.Kind] < rank[b.Kind]
		case a.Project != b.Project:
			return a.Project < b.Project
		case a.Order != b.Order:
			return a.Order < b.Order
		}
		return a.Item < b.Item
	})
}

// Net is the estimated net per vendor (the sum of its lines).
func (e Estimate) Net() map[catalog.VendorID]decimal.Decimal {
	out := map[catalog.VendorID]decimal.Decimal{}
	for _, l := range e.Lines {
		out[l.Vendor] = out[l.Vendor].Add(l.Amount)
	}
	return out
}

// NetByDepartment is the estimated net per vendor and department.
func (e Estimate) NetByDepartment() map[catalog.VendorID]map[catalog.DepartmentID]decimal.Decimal {
	out := map[catalog.VendorID]map[catalog.DepartmentID]decimal.Decimal{}
	for _, l := range e.Lines {
		if out[l.Vendor] == nil {
			out[l.Vendor] = map[catalog.DepartmentID]decimal.Decimal{}
		}
		out[l.Vendor][l.Department] = out[l.Vendor][l.Department].Add(l.Amount)
	}
	return out
}

// estimateHeader is the CSV header of an estimate (docs/formats.md).
var estimateHeader = []string{"period", "as_of", "estimate", "vendor_id", "department_id", "project_id", "category", "order_id", "item_code",
	"zone", "kind", "to_date", "rest", "amount", "note"}

// WriteCSV writes the lines of vendor v ("" every vendor), one row each, marked 预估 in
// the estimate column; the amounts add up to the vendor's estimated net.
func (e Estimate) WriteCSV(w interface{ Write([]byte) (int, error) }, v catalog.VendorID) error {
	cw := csvout.NewWriter(w)
	if err := cw.Write(estimateHeader); err != nil {
		return err
	}
	for _, l := range e.Lines {
		if v != "" && l.Vendor != v {
			continue
		}
		if err := cw.Write([]string{e.Period.String(), e.AsOf.String(), Label("estimate"), string(l.Vendor), string(l.Department), string(l.Project),
			string(l.Category), string(l.Order), string(l.Item), string(l.Zone), string(l.Kind), l.ToDate.StringFixed(6), l.Rest.StringFixed(6),
			money.Plain(l.Amount), glossary.Note(l.Note)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// EstimateInfo records an issued estimate: its id, month, analysis date, when and by whom
// it was issued, its content hash, line count, total and the rates it applied.
type EstimateInfo struct {
	ID       string
	Period   calendar.Period
	AsOf     calendar.Date
	IssuedAt time.Time
	IssuedBy string
	Hash     string
	Lines    int
	Total    decimal.Decimal
	Rates    map[catalog.VendorID]VendorRate
}
