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

// importInsert records an accepted file in imports (last, after its facts).
type importInsert struct{ imp catalog.Import }

func (q importInsert) toSQL() (string, []any) {
	return "INSERT INTO imports (import_id, kind, file, sha256, rows, imported_at, note)",
		[]any{q.imp.ID, q.imp.Kind, q.imp.File, q.imp.SHA256, uint64(q.imp.Rows), q.imp.At.UTC(), q.imp.Note}
}

// recordImport writes the imports row of an accepted file (last, after its facts).
func (s *Store) recordImport(ctx context.Context, imp catalog.Import) error {
	return s.insertOne(ctx, importInsert{imp})
}

// Imports lists the recorded imports of kind ("" for all), oldest first.
func (s *Store) Imports(ctx context.Context, kind string) ([]catalog.Import, error) {
	out, err := runQuery(ctx, s.conn, importsQuery{kind: kind})
	if err != nil {
		return nil, fmt.Errorf("read imports: %w", err)
	}
	return out, nil
}

// importsQuery reads the recorded imports of kind ("" for all), oldest first.
type importsQuery struct{ kind string }

func (q importsQuery) toSQL() (string, []any) {
	sql := "SELECT import_id, kind, file, sha256, rows, imported_at, note FROM imports"
	var args []any
	if q.kind != "" {
		sql += " WHERE kind = ?"
		args = append(args, q.kind)
	}
	return sql + " ORDER BY imported_at, import_id", args
}

func (importsQuery) scan(rows driver.Rows) ([]catalog.Import, error) {
	var out []catalog.Import
	for rows.Next() {
		var im catalog.Import
		var n uint64
		if err := rows.Scan(&im.ID, &im.Kind, &im.File, &im.SHA256, &n, &im.At, &im.Note); err != nil {
			return nil, err
		}
		im.Rows = int(n)
		out = append(out, im)
	}
	return out, rows.Err()
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
	if err := s.insertBlock(ctx, catalogItemsInsert{imp: imp, effective: v.Effective, items: items}); err != nil {
		return fmt.Errorf("insert catalog items: %w", err)
	}
	if err := s.insertOne(ctx, catalogVersionInsert{imp: imp, effective: v.Effective, items: len(items)}); err != nil {
		return fmt.Errorf("insert catalog version: %w", err)
	}
	return s.recordImport(ctx, imp)
}

// catalogItemsInsert stores the items of a catalog version.
type catalogItemsInsert struct {
	imp       catalog.Import
	effective calendar.Date
	items     []catalog.Item
}

func (catalogItemsInsert) toSQL() string {
	return `INSERT INTO catalog_items (effective, import_id, import_seq, code, name, category, unit, billing,
has_internet, price_internet, has_extranet, price_extranet, meter_metric, meter_agg, mode, file, line, imported_at)`
}

func (q catalogItemsInsert) rows() int { return len(q.items) }

func (q catalogItemsInsert) row(i int) []any {
	it := q.items[i]
	pi, hi := it.Price(catalog.ZoneInternet)
	pe, he := it.Price(catalog.ZoneExtranet)
	return []any{q.effective.Time(), q.imp.ID, q.imp.Seq(), string(it.Code), it.Name, it.Category, it.Unit, string(it.Billing),
		flag(hi), pi, flag(he), pe, it.MeterMetric, string(it.MeterAgg), string(it.Mode), it.Source.File, uint32(it.Source.Line), q.imp.At}
}

// catalogVersionInsert records a catalog version (after its items: the row makes them
// visible).
type catalogVersionInsert struct {
	imp       catalog.Import
	effective calendar.Date
	items     int
}

func (q catalogVersionInsert) toSQL() (string, []any) {
	return "INSERT INTO catalog_versions (effective, import_id, import_seq, items, file, imported_at)",
		[]any{q.effective.Time(), q.imp.ID, q.imp.Seq(), uint32(q.items), q.imp.File, q.imp.At}
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
	versions, err := runQuery(ctx, s.conn, catalogVersionsQuery{})
	if err != nil {
		return cat, fmt.Errorf("read catalog versions: %w", err)
	}
	cat.Versions = versions
	byImport := map[string]int{}
	for i, v := range versions {
		byImport[v.ImportID] = i // import ids are unique: one version each
	}
	if len(cat.Versions) > 0 {
		items, err := runQuery(ctx, s.conn, catalogItemsQuery{})
		if err != nil {
			return cat, fmt.Errorf("read catalog items: %w", err)
		}
		for _, it := range items {
			cat.Versions[byImport[it.Source.ImportID]].Items[it.Code] = it
		}
	}
	as, err := runQuery(ctx, s.conn, adaptationsQuery{})
	if err != nil {
		return cat, fmt.Errorf("read adaptations: %w", err)
	}
	for _, a := range as {
		cat.Adaptations[a.ResourceType] = a // later imports replace earlier ones
	}
	cat.Sort()
	return cat, nil
}

