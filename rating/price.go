package rating

import (
	"fmt"
	"sort"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
)

// Places is the number of decimal places of unrounded amounts (lines and days). The
// prorated amount price × quantity × days ÷ days_in_month is rounded half up to this many
// places; a whole month is exactly price × quantity.
const Places = 18

// QuantityPlaces is the precision of metered quantities: each sample value counts to the
// nearest millionth; avg and avg_daily_max are rounded half up to millionths.
const QuantityPlaces = 6

// UsageWindow names the quantity of one metered line: the aggregation Agg of metric Metric
// of resource Resource over the local days [From, To], of the samples that count for
// Vendor, the order's vendor. A sample counts only for its own vendor: its source is
// Vendor, or names no vendor (empty, or an operator's provenance such as a file name);
// a sample whose source is another vendor's id is left out (and named, UsageAnomalies).
type UsageWindow struct {
	Resource catalog.ResourceID
	Metric   string
	Agg      catalog.Agg
	From, To calendar.Date
	Vendor   catalog.VendorID
}

func (w UsageWindow) String() string {
	s := fmt.Sprintf("%s of %s/%s %s..%s", w.Agg, w.Resource, w.Metric, w.From, w.To)
	if w.Vendor != "" {
		s += " for " + string(w.Vendor)
	}
	return s
}

// Usage holds the quantities of usage windows. A window absent from the map had no
// samples: its quantity is 0.
type Usage map[UsageWindow]decimal.Decimal

// Input is everything that prices one month. It is read, never modified.
type Input struct {
	Period      calendar.Period
	Catalog     catalog.Catalog
	Org         catalog.Org
	Events      []catalog.Event // every order's events, each order's in confirmation order
	Acceptances []catalog.Acceptance
	Rules       Rules
	Usage       Usage
}

// Priced is the result of pricing one month.
type Priced struct {
	Lines      []Line // sorted (SortLines)
	Deductions []VendorDeduction
	Pending    []catalog.VendorID
	Exceptions []string
}

// piece is one stretch of an order's segment inside the month priced by one catalog
// version.
type piece struct {
	seg     catalog.Segment
	from    calendar.Date
	to      calendar.Date
	version calendar.Date
	item    catalog.Item
	price   decimal.Decimal
}

// pieces cuts every order's timeline at the month's bounds and at catalog versions.
// Problems that leave days unpriced are returned as exceptions (sorted).
func pieces(p calendar.Period, cat catalog.Catalog, events []catalog.Event) ([]piece, []string) {
	var out []piece
	var exc []string
	for _, evs := range byOrder(events) {
		order := evs[0].Order
		segs, err := catalog.Timeline(evs, p.Last())
		if err != nil {
			exc = append(exc, fmt.Sprintf("order %s not rated: %v", order, err))
			continue
		}
		for _, s := range segs {
			if s.To.Before(p.First()) {
				continue
			}
			from := calendar.MaxDate(s.From, p.First())
			stretches := cat.Split(from, s.To)
			if len(stretches) == 0 || stretches[0].From.After(from) {
				exc = append(exc, fmt.Sprintf("order %s: days from %s have no catalog version in force, not rated", order, from))
			}
			for _, st := range stretches {
				it, ok := st.Version.Items[s.Item]
				if !ok {
					exc = append(exc, fmt.Sprintf("order %s: item %s is not in the catalog version of %s, days %s..%s not rated", order, s.Item, st.Version.Effective, st.From, st.To))
					continue
				}
				price, ok := it.Price(s.Zone)
				if !ok {
					exc = append(exc, fmt.Sprintf("order %s: item %s is not offered in zone %s (catalog version of %s), days %s..%s not rated", order, s.Item, s.Zone, st.Version.Effective, st.From, st.To))
					continue
				}
				out = append(out, piece{seg: s, from: st.From, to: st.To, version: st.Version.Effective, item: it, price: price})
			}
		}
	}
	sort.Strings(exc)
	return out, exc
}

// byOrder groups events by order, keeping each order's events in their given order.
func byOrder(events []catalog.Event) [][]catalog.Event {
	idx := make([]int, len(events))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return events[idx[a]].Order < events[idx[b]].Order })
	var out [][]catalog.Event
	for i, k := range idx {
		if i == 0 || events[k].Order != events[idx[i-1]].Order {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], events[k])
	}
	return out
}

// window is the usage window of a metered piece; ok is false for an allocated one.
func (pc piece) window() (UsageWindow, bool) {
	if pc.item.Billing != catalog.Metered {
		return UsageWindow{}, false
	}
	return UsageWindow{Resource: pc.seg.ResourceID, Metric: pc.item.MeterMetric, Agg: pc.item.MeterAgg, From: pc.from, To: pc.to, Vendor: pc.seg.Vendor}, true
}

