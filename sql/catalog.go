package chstore

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
)

// The Store is the storage of catalog imports.
var (
	_ catalog.VersionStore    = (*Store)(nil)
	_ catalog.AdaptationStore = (*Store)(nil)
	_ catalog.OrgStore        = (*Store)(nil)
	_ catalog.EventStore      = (*Store)(nil)
	_ catalog.AcceptanceStore = (*Store)(nil)
)

// batch appends rows to one INSERT and sends it as a single block (one block is
// inserted whole or not at all).
func (s *Store) batch(ctx context.Context, insert string, n int, row func(i int) []any) error {
	if n == 0 {
		return nil
	}
	return s.retry(ctx, func() error {
		b, err := s.conn.PrepareBatch(ctx, insert)
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			if err := b.Append(row(i)...); err != nil {
				_ = b.Abort()
				return err
			}
		}
		return b.Send()
	})
}

// recordImport writes the imports row of an accepted file (last, after its facts).
func (s *Store) recordImport(ctx context.Context, imp catalog.Import) error {
	return s.insertRow(ctx, "INSERT INTO imports (import_id, kind, file, sha256, rows, imported_at, note)",
		imp.ID, imp.Kind, imp.File, imp.SHA256, uint64(imp.Rows), imp.At.UTC(), imp.Note)
}

// Imports lists the recorded imports of kind ("" for all), oldest first.
func (s *Store) Imports(ctx context.Context, kind string) ([]catalog.Import, error) {
	q, args := importsQuery(kind)
	rows, err := s.conn.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read imports: %w", err)
	}
	defer rows.Close()
	var out []catalog.Import
	for rows.Next() {
		var im catalog.Import
		var n uint64
		if err := rows.Scan(&im.ID, &im.Kind, &im.File, &im.SHA256, &n, &im.At, &im.Note); err != nil {
			return nil, fmt.Errorf("read imports: %w", err)
		}
		im.Rows = int(n)
		out = append(out, im)
	}
	return out, rows.Err()
}

func importsQuery(kind string) (string, []any) {
	q := "SELECT import_id, kind, file, sha256, rows, imported_at, note FROM imports"
	var args []any
	if kind != "" {
		q += " WHERE kind = ?"
		args = append(args, kind)
	}
	return q + " ORDER BY imported_at, import_id", args
}

func dateOf(t time.Time) calendar.Date { return calendar.DateOf(t) }

func src(importID, file string, line uint32) catalog.Source {
	return catalog.Source{ImportID: importID, File: file, Line: int(line)}
}

// InsertVersion stores a catalog version: its items, then the version row that makes
// them visible, then the import record.
func (s *Store) InsertVersion(ctx context.Context, imp catalog.Import, v catalog.Version) error {
	items := make([]catalog.Item, 0, len(v.Items))
	for _, it := range v.Items {
		items = append(items, it)
	}
	eff := v.Effective.Time()
	err := s.batch(ctx, `INSERT INTO catalog_items (effective, import_id, import_seq, code, name, category, unit, billing,
has_internet, price_internet, has_extranet, price_extranet, meter_metric, meter_agg, mode, file, line, imported_at)`, len(items), func(i int) []any {
		it := items[i]
		pi, hi := it.Price(catalog.ZoneInternet)
		pe, he := it.Price(catalog.ZoneExtranet)
		return []any{eff, imp.ID, imp.Seq(), string(it.Code), it.Name, it.Category, it.Unit, string(it.Billing),
			flag(hi), pi, flag(he), pe, it.MeterMetric, string(it.MeterAgg), string(it.Mode), it.Source.File, uint32(it.Source.Line), imp.At}
	})
	if err != nil {
		return fmt.Errorf("insert catalog items: %w", err)
	}
	if err := s.insertRow(ctx, "INSERT INTO catalog_versions (effective, import_id, import_seq, items, file, imported_at)",
		eff, imp.ID, imp.Seq(), uint32(len(items)), imp.File, imp.At); err != nil {
		return fmt.Errorf("insert catalog version: %w", err)
	}
	return s.recordImport(ctx, imp)
}

