package idle

import (
	"context"
	"fmt"
	"time"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
)

// Skipped counts the work orders of a vCPU or memory item in service on the analysis date
// that could not be analysed.
type Skipped struct {
	// NoResource: the order names no resource_id, so no sample can be its.
	NoResource int `json:"no_resource_id"`
	// NoPrice: the item has no price in force on the date in the order's zone.
	NoPrice int `json:"no_price"`
}

// Resources lists the resources to analyse on date: every work order in service that day
// (opened, not terminated) whose item in force is a vCPU or memory item (KindOf), with
// its configuration that day, the unit price in force that day in its zone, the
// department's 主管部门, and the quantities in force over the window. events must be
// sorted by order and effective date (as OrderEvents returns them).
func Resources(events []catalog.Event, cat catalog.Catalog, org catalog.Org, date calendar.Date) ([]Resource, Skipped, error) {
	var out []Resource
	var sk Skipped
	ver, ok := cat.InForce(date)
	if !ok {
		return nil, sk, fmt.Errorf("no catalog version in force on %s", date)
	}
	from, to := Window(date)
	for i := 0; i < len(events); {
		j := i
		for j < len(events) && events[j].Order == events[i].Order {
			j++
		}
		es := events[i:j]
		i = j
		if !QuantityOn(es, date).IsPositive() {
			continue
		}
		var cfg catalog.Config
		for _, e := range es {
			if !e.Effective.After(date) {
				cfg = e.Config
			}
		}
		it, ok := ver.Items[cfg.Item]
		if !ok {
			continue
		}
		kind, ok := KindOf(it)
		if !ok {
			continue
		}
		if cfg.ResourceID == "" {
			sk.NoResource++
			continue
		}
		price, ok := it.Price(cfg.Zone)
		if !ok {
			sk.NoPrice++
			continue
		}
		r := Resource{Order: es[0].Order, Resource: cfg.ResourceID, Department: cfg.Department, Parent: org.ParentOf(cfg.Department),
			Kind: kind, Item: cfg.Item, Zone: cfg.Zone, Vendor: cfg.Vendor, Project: cfg.Project, Allocated: cfg.Quantity, UnitPrice: price}
		r.Spans = spans(es, from, to)
		out = append(out, r)
	}
	return out, sk, nil
}

// spans are the runs of days of [from, to] with one positive quantity in force.
func spans(es []catalog.Event, from, to calendar.Date) []Span {
	var out []Span
	for d := from; !d.After(to); d = d.AddDays(1) {
		q := QuantityOn(es, d)
		if !q.IsPositive() {
			continue
		}
		if n := len(out); n > 0 && out[n-1].To == d.AddDays(-1) && out[n-1].Quantity.Equal(q) {
			out[n-1].To = d
			continue
		}
		out = append(out, Span{From: d, To: d, Quantity: q})
	}
	return out
}

// Reader is what an analysis reads.
type Reader interface {
	catalog.CatalogReader
	catalog.OrgReader
	OrderEvents(ctx context.Context) ([]catalog.Event, error)
	// IdleConfig is every imported redundancy ratio version.
	IdleConfig(ctx context.Context) (Config, error)
	// MeasureIdle computes in ClickHouse the measure of every resource over the window
	// [from, to] (Asia/Shanghai days), keyed by order.
	MeasureIdle(ctx context.Context, from, to calendar.Date, rs []Resource) (map[catalog.OrderID]Measure, error)
}

// Result is an analysis with what was left out and how long the measure took.
type Result struct {
	Analysis
	Skipped Skipped
	// MeasureTime is the time of the ClickHouse measure.
	MeasureTime time.Duration
}

// Run analyses date: the resources from the stored work orders and catalog, their
// measures from ClickHouse, the ratios from the stored configuration.
func Run(ctx context.Context, st Reader, date calendar.Date, interval Seconds) (Result, error) {
	cat, err := st.Catalog(ctx)
	if err != nil {
		return Result{}, err
	}
	org, err := st.Org(ctx)
	if err != nil {
		return Result{}, err
	}
	events, err := st.OrderEvents(ctx)
	if err != nil {
		return Result{}, err
	}
	cfg, err := st.IdleConfig(ctx)
	if err != nil {
		return Result{}, err
	}
	rs, sk, err := Resources(events, cat, org, date)
	if err != nil {
		return Result{}, fmt.Errorf("idle analysis of %s: %w", date, err)
	}
	from, to := Window(date)
	started := time.Now()
	ms, err := st.MeasureIdle(ctx, from, to, rs)
	if err != nil {
		return Result{}, fmt.Errorf("idle analysis of %s: %w", date, err)
	}
	took := time.Since(started)
	a, err := Analyze(Input{Date: date, SampleInterval: interval, Resources: rs, Measures: ms, Config: cfg})
	if err != nil {
		return Result{}, err
	}
	return Result{Analysis: a, Skipped: sk, MeasureTime: took}, nil
}