// Windows lists the usage windows that pricing month p needs, sorted and without
// duplicates: one per metered (order segment, catalog version) inside the month.
func Windows(p calendar.Period, cat catalog.Catalog, events []catalog.Event) []UsageWindow {
	ps, _ := pieces(p, cat, events)
	return windowsOf(ps)
}

// LineWindow is the usage window a metered line of a month is priced on, with what
// identifies the line among the month's: its order and first day (an order's lines in a
// month never share a first day).
type LineWindow struct {
	Order  catalog.OrderID
	From   calendar.Date
	Window UsageWindow
}

// LineWindows lists the usage window of every metered line that pricing month p makes
// (orders without a resource_id have none: their quantity is 0), sorted by order and day.
func LineWindows(p calendar.Period, cat catalog.Catalog, events []catalog.Event) []LineWindow {
	ps, _ := pieces(p, cat, events)
	var out []LineWindow
	for _, pc := range ps {
		if w, ok := pc.window(); ok && w.Resource != "" {
			out = append(out, LineWindow{Order: pc.seg.Order, From: pc.from, Window: w})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Order != out[j].Order {
			return out[i].Order < out[j].Order
		}
		return out[i].From.Before(out[j].From)
	})
	return out
}

func windowsOf(ps []piece) []UsageWindow {
	seen := map[UsageWindow]bool{}
	var out []UsageWindow
	for _, pc := range ps {
		if w, ok := pc.window(); ok && w.Resource != "" && !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	sort.Slice(out, func(i, j int) bool { return windowLess(out[i], out[j]) })
	return out
}

func windowLess(a, b UsageWindow) bool {
	switch {
	case a.Resource != b.Resource:
		return a.Resource < b.Resource
	case a.Metric != b.Metric:
		return a.Metric < b.Metric
	case a.Agg != b.Agg:
		return a.Agg < b.Agg
	case a.From != b.From:
		return a.From.Before(b.From)
	case a.To != b.To:
		return a.To.Before(b.To)
	}
	return a.Vendor < b.Vendor
}

// Price rates one month from its inputs: a line per (order segment, catalog version) in
// the month, the vendors' deductions and their department lines. It is pure and
// deterministic: the same Input gives the same Priced.
func Price(in Input) Priced {
	ps, exc := pieces(in.Period, in.Catalog, in.Events)
	return price(in, ps, exc)
}

// price is Price on pieces already cut (and their exceptions, which it extends).
func price(in Input, ps []piece, exc []string) Priced {
	p := in.Period
	exc = append([]string(nil), exc...)
	var out Priced
	unfunded := map[catalog.OrderID]string{}
	for _, pc := range ps {
		cfg := pc.seg.Config
		days := pc.from.DaysUntil(pc.to) + 1
		l := Line{
			Period: p, Kind: KindCharge, Department: cfg.Department, Vendor: cfg.Vendor, Project: cfg.Project,
			Order: pc.seg.Order, Item: cfg.Item, Zone: cfg.Zone, Mode: pc.item.Mode,
			From: pc.from, To: pc.to, Days: days, DaysInMonth: p.Days(),
			UnitPrice: pc.price, CatalogVersion: pc.version,
		}
		if l.Mode == "" {
			l.Mode = catalog.ModeShared
		}
		var notes []Remark
		if cfg.ResourceType != "" {
			notes = append(notes, AdaptedRemark(cfg.ResourceType))
		}
		if w, ok := pc.window(); ok {
			l.Kind = KindMetered
			if w.Resource == "" {
				exc = append(exc, fmt.Sprintf("order %s: metered item %s but no resource_id: quantity 0", l.Order, l.Item))
			}
			l.Quantity = in.Usage[w]
			l.Unrounded = Unrounded(true, pc.price, l.Quantity, days, p.Days())
			notes = append(notes, WindowRemark(w))
		} else {
			l.Quantity = cfg.Quantity
			l.Unrounded = Unrounded(false, pc.price, cfg.Quantity, days, p.Days())
		}
		l.Amount = money.Round(l.Unrounded)
		if why := outOfBounds(l); why != "" {
			// one impossible record must not fail the month (nor reach a Decimal column
			// it would overflow): it is left out, named, for someone to correct
			exc = append(exc, fmt.Sprintf("order %s: item %s, days %s..%s excluded: %s", l.Order, l.Item, l.From, l.To, why))
			continue
		}
		proj, ok := in.Org.Projects[catalog.ProjectKey{ID: cfg.Project, Year: p.Year}]
		l.Category = catalog.FundingCategory(proj.Category, cfg.Portion)
		if !ok || !proj.Approved {
			why, code := fmt.Sprintf("project %s is not on the %d list", cfg.Project, p.Year), UnfundedNotListed
			if ok {
				why, code = fmt.Sprintf("project %s is not approved for %d", cfg.Project, p.Year), UnfundedNotApproved
			}
			notes = append(notes, UnfundedRemark(l.Kind, cfg.Project, p.Year, code))
			unfunded[l.Order] = why
			l.Kind = KindUnfunded
		}
		l.Note = EncodeNote(notes)
		out.Lines = append(out.Lines, l)
	}
	for o, why := range unfunded {
		exc = append(exc, fmt.Sprintf("order %s unfunded: %s", o, why))
	}
	ded, dlines, pending := deductions(in, out.Lines)
	out.Lines = append(out.Lines, dlines...)
	out.Deductions, out.Pending = ded, pending
	for _, v := range pending {
		exc = append(exc, fmt.Sprintf("vendor %s: no acceptance record for %s, deduction pending", v, p))
	}
	sort.Strings(exc)
	out.Exceptions = exc
	SortLines(out.Lines)
	return out
}

// Unrounded is the one proration rule of a rated line, before the fen: price × quantity
// for a metered line, price × quantity × days ÷ daysInMonth for an allocated one, rounded
// half up to Places decimals. Rating prices every line with it; reconciliation recomputes
// a vendor's claim with it, and the fixtures build their lines with it. A daysInMonth of 0
// or less means no proration.
func Unrounded(metered bool, price, quantity decimal.Decimal, days, daysInMonth int) decimal.Decimal {
	a := price.Mul(quantity)
	if metered || daysInMonth <= 0 {
		return a.Round(Places)
	}
	return a.Mul(decimal.NewFromInt(int64(days))).DivRound(decimal.NewFromInt(int64(daysInMonth)), Places)
}

// Bounds of one rated line (docs/security.md). Imports refuse prices and quantities that
// could pass them (the catalog's largest price and quantity, the metric ranges of
// metering); a line beyond them comes from data stored before those bounds, and is
// excluded as an exception instead of failing the month.
var (
	maxLineAmount   = decimal.New(1, 16) // CNY
	maxLineQuantity = decimal.New(1, 20)
)

// outOfBounds says why l cannot be a statement line, or "".
func outOfBounds(l Line) string {
	switch {
	case l.Amount.Abs().GreaterThan(maxLineAmount):
		return fmt.Sprintf("amount %s (quantity %s × unit price %s) is beyond the %s a line may hold", l.Amount, l.Quantity, l.UnitPrice, maxLineAmount)
	case l.Quantity.Abs().GreaterThan(maxLineQuantity):
		return fmt.Sprintf("quantity %s is beyond the %s a line may hold", l.Quantity, maxLineQuantity)
	case l.Quantity.IsNegative():
		return fmt.Sprintf("quantity %s is negative", l.Quantity)
	}
	return ""
}

type depCat struct {
	dep catalog.DepartmentID
	cat catalog.ProjectCategory
}

// deductions assesses every vendor with lines or an acceptance record in the month and
// allocates each deduction over the vendor's (department, funding category) pairs by
// their share of its gross, the fen residue by largest remainder.
func deductions(in Input, lines []Line) ([]VendorDeduction, []Line, []catalog.VendorID) {
	p := in.Period
	gross := map[catalog.VendorID]map[depCat]decimal.Decimal{}
	for _, l := range lines {
		if !l.Kind.CountsInGross() {
			continue
		}
		m := gross[l.Vendor]
		if m == nil {
			m = map[depCat]decimal.Decimal{}
			gross[l.Vendor] = m
		}
		k := depCat{l.Department, l.Category}
		m[k] = m[k].Add(l.Amount)
	}
	acc := map[catalog.VendorID]*catalog.Acceptance{}
	for i := range in.Acceptances {
		a := in.Acceptances[i]
		if a.Period == p {
			acc[a.Vendor] = &a
		}
	}
	vendors := map[catalog.VendorID]bool{}
	for v := range gross {
		vendors[v] = true
	}
	for v := range acc {
		vendors[v] = true
	}
	ids := make([]catalog.VendorID, 0, len(vendors))
	for v := range vendors {
		ids = append(ids, v)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	var out []VendorDeduction
	var dl []Line
	var pending []catalog.VendorID
	for _, v := range ids {
		total := decimal.Zero
		for _, g := range gross[v] {
			total = total.Add(g)
		}
		vd := in.Rules.Assess(p, v, acc[v], total)
		out = append(out, vd)
		if vd.Pending {
			if total.Sign() != 0 {
				pending = append(pending, v)
			}
			continue
		}
		if vd.Deduction.IsZero() {
			continue
		}
		dl = append(dl, allocate(p, vd, gross[v])...)
	}
	return out, dl, pending
}

// allocate spreads vd.Deduction over the groups by their share of vd.Gross with
// money.Allocate (largest remainder; ties: department, then category). The lines sum to
// vd.Deduction exactly. A line's Quantity is its base (the group's gross) and its
// UnitPrice the negated rate; it carries no note: the tiers are data in vd, and the
// glossary puts them into words where a line is shown.
func allocate(p calendar.Period, vd VendorDeduction, groups map[depCat]decimal.Decimal) []Line {
	keys := make([]depCat, 0, len(groups))
	for k, g := range groups {
		if g.Sign() > 0 {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].dep != keys[j].dep {
			return keys[i].dep < keys[j].dep
		}
		return keys[i].cat < keys[j].cat
	})
	weights := make([]decimal.Decimal, len(keys))
	positive := false
	for i, k := range keys {
		weights[i] = groups[k].Truncate(money.Fen)
		positive = positive || weights[i].Sign() > 0
	}
	if !positive {
		return nil
	}
	shares := money.Allocate(vd.Deduction, weights)
	var out []Line
	for i, k := range keys {
		amount := shares[i]
		exact := vd.Deduction.Mul(groups[k]).DivRound(vd.Gross, Places)
		out = append(out, Line{
			Period: p, Kind: KindDeduction, Department: k.dep, Vendor: vd.Vendor, Category: k.cat,
			From: p.First(), To: p.Last(), DaysInMonth: p.Days(),
			Quantity: groups[k], UnitPrice: vd.Rate.Neg(), Unrounded: exact, Amount: amount,
		})
	}
	return out
}

// SortLines orders lines deterministically: department, vendor, kind, order, item,
// from, catalog version, corrected month and kind, category, project, zone, mode, note,
// amount.
func SortLines(ls []Line) {
	idx := make([]int, len(ls))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return lineLess(&ls[idx[i]], &ls[idx[j]]) })
	sorted := make([]Line, len(ls))
	for i, k := range idx {
		sorted[i] = ls[k]
	}
	copy(ls, sorted)
}

