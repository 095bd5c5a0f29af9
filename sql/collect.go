package chstore

import (
	"context"
	"fmt"
	"sort"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"cloudbill/internal/calendar"
	"cloudbill/metering"
	"cloudbill/metering/pull"
)

var (
	_ pull.WindowStore = (*Store)(nil)
	_ pull.StatusStore = (*Store)(nil)
)

// collectVersion orders the records of one process; across processes the clock does.
var collectVersion atomic.Uint64

func nextCollectVersion() uint64 {
	for {
		now := uint64(time.Now().UnixNano())
		last := collectVersion.Load()
		if now <= last {
			now = last + 1
		}
		if collectVersion.CompareAndSwap(last, now) {
			return now
		}
	}
}

// collectVersions is n new versions, in order.
func collectVersions(n int) []uint64 {
	vs := make([]uint64, n)
	for i := range vs {
		vs[i] = nextCollectVersion()
	}
	return vs
}

// SaveMappings stores a configuration's mappings (a new version of each).
func (s *Store) SaveMappings(ctx context.Context, ms []pull.MappingRecord) error {
	if err := s.insertBlock(ctx, mappingsInsert{ms: ms, versions: collectVersions(len(ms))}); err != nil {
		return fmt.Errorf("save collector mappings: %w", err)
	}
	return nil
}

// mappingsInsert stores a version of some collector mappings.
type mappingsInsert struct {
	ms       []pull.MappingRecord
	versions []uint64
}

func (mappingsInsert) toSQL() string {
	return "INSERT INTO collect_mappings (vendor_id, metric, query, resource_label, window_seconds, lateness_seconds, start, config_file, saved_at, version)"
}

func (q mappingsInsert) rows() int { return len(q.ms) }

func (q mappingsInsert) row(i int) []any {
	m := q.ms[i]
	return []any{m.Vendor, m.Metric, m.Query, m.ResourceLabel, uint32(m.Window / time.Second), uint32(m.Lateness / time.Second),
		m.Start.UTC(), m.File, m.At.UTC(), q.versions[i]}
}

// mappingsQuery selects the latest version of every (vendor, metric) mapping.
type mappingsQuery struct{}

func (mappingsQuery) toSQL() (string, []any) {
	return `SELECT vendor_id, metric, argMax(query, version), argMax(resource_label, version), argMax(window_seconds, version),
       argMax(lateness_seconds, version), argMax(start, version), argMax(config_file, version), argMax(saved_at, version)
FROM collect_mappings GROUP BY vendor_id, metric ORDER BY vendor_id, metric`, nil
}

func (mappingsQuery) scan(rows driver.Rows) ([]pull.MappingRecord, error) {
	var out []pull.MappingRecord
	for rows.Next() {
		var m pull.MappingRecord
		var w, l uint32
		if err := rows.Scan(&m.Vendor, &m.Metric, &m.Query, &m.ResourceLabel, &w, &l, &m.Start, &m.File, &m.At); err != nil {
			return nil, err
		}
		m.Window, m.Lateness = time.Duration(w)*time.Second, time.Duration(l)*time.Second
		out = append(out, m)
	}
	return out, rows.Err()
}

// Mappings returns the latest stored version of every collector mapping.
func (s *Store) Mappings(ctx context.Context) ([]pull.MappingRecord, error) {
	out, err := runQuery(ctx, s.conn, mappingsQuery{})
	if err != nil {
		return nil, fmt.Errorf("read collector mappings: %w", err)
	}
	return out, nil
}

// windowStatesQuery selects the latest status of each window of (vendor, metric)
// starting in [from, to).
type windowStatesQuery struct {
	vendor, metric string
	from, to       time.Time
}

func (q windowStatesQuery) toSQL() (string, []any) {
	return `SELECT toUInt32(window_start), argMax(status, version) FROM collect_windows
WHERE vendor_id = ? AND metric = ? AND window_start >= ? AND window_start < ?
GROUP BY window_start`, []any{q.vendor, q.metric, q.from.UTC(), q.to.UTC()}
}

// windowState is the latest status of the window starting at start (Unix seconds).
type windowState struct {
	start  int64
	status pull.Status
}

func (windowStatesQuery) scan(rows driver.Rows) ([]windowState, error) {
	var out []windowState
	for rows.Next() {
		var start uint32
		var st string
		if err := rows.Scan(&start, &st); err != nil {
			return nil, err
		}
		out = append(out, windowState{start: int64(start), status: pull.Status(st)})
	}
	return out, rows.Err()
}

// WindowStates returns the latest status of each recorded window, by start (Unix seconds).
func (s *Store) WindowStates(ctx context.Context, vendor, metric string, from, to time.Time) (map[int64]pull.Status, error) {
	states, err := runQuery(ctx, s.conn, windowStatesQuery{vendor: vendor, metric: metric, from: from, to: to})
	if err != nil {
		return nil, fmt.Errorf("read collected windows of %s %s: %w", vendor, metric, err)
	}
	out := make(map[int64]pull.Status, len(states))
	for _, w := range states {
		out[w.start] = w.status
	}
	return out, nil
}

