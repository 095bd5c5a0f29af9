package chstore

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/ext"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/idle"
	"cloudbill/internal/calendar"
)

var (
	_ idle.Reader    = (*Store)(nil)
	_ idle.CaseStore = (*Store)(nil)
)

// InsertIdleVersions stores redundancy ratio versions of one import and records it.
func (s *Store) InsertIdleVersions(ctx context.Context, imp catalog.Import, vs []idle.Version) error {
	if err := s.insertBlock(ctx, idleRatiosInsert{imp: imp, vs: vs}); err != nil {
		return fmt.Errorf("insert redundancy ratios: %w", err)
	}
	return s.recordImport(ctx, imp)
}

// idleRatiosInsert stores the redundancy ratio versions of an import.
type idleRatiosInsert struct {
	imp catalog.Import
	vs  []idle.Version
}

func (idleRatiosInsert) toSQL() string {
	return `INSERT INTO idle_ratio_versions (kind, effective, has_until, until, ratio, sizes, note, import_id, import_seq,
file, line, imported_at)`
}

func (q idleRatiosInsert) rows() int { return len(q.vs) }

func (q idleRatiosInsert) row(i int) []any {
	v := q.vs[i]
	sizes := make([]string, len(v.Sizes))
	for k, sz := range v.Sizes {
		sizes[k] = sz.String()
	}
	return []any{string(v.Kind), v.Effective.Time(), flag(!v.Until.IsZero()), chDate(v.Until), v.Ratio, sizes, v.Note,
		q.imp.ID, q.imp.Seq(), v.File, uint32(v.Line), q.imp.At}
}

// idleRatiosQuery reads every stored redundancy ratio version (for a kind and effective
// date, the row of the latest import), by kind and effective date.
type idleRatiosQuery struct{}

func (idleRatiosQuery) toSQL() (string, []any) {
	return `SELECT kind, effective, has_until, until, ratio, sizes, note, import_id, file, line
FROM idle_ratio_versions ORDER BY kind, effective, import_seq DESC LIMIT 1 BY kind, effective`, nil
}