// catalogVersionsQuery reads the catalog's effective dates, each with its latest import
// (a version without its items yet).
type catalogVersionsQuery struct{}

func (catalogVersionsQuery) toSQL() (string, []any) {
	return `SELECT effective, argMax(import_id, import_seq) FROM catalog_versions GROUP BY effective ORDER BY effective`, nil
}

func (catalogVersionsQuery) scan(rows driver.Rows) ([]catalog.Version, error) {
	var out []catalog.Version
	for rows.Next() {
		var eff time.Time
		var id string
		if err := rows.Scan(&eff, &id); err != nil {
			return nil, err
		}
		out = append(out, catalog.Version{Effective: dateOf(eff), ImportID: id, Items: map[catalog.ItemCode]catalog.Item{}})
	}
	return out, rows.Err()
}

// catalogItemsQuery reads the items of the catalog versions in force (the latest import
// of each effective date); an item's Source names its import.
type catalogItemsQuery struct{}

func (catalogItemsQuery) toSQL() (string, []any) {
	return `SELECT import_id, code, name, category, unit, billing, has_internet, price_internet,
has_extranet, price_extranet, meter_metric, meter_agg, mode, file, line FROM catalog_items
WHERE import_id IN (SELECT argMax(import_id, import_seq) FROM catalog_versions GROUP BY effective)`, nil
}

func (catalogItemsQuery) scan(rows driver.Rows) ([]catalog.Item, error) {
	var out []catalog.Item
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
			return nil, err
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
		out = append(out, it)
	}
	return out, rows.Err()
}

// adaptationsQuery reads every adaptation row, oldest import first.
type adaptationsQuery struct{}

func (adaptationsQuery) toSQL() (string, []any) {
	return `SELECT resource_type, item_code, note, import_id, file, line FROM catalog_adaptations ORDER BY import_seq, line`, nil
}

func (adaptationsQuery) scan(rows driver.Rows) ([]catalog.Adaptation, error) {
	var out []catalog.Adaptation
	for rows.Next() {
		var a catalog.Adaptation
		var code, id, file string
		var line uint32
		if err := rows.Scan(&a.ResourceType, &code, &a.Note, &id, &file, &line); err != nil {
			return nil, err
		}
		a.Item = catalog.ItemCode(code)
		a.Source = src(id, file, line)
		out = append(out, a)
	}
	return out, rows.Err()
}

// InsertAdaptations stores adaptation rows and records the import.
func (s *Store) InsertAdaptations(ctx context.Context, imp catalog.Import, as []catalog.Adaptation) error {
	if err := s.insertBlock(ctx, adaptationsInsert{imp: imp, as: as}); err != nil {
		return fmt.Errorf("insert adaptations: %w", err)
	}
	return s.recordImport(ctx, imp)
}

// adaptationsInsert stores the adaptation rows of an import.
type adaptationsInsert struct {
	imp catalog.Import
	as  []catalog.Adaptation
}

func (adaptationsInsert) toSQL() string {
	return "INSERT INTO catalog_adaptations (resource_type, item_code, note, import_id, import_seq, file, line, imported_at)"
}

func (q adaptationsInsert) rows() int { return len(q.as) }

func (q adaptationsInsert) row(i int) []any {
	a := q.as[i]
	return []any{a.ResourceType, string(a.Item), a.Note, q.imp.ID, q.imp.Seq(), a.Source.File, uint32(a.Source.Line), q.imp.At}
}