// RecordWindows appends window records.
func (s *Store) RecordWindows(ctx context.Context, ws []pull.Window) error {
	return s.insertBlock(ctx, windowsInsert{ws: ws, versions: collectVersions(len(ws))})
}

// windowsInsert appends collector window records.
type windowsInsert struct {
	ws       []pull.Window
	versions []uint64
}

func (windowsInsert) toSQL() string {
	return "INSERT INTO collect_windows (vendor_id, metric, window_start, window_end, status, series, samples, error, trigger, reason, recorded_at, version)"
}

func (q windowsInsert) rows() int { return len(q.ws) }

func (q windowsInsert) row(i int) []any {
	w := q.ws[i]
	return []any{w.Vendor, w.Metric, w.Start.UTC(), w.End.UTC(), string(w.Status), uint32(w.Series), uint32(w.Samples),
		w.Error, w.Trigger, w.Reason, w.At.UTC(), q.versions[i]}
}

// windowRecordsQuery selects every record of (vendor, metric) for windows starting in
// [from, to), oldest window first and, per window, in the order recorded.
type windowRecordsQuery struct {
	vendor, metric string
	from, to       time.Time
}

func (q windowRecordsQuery) toSQL() (string, []any) {
	return `SELECT vendor_id, metric, window_start, window_end, status, series, samples, error, trigger, reason, recorded_at
FROM collect_windows WHERE vendor_id = ? AND metric = ? AND window_start >= ? AND window_start < ?
ORDER BY window_start, version`, []any{q.vendor, q.metric, q.from.UTC(), q.to.UTC()}
}

func (windowRecordsQuery) scan(rows driver.Rows) ([]pull.Window, error) {
	var out []pull.Window
	for rows.Next() {
		var w pull.Window
		var st string
		var series, samples uint32
		if err := rows.Scan(&w.Vendor, &w.Metric, &w.Start, &w.End, &st, &series, &samples, &w.Error, &w.Trigger, &w.Reason, &w.At); err != nil {
			return nil, err
		}
		w.Status, w.Series, w.Samples = pull.Status(st), int(series), int(samples)
		out = append(out, w)
	}
	return out, rows.Err()
}

// WindowRecords returns every record of (vendor, metric) for windows starting in [from,
// to), oldest window first and, per window, in the order recorded.
func (s *Store) WindowRecords(ctx context.Context, vendor, metric string, from, to time.Time) ([]pull.Window, error) {
	out, err := runQuery(ctx, s.conn, windowRecordsQuery{vendor: vendor, metric: metric, from: from, to: to})
	if err != nil {
		return nil, fmt.Errorf("read window records: %w", err)
	}
	return out, nil
}

// incompleteCloseInsert records that a month was closed with missing windows.
type incompleteCloseInsert struct {
	period  calendar.Period
	at      time.Time
	by      string
	missing int
	detail  string
}

func (q incompleteCloseInsert) toSQL() (string, []any) {
	return "INSERT INTO collect_incomplete_closes (period, closed_at, closed_by, missing, detail)",
		[]any{q.period.Key(), q.at.UTC(), q.by, uint32(q.missing), q.detail}
}

// RecordIncompleteClose records that month p was closed with missing windows.
func (s *Store) RecordIncompleteClose(ctx context.Context, p calendar.Period, at time.Time, by string, missing int, detail string) error {
	return s.insertOne(ctx, incompleteCloseInsert{period: p, at: at, by: by, missing: missing, detail: detail})
}

// resourceOwnersQuery selects which vendors' work orders name each resource.
type resourceOwnersQuery struct{}

func (resourceOwnersQuery) toSQL() (string, []any) {
	return `SELECT resource_id, groupUniqArray(vendor_id) FROM order_events
WHERE resource_id != '' AND vendor_id != '' GROUP BY resource_id`, nil
}

// resourceOwners is the vendors of the work orders that name a resource.
type resourceOwners struct {
	resource string
	vendors  []string
}

func (resourceOwnersQuery) scan(rows driver.Rows) ([]resourceOwners, error) {
	var out []resourceOwners
	for rows.Next() {
		var r resourceOwners
		if err := rows.Scan(&r.resource, &r.vendors); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ResourceOwners tells, for every resource a work order names, the vendors of those
// orders (the scope of a collector token).
func (s *Store) ResourceOwners(ctx context.Context) (metering.Owners, error) {
	rs, err := runQuery(ctx, s.conn, resourceOwnersQuery{})
	if err != nil {
		return nil, fmt.Errorf("read resource owners: %w", err)
	}
	out := make(metering.Owners, len(rs))
	for _, r := range rs {
		sort.Strings(r.vendors)
		out[r.resource] = r.vendors
	}
	return out, nil
}

// vendorCountQuery counts the imported rows of a vendor.
func vendorCountQuery(id string) countQuery {
	return countQuery{sql: "SELECT count() FROM vendors WHERE id = ?", args: []any{id}}
}

// VendorExists reports whether a vendor was imported.
func (s *Store) VendorExists(ctx context.Context, id string) (bool, error) {
	n, err := runRow(ctx, s.conn, vendorCountQuery(id))
	if err != nil {
		return false, fmt.Errorf("read vendors: %w", err)
	}
	return n > 0, nil
}