func lineLess(a, b *Line) bool {
	switch {
	case a.Department != b.Department:
		return a.Department < b.Department
	case a.Vendor != b.Vendor:
		return a.Vendor < b.Vendor
	case a.Kind != b.Kind:
		return a.Kind < b.Kind
	case a.Order != b.Order:
		return a.Order < b.Order
	case a.Item != b.Item:
		return a.Item < b.Item
	case a.From != b.From:
		return a.From.Before(b.From)
	case a.CatalogVersion != b.CatalogVersion:
		return a.CatalogVersion.Before(b.CatalogVersion)
	case a.Corrects != b.Corrects:
		return a.Corrects.Before(b.Corrects)
	case a.CorrectsKind != b.CorrectsKind:
		return a.CorrectsKind < b.CorrectsKind
	case a.Category != b.Category:
		return a.Category < b.Category
	case a.Project != b.Project:
		return a.Project < b.Project
	case a.Zone != b.Zone:
		return a.Zone < b.Zone
	case a.Mode != b.Mode:
		return a.Mode < b.Mode
	case a.Note != b.Note:
		return a.Note < b.Note
	}
	return a.Amount.LessThan(b.Amount)
}

// Daily is the per-day detail of a priced line (charge, metered, unfunded; none for
// deductions and adjustments): every day but the last gets Unrounded ÷ Days truncated to
// Places decimals, the last day the rest, so the days add up to Unrounded exactly.
func (l Line) Daily() []Day {
	if !l.Kind.CountsInGross() || l.Days <= 0 {
		return nil
	}
	each := l.DailyAmount()
	out := make([]Day, l.Days)
	for i := range out {
		amt := each
		if i == l.Days-1 {
			amt = l.Unrounded.Sub(each.Mul(decimal.NewFromInt(int64(l.Days - 1))))
		}
		out[i] = Day{Period: l.Period, Date: l.From.AddDays(i), Department: l.Department, Vendor: l.Vendor,
			Project: l.Project, Order: l.Order, Item: l.Item, Kind: l.Kind, Quantity: l.Quantity,
			UnitPrice: l.UnitPrice, Amount: amt}
	}
	return out
}

// DailyAmount is the amount of each day of the line but the last (see Daily).
func (l Line) DailyAmount() decimal.Decimal {
	if l.Days <= 0 {
		return decimal.Zero
	}
	q, _ := l.Unrounded.QuoRem(decimal.NewFromInt(int64(l.Days)), Places)
	return q
}
