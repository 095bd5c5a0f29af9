package gen

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/internal/csvin"
)

// Dataset is a generated dataset read back into the types of package catalog, for tests
// (property tests of timelines and rating on generated data) and for Check. Load reads
// the files with csvin, as an importer would, but checks nothing beyond the syntax.
type Dataset struct {
	Dir        string
	Manifest   Manifest
	Catalog    catalog.Catalog
	Org        catalog.Org
	Orders     []catalog.OrderID                   // in order of first appearance in the events file
	Events     map[catalog.OrderID][]catalog.Event // each order's events in file order (by date)
	Acceptance []catalog.Acceptance
}

// Load reads the dataset in dir (its manifest, master data, orders and acceptance; not
// the samples, which CheckSamples streams).
func Load(dir string) (*Dataset, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	ds := &Dataset{Dir: dir, Manifest: m, Events: map[catalog.OrderID][]catalog.Event{}}
	ds.Catalog.Adaptations = map[string]catalog.Adaptation{}
	ds.Org = catalog.Org{
		Departments: map[catalog.DepartmentID]catalog.Department{},
		Projects:    map[catalog.ProjectKey]catalog.Project{},
		Vendors:     map[catalog.VendorID]catalog.Vendor{},
	}
	for _, cf := range m.Catalogs {
		v := catalog.Version{Effective: cf.Effective, ImportID: cf.File, Items: map[catalog.ItemCode]catalog.Item{}}
		err := readRows(dir, cf.File, []string{"code", "name", "category", "unit", "billing", "price_internet", "price_extranet"},
			[]string{"meter_metric", "meter_agg", "mode"}, func(r csvin.Row) error {
				it := catalog.Item{
					Code: catalog.ItemCode(r.Get("code")), Name: r.Get("name"), Category: r.Get("category"),
					Unit: r.Get("unit"), Billing: catalog.Billing(r.Get("billing")),
					Prices:      map[catalog.Zone]decimal.Decimal{},
					MeterMetric: r.Get("meter_metric"), MeterAgg: catalog.Agg(r.Get("meter_agg")),
					Mode: catalog.Mode(r.Get("mode")),
				}
				for z, c := range map[catalog.Zone]string{catalog.ZoneInternet: "price_internet", catalog.ZoneExtranet: "price_extranet"} {
					if s := r.Get(c); s != "" {
						p, err := decimal.NewFromString(s)
						if err != nil {
							return r.Errorf(c, "price %q is not a decimal", s)
						}
						it.Prices[z] = p
					}
				}
				v.Items[it.Code] = it
				return nil
			})
		if err != nil {
			return nil, err
		}
		ds.Catalog.Versions = append(ds.Catalog.Versions, v)
	}
	ds.Catalog.Sort()
	if err := readRows(dir, m.Adaptations, []string{"resource_type", "item_code"}, []string{"note"}, func(r csvin.Row) error {
		a := catalog.Adaptation{ResourceType: r.Get("resource_type"), Item: catalog.ItemCode(r.Get("item_code")), Note: r.Get("note")}
		ds.Catalog.Adaptations[a.ResourceType] = a
		return nil
	}); err != nil {
		return nil, err
	}
	if err := readRows(dir, m.Departments, []string{"id", "name"}, []string{"parent_id"}, func(r csvin.Row) error {
		d := catalog.Department{ID: catalog.DepartmentID(r.Get("id")), Name: r.Get("name"), Parent: catalog.DepartmentID(r.Get("parent_id"))}
		ds.Org.Departments[d.ID] = d
		return nil
	}); err != nil {
		return nil, err
	}
	if err := readRows(dir, m.Projects, ProjectsHeader, nil, func(r csvin.Row) error {
		year, err := strconv.Atoi(r.Get("year"))
		if err != nil {
			return r.Errorf("year", "year %q is not a number", r.Get("year"))
		}
		approved, err := strconv.ParseBool(r.Get("approved"))
		if err != nil {
			return r.Errorf("approved", "%q is not true or false", r.Get("approved"))
		}
		p := catalog.Project{
			ID: catalog.ProjectID(r.Get("id")), Name: r.Get("name"), Department: catalog.DepartmentID(r.Get("department_id")),
			Year: year, Category: catalog.ProjectCategory(r.Get("category")), Approved: approved,
		}
		ds.Org.Projects[catalog.ProjectKey{ID: p.ID, Year: p.Year}] = p
		return nil
	}); err != nil {
		return nil, err
	}
	if err := readRows(dir, m.Vendors, VendorsHeader, nil, func(r csvin.Row) error {
		v := catalog.Vendor{ID: catalog.VendorID(r.Get("id")), Name: r.Get("name")}
		ds.Org.Vendors[v.ID] = v
		return nil
	}); err != nil {
		return nil, err
	}
	if err := readRows(dir, m.Orders, OrdersHeader[:9], OrdersHeader[9:], func(r csvin.Row) error {
		date, err := calendar.ParseDate(r.Get("effective_date"))
		if err != nil {
			return r.Errorf("effective_date", "%v", err)
		}
		q, err := decimal.NewFromString(r.Get("quantity"))
		if err != nil {
			return r.Errorf("quantity", "quantity %q is not a decimal", r.Get("quantity"))
		}
		e := catalog.Event{
			Order: catalog.OrderID(r.Get("order_id")), Kind: catalog.EventKind(r.Get("event")), Effective: date,
			Config: catalog.Config{
				Department: catalog.DepartmentID(r.Get("department_id")), Project: catalog.ProjectID(r.Get("project_id")),
				Vendor: catalog.VendorID(r.Get("vendor_id")), Zone: catalog.Zone(r.Get("zone")),
				Item: catalog.ItemCode(r.Get("item_code")), Quantity: q, ResourceID: catalog.ResourceID(r.Get("resource_id")),
				ResourceType: r.Get("resource_type"), Portion: catalog.Portion(r.Get("portion")),
			},
			Source: catalog.Source{ImportID: m.Orders, File: m.Orders, Line: r.Line},
		}
		if e.Item == "" {
			e.Item = ds.Catalog.Adaptations[e.ResourceType].Item // "" when not adaptable: Check reports it
		}
		if _, ok := ds.Events[e.Order]; !ok {
			ds.Orders = append(ds.Orders, e.Order)
		}
		ds.Events[e.Order] = append(ds.Events[e.Order], e)
		return nil
	}); err != nil {
		return nil, err
	}
	if err := readRows(dir, m.Acceptance, AcceptanceHeader[:3], AcceptanceHeader[3:], func(r csvin.Row) error {
		p, err := calendar.ParsePeriod(r.Get("period"))
		if err != nil {
			return r.Errorf("period", "%v", err)
		}
		a := catalog.Acceptance{Vendor: catalog.VendorID(r.Get("vendor_id")), Period: p, Result: catalog.AcceptanceResult(r.Get("result"))}
		if s := r.Get("score"); s != "" {
			d, err := decimal.NewFromString(s)
			if err != nil {
				return r.Errorf("score", "%q is not a decimal", s)
			}
			a.Score = &d
		}
		if s := r.Get("availability"); s != "" {
			d, err := decimal.NewFromString(s)
			if err != nil {
				return r.Errorf("availability", "%q is not a decimal", s)
			}
			a.Availability = &d
		}
		if s := r.Get("security_valid_until"); s != "" {
			d, err := calendar.ParseDate(s)
			if err != nil {
				return r.Errorf("security_valid_until", "%v", err)
			}
			a.SecurityValidUntil = &d
		}
		ds.Acceptance = append(ds.Acceptance, a)
		return nil
	}); err != nil {
		return nil, err
	}
	return ds, nil
}