// InsertOrg stores the new or changed departments, projects and vendors of one import and
// records it.
func (s *Store) InsertOrg(ctx context.Context, imp catalog.Import, ch catalog.OrgChanges) error {
	if err := s.insertBlock(ctx, departmentsInsert{imp: imp, ds: ch.Departments}); err != nil {
		return fmt.Errorf("insert departments: %w", err)
	}
	if err := s.insertBlock(ctx, projectsInsert{imp: imp, ps: ch.Projects}); err != nil {
		return fmt.Errorf("insert projects: %w", err)
	}
	if err := s.insertBlock(ctx, vendorsInsert{imp: imp, vs: ch.Vendors}); err != nil {
		return fmt.Errorf("insert vendors: %w", err)
	}
	return s.recordImport(ctx, imp)
}

// departmentsInsert stores the new or changed departments of an import.
type departmentsInsert struct {
	imp catalog.Import
	ds  []catalog.Department
}

func (departmentsInsert) toSQL() string {
	return "INSERT INTO departments (id, name, parent_id, import_id, import_seq, file, line, imported_at)"
}

func (q departmentsInsert) rows() int { return len(q.ds) }

func (q departmentsInsert) row(i int) []any {
	d := q.ds[i]
	return []any{string(d.ID), d.Name, string(d.Parent), q.imp.ID, q.imp.Seq(), d.Source.File, uint32(d.Source.Line), q.imp.At}
}

// projectsInsert stores the new or changed projects of an import.
type projectsInsert struct {
	imp catalog.Import
	ps  []catalog.Project
}

func (projectsInsert) toSQL() string {
	return "INSERT INTO projects (id, year, name, department_id, category, approved, import_id, import_seq, file, line, imported_at)"
}

func (q projectsInsert) rows() int { return len(q.ps) }

func (q projectsInsert) row(i int) []any {
	p := q.ps[i]
	return []any{string(p.ID), uint16(p.Year), p.Name, string(p.Department), string(p.Category), flag(p.Approved), q.imp.ID, q.imp.Seq(), p.Source.File, uint32(p.Source.Line), q.imp.At}
}

// vendorsInsert stores the new or changed vendors of an import.
type vendorsInsert struct {
	imp catalog.Import
	vs  []catalog.Vendor
}

func (vendorsInsert) toSQL() string {
	return "INSERT INTO vendors (id, name, import_id, import_seq, file, line, imported_at)"
}

func (q vendorsInsert) rows() int { return len(q.vs) }

func (q vendorsInsert) row(i int) []any {
	v := q.vs[i]
	return []any{string(v.ID), v.Name, q.imp.ID, q.imp.Seq(), v.Source.File, uint32(v.Source.Line), q.imp.At}
}

// Org is the organisation in force: for each department, project (id and year) and
// vendor, the entry of its latest import.
func (s *Store) Org(ctx context.Context) (catalog.Org, error) {
	org := catalog.Org{
		Departments: map[catalog.DepartmentID]catalog.Department{},
		Projects:    map[catalog.ProjectKey]catalog.Project{},
		Vendors:     map[catalog.VendorID]catalog.Vendor{},
	}
	ds, err := runQuery(ctx, s.conn, departmentsQuery{})
	if err != nil {
		return org, fmt.Errorf("read departments: %w", err)
	}
	for _, d := range ds {
		org.Departments[d.ID] = d // later imports replace earlier ones
	}
	ps, err := runQuery(ctx, s.conn, projectsQuery{})
	if err != nil {
		return org, fmt.Errorf("read projects: %w", err)
	}
	for _, p := range ps {
		org.Projects[catalog.ProjectKey{ID: p.ID, Year: p.Year}] = p
	}
	vs, err := runQuery(ctx, s.conn, vendorsQuery{})
	if err != nil {
		return org, fmt.Errorf("read vendors: %w", err)
	}
	for _, v := range vs {
		org.Vendors[v.ID] = v
	}
	return org, nil
}

// departmentsQuery reads every department row, oldest import first.
type departmentsQuery struct{}

func (departmentsQuery) toSQL() (string, []any) {
	return "SELECT id, name, parent_id, import_id, file, line FROM departments ORDER BY import_seq, line", nil
}