func (idleRatiosQuery) scan(rows driver.Rows) ([]idle.Version, error) {
	var out []idle.Version
	for rows.Next() {
		var (
			kind, note, imp, file string
			eff, until            time.Time
			hasUntil              uint8
			ratio                 decimal.Decimal
			sizes                 []string
			line                  uint32
		)
		if err := rows.Scan(&kind, &eff, &hasUntil, &until, &ratio, &sizes, &note, &imp, &file, &line); err != nil {
			return nil, err
		}
		v := idle.Version{Kind: idle.Kind(kind), Effective: dateOf(eff), Ratio: ratio, Note: note, ImportID: imp, File: file, Line: int(line)}
		if hasUntil == 1 {
			v.Until = dateOf(until)
		}
		for _, q := range sizes {
			d, err := decimal.NewFromString(q)
			if err != nil {
				return nil, fmt.Errorf("size %q of %s line %d: %w", q, file, line, err)
			}
			v.Sizes = append(v.Sizes, d)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// IdleConfig is every stored redundancy ratio version (for a kind and effective date, the
// row of the latest import).
func (s *Store) IdleConfig(ctx context.Context) (idle.Config, error) {
	var cfg idle.Config
	vs, err := runQuery(ctx, s.conn, idleRatiosQuery{})
	cfg.Versions = vs
	if err != nil {
		return cfg, fmt.Errorf("read redundancy ratios: %w", err)
	}
	cfg.Sort()
	return cfg, nil
}

// idleMeasureQuery measures the resources of the external table idle_spans (oid,
// resource_id, metric, from_date, to_date, qty: the quantity in force on those days,
// vendor: the order's vendor; with intQty also qm, qty in micro-units as an Int64) over
// [from, to). A sample counts only for its own vendor: a span takes the rows whose
// source is its vendor or names no vendor (a source that is not the id of a vendor of
// master data); another vendor's rows are left out before anything else. Each sample
// identity (resource_id, metric, ts) counts once at its latest value (argMax by version).
// A value is valid when finite and within 0–100; invalid ones are counted (excluded) and
// not used. Per resource: the days with a valid sample, the valid samples, the excluded
// ones, and the exact 95th percentile (quantileExact) of the capacity used at each
// sample, value × qty of its day, in 10⁻⁸ units (value in micro-percent × qty) or with
// intQty in 10⁻¹⁴ units (micro-percent × micro-qty, an Int64: every span's |qty| ≤
// maxIntQty keeps it below 2⁶³, and sorting Int64 costs far less than Decimal128); and
// (last column) whether some identity has more than one row.
//
// fast: the rows are read as stored, without grouping them by identity (grouping millions
// of identities is what costs); the last column then tells the resources whose rows hold a
// duplicate or a correction, which MeasureIdle measures again with fast = false (argMax
// per identity). Both give the same figures for a resource without such rows. (Reading
// with FINAL instead, as rating does, costs more here: on a city chunk of 5,570 series,
// 19.6 s of server CPU against 7.3 s for this read as stored; rating's FINAL replaced a
// grouping by identity, which this fast read does not have.)
//
// Rows are joined to the spans by (cityHash64(resource_id, metric)) unless byName:
// MeasureIdle checks first that the spans' pairs have distinct hashes.
//
// table is usage_samples, or on a cluster each shard's usage_samples_local (a resource's
// samples all live on one shard: each shard measures its own resources; the vendors
// table is a full copy on every node).
type idleMeasureQuery struct {
	from, to             calendar.Date
	byName, fast, intQty bool
	table                string
}

// maxIntQty bounds the quantities idleMeasureQuery multiplies as Int64: a valid value in
// micro-percent is at most 10⁸, a quantity in micro-units at most 9×10¹⁰, and their
// product stays below 2⁶³ ≈ 9.22×10¹⁸.
var maxIntQty = decimal.NewFromInt(90_000)

func (q idleMeasureQuery) toSQL() (string, []any) {
	from, to, byName, fast, table := q.from, q.to, q.byName, q.fast, q.table
	key, skey, using := "cityHash64(resource_id, metric) AS h", "cityHash64(resource_id, metric) AS h", "h"
	if byName {
		key, skey, using = "resource_id, metric", "resource_id, metric", "resource_id, metric"
	}
	qcol, used := "qty", "toDecimal128(round(if(ok, v, 0) * 1000000), 0) * q"
	if q.intQty {
		qcol, used = "qm AS qty", "toInt64(round(if(ok, v, 0) * 1000000)) * q"
	}
	joined := `SELECT oid, ts, day, value, version, qty
            FROM (
                SELECT ` + key + `, ts, toDate(ts, 'Asia/Shanghai') AS day, value, version,
                       if(source IN (SELECT id FROM vendors), source, '') AS owner
                FROM ` + table + `
                WHERE ts >= toDateTime(?) AND ts < toDateTime(?)
                  AND metric IN ('cpu_util', 'mem_util')
                  AND resource_id IN (SELECT resource_id FROM idle_spans)
            ) AS s ALL INNER JOIN (
                SELECT ` + skey + `, oid, from_date, to_date, ` + qcol + `, vendor FROM idle_spans
            ) AS sp USING (` + using + `)
            WHERE day >= from_date AND day <= to_date AND (owner = '' OR owner = vendor)`
	inner := `SELECT oid, ts, day, argMax(value, version) AS v, any(qty) AS q,
               isFinite(v) AND v >= 0 AND v <= 100 AS ok
        FROM (
            ` + joined + `
        )
        GROUP BY oid, ts, day`
	if fast {
		inner = `SELECT oid, ts, day, value AS v, qty AS q,
               isFinite(v) AND v >= 0 AND v <= 100 AS ok
        FROM (
            ` + joined + `
        )`
	}
	return `SELECT oid, toUInt32(uniqExactIf(day, ok)), countIf(ok), countIf(NOT ok), quantileExactIf(0.95)(` + used + `, ok),
       toUInt8(count() > uniqExact(ts))
FROM (
    ` + inner + `
)
GROUP BY oid`, []any{from.Start().Unix(), to.AddDays(1).Start().Unix()}
}

// idleMeasured is a row of idleMeasureQuery: a resource (oid) measured, and whether its
// rows hold a duplicate or a correction.
type idleMeasured struct {
	oid uint32
	dup bool
	m   idle.Measure
}

func (q idleMeasureQuery) scan(rows driver.Rows) ([]idleMeasured, error) {
	var out []idleMeasured
	for rows.Next() {
		var (
			oid, days     uint32
			samples, excl uint64
			p95           decimal.Decimal
			p95i          int64
			dup           uint8
		)
		p95p := any(&p95)
		if q.intQty {
			p95p = &p95i
		}
		if err := rows.Scan(&oid, &days, &samples, &excl, p95p, &dup); err != nil {
			return nil, err
		}
		used := p95.Shift(-8)
		if q.intQty {
			used = decimal.New(p95i, -14)
		}
		out = append(out, idleMeasured{oid, dup == 1, idle.Measure{Days: int(days), Samples: int(samples), Excluded: int(excl), P95Used: used}})
	}
	return out, rows.Err()
}

// hashesDistinctQuery reports whether the (resource_id, metric) pairs of an external
// table (idle_spans, usage_windows) have distinct cityHash64 values (so grouping by the
// hash is grouping by the pair).
type hashesDistinctQuery struct{ table string }

func (q hashesDistinctQuery) toSQL() (string, []any) {
	return "SELECT uniqExact(resource_id, metric) = uniqExact(cityHash64(resource_id, metric)) FROM " + q.table, nil
}

func (hashesDistinctQuery) scan(row driver.Row) (bool, error) {
	var distinct uint8
	err := row.Scan(&distinct)
	return distinct == 1, err
}

// MeasureIdle computes the measures of the resources over [from, to] in ClickHouse, in
// chunks of Config.IdleMeasureChunk resources (samples never come to Go). A resource without a
// valid sample in the window is absent from the result. Each chunk is read as stored
// first; the resources whose rows hold a duplicate or a correction are measured again
// with argMax per identity (see idleMeasureQuery). idleMeasureParallel chunks are measured
// at once: one query leaves the server's cores idle part of its time (building the join's
// table of spans, merging its groups, sending the result), which another chunk's scan
// fills.
func (s *Store) MeasureIdle(ctx context.Context, from, to calendar.Date, rs []idle.Resource) (map[catalog.OrderID]idle.Measure, error) {
	out := make(map[catalog.OrderID]idle.Measure, len(rs))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	// Chunks in the table's key order: a chunk's resources are then one stretch of the
	// (resource_id, metric, ts) key, and the granules a chunk reads hold few rows of
	// other chunks' resources.
	rs = slices.Clone(rs)
	slices.SortStableFunc(rs, func(a, b idle.Resource) int {
		return cmp.Or(strings.Compare(string(a.Resource), string(b.Resource)), strings.Compare(a.Kind.Metric(), b.Kind.Metric()))
	})
	chunks := make(chan []idle.Resource)
	for range idleMeasureParallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for chunk := range chunks {
				mine := make(map[catalog.OrderID]idle.Measure, len(chunk))
				err := s.measureChunk(ctx, from, to, chunk, mine)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
					cancel()
				}
				for k, v := range mine {
					out[k] = v
				}
				mu.Unlock()
			}
		}()
	}
	for lo := 0; lo < len(rs) && ctx.Err() == nil; lo += s.idleChunk {
		chunks <- rs[lo:min(len(rs), lo+s.idleChunk)]
	}
	close(chunks)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// idleMeasureParallel is the number of chunks MeasureIdle measures at once.
const idleMeasureParallel = 2

// measureChunk measures one chunk: as stored, then again exactly the resources whose rows
// hold duplicates.
func (s *Store) measureChunk(ctx context.Context, from, to calendar.Date, rs []idle.Resource, out map[catalog.OrderID]idle.Measure) error {
	dups, err := s.measureIdle(ctx, from, to, rs, true, out)
	if err != nil || len(dups) == 0 {
		return err
	}
	_, err = s.measureIdle(ctx, from, to, dups, false, out)
	return err
}

// idleMeasureFastOnly disables the exact pass (tests that show it is needed).
var idleMeasureFastOnly = false

// measureIdle measures rs into out and returns the resources whose rows hold duplicates
// (fast pass) to be measured again exactly.
func (s *Store) measureIdle(ctx context.Context, from, to calendar.Date, rs []idle.Resource, fast bool, out map[catalog.OrderID]idle.Measure) ([]idle.Resource, error) {
	intQty := true
	for _, r := range rs {
		for _, sp := range r.Spans {
			intQty = intQty && sp.Quantity.Equal(sp.Quantity.Round(6)) && sp.Quantity.Abs().LessThanOrEqual(maxIntQty)
		}
	}
	spans := func() (*ext.Table, error) {
		cols := []func(*ext.Table) error{ext.Column("oid", "UInt32"), ext.Column("resource_id", "String"), ext.Column("metric", "String"),
			ext.Column("from_date", "Date"), ext.Column("to_date", "Date"), ext.Column("qty", "Decimal(38, 6)"), ext.Column("vendor", "String")}
		if intQty {
			cols = append(cols, ext.Column("qm", "Int64"))
		}
		t, err := ext.NewTable("idle_spans", cols...)
		if err != nil {
			return nil, err
		}
		for i, r := range rs {
			for _, sp := range r.Spans {
				row := []any{uint32(i), string(r.Resource), r.Kind.Metric(), sp.From.Time(), sp.To.Time(), sp.Quantity, string(r.Vendor)}
				if intQty {
					row = append(row, sp.Quantity.Shift(6).IntPart())
				}
				if err := t.Append(row...); err != nil {
					return nil, err
				}
			}
		}
		return t, nil
	}
	t, err := spans()
	if err != nil {
		return nil, fmt.Errorf("measure idle resources: %w", err)
	}
	distinct, err := runRow(clickhouse.Context(ctx, clickhouse.WithExternalTable(t)), s.conn, hashesDistinctQuery{table: "idle_spans"})
	if err != nil {
		return nil, fmt.Errorf("measure idle resources: %w", err)
	}
	// On a cluster every shard at once, on its local table; else once.
	all, err := rowsOfShards(ctx, s, spans, false, func(table string) rowsQuery[idleMeasured] {
		return idleMeasureQuery{from: from, to: to, byName: !distinct, fast: fast, intQty: intQty, table: table}
	})
	if err != nil {
		return nil, fmt.Errorf("measure idle resources: %w", err)
	}
	var again []idle.Resource
	seen := make(map[uint32]bool, len(all))
	for _, x := range all {
		if int(x.oid) >= len(rs) {
			return nil, fmt.Errorf("measure idle resources: unknown resource %d", x.oid)
		}
		if seen[x.oid] {
			return nil, fmt.Errorf("measure idle resources: the samples of %s are on more than one shard", rs[x.oid].Resource)
		}
		seen[x.oid] = true
		if fast && x.dup && !idleMeasureFastOnly {
			again = append(again, rs[x.oid])
			continue
		}
		out[rs[x.oid].Order] = x.m
	}
	return again, nil
}

// caseOrderJSON is a case order as stored in idle_cases.orders.
type caseOrderJSON struct {
	Order       string          `json:"order_id"`
	Resource    string          `json:"resource_id"`
	Item        string          `json:"item_code"`
	Zone        string          `json:"zone"`
	Allocated   decimal.Decimal `json:"allocated"`
	Recommended decimal.Decimal `json:"recommended"`
	Saving      decimal.Decimal `json:"saving"`
}

// SaveCases writes newly opened cases and their open state.
func (s *Store) SaveCases(ctx context.Context, cs []idle.Case, at time.Time) error {
	if err := s.insertBlock(ctx, casesInsert{cs: cs, at: at}); err != nil {
		return fmt.Errorf("insert idle cases: %w", err)
	}
	return s.SaveStates(ctx, cs, at)
}

// casesInsert writes newly opened cases (their orders as JSON).
type casesInsert struct {
	cs []idle.Case
	at time.Time
}

func (casesInsert) toSQL() string {
	return `INSERT INTO idle_cases (case_id, department_id, parent_id, kind, reminder_date, deadline, ratio, idle_ratio,
allocated, target, saving, orders, created_at)`
}

func (q casesInsert) rows() int { return len(q.cs) }

func (q casesInsert) row(i int) []any {
	c := q.cs[i]
	os := make([]caseOrderJSON, len(c.Orders))
	for k, o := range c.Orders {
		os[k] = caseOrderJSON{string(o.Order), string(o.Resource), string(o.Item), string(o.Zone), o.Allocated, o.Recommended, o.Saving}
	}
	b, _ := json.Marshal(os)
	return []any{string(c.ID), string(c.Department), string(c.Parent), string(c.Kind), c.Reminder.Time(), c.Deadline.Time(),
		c.Ratio, c.IdleRatio.Round(12), c.Allocated, c.Target, c.Saving, string(b), q.at.UTC()}
}

// SaveStates records the state of each case (open: seq 0; resolved or overdue: seq 1).
func (s *Store) SaveStates(ctx context.Context, cs []idle.Case, at time.Time) error {
	if err := s.insertBlock(ctx, caseStatesInsert{cs: cs, at: at}); err != nil {
		return fmt.Errorf("insert idle case states: %w", err)
	}
	return nil
}

// caseStatesInsert records the state of each case.
type caseStatesInsert struct {
	cs []idle.Case
	at time.Time
}

func (caseStatesInsert) toSQL() string {
	return "INSERT INTO idle_case_states (case_id, seq, state, on_date, recorded_at, detail)"
}

func (q caseStatesInsert) rows() int { return len(q.cs) }

func (q caseStatesInsert) row(i int) []any {
	c := q.cs[i]
	return []any{string(c.ID), stateSeq(c.State), string(c.State), c.StateOn.Time(), q.at.UTC(), ""}
}

func stateSeq(st idle.State) uint32 {
	if st == idle.StateOpen {
		return 0
	}
	return 1
}

// evidenceDatesQuery lists the analysis dates recorded for each idle case.
type evidenceDatesQuery struct{}

func (evidenceDatesQuery) toSQL() (string, []any) {
	return "SELECT DISTINCT case_id, analysis_date FROM idle_evidence", nil
}

// evidenceDate is one row of evidenceDatesQuery.
type evidenceDate struct {
	caseID string
	date   calendar.Date
}

func (evidenceDatesQuery) scan(rows driver.Rows) ([]evidenceDate, error) {
	var out []evidenceDate
	for rows.Next() {
		var r evidenceDate
		var d time.Time
		if err := rows.Scan(&r.caseID, &d); err != nil {
			return nil, err
		}
		r.date = dateOf(d)
		out = append(out, r)
	}
	return out, rows.Err()
}

// SaveEvidence records evidence; an analysis date already recorded for a case is skipped
// (evidence is frozen).
func (s *Store) SaveEvidence(ctx context.Context, es []idle.Evidence, at time.Time) error {
	recorded, err := runQuery(ctx, s.conn, evidenceDatesQuery{})
	if err != nil {
		return fmt.Errorf("read idle evidence: %w", err)
	}
	have := make(map[string]bool, len(recorded))
	for _, r := range recorded {
		have[r.caseID+"|"+r.date.String()] = true
	}
	ins := evidenceInsert{at: at}
	for _, e := range es {
		if have[string(e.Case)+"|"+e.Analysis.String()] {
			continue
		}
		for _, r := range e.Rows {
			ins.rs = append(ins.rs, evidenceRow{e, r})
		}
	}
	if err := s.insertBlock(ctx, ins); err != nil {
		return fmt.Errorf("insert idle evidence: %w", err)
	}
	return nil
}

// evidenceRow is a row of an idle case's evidence with its group.
type evidenceRow struct {
	e idle.Evidence
	r idle.Row
}

// evidenceInsert records rows of evidence.
type evidenceInsert struct {
	rs []evidenceRow
	at time.Time
}

func (evidenceInsert) toSQL() string {
	return `INSERT INTO idle_evidence (case_id, analysis_date, department_id, kind, ratio, group_idle, group_allocated, group_used,
order_id, resource_id, item_code, zone, allocated, p95_util, used, days, samples, expected, excluded, status, recommended, saving, recorded_at)`
}

func (q evidenceInsert) rows() int { return len(q.rs) }

func (q evidenceInsert) row(i int) []any {
	e, r := q.rs[i].e, q.rs[i].r
	return []any{string(e.Case), e.Analysis.Time(), string(e.Group.Department), string(e.Group.Kind), e.Group.Ratio, e.Group.IdleRatio.Round(12),
		e.Group.Allocated, e.Group.Used.Round(8), string(r.Order), string(r.Resource.Resource), string(r.Item), string(r.Zone), r.Allocated,
		r.P95Util.Round(6), r.Used.Round(8), uint32(r.Days), uint64(r.Samples), uint64(r.Expected), uint64(r.Excluded), string(r.Status),
		r.Recommended, r.Saving, q.at.UTC()}
}

// Cases returns every case with its current state, by case id.
func (s *Store) Cases(ctx context.Context) ([]idle.Case, error) {
	out, err := runQuery(ctx, s.conn, casesQuery{})
	if err != nil {
		return nil, fmt.Errorf("read idle cases: %w", err)
	}
	return out, nil
}

// casesQuery reads every case (its first record) with its current state, by case id.
type casesQuery struct{}

func (casesQuery) toSQL() (string, []any) {
	return `SELECT c.case_id, department_id, parent_id, kind, reminder_date, deadline, ratio, idle_ratio, allocated, target, saving,
orders, st.state, st.on_date
FROM (SELECT * FROM idle_cases ORDER BY case_id, created_at LIMIT 1 BY case_id) AS c
ALL INNER JOIN (
    SELECT case_id, argMax(state, seq) AS state, argMax(on_date, seq) AS on_date FROM idle_case_states GROUP BY case_id
) AS st USING (case_id)
ORDER BY case_id`, nil
}

func (casesQuery) scan(rows driver.Rows) ([]idle.Case, error) {
	var out []idle.Case
	for rows.Next() {
		var (
			c                            idle.Case
			id, dep, parent, kind, state string
			orders                       string
			rem, dl, on                  time.Time
		)
		if err := rows.Scan(&id, &dep, &parent, &kind, &rem, &dl, &c.Ratio, &c.IdleRatio, &c.Allocated, &c.Target, &c.Saving, &orders, &state, &on); err != nil {
			return nil, err
		}
		var os []caseOrderJSON
		if err := json.Unmarshal([]byte(orders), &os); err != nil {
			return nil, fmt.Errorf("case %s: orders: %w", id, err)
		}
		for _, o := range os {
			c.Orders = append(c.Orders, idle.CaseOrder{Order: catalog.OrderID(o.Order), Resource: catalog.ResourceID(o.Resource),
				Item: catalog.ItemCode(o.Item), Zone: catalog.Zone(o.Zone), Allocated: o.Allocated, Recommended: o.Recommended, Saving: o.Saving})
		}
		c.ID, c.Department, c.Parent, c.Kind = idle.CaseID(id), catalog.DepartmentID(dep), catalog.DepartmentID(parent), idle.Kind(kind)
		c.Reminder, c.Deadline, c.State, c.StateOn = dateOf(rem), dateOf(dl), idle.State(state), dateOf(on)
		out = append(out, c)
	}
	return out, rows.Err()
}

// Evidence returns the recorded evidence of a case, oldest analysis first.
func (s *Store) Evidence(ctx context.Context, id idle.CaseID) ([]idle.Evidence, error) {
	by, err := s.queryEvidence(ctx, evidenceQuery{cases: []idle.CaseID{id}})
	if err != nil {
		return nil, fmt.Errorf("read evidence of %s: %w", id, err)
	}
	return by[id], nil
}

// EvidenceChunk is the most cases whose evidence one query reads (their ids are bound
// into the query, which must stay well under ClickHouse's max_query_size of 256 KiB).
const EvidenceChunk = 2000

// EvidenceOf returns the recorded evidence of each of the cases, oldest analysis first:
// one query per EvidenceChunk cases, not one per case. A case without evidence has no
// entry.
func (s *Store) EvidenceOf(ctx context.Context, ids []idle.CaseID) (map[idle.CaseID][]idle.Evidence, error) {
	out := make(map[idle.CaseID][]idle.Evidence, len(ids))
	for from := 0; from < len(ids); from += EvidenceChunk {
		by, err := s.queryEvidence(ctx, evidenceQuery{cases: ids[from:min(from+EvidenceChunk, len(ids))]})
		if err != nil {
			return nil, fmt.Errorf("read evidence of %d cases: %w", len(ids), err)
		}
		for id, es := range by {
			out[id] = es
		}
	}
	return out, nil
}

// evidenceQuery reads the recorded evidence of some cases, by case, oldest analysis
// first (each analysis's rows by order).
type evidenceQuery struct {
	cases []idle.CaseID
}

func (q evidenceQuery) toSQL() (string, []any) {
	ids := make([]string, len(q.cases))
	for i, c := range q.cases {
		ids[i] = string(c)
	}
	return `SELECT case_id, analysis_date, department_id, kind, ratio, group_idle, group_allocated, group_used, order_id, resource_id,
item_code, zone, allocated, p95_util, used, days, samples, expected, excluded, status, recommended, saving
FROM idle_evidence WHERE has(?, case_id) ORDER BY case_id, analysis_date, order_id`, []any{ids}
}

func (q evidenceQuery) scan(rows driver.Rows) (map[idle.CaseID][]idle.Evidence, error) {
	out := map[idle.CaseID][]idle.Evidence{}
	for rows.Next() {
		var (
			ad                                           time.Time
			id, dep, kind, order, res, item, zone, state string
			g                                            idle.Group
			row                                          idle.Row
			days                                         uint32
			samples, expected, excluded                  uint64
		)
		if err := rows.Scan(&id, &ad, &dep, &kind, &g.Ratio, &g.IdleRatio, &g.Allocated, &g.Used, &order, &res, &item, &zone, &row.Allocated,
			&row.P95Util, &row.Used, &days, &samples, &expected, &excluded, &state, &row.Recommended, &row.Saving); err != nil {
			return nil, err
		}
		g.Department, g.Kind = catalog.DepartmentID(dep), idle.Kind(kind)
		g.Over = g.Allocated.IsPositive() && g.Used.LessThan(decimal.NewFromInt(1).Sub(g.Ratio).Mul(g.Allocated))
		row.Order, row.Resource.Resource, row.Item, row.Zone = catalog.OrderID(order), catalog.ResourceID(res), catalog.ItemCode(item), catalog.Zone(zone)
		row.Department, row.Kind = g.Department, g.Kind
		row.Days, row.Samples, row.Expected, row.Excluded, row.Status = int(days), int(samples), int(expected), int(excluded), idle.Status(state)
		c, d := idle.CaseID(id), dateOf(ad)
		es := out[c]
		if n := len(es); n == 0 || es[n-1].Analysis != d {
			es = append(es, idle.Evidence{Case: c, Analysis: d, Group: g})
		}
		es[len(es)-1].Rows = append(es[len(es)-1].Rows, row)
		out[c] = es
	}
	return out, rows.Err()
}

// queryEvidence runs q.
func (s *Store) queryEvidence(ctx context.Context, q evidenceQuery) (map[idle.CaseID][]idle.Evidence, error) {
	if len(q.cases) == 0 {
		return map[idle.CaseID][]idle.Evidence{}, nil
	}
	return runScan(ctx, s.conn, q)
}

// PendingDeliveries lists the case events (state rows) not yet delivered, rejected or
// given up, with the number of attempts made so far, oldest first.
func (s *Store) PendingDeliveries(ctx context.Context) ([]idle.Pending, error) {
	out, err := runQuery(ctx, s.conn, pendingDeliveriesQuery{})
	if err != nil {
		return nil, fmt.Errorf("read pending webhook deliveries: %w", err)
	}
	return out, nil
}

// pendingDeliveriesQuery reads the case events not yet delivered, rejected or given up
// (see PendingDeliveries).
type pendingDeliveriesQuery struct{}

func (pendingDeliveriesQuery) toSQL() (string, []any) {
	return `SELECT st.case_id, st.seq, st.state, st.on_date, toUInt32(ifNull(d.attempts, 0))
FROM idle_case_states AS st
ALL LEFT JOIN (
    SELECT case_id, seq, count() AS attempts, countIf(outcome IN ('delivered', 'rejected', 'gave_up')) AS final
    FROM idle_webhook_deliveries GROUP BY case_id, seq
) AS d USING (case_id, seq)
WHERE ifNull(d.final, 0) = 0
ORDER BY st.recorded_at, st.case_id, st.seq`, nil
}

func (pendingDeliveriesQuery) scan(rows driver.Rows) ([]idle.Pending, error) {
	var out []idle.Pending
	for rows.Next() {
		var p idle.Pending
		var id, state string
		var on time.Time
		if err := rows.Scan(&id, &p.Seq, &state, &on, &p.Attempts); err != nil {
			return nil, err
		}
		p.Case, p.State, p.On = idle.CaseID(id), idle.State(state), dateOf(on)
		out = append(out, p)
	}
	return out, rows.Err()
}

// SaveDelivery records one delivery attempt.
func (s *Store) SaveDelivery(ctx context.Context, d idle.Delivery) error {
	d.URL, _, _ = idle.SplitCredentials(d.URL) // a URL is never stored with credentials
	if err := s.insertOne(ctx, deliveryInsert{d}); err != nil {
		return fmt.Errorf("record webhook delivery of %s: %w", d.Case, err)
	}
	return nil
}

// deliveryInsert records one attempt to deliver a case event (its URL without
// credentials: see SaveDelivery).
type deliveryInsert struct{ d idle.Delivery }

func (q deliveryInsert) toSQL() (string, []any) {
	d := q.d
	return "INSERT INTO idle_webhook_deliveries (case_id, seq, event, url, attempt, attempted_at, status_code, outcome, error)",
		[]any{string(d.Case), d.Seq, d.Event, d.URL, d.Attempt, d.At.UTC(), uint16(d.StatusCode), string(d.Outcome), d.Error}
}

// Deliveries lists the recorded delivery attempts of a case ("" for all), in order.
func (s *Store) Deliveries(ctx context.Context, id idle.CaseID) ([]idle.Delivery, error) {
	out, err := runQuery(ctx, s.conn, deliveriesQuery{id: id})
	if err != nil {
		return nil, fmt.Errorf("read webhook deliveries: %w", err)
	}
	return out, nil
}

// deliveriesQuery reads the recorded delivery attempts of a case ("" for all), in order.
type deliveriesQuery struct{ id idle.CaseID }

func (q deliveriesQuery) toSQL() (string, []any) {
	sql := "SELECT case_id, seq, event, url, attempt, attempted_at, status_code, outcome, error FROM idle_webhook_deliveries"
	var args []any
	if q.id != "" {
		sql += " WHERE case_id = ?"
		args = append(args, string(q.id))
	}
	return sql + " ORDER BY case_id, seq, attempt", args
}

func (deliveriesQuery) scan(rows driver.Rows) ([]idle.Delivery, error) {
	var out []idle.Delivery
	for rows.Next() {
		var d idle.Delivery
		var cid, outcome string
		var code uint16
		if err := rows.Scan(&cid, &d.Seq, &d.Event, &d.URL, &d.Attempt, &d.At, &code, &outcome, &d.Error); err != nil {
			return nil, err
		}
		// rows stored by earlier releases may hold credentials: never listed
		d.URL, _, _ = idle.SplitCredentials(d.URL)
		d.Case, d.StatusCode, d.Outcome = idle.CaseID(cid), int(code), idle.Outcome(outcome)
		out = append(out, d)
	}
	return out, rows.Err()
}

// UtilisationP95Rows runs the bare p95 query of the idle analysis over [from, to) (every
// resource's cpu_util and mem_util, nothing joined, nothing kept) and returns how many
// (resource, metric) rows it gave: for the benchmark, which compares it with the whole
// analysis.
func (s *Store) UtilisationP95Rows(ctx context.Context, from, to time.Time) (int, error) {
	n, err := runQuery(ctx, s.conn, utilisationP95Query{from: from, to: to})
	if err != nil {
		return 0, fmt.Errorf("p95 utilisation: %w", err)
	}
	return len(n), nil
}

// utilisationP95Query is the bare p95 query of the idle analysis over [from, to); its
// rows are only counted.
type utilisationP95Query struct{ from, to time.Time }

func (q utilisationP95Query) toSQL() (string, []any) {
	return `SELECT resource_id, metric, quantileExact(0.95)(value) FROM usage_samples
WHERE ts >= toDateTime(?) AND ts < toDateTime(?) AND metric IN ('cpu_util', 'mem_util')
GROUP BY resource_id, metric`, []any{q.from.Unix(), q.to.Unix()}
}

func (utilisationP95Query) scan(rows driver.Rows) ([]struct{}, error) {
	var out []struct{}
	for rows.Next() {
		out = append(out, struct{}{})
	}
	return out, rows.Err()
}
