package catalog

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/internal/calendar"
	"cloudbill/internal/coded"
	"cloudbill/internal/csvin"
)

// catalogColumns are the columns of a catalog file (docs/formats.md).
var catalogColumns = csvin.Spec{
	Required: []string{"code", "name", "category", "unit", "billing", "price_internet", "price_extranet"},
	Optional: []string{"meter_metric", "meter_agg", "mode"},
}

// AdaptationColumns returns the columns of an adaptations file (docs/formats.md).
func AdaptationColumns() csvin.Spec {
	return csvin.Spec{
		Required: []string{"resource_type", "item_code"},
		Optional: []string{"note"},
	}
}

var categoryName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// ParseVersion reads a catalog file as the version in force from effective. Rules: code
// unique and without spaces; name and unit non-empty; category a lower-case word
// (compute, storage, network, …); billing allocated or metered; each price a plain
// non-negative decimal or empty (not offered in that zone), at least one zone priced;
// metered items name meter_metric and meter_agg (sum, max, avg, p95, avg_daily_max),
// allocated items leave them empty; mode shared (default), dedicated, hosting or
// baremetal. Every error is returned, as csvin.Errors.
func ParseVersion(f File, effective calendar.Date) (Version, error) {
	v, _, err := parseVersion(f, effective)
	return v, err
}

func parseVersion(f File, effective calendar.Date) (Version, *rowReader, error) {
	rr := &rowReader{key: keyOf("item", "code")}
	v := Version{Effective: effective, Items: map[ItemCode]Item{}}
	rr.read(f, catalogColumns, func(row csvin.Row) {
		code, okCode := rr.id(row, "code")
		it := Item{Code: ItemCode(code), Source: rr.source(row), Prices: map[Zone]decimal.Decimal{}}
		if okCode {
			if prev, dup := v.Items[it.Code]; dup {
				rr.coded(row, "code", csvin.CodeItemTwice, append([]string{"item", code}, rr.at(prev.Source)...)...)
				okCode = false
			}
		}
		it.Name, _ = rr.required(row, "name")
		it.Unit, _ = rr.required(row, "unit")
		if c, ok := rr.required(row, "category"); ok {
			if categoryName.MatchString(c) {
				it.Category = c
			} else {
				rr.coded(row, "category", csvin.CodeCategoryName, "value", c)
			}
		}
		if b, ok := rr.required(row, "billing"); ok && rr.oneOf(row, "billing", b, string(Allocated), string(Metered)) {
			it.Billing = Billing(b)
		}
		priced := false
		for _, z := range []struct {
			col  string
			zone Zone
		}{{"price_internet", ZoneInternet}, {"price_extranet", ZoneExtranet}} {
			s := row.Get(z.col)
			if s == "" {
				continue
			}
			priced = true
			if p, ok := rr.decimalValue(row, z.col, s); ok && rr.atMost(row, z.col, p, maxPrice, csvin.CodePriceTooLarge) {
				it.Prices[z.zone] = p
			}
		}
		if !priced {
			rr.coded(row, "price_internet", csvin.CodeItemNoPrice, "item", code)
		}
		it.MeterMetric = row.Get("meter_metric")
		agg := row.Get("meter_agg")
		switch it.Billing {
		case Metered:
			if it.MeterMetric == "" {
				rr.coded(row, "meter_metric", csvin.CodeMeteredMetric)
			}
			if agg == "" {
				rr.coded(row, "meter_agg", csvin.CodeMeteredAgg)
			} else if rr.oneOf(row, "meter_agg", agg, string(AggSum), string(AggMax), string(AggAvg), string(AggP95), string(AggAvgDailyMax)) {
				it.MeterAgg = Agg(agg)
			}
		case Allocated:
			if it.MeterMetric != "" {
				rr.coded(row, "meter_metric", csvin.CodeAllocatedMetric, "value", it.MeterMetric)
			}
			if agg != "" {
				rr.coded(row, "meter_agg", csvin.CodeAllocatedAgg, "value", agg)
			}
		}
		it.Mode = ModeShared
		if m := row.Get("mode"); m != "" && rr.oneOf(row, "mode", m, string(ModeShared), string(ModeDedicated), string(ModeHosting), string(ModeBareMetal)) {
			it.Mode = Mode(m)
		}
		if okCode {
			v.Items[it.Code] = it
		}
	})
	if rr.rows == 0 && len(rr.errs) == 0 {
		rr.errs = append(rr.errs, csvin.Coded(f.Name, 0, "", csvin.CodeCatalogEmpty))
	}
	if len(rr.errs) > 0 {
		return Version{}, rr, rr.errs
	}
	return v, rr, nil
}

// sameItems reports whether two versions hold the same items (provenance aside).
func sameItems(a, b Version) bool {
	if len(a.Items) != len(b.Items) {
		return false
	}
	for code, x := range a.Items {
		y, ok := b.Items[code]
		if !ok || !sameItem(x, y) {
			return false
		}
	}
	return true
}

