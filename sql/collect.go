package chstore

import (
	"context"
	"fmt"
	"sort"
	"sync/atomic"
	"time"

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

// SaveMappings stores a configuration's mappings (a new version of each).
func (s *Store) SaveMappings(ctx context.Context, ms []pull.MappingRecord) error {
	if len(ms) == 0 {
		return nil
	}
	b, err := s.conn.PrepareBatch(ctx, "INSERT INTO collect_mappings (vendor_id, metric, query, resource_label, window_seconds, lateness_seconds, start, config_file, saved_at, version)")
	if err != nil {
		return fmt.Errorf("save collector mappings: %w", err)
	}
	for _, m := range ms {
		if err := b.Append(m.Vendor, m.Metric, m.Query, m.ResourceLabel, uint32(m.Window/time.Second), uint32(m.Lateness/time.Second),
			m.Start.UTC(), m.File, m.At.UTC(), nextCollectVersion()); err != nil {
			_ = b.Abort()
			return fmt.Errorf("save collector mappings: %w", err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("save collector mappings: %w", err)
	}
	return nil
}

// mappingsQuery selects the latest version of every (vendor, metric) mapping.
func mappingsQuery() (string, []any) {
	return `SELECT vendor_id, metric, argMax(query, version), argMax(resource_label, version), argMax(window_seconds, version),
       argMax(lateness_seconds, version), argMax(start, version), argMax(config_file, version), argMax(saved_at, version)
FROM collect_mappings GROUP BY vendor_id, metric ORDER BY vendor_id, metric`, nil
}

// Mappings returns the latest stored version of every collector mapping.
func (s *Store) Mappings(ctx context.Context) ([]pull.MappingRecord, error) {
	q, args := mappingsQuery()
	rows, err := s.conn.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read collector mappings: %w", err)
	}
	defer rows.Close()
	var out []pull.MappingRecord
	for rows.Next() {
		var m pull.MappingRecord
		var w, l uint32
		if err := rows.Scan(&m.Vendor, &m.Metric, &m.Query, &m.ResourceLabel, &w, &l, &m.Start, &m.File, &m.At); err != nil {
			return nil, fmt.Errorf("read collector mappings: %w", err)
		}
		m.Window, m.Lateness = time.Duration(w)*time.Second, time.Duration(l)*time.Second
		out = append(out, m)
	}
	return out, rows.Err()
}

// windowStatesQuery selects the latest status of each window of (vendor, metric)
// starting in [from, to).
func windowStatesQuery(vendor, metric string, from, to time.Time) (string, []any) {
	return `SELECT toUInt32(window_start), argMax(status, version) FROM collect_windows
WHERE vendor_id = ? AND metric = ? AND window_start >= ? AND window_start < ?
GROUP BY window_start`, []any{vendor, metric, from.UTC(), to.UTC()}
}

// WindowStates returns the latest status of each recorded window, by start (Unix seconds).
func (s *Store) WindowStates(ctx context.Context, vendor, metric string, from, to time.Time) (map[int64]pull.Status, error) {
	q, args := windowStatesQuery(vendor, metric, from, to)
	rows, err := s.conn.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read collected windows of %s %s: %w", vendor, metric, err)
	}
	defer rows.Close()
	out := map[int64]pull.Status{}
	for rows.Next() {
		var start uint32
		var st string
		if err := rows.Scan(&start, &st); err != nil {
			return nil, fmt.Errorf("read collected windows of %s %s: %w", vendor, metric, err)
		}
		out[int64(start)] = pull.Status(st)
	}
	return out, rows.Err()
}

// RecordWindows appends window records.
func (s *Store) RecordWindows(ctx context.Context, ws []pull.Window) error {
	if len(ws) == 0 {
		return nil
	}
	b, err := s.conn.PrepareBatch(ctx, "INSERT INTO collect_windows (vendor_id, metric, window_start, window_end, status, series, samples, error, trigger, reason, recorded_at, version)")
	if err != nil {
		return err
	}
	for _, w := range ws {
		if err := b.Append(w.Vendor, w.Metric, w.Start.UTC(), w.End.UTC(), string(w.Status), uint32(w.Series), uint32(w.Samples),
			w.Error, w.Trigger, w.Reason, w.At.UTC(), nextCollectVersion()); err != nil {
			_ = b.Abort()
			return err
		}
	}
	return b.Send()
}

// WindowRecords returns every record of (vendor, metric) for windows starting in [from,
// to), oldest window first and, per window, in the order recorded.
func (s *Store) WindowRecords(ctx context.Context, vendor, metric string, from, to time.Time) ([]pull.Window, error) {
	rows, err := s.conn.Query(ctx, `SELECT vendor_id, metric, window_start, window_end, status, series, samples, error, trigger, reason, recorded_at
FROM collect_windows WHERE vendor_id = ? AND metric = ? AND window_start >= ? AND window_start < ?
ORDER BY window_start, version`, vendor, metric, from.UTC(), to.UTC())
	if err != nil {
		return nil, fmt.Errorf("read window records: %w", err)
	}
	defer rows.Close()
	var out []pull.Window
	for rows.Next() {
		var w pull.Window
		var st string
		var series, samples uint32
		if err := rows.Scan(&w.Vendor, &w.Metric, &w.Start, &w.End, &st, &series, &samples, &w.Error, &w.Trigger, &w.Reason, &w.At); err != nil {
			return nil, fmt.Errorf("read window records: %w", err)
		}
		w.Status, w.Series, w.Samples = pull.Status(st), int(series), int(samples)
		out = append(out, w)
	}
	return out, rows.Err()
}

// RecordIncompleteClose records that month p was closed with missing windows.
func (s *Store) RecordIncompleteClose(ctx context.Context, p calendar.Period, at time.Time, by string, missing int, detail string) error {
	return s.insertRow(ctx, "INSERT INTO collect_incomplete_closes (period, closed_at, closed_by, missing, detail)",
		p.Key(), at.UTC(), by, uint32(missing), detail)
}

// resourceOwnersQuery selects which vendors' work orders name each resource.
func resourceOwnersQuery() (string, []any) {
	return `SELECT resource_id, groupUniqArray(vendor_id) FROM order_events
WHERE resource_id != '' AND vendor_id != '' GROUP BY resource_id`, nil
}

// ResourceOwners tells, for every resource a work order names, the vendors of those
// orders (the scope of a collector token).
func (s *Store) ResourceOwners(ctx context.Context) (metering.Owners, error) {
	q, args := resourceOwnersQuery()
	rows, err := s.conn.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read resource owners: %w", err)
	}
	defer rows.Close()
	out := metering.Owners{}
	for rows.Next() {
		var r string
		var vs []string
		if err := rows.Scan(&r, &vs); err != nil {
			return nil, fmt.Errorf("read resource owners: %w", err)
		}
		sort.Strings(vs)
		out[r] = vs
	}
	return out, rows.Err()
}

// VendorExists reports whether a vendor was imported.
func (s *Store) VendorExists(ctx context.Context, id string) (bool, error) {
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM vendors WHERE id = ?", id).Scan(&n); err != nil {
		return false, fmt.Errorf("read vendors: %w", err)
	}
	return n > 0, nil
}