func flag(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// Catalog is every catalog version, ascending by effective date (for each date, the
// version of the latest import), with the adaptations in force (the latest row per
// resource type).
func (s *Store) Catalog(ctx context.Context) (catalog.Catalog, error) {
	cat := catalog.Catalog{Adaptations: map[string]catalog.Adaptation{}}
	// the latest import for each effective date
	rows, err := s.conn.Query(ctx, `SELECT effective, argMax(import_id, import_seq) FROM catalog_versions GROUP BY effective ORDER BY effective`)
	if err != nil {
		return cat, fmt.Errorf("read catalog versions: %w", err)
	}
	byImport := map[string]int{}
	for rows.Next() {
		var eff time.Time
		var id string
		if err := rows.Scan(&eff, &id); err != nil {
			rows.Close()
			return cat, fmt.Errorf("read catalog versions: %w", err)
		}
		byImport[id] = len(cat.Versions) // import ids are unique: one version each
		cat.Versions = append(cat.Versions, catalog.Version{Effective: dateOf(eff), ImportID: id, Items: map[catalog.ItemCode]catalog.Item{}})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return cat, fmt.Errorf("read catalog versions: %w", err)
	}
	if len(cat.Versions) > 0 {
		rows, err := s.conn.Query(ctx, `SELECT import_id, code, name, category, unit, billing, has_internet, price_internet,
has_extranet, price_extranet, meter_metric, meter_agg, mode, file, line FROM catalog_items
WHERE import_id IN (SELECT argMax(import_id, import_seq) FROM catalog_versions GROUP BY effective)`)
		if err != nil {
			return cat, fmt.Errorf("read catalog items: %w", err)
		}
		for rows.Next() {
			var (
				id, code, billing, agg, mode, file string
				hi, he                             uint8
				pi, pe                             decimal.Decimal
				line                               uint32
				it                                 catalog.Item
			)
			if err := rows.Scan(&id, &code, &it.Name, &it.Category, &it.Unit, &billing, &hi, &pi, &he, &pe,
				&it.MeterMetric, &agg, &mode, &file, &line); err != nil {
				rows.Close()
				return cat, fmt.Errorf("read catalog items: %w", err)
			}
			it.Code, it.Billing, it.MeterAgg, it.Mode = catalog.ItemCode(code), catalog.Billing(billing), catalog.Agg(agg), catalog.Mode(mode)
			it.Prices = map[catalog.Zone]decimal.Decimal{}
			if hi == 1 {
				it.Prices[catalog.ZoneInternet] = pi
			}
			if he == 1 {
				it.Prices[catalog.ZoneExtranet] = pe
			}
			it.Source = src(id, file, line)
			cat.Versions[byImport[id]].Items[it.Code] = it
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return cat, fmt.Errorf("read catalog items: %w", err)
		}
	}
	rows, err = s.conn.Query(ctx, `SELECT resource_type, item_code, note, import_id, file, line FROM catalog_adaptations ORDER BY import_seq, line`)
	if err != nil {
		return cat, fmt.Errorf("read adaptations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a catalog.Adaptation
		var code, id, file string
		var line uint32
		if err := rows.Scan(&a.ResourceType, &code, &a.Note, &id, &file, &line); err != nil {
			return cat, fmt.Errorf("read adaptations: %w", err)
		}
		a.Item = catalog.ItemCode(code)
		a.Source = src(id, file, line)
		cat.Adaptations[a.ResourceType] = a // later imports replace earlier ones
	}
	cat.Sort()
	return cat, rows.Err()
}

// InsertAdaptations stores adaptation rows and records the import.
func (s *Store) InsertAdaptations(ctx context.Context, imp catalog.Import, as []catalog.Adaptation) error {
	err := s.batch(ctx, "INSERT INTO catalog_adaptations (resource_type, item_code, note, import_id, import_seq, file, line, imported_at)", len(as), func(i int) []any {
		a := as[i]
		return []any{a.ResourceType, string(a.Item), a.Note, imp.ID, imp.Seq(), a.Source.File, uint32(a.Source.Line), imp.At}
	})
	if err != nil {
		return fmt.Errorf("insert adaptations: %w", err)
	}
	return s.recordImport(ctx, imp)
}

// InsertOrg stores the new or changed departments, projects and vendors of one import and
// records it.
func (s *Store) InsertOrg(ctx context.Context, imp catalog.Import, ch catalog.OrgChanges) error {
	err := s.batch(ctx, "INSERT INTO departments (id, name, parent_id, import_id, import_seq, file, line, imported_at)", len(ch.Departments), func(i int) []any {
		d := ch.Departments[i]
		return []any{string(d.ID), d.Name, string(d.Parent), imp.ID, imp.Seq(), d.Source.File, uint32(d.Source.Line), imp.At}
	})
	if err != nil {
		return fmt.Errorf("insert departments: %w", err)
	}
	err = s.batch(ctx, "INSERT INTO projects (id, year, name, department_id, category, approved, import_id, import_seq, file, line, imported_at)", len(ch.Projects), func(i int) []any {
		p := ch.Projects[i]
		return []any{string(p.ID), uint16(p.Year), p.Name, string(p.Department), string(p.Category), flag(p.Approved), imp.ID, imp.Seq(), p.Source.File, uint32(p.Source.Line), imp.At}
	})
	if err != nil {
		return fmt.Errorf("insert projects: %w", err)
	}
	err = s.batch(ctx, "INSERT INTO vendors (id, name, import_id, import_seq, file, line, imported_at)", len(ch.Vendors), func(i int) []any {
		v := ch.Vendors[i]
		return []any{string(v.ID), v.Name, imp.ID, imp.Seq(), v.Source.File, uint32(v.Source.Line), imp.At}
	})
	if err != nil {
		return fmt.Errorf("insert vendors: %w", err)
	}
	return s.recordImport(ctx, imp)
}

// Org is the organisation in force: for each department, project (id and year) and
// vendor, the entry of its latest import.
func (s *Store) Org(ctx context.Context) (catalog.Org, error) {
	org := catalog.Org{
		Departments: map[catalog.DepartmentID]catalog.Department{},
		Projects:    map[catalog.ProjectKey]catalog.Project{},
		Vendors:     map[catalog.VendorID]catalog.Vendor{},
	}
	err := s.scan(ctx, "SELECT id, name, parent_id, import_id, file, line FROM departments ORDER BY import_seq, line", func(r driver.Rows) error {
		var d catalog.Department
		var id, parent, imp, file string
		var line uint32
		if err := r.Scan(&id, &d.Name, &parent, &imp, &file, &line); err != nil {
			return err
		}
		d.ID, d.Parent, d.Source = catalog.DepartmentID(id), catalog.DepartmentID(parent), src(imp, file, line)
		org.Departments[d.ID] = d
		return nil
	})
	if err != nil {
		return org, fmt.Errorf("read departments: %w", err)
	}
	err = s.scan(ctx, "SELECT id, year, name, department_id, category, approved, import_id, file, line FROM projects ORDER BY import_seq, line", func(r driver.Rows) error {
		var p catalog.Project
		var id, dep, cat, imp, file string
		var year uint16
		var approved uint8
		var line uint32
		if err := r.Scan(&id, &year, &p.Name, &dep, &cat, &approved, &imp, &file, &line); err != nil {
			return err
		}
		p.ID, p.Year, p.Department, p.Category, p.Approved = catalog.ProjectID(id), int(year), catalog.DepartmentID(dep), catalog.ProjectCategory(cat), approved == 1
		p.Source = src(imp, file, line)
		org.Projects[catalog.ProjectKey{ID: p.ID, Year: p.Year}] = p
		return nil
	})
	if err != nil {
		return org, fmt.Errorf("read projects: %w", err)
	}
	err = s.scan(ctx, "SELECT id, name, import_id, file, line FROM vendors ORDER BY import_seq, line", func(r driver.Rows) error {
		var v catalog.Vendor
		var id, imp, file string
		var line uint32
		if err := r.Scan(&id, &v.Name, &imp, &file, &line); err != nil {
			return err
		}
		v.ID, v.Source = catalog.VendorID(id), src(imp, file, line)
		org.Vendors[v.ID] = v
		return nil
	})
	if err != nil {
		return org, fmt.Errorf("read vendors: %w", err)
	}
	return org, nil
}

// scan runs a query without arguments and calls each for every row.
func (s *Store) scan(ctx context.Context, q string, each func(driver.Rows) error, args ...any) error {
	rows, err := s.conn.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// InsertEvents stores work-order events (one block) and records the import.
func (s *Store) InsertEvents(ctx context.Context, imp catalog.Import, es []catalog.Event) error {
	err := s.batch(ctx, `INSERT INTO order_events (order_id, kind, effective_date, department_id, project_id, vendor_id, zone,
item_code, quantity, resource_id, resource_type, portion, late, import_id, import_seq, file, line, imported_at)`, len(es), func(i int) []any {
		e := es[i]
		c := e.Config
		return []any{string(e.Order), string(e.Kind), e.Effective.Time(), string(c.Department), string(c.Project), string(c.Vendor), string(c.Zone),
			string(c.Item), c.Quantity, string(c.ResourceID), c.ResourceType, string(c.Portion), flag(e.Late),
			imp.ID, imp.Seq(), e.Source.File, uint32(e.Source.Line), imp.At}
	})
	if err != nil {
		return fmt.Errorf("insert order events: %w", err)
	}
	return s.recordImport(ctx, imp)
}

// OrderEvents is every stored work-order event, sorted by order id, effective date, then
// import order (and file order within an import). Config.Item is the catalog item the
// event was adapted to at import; a terminate carries the configuration in force.
func (s *Store) OrderEvents(ctx context.Context) ([]catalog.Event, error) {
	var out []catalog.Event
	err := s.scan(ctx, `SELECT order_id, kind, effective_date, department_id, project_id, vendor_id, zone, item_code, quantity,
resource_id, resource_type, portion, late, import_id, file, line
FROM order_events ORDER BY order_id, effective_date, import_seq, line`, func(r driver.Rows) error {
		var (
			e                                                             catalog.Event
			order, kind, dep, proj, vendor, zone, item, res, portion, imp string
			file                                                          string
			eff                                                           time.Time
			late                                                          uint8
			line                                                          uint32
		)
		if err := r.Scan(&order, &kind, &eff, &dep, &proj, &vendor, &zone, &item, &e.Quantity, &res, &e.ResourceType, &portion, &late, &imp, &file, &line); err != nil {
			return err
		}
		e.Order, e.Kind, e.Effective = catalog.OrderID(order), catalog.EventKind(kind), dateOf(eff)
		e.Department, e.Project, e.Vendor = catalog.DepartmentID(dep), catalog.ProjectID(proj), catalog.VendorID(vendor)
		e.Zone, e.Item, e.ResourceID, e.Portion = catalog.Zone(zone), catalog.ItemCode(item), catalog.ResourceID(res), catalog.Portion(portion)
		e.Late = late == 1
		e.Source = src(imp, file, line)
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read order events: %w", err)
	}
	return out, nil
}

// ClosedPeriods lists the closed months, oldest first.
func (s *Store) ClosedPeriods(ctx context.Context) ([]calendar.Period, error) {
	closes, err := s.Closes(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]calendar.Period, len(closes))
	for i, c := range closes {
		out[i] = c.Period
	}
	return out, nil
}

// InsertAcceptances stores acceptance records and records the import.
func (s *Store) InsertAcceptances(ctx context.Context, imp catalog.Import, as []catalog.Acceptance) error {
	err := s.batch(ctx, `INSERT INTO acceptances (vendor_id, period, result, has_score, score, has_availability, availability,
has_security, security_valid_until, import_id, import_seq, file, line, imported_at)`, len(as), func(i int) []any {
		a := as[i]
		var score, avail decimal.Decimal
		if a.Score != nil {
			score = *a.Score
		}
		if a.Availability != nil {
			avail = *a.Availability
		}
		sec := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
		if a.SecurityValidUntil != nil {
			sec = a.SecurityValidUntil.Time()
		}
		return []any{string(a.Vendor), a.Period.Key(), string(a.Result), flag(a.Score != nil), score, flag(a.Availability != nil), avail,
			flag(a.SecurityValidUntil != nil), sec, imp.ID, imp.Seq(), a.Source.File, uint32(a.Source.Line), imp.At}
	})
	if err != nil {
		return fmt.Errorf("insert acceptance records: %w", err)
	}
	return s.recordImport(ctx, imp)
}

// Acceptances is the record in force (the latest import) of each vendor for month p,
// sorted by vendor.
func (s *Store) Acceptances(ctx context.Context, p calendar.Period) ([]catalog.Acceptance, error) {
	q, args := acceptancesQuery(&p)
	return s.acceptances(ctx, q, args)
}

// AllAcceptances is the record in force of every vendor and month, sorted by vendor and month.
func (s *Store) AllAcceptances(ctx context.Context) ([]catalog.Acceptance, error) {
	q, args := acceptancesQuery(nil)
	return s.acceptances(ctx, q, args)
}

func acceptancesQuery(p *calendar.Period) (string, []any) {
	q := `SELECT vendor_id, period, result, has_score, score, has_availability, availability, has_security, security_valid_until,
import_id, file, line FROM acceptances`
	var args []any
	if p != nil {
		q += " WHERE period = ?"
		args = append(args, p.Key())
	}
	return q + " ORDER BY vendor_id, period, import_seq, line", args
}

func (s *Store) acceptances(ctx context.Context, q string, args []any) ([]catalog.Acceptance, error) {
	var out []catalog.Acceptance
	err := s.scan(ctx, q, func(r driver.Rows) error {
		var (
			a                    catalog.Acceptance
			vendor, res, imp, fl string
			period, line         uint32
			hs, ha, hsec         uint8
			score, avail         decimal.Decimal
			sec                  time.Time
		)
		if err := r.Scan(&vendor, &period, &res, &hs, &score, &ha, &avail, &hsec, &sec, &imp, &fl, &line); err != nil {
			return err
		}
		a.Vendor, a.Period, a.Result = catalog.VendorID(vendor), calendar.PeriodOfKey(period), catalog.AcceptanceResult(res)
		if hs == 1 {
			a.Score = &score
		}
		if ha == 1 {
			a.Availability = &avail
		}
		if hsec == 1 {
			d := dateOf(sec)
			a.SecurityValidUntil = &d
		}
		a.Source = src(imp, fl, line)
		// rows of one vendor and month come oldest first: the latest replaces
		if n := len(out); n > 0 && out[n-1].Vendor == a.Vendor && out[n-1].Period == a.Period {
			out[n-1] = a
		} else {
			out = append(out, a)
		}
		return nil
	}, args...)
	if err != nil {
		return nil, fmt.Errorf("read acceptance records: %w", err)
	}
	return out, nil
}