func (departmentsQuery) scan(rows driver.Rows) ([]catalog.Department, error) {
	var out []catalog.Department
	for rows.Next() {
		var d catalog.Department
		var id, parent, imp, file string
		var line uint32
		if err := rows.Scan(&id, &d.Name, &parent, &imp, &file, &line); err != nil {
			return nil, err
		}
		d.ID, d.Parent, d.Source = catalog.DepartmentID(id), catalog.DepartmentID(parent), src(imp, file, line)
		out = append(out, d)
	}
	return out, rows.Err()
}

// projectsQuery reads every project row, oldest import first.
type projectsQuery struct{}

func (projectsQuery) toSQL() (string, []any) {
	return "SELECT id, year, name, department_id, category, approved, import_id, file, line FROM projects ORDER BY import_seq, line", nil
}

func (projectsQuery) scan(rows driver.Rows) ([]catalog.Project, error) {
	var out []catalog.Project
	for rows.Next() {
		var p catalog.Project
		var id, dep, cat, imp, file string
		var year uint16
		var approved uint8
		var line uint32
		if err := rows.Scan(&id, &year, &p.Name, &dep, &cat, &approved, &imp, &file, &line); err != nil {
			return nil, err
		}
		p.ID, p.Year, p.Department, p.Category, p.Approved = catalog.ProjectID(id), int(year), catalog.DepartmentID(dep), catalog.ProjectCategory(cat), approved == 1
		p.Source = src(imp, file, line)
		out = append(out, p)
	}
	return out, rows.Err()
}

// vendorsQuery reads every vendor row, oldest import first.
type vendorsQuery struct{}

func (vendorsQuery) toSQL() (string, []any) {
	return "SELECT id, name, import_id, file, line FROM vendors ORDER BY import_seq, line", nil
}

func (vendorsQuery) scan(rows driver.Rows) ([]catalog.Vendor, error) {
	var out []catalog.Vendor
	for rows.Next() {
		var v catalog.Vendor
		var id, imp, file string
		var line uint32
		if err := rows.Scan(&id, &v.Name, &imp, &file, &line); err != nil {
			return nil, err
		}
		v.ID, v.Source = catalog.VendorID(id), src(imp, file, line)
		out = append(out, v)
	}
	return out, rows.Err()
}

// InsertEvents stores work-order events (one block) and records the import.
func (s *Store) InsertEvents(ctx context.Context, imp catalog.Import, es []catalog.Event) error {
	if err := s.insertBlock(ctx, orderEventsInsert{imp: imp, es: es}); err != nil {
		return fmt.Errorf("insert order events: %w", err)
	}
	return s.recordImport(ctx, imp)
}

// orderEventsInsert stores the work-order events of an import.
type orderEventsInsert struct {
	imp catalog.Import
	es  []catalog.Event
}

func (orderEventsInsert) toSQL() string {
	return `INSERT INTO order_events (order_id, kind, effective_date, department_id, project_id, vendor_id, zone,
item_code, quantity, resource_id, resource_type, portion, late, import_id, import_seq, file, line, imported_at)`
}

func (q orderEventsInsert) rows() int { return len(q.es) }

func (q orderEventsInsert) row(i int) []any {
	e := q.es[i]
	c := e.Config
	return []any{string(e.Order), string(e.Kind), e.Effective.Time(), string(c.Department), string(c.Project), string(c.Vendor), string(c.Zone),
		string(c.Item), c.Quantity, string(c.ResourceID), c.ResourceType, string(c.Portion), flag(e.Late),
		q.imp.ID, q.imp.Seq(), e.Source.File, uint32(e.Source.Line), q.imp.At}
}

// OrderEvents is every stored work-order event, sorted by order id, effective date, then
// import order (and file order within an import). Config.Item is the catalog item the
// event was adapted to at import; a terminate carries the configuration in force.
func (s *Store) OrderEvents(ctx context.Context) ([]catalog.Event, error) {
	out, err := runQuery(ctx, s.conn, orderEventsQuery{})
	if err != nil {
		return nil, fmt.Errorf("read order events: %w", err)
	}
	return out, nil
}

// orderEventsQuery reads every stored work-order event (see OrderEvents). The events are
// collected in blocks (blockList): growing a list of a city's 67,000 events (280 bytes
// each) by appending cost 0.3 s of copying and page faults.
type orderEventsQuery struct{}

func (orderEventsQuery) toSQL() (string, []any) {
	return `SELECT order_id, kind, effective_date, department_id, project_id, vendor_id, zone, item_code, quantity,
resource_id, resource_type, portion, late, import_id, file, line
FROM order_events ORDER BY order_id, effective_date, import_seq, line`, nil
}