func readRows(dir, name string, required, optional []string, row func(csvin.Row) error) error {
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := csvin.Open(name, f, csvin.Spec{Required: required, Optional: optional})
	if err != nil {
		return err
	}
	for {
		rw, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := row(rw); err != nil {
			return err
		}
	}
}

// problems collects what Check finds, keeping the first few dozen.
type problems struct{ errs []error }

func (p *problems) addf(format string, args ...any) {
	if len(p.errs) < 50 {
		p.errs = append(p.errs, fmt.Errorf(format, args...))
	}
}

func (p *problems) err() error { return errors.Join(p.errs...) }

// Segments are the order's in-service segments up to the dataset's period end
// (catalog.Timeline of its events).
func (ds *Dataset) Segments(id catalog.OrderID) ([]catalog.Segment, error) {
	return catalog.Timeline(ds.Events[id], ds.Manifest.Period.Last())
}

// Check verifies what an importer will demand of the master data and orders, and what
// the generator promises: references exist; departments' parents exist and are top-level;
// event sequences are valid (catalog.Timeline) and dated from January 1 of the period's
// year to the period's end; every event's item (after adaptation) exists and is offered
// in the order's zone in every catalog version; quantities are positive; the project is
// on the list of the event's year and belongs to the order's department or its parent;
// portions only on renovation projects; each order names one resource, no resource
// belongs to two orders; one acceptance record per vendor for the period. It returns
// every problem found (up to 50), nil when there is none.
func (ds *Dataset) Check() error {
	var p problems
	m := ds.Manifest
	if len(ds.Catalog.Versions) < 2 {
		p.addf("catalog: %d versions, want a base and a mid-month version", len(ds.Catalog.Versions))
	}
	for id, d := range ds.Org.Departments {
		if d.Parent == "" {
			continue
		}
		parent, ok := ds.Org.Departments[d.Parent]
		switch {
		case !ok:
			p.addf("department %s: parent %s does not exist", id, d.Parent)
		case parent.Parent != "":
			p.addf("department %s: parent %s is itself subordinate", id, d.Parent)
		}
	}
	for k, pr := range ds.Org.Projects {
		if _, ok := ds.Org.Departments[pr.Department]; !ok {
			p.addf("project %s: department %s does not exist", k.ID, pr.Department)
		}
		switch pr.Category {
		case catalog.CategoryOM, catalog.CategoryNew, catalog.CategoryRenovation:
		default:
			p.addf("project %s: category %q", k.ID, pr.Category)
		}
	}
	yearStart := calendar.Date{Year: m.Period.Year, Month: time.January, Day: 1}
	owner := map[catalog.ResourceID]catalog.OrderID{}
	for _, id := range ds.Orders {
		evs := ds.Events[id]
		if _, err := ds.Segments(id); err != nil {
			p.addf("%v", err)
		}
		for _, e := range evs {
			at := fmt.Sprintf("order %s %s on %s (line %d)", id, e.Kind, e.Effective, e.Source.Line)
			if e.Effective.Before(yearStart) || e.Effective.After(m.Period.Last()) {
				p.addf("%s: date outside %s … %s", at, yearStart, m.Period.Last())
			}
			dep, ok := ds.Org.Departments[e.Department]
			if !ok {
				p.addf("%s: department %s does not exist", at, e.Department)
			}
			if _, ok := ds.Org.Vendors[e.Vendor]; !ok {
				p.addf("%s: vendor %s does not exist", at, e.Vendor)
			}
			pr, ok := ds.Org.Projects[catalog.ProjectKey{ID: e.Project, Year: e.Effective.Year}]
			switch {
			case !ok:
				p.addf("%s: project %s is not on the %d list", at, e.Project, e.Effective.Year)
			case pr.Department != e.Department && pr.Department != dep.Parent:
				p.addf("%s: project %s belongs to %s, neither the order's department %s nor its parent", at, e.Project, pr.Department, e.Department)
			case e.Portion != "" && pr.Category != catalog.CategoryRenovation:
				p.addf("%s: portion %q on a %s project", at, e.Portion, pr.Category)
			case pr.Category == catalog.CategoryRenovation && e.Portion != catalog.PortionStock && e.Portion != catalog.PortionNew:
				p.addf("%s: renovation project without portion stock or new", at)
			}
			if e.Item == "" {
				p.addf("%s: resource type %q is not adapted", at, e.ResourceType)
			}
			for _, v := range ds.Catalog.Versions {
				it, ok := v.Items[e.Item]
				if !ok {
					p.addf("%s: item %s not in catalog version %s", at, e.Item, v.Effective)
					continue
				}
				if _, ok := it.Price(e.Zone); !ok {
					p.addf("%s: item %s not offered in zone %s (catalog version %s)", at, e.Item, e.Zone, v.Effective)
				}
			}
			if !e.Quantity.IsPositive() {
				p.addf("%s: quantity %s is not positive", at, e.Quantity)
			}
			if e.ResourceID == "" {
				p.addf("%s: no resource_id", at)
			} else if o, ok := owner[e.ResourceID]; ok && o != id {
				p.addf("%s: resource %s also belongs to order %s", at, e.ResourceID, o)
			} else {
				owner[e.ResourceID] = id
			}
			if e.ResourceID != evs[0].ResourceID || e.Zone != evs[0].Zone || e.Vendor != evs[0].Vendor || e.Department != evs[0].Department {
				p.addf("%s: resource, zone, vendor or department differ from the open", at)
			}
		}
	}
	seen := map[catalog.VendorID]bool{}
	for _, a := range ds.Acceptance {
		if a.Period != m.Period {
			p.addf("acceptance of %s: period %s, want %s", a.Vendor, a.Period, m.Period)
		}
		if _, ok := ds.Org.Vendors[a.Vendor]; !ok {
			p.addf("acceptance: vendor %s does not exist", a.Vendor)
		}
		if seen[a.Vendor] {
			p.addf("acceptance: vendor %s twice", a.Vendor)
		}
		seen[a.Vendor] = true
	}
	if len(seen) != len(ds.Org.Vendors) {
		p.addf("acceptance: %d vendors with a record, %d vendors", len(seen), len(ds.Org.Vendors))
	}
	return p.err()
}