func sameItem(x, y Item) bool {
	if x.Code != y.Code || x.Name != y.Name || x.Category != y.Category || x.Unit != y.Unit ||
		x.Billing != y.Billing || x.MeterMetric != y.MeterMetric || x.MeterAgg != y.MeterAgg || x.Mode != y.Mode ||
		len(x.Prices) != len(y.Prices) {
		return false
	}
	for z, p := range x.Prices {
		q, ok := y.Prices[z]
		if !ok || !p.Equal(q) {
			return false
		}
	}
	return true
}

// CatalogReader reads the stored catalog.
type CatalogReader interface {
	Catalog(ctx context.Context) (Catalog, error)
}

// VersionStore stores catalog versions.
type VersionStore interface {
	CatalogReader
	// InsertVersion stores v (items with their provenance) and records imp, atomically
	// enough that a version is never seen half stored.
	InsertVersion(ctx context.Context, imp Import, v Version) error
}

// VersionInput is a catalog file with the date its version takes effect.
type VersionInput struct {
	File      File
	Effective calendar.Date
	Now       time.Time
}

// ImportVersion validates a catalog file and stores it as the version in force from
// in.Effective. The same file with the same date again stores nothing (Present); a file
// with other content for a date that already has a version replaces that version
// (a correction: days are priced by the latest import for each effective date, and closed
// months are adjusted by rating). A refused file stores nothing and returns csvin.Errors.
func ImportVersion(ctx context.Context, st VersionStore, in VersionInput) (Report, error) {
	if in.Effective.IsZero() {
		return Report{}, fmt.Errorf("catalog import %s: no effective date", in.File.Name)
	}
	v, rr, err := parseVersion(in.File, in.Effective)
	if err != nil {
		return Report{}, err
	}
	cat, err := st.Catalog(ctx)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Read: rr.rows}
	replaced := false
	for _, old := range cat.Versions {
		if old.Effective == in.Effective {
			if sameItems(old, v) {
				rep.Present = len(v.Items)
				rep.Import.ID = old.ImportID
				return rep, nil
			}
			replaced = true
		}
	}
	imp := newImport("catalog", in.File.Name, rr.digest(), in.Now)
	imp.Rows = len(v.Items)
	imp.Note = coded.Text(NoteEffective, "date", in.Effective.String())
	if replaced {
		imp.Note = coded.Text(NoteEffective, "date", in.Effective.String(), "replaces", "1")
		rep.Replaced = len(v.Items)
	}
	v.ImportID = imp.ID
	for code, it := range v.Items {
		setImport(&it.Source, imp.ID)
		v.Items[code] = it
	}
	if err := st.InsertVersion(ctx, imp, v); err != nil {
		return Report{}, fmt.Errorf("store catalog version %s: %w", in.Effective, err)
	}
	rep.Import = imp
	rep.Accepted = len(v.Items)
	return rep, nil
}

// AdaptationStore stores adaptations.
type AdaptationStore interface {
	CatalogReader
	InsertAdaptations(ctx context.Context, imp Import, as []Adaptation) error
}

// ImportAdaptations validates an adaptations file (resource_type unique and without
// spaces, item_code an item of some stored catalog version) and stores the rows that are
// new or map a type differently from before (the latest mapping is used for events
// imported afterwards; events already stored keep the item they were adapted to).
func ImportAdaptations(ctx context.Context, st AdaptationStore, f File, now time.Time) (Report, error) {
	cat, err := st.Catalog(ctx)
	if err != nil {
		return Report{}, err
	}
	known := map[ItemCode]bool{}
	for _, v := range cat.Versions {
		for c := range v.Items {
			known[c] = true
		}
	}
	rr := &rowReader{key: keyOf("resource type", "resource_type")}
	var out []Adaptation
	seen := map[string]Source{}
	rep := Report{}
	rr.read(f, AdaptationColumns(), func(row csvin.Row) {
		rt, okType := rr.id(row, "resource_type")
		code, okCode := rr.id(row, "item_code")
		if okType {
			if prev, dup := seen[rt]; dup {
				rr.coded(row, "resource_type", csvin.CodeResourceTypeTwice, append([]string{"type", rt}, rr.at(prev)...)...)
				okType = false
			}
			seen[rt] = rr.source(row)
		}
		if okCode && !known[ItemCode(code)] {
			if len(cat.Versions) == 0 {
				rr.coded(row, "item_code", csvin.CodeAdaptNoCatalog, "item", code)
			} else {
				rr.coded(row, "item_code", csvin.CodeAdaptUnknownItem, "item", code)
			}
			okCode = false
		}
		if !okType || !okCode {
			return
		}
		a := Adaptation{ResourceType: rt, Item: ItemCode(code), Note: row.Get("note"), Source: rr.source(row)}
		if old, ok := cat.Adaptations[rt]; ok {
			if old.Item == a.Item && old.Note == a.Note {
				rep.Present++
				return
			}
			rep.Replaced++
		}
		out = append(out, a)
	})
	return commit(rr, rep, "adaptations", f.Name, now, out, func(a *Adaptation) *Source { return &a.Source },
		func(imp Import, rows []Adaptation) error { return st.InsertAdaptations(ctx, imp, rows) })
}