func (orderEventsQuery) scan(rows driver.Rows) ([]catalog.Event, error) {
	var out blockList[catalog.Event]
	for rows.Next() {
		var (
			e                                                             catalog.Event
			order, kind, dep, proj, vendor, zone, item, res, portion, imp string
			file                                                          string
			eff                                                           time.Time
			late                                                          uint8
			line                                                          uint32
		)
		if err := rows.Scan(&order, &kind, &eff, &dep, &proj, &vendor, &zone, &item, &e.Quantity, &res, &e.ResourceType, &portion, &late, &imp, &file, &line); err != nil {
			return nil, err
		}
		e.Order, e.Kind, e.Effective = catalog.OrderID(order), catalog.EventKind(kind), dateOf(eff)
		e.Department, e.Project, e.Vendor = catalog.DepartmentID(dep), catalog.ProjectID(proj), catalog.VendorID(vendor)
		e.Zone, e.Item, e.ResourceID, e.Portion = catalog.Zone(zone), catalog.ItemCode(item), catalog.ResourceID(res), catalog.Portion(portion)
		e.Late = late == 1
		e.Source = src(imp, file, line)
		out.add(e)
	}
	return out.list(), rows.Err()
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
	if err := s.insertBlock(ctx, acceptancesInsert{imp: imp, as: as}); err != nil {
		return fmt.Errorf("insert acceptance records: %w", err)
	}
	return s.recordImport(ctx, imp)
}

// acceptancesInsert stores the acceptance records of an import.
type acceptancesInsert struct {
	imp catalog.Import
	as  []catalog.Acceptance
}

func (acceptancesInsert) toSQL() string {
	return `INSERT INTO acceptances (vendor_id, period, result, has_score, score, has_availability, availability,
has_security, security_valid_until, import_id, import_seq, file, line, imported_at)`
}

func (q acceptancesInsert) rows() int { return len(q.as) }

func (q acceptancesInsert) row(i int) []any {
	a := q.as[i]
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
		flag(a.SecurityValidUntil != nil), sec, q.imp.ID, q.imp.Seq(), a.Source.File, uint32(a.Source.Line), q.imp.At}
}

// Acceptances is the record in force (the latest import) of each vendor for month p,
// sorted by vendor.
func (s *Store) Acceptances(ctx context.Context, p calendar.Period) ([]catalog.Acceptance, error) {
	return s.acceptances(ctx, acceptancesQuery{period: &p})
}

// AllAcceptances is the record in force of every vendor and month, sorted by vendor and month.
func (s *Store) AllAcceptances(ctx context.Context) ([]catalog.Acceptance, error) {
	return s.acceptances(ctx, acceptancesQuery{})
}

// acceptancesQuery reads the acceptance records in force (the latest import of each
// vendor and month), of one month when period is set.
type acceptancesQuery struct{ period *calendar.Period }

func (q acceptancesQuery) toSQL() (string, []any) {
	sql := `SELECT vendor_id, period, result, has_score, score, has_availability, availability, has_security, security_valid_until,
import_id, file, line FROM acceptances`
	var args []any
	if q.period != nil {
		sql += " WHERE period = ?"
		args = append(args, q.period.Key())
	}
	return sql + " ORDER BY vendor_id, period, import_seq, line", args
}

func (acceptancesQuery) scan(rows driver.Rows) ([]catalog.Acceptance, error) {
	var out []catalog.Acceptance
	for rows.Next() {
		var (
			a                    catalog.Acceptance
			vendor, res, imp, fl string
			period, line         uint32
			hs, ha, hsec         uint8
			score, avail         decimal.Decimal
			sec                  time.Time
		)
		if err := rows.Scan(&vendor, &period, &res, &hs, &score, &ha, &avail, &hsec, &sec, &imp, &fl, &line); err != nil {
			return nil, err
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
	}
	return out, rows.Err()
}

func (s *Store) acceptances(ctx context.Context, q acceptancesQuery) ([]catalog.Acceptance, error) {
	out, err := runQuery(ctx, s.conn, q)
	if err != nil {
		return nil, fmt.Errorf("read acceptance records: %w", err)
	}
	return out, nil
}