// SampleStats is what CheckSamples saw.
type SampleStats struct {
	Samples   int
	Resources int
	ByMetric  map[string]int
	NDJSON    int // samples read from NDJSON files
}

// CheckSamples streams every sample file of the manifest and verifies: each sample names
// a resource of an order with a metric its item reports (cpu_util and mem_util for
// compute and database items, disk_used_gb for allocated storage, the meter metric for
// metered items); its timestamp is RFC 3339 inside the period, on a day the order is in
// service; the value is finite, not negative, at most 100 for a percentage; no identity
// (resource_id, metric, ts) twice; every in-service day of a metered order has samples
// of its meter metric; the count matches the manifest.
func (ds *Dataset) CheckSamples() (SampleStats, error) {
	var p problems
	st := SampleStats{ByMetric: map[string]int{}}
	type res struct {
		order   catalog.OrderID
		metrics map[string]bool
		days    map[calendar.Date]bool
		meter   string
	}
	v0 := ds.Catalog.Versions[0]
	resources := map[string]*res{}
	for _, id := range ds.Orders {
		segs, err := ds.Segments(id)
		if err != nil {
			return st, err
		}
		e := ds.Events[id][0]
		it := v0.Items[e.Item]
		r := &res{order: id, metrics: map[string]bool{}, days: map[calendar.Date]bool{}}
		switch {
		case it.Billing == catalog.Metered:
			r.metrics[it.MeterMetric] = true
			r.meter = it.MeterMetric
		case it.Category == "compute" || it.Category == "database":
			r.metrics["cpu_util"], r.metrics["mem_util"] = true, true
		case it.Category == "storage":
			r.metrics["disk_used_gb"] = true
		}
		for _, s := range segs {
			for d := s.From; !d.After(s.To); d = d.AddDays(1) {
				if ds.Manifest.Period.Contains(d) {
					r.days[d] = true
				}
			}
		}
		resources[string(e.ResourceID)] = r
	}
	type key struct{ res, metric, ts string }
	seen := map[key]bool{}
	meterDays := map[string]map[calendar.Date]bool{}
	withSamples := map[string]bool{}
	start, end := ds.Manifest.Period.Start(), ds.Manifest.Period.End()
	sample := func(file string, line int, rid, metric, ts string, value float64) {
		at := fmt.Sprintf("%s:%d", file, line)
		st.Samples++
		st.ByMetric[metric]++
		r, ok := resources[rid]
		if !ok {
			p.addf("%s: resource %q belongs to no order", at, rid)
			return
		}
		withSamples[rid] = true
		if !r.metrics[metric] {
			p.addf("%s: resource %s (order %s) does not report %s", at, rid, r.order, metric)
		}
		t, err := time.Parse(time.RFC3339, ts)
		if err != nil {
			p.addf("%s: ts %q is not RFC 3339", at, ts)
			return
		}
		if t.Before(start) || !t.Before(end) {
			p.addf("%s: ts %s outside the period", at, ts)
		}
		d := calendar.LocalDate(t)
		if !r.days[d] {
			p.addf("%s: resource %s reports on %s, a day order %s is not in service", at, rid, d, r.order)
		}
		if math.IsNaN(value) || math.IsInf(value, 0) || value < 0 || (strings.HasSuffix(metric, "_util") && value > 100) {
			p.addf("%s: value %v out of range for %s", at, value, metric)
		}
		k := key{rid, metric, ts}
		if seen[k] {
			p.addf("%s: sample %s %s %s twice", at, rid, metric, ts)
		}
		seen[k] = true
		if metric == r.meter {
			if meterDays[rid] == nil {
				meterDays[rid] = map[calendar.Date]bool{}
			}
			meterDays[rid][d] = true
		}
	}
	for _, name := range ds.Manifest.Samples {
		var err error
		if strings.HasSuffix(name, ".ndjson") {
			before := st.Samples
			err = readNDJSON(ds.Dir, name, sample)
			st.NDJSON += st.Samples - before
		} else {
			err = readRows(ds.Dir, name, SamplesHeader[:4], SamplesHeader[4:], func(r csvin.Row) error {
				v, err := strconv.ParseFloat(r.Get("value"), 64)
				if err != nil {
					return r.Errorf("value", "%q is not a number", r.Get("value"))
				}
				sample(name, r.Line, r.Get("resource_id"), r.Get("metric"), r.Get("ts"), v)
				return nil
			})
		}
		if err != nil {
			return st, err
		}
	}
	for rid, r := range resources {
		if r.meter == "" {
			continue
		}
		for d := range r.days {
			if !meterDays[rid][d] {
				p.addf("metered order %s (resource %s): no %s sample on %s, a day in service", r.order, rid, r.meter, d)
			}
		}
	}
	st.Resources = len(withSamples)
	if st.Samples != ds.Manifest.Counts.Samples {
		p.addf("samples: %d read, manifest says %d", st.Samples, ds.Manifest.Counts.Samples)
	}
	return st, p.err()
}

func readNDJSON(dir, name string, sample func(file string, line int, rid, metric, ts string, value float64)) error {
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		var s struct {
			ResourceID string      `json:"resource_id"`
			Metric     string      `json:"metric"`
			TS         string      `json:"ts"`
			Value      json.Number `json:"value"`
			Source     string      `json:"source"`
		}
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			return fmt.Errorf("%s:%d: %w", name, line, err)
		}
		v, err := s.Value.Float64()
		if err != nil {
			return fmt.Errorf("%s:%d: value: %w", name, line, err)
		}
		sample(name, line, s.ResourceID, s.Metric, s.TS, v)
	}
	return sc.Err()
}
