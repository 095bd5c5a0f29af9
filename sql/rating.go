package chstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/ext"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/rating"
)

// The Store gives rating its inputs and keeps its results.
var (
	_ rating.MasterData  = (*Store)(nil)
	_ rating.UsageReader = (*Store)(nil)
	_ rating.Results     = (*Store)(nil)
)

// usageAggregatesQuery aggregates the month's samples of the windows in the external
// table usage_windows (wid, resource_id, metric, agg, from_date, to_date, vendor): one row
// per window with samples. A sample counts only for its own vendor: a window takes the
// rows whose source is its vendor or names no vendor (owner "": a source that is not the
// id of a vendor of master data, such as an operator's file name); another vendor's rows
// are left out before anything else (usageForeignQuery names them). Each sample identity
// (resource_id, metric, ts) then counts once per window at its latest value (argMax by
// version), taken in micro-units as an exact Decimal128; days are Asia/Shanghai dates. Per
// window: the sum and count of samples, the maximum, the sum and number of daily maxima,
// and the 95th percentile (quantileExact) of p95 windows.
//
// Rows are joined to the windows by cityHash64(resource_id, metric), a fixed-size key
// that ClickHouse joins much faster than two strings; UsageAggregates first checks that
// the windows' (resource_id, metric) pairs have distinct hashes (else byName is used).
//
// With final (no series of the windows has rows of more than one owner in the month:
// mixedOwnersQuery), each identity's latest row is read with FINAL (ReplacingMergeTree by
// version: the merge of the sorted parts keeps the row of the highest version) instead of
// grouping every identity by argMax: the same figures, since a series of one owner passes
// or fails the owner test with all its rows, for about a fifth of the server's CPU and a
// twentieth of its memory on the city month (docs/rating.md). Only key conditions are
// inside the FINAL read (applied to whole identities); the value and owner tests come
// after it.
//
// table is usage_samples, or on a cluster each shard's usage_samples_local: a window's
// samples all live on one shard (sharded by resource_id), so each shard answers for the
// windows of its resources and the shards' rows together are the answer. The vendors
// table is a full copy on every node.
type usageAggregatesQuery struct {
	period calendar.Period
	byName bool
	table  string
	final  bool
}

func (q usageAggregatesQuery) toSQL() (string, []any) {
	key, wkey, using := "cityHash64(resource_id, metric) AS h", "cityHash64(resource_id, metric) AS h", "h"
	if q.byName {
		key, wkey, using = "resource_id, metric", "resource_id, metric", "resource_id, metric"
	}
	if q.final {
		return `SELECT wid, sum(dsum), sum(dcnt), max(dmax), sum(dmax), count(), quantileExactIfMerge(0.95)(qs)
FROM (
    SELECT wid, day, sum(micro) AS dsum, count() AS dcnt, max(micro) AS dmax, quantileExactIfState(0.95)(micro, p95 = 1) AS qs
    FROM (
        SELECT wid, p95, day, toDecimal128(round(value * 1000000), 0) AS micro
        FROM (
            SELECT ` + key + `, toDate(ts, 'Asia/Shanghai') AS day, value,
                   if(source IN (SELECT id FROM vendors), source, '') AS owner
            FROM ` + q.table + ` FINAL
            WHERE ts >= toDateTime(?) AND ts < toDateTime(?)
              AND (resource_id, metric) IN (SELECT resource_id, metric FROM usage_windows)
        ) AS s ALL INNER JOIN (
            SELECT ` + wkey + `, wid, toUInt8(agg = 'p95') AS p95, from_date, to_date, vendor FROM usage_windows
        ) AS w USING (` + using + `)
        WHERE day >= from_date AND day <= to_date AND (owner = '' OR owner = vendor)
          AND value >= 0 AND value <= ` + maxBilledSample + `
    )
    GROUP BY wid, day
)
GROUP BY wid`, []any{q.period.Start().Unix(), q.period.End().Unix()}
	}
	return `SELECT wid, sum(dsum), sum(dcnt), max(dmax), sum(dmax), count(), quantileExactIfMerge(0.95)(qs)
FROM (
    SELECT wid, agg, day, sum(micro) AS dsum, count() AS dcnt, max(micro) AS dmax, quantileExactIfState(0.95)(micro, agg = 'p95') AS qs
    FROM (
        SELECT wid, agg, ts, day, argMax(value, version) AS v,
               toDecimal128(round(if(v >= 0 AND v <= ` + maxBilledSample + `, v, 0) * 1000000), 0) AS micro
        FROM (
            SELECT ` + key + `, ts, toDate(ts, 'Asia/Shanghai') AS day, value, version,
                   if(source IN (SELECT id FROM vendors), source, '') AS owner
            FROM ` + q.table + `
            WHERE ts >= toDateTime(?) AND ts < toDateTime(?)
              AND (resource_id, metric) IN (SELECT resource_id, metric FROM usage_windows)
        ) AS s ALL INNER JOIN (
            SELECT ` + wkey + `, wid, agg, from_date, to_date, vendor FROM usage_windows
        ) AS w USING (` + using + `)
        WHERE day >= from_date AND day <= to_date AND (owner = '' OR owner = vendor)
        GROUP BY wid, agg, ts, day
        HAVING v >= 0 AND v <= ` + maxBilledSample + `
    )
    GROUP BY wid, agg, day
)
GROUP BY wid`, []any{q.period.Start().Unix(), q.period.End().Unix()}
}

// usageForeignQuery counts, per resource, metric and source, the month's samples of the
// windows in usage_windows that a window leaves out because their source is another
// vendor's id (at most 21 rows: 20 are named, the 21st says there are more). table as
// in usageAggregatesQuery.
type usageForeignQuery struct {
	period calendar.Period
	table  string
}

func (q usageForeignQuery) toSQL() (string, []any) {
	return `SELECT resource_id, metric, source, uniqExact(ts)
FROM (
    SELECT resource_id, metric, ts, toDate(ts, 'Asia/Shanghai') AS day, source
    FROM ` + q.table + `
    WHERE ts >= toDateTime(?) AND ts < toDateTime(?)
      AND (resource_id, metric) IN (SELECT resource_id, metric FROM usage_windows)
      AND source IN (SELECT id FROM vendors)
) AS s ALL INNER JOIN (
    SELECT resource_id, metric, from_date, to_date, vendor FROM usage_windows
) AS w USING (resource_id, metric)
WHERE day >= from_date AND day <= to_date AND source != vendor
GROUP BY resource_id, metric, source
ORDER BY resource_id, metric, source
LIMIT 21`, []any{q.period.Start().Unix(), q.period.End().Unix()}
}

// mixedOwnersQuery counts the series of the windows in usage_windows whose month holds
// rows of more than one owner (as in usageAggregatesQuery: the source if it is a vendor's
// id, else ""); with none, usageAggregatesQuery may read with FINAL. table as in
// usageAggregatesQuery.
type mixedOwnersQuery struct {
	period calendar.Period
	table  string
}

func (q mixedOwnersQuery) toSQL() (string, []any) {
	return `SELECT count() FROM (
    SELECT resource_id, metric
    FROM ` + q.table + `
    WHERE ts >= toDateTime(?) AND ts < toDateTime(?)
      AND (resource_id, metric) IN (SELECT resource_id, metric FROM usage_windows)
    GROUP BY resource_id, metric
    HAVING uniqExact(if(source IN (SELECT id FROM vendors), source, '')) > 1
)`, []any{q.period.Start().Unix(), q.period.End().Unix()}
}

func (mixedOwnersQuery) scan(rows driver.Rows) ([]uint64, error) { return scanUint64s(rows) }

// foreignSamples is one row of usageForeignQuery.
type foreignSamples struct {
	resource, metric, source string
	n                        uint64
}

func (q usageForeignQuery) scan(rows driver.Rows) ([]foreignSamples, error) {
	var out []foreignSamples
	for rows.Next() {
		var r foreignSamples
		if err := rows.Scan(&r.resource, &r.metric, &r.source, &r.n); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// usageAgg is one row of usageAggregatesQuery: a window's figures in micro-units.
type usageAgg struct {
	wid                   uint32
	sum, max, sumMax, p95 decimal.Decimal
	count, days           uint64
}

func (q usageAggregatesQuery) scan(rows driver.Rows) ([]usageAgg, error) {
	var out []usageAgg
	for rows.Next() {
		var a usageAgg
		if err := rows.Scan(&a.wid, &a.sum, &a.count, &a.max, &a.sumMax, &a.days, &a.p95); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// maxBilledSample is the largest sample value rating takes (the largest ceiling ingest
// can be configured with, metering.Ranges): samples stored outside 0..1e12 (before the
// metric ranges existed) are left out of every quantity, and listed by
// UsageOutOfRange, so that one of them cannot overflow the month's Decimal128 sums.
const maxBilledSample = "1e12"

// usageOutOfRangeQuery lists the samples of the windows in the month whose latest value
// is outside 0..maxBilledSample (at most 21: 20 are named, the 21st says there are more).
type usageOutOfRangeQuery struct {
	period calendar.Period
}

// Only identities with a row out of the range can have their latest value out of it: those
// are found first (a filter on value, no grouping) and only they are grouped by argMax,
// not every identity of the windows (which took 1.1 GB and most of the rating's time on
// the city month).
// The subquery is GLOBAL: on a cluster usage_samples is a Distributed table, and a
// distributed subquery inside a distributed query is refused (distributed_product_mode);
// on a single server GLOBAL IN is IN.
func (q usageOutOfRangeQuery) toSQL() (string, []any) {
	from, to := q.period.Start().Unix(), q.period.End().Unix()
	return `SELECT resource_id, metric, ts, v FROM (
    SELECT resource_id, metric, ts, argMax(value, version) AS v
    FROM usage_samples
    WHERE ts >= toDateTime(?) AND ts < toDateTime(?)
      AND (resource_id, metric) IN (SELECT resource_id, metric FROM usage_windows)
      AND (resource_id, metric, ts) GLOBAL IN (
          SELECT resource_id, metric, ts FROM usage_samples
          WHERE ts >= toDateTime(?) AND ts < toDateTime(?)
            AND (resource_id, metric) IN (SELECT resource_id, metric FROM usage_windows)
            AND NOT (value >= 0 AND value <= ` + maxBilledSample + `))
    GROUP BY resource_id, metric, ts
    HAVING NOT (v >= 0 AND v <= ` + maxBilledSample + `)
)
ORDER BY resource_id, metric, ts
LIMIT 21`, []any{from, to, from, to}
}

// outOfRangeSample is one row of usageOutOfRangeQuery.
type outOfRangeSample struct {
	resource, metric string
	ts               time.Time
	v                float64
}

func (q usageOutOfRangeQuery) scan(rows driver.Rows) ([]outOfRangeSample, error) {
	var out []outOfRangeSample
	for rows.Next() {
		var r outOfRangeSample
		if err := rows.Scan(&r.resource, &r.metric, &r.ts, &r.v); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// usageByName forces grouping by (resource_id, metric) (tests of the fallback).
var usageByName = false

// monthResourceRowsQuery counts the month's stored rows of each resource of the external
// table usage_resources (memory follows the resources, not the samples).
type monthResourceRowsQuery struct{ period calendar.Period }

func (q monthResourceRowsQuery) toSQL() (string, []any) {
	return `SELECT resource_id, count()
FROM usage_samples
WHERE ts >= toDateTime(?) AND ts < toDateTime(?)
  AND resource_id IN (SELECT resource_id FROM usage_resources)
GROUP BY resource_id`, []any{q.period.Start().Unix(), q.period.End().Unix()}
}

// resourceRows is the stored rows of a resource.
type resourceRows struct {
	resource catalog.ResourceID
	rows     uint64
}

func (monthResourceRowsQuery) scan(rows driver.Rows) ([]resourceRows, error) {
	var out []resourceRows
	for rows.Next() {
		var id string
		var n uint64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out = append(out, resourceRows{catalog.ResourceID(id), n})
	}
	return out, rows.Err()
}

// UsageAggregates computes the quantity of every window in ClickHouse with grouped
// queries (samples never come to Go): sum, max and p95 exactly to the micro-unit; avg
// (sum ÷ count) and avg_daily_max (mean of the daily maxima of the days with samples)
// rounded half up to 6 decimals. Windows without samples are absent from the result
// (quantity 0). The windows are taken in chunks of resources whose month holds at most
// Config.SampleChunkRows stored rows, one query each: memory stays bounded whatever the
// month's volume.
func (s *Store) UsageAggregates(ctx context.Context, p calendar.Period, ws []rating.UsageWindow) (rating.Usage, error) {
	out := rating.Usage{}
	if len(ws) == 0 {
		return out, nil
	}
	chunks, err := s.windowChunks(ctx, p, ws)
	if err != nil {
		return nil, fmt.Errorf("aggregate usage of %s: %w", p, err)
	}
	all := make([]int, len(ws))
	for i := range all {
		all[i] = i
	}
	mixed, err := shardWindowRows(ctx, s, ws, all, false, func(table string) rowsQuery[uint64] {
		return mixedOwnersQuery{period: p, table: table}
	})
	if err != nil {
		return nil, fmt.Errorf("aggregate usage of %s: %w", p, err)
	}
	final := !usageByArgMax
	for _, n := range mixed {
		final = final && n == 0
	}
	for _, c := range chunks {
		if err := s.usageAggregates(ctx, p, ws, c, out, final); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// usageByArgMax forces the per-identity argMax form of usageAggregatesQuery (tests that
// both forms give the same figures).
var usageByArgMax = false

// windowChunks splits the indexes of ws into chunks by resource, each resource in one
// chunk, each chunk's resources holding at most s.chunkRows rows in month p (a resource
// with more is a chunk of its own).
func (s *Store) windowChunks(ctx context.Context, p calendar.Period, ws []rating.UsageWindow) ([][]int, error) {
	byRes := map[catalog.ResourceID][]int{}
	var res []catalog.ResourceID
	for i, w := range ws {
		if _, ok := byRes[w.Resource]; !ok {
			res = append(res, w.Resource)
		}
		byRes[w.Resource] = append(byRes[w.Resource], i)
	}
	sort.Slice(res, func(i, j int) bool { return res[i] < res[j] })
	resources := func() (*ext.Table, error) {
		tbl, err := ext.NewTable("usage_resources", ext.Column("resource_id", "String"))
		if err != nil {
			return nil, err
		}
		for _, r := range res {
			if err := tbl.Append(string(r)); err != nil {
				return nil, err
			}
		}
		return tbl, nil
	}
	counted, err := queryExternal(ctx, s.conn, resources, monthResourceRowsQuery{period: p})
	if err != nil {
		return nil, err
	}
	count := make(map[catalog.ResourceID]uint64, len(counted))
	for _, c := range counted {
		count[c.resource] = c.rows
	}
	var out [][]int
	var cur []int
	var n uint64
	for _, r := range res {
		c, ok := count[r]
		if !ok {
			continue // no samples: quantity 0, nothing to ask
		}
		if len(cur) > 0 && n+c > uint64(s.chunkRows) {
			out, cur, n = append(out, cur), nil, 0
		}
		cur = append(cur, byRes[r]...)
		n += c
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out, nil
}

// usageAggregates computes the windows ws[i], i in idx, into out.
func (s *Store) usageAggregates(ctx context.Context, p calendar.Period, ws []rating.UsageWindow, idx []int, out rating.Usage, final bool) error {
	tbl, err := usageWindowsTable(ws, idx)
	if err != nil {
		return err
	}
	distinct, err := runRow(clickhouse.Context(ctx, clickhouse.WithExternalTable(tbl)), s.conn, hashesDistinctQuery{table: "usage_windows"})
	if err != nil {
		return fmt.Errorf("aggregate usage of %s: %w", p, err)
	}
	// The replica answering has every block its peer took (none missed while it was
	// down), or no figure.
	aggs, err := shardWindowRows(ctx, s, ws, idx, true, func(table string) rowsQuery[usageAgg] {
		return usageAggregatesQuery{period: p, byName: !distinct || usageByName, table: table, final: final}
	})
	if err != nil {
		return fmt.Errorf("aggregate usage of %s: %w", p, err)
	}
	seen := make(map[uint32]bool, len(aggs))
	for _, a := range aggs {
		wid, sum, count, max, sumMax, days, p95 := a.wid, a.sum, a.count, a.max, a.sumMax, a.days, a.p95
		if int(wid) >= len(ws) {
			return fmt.Errorf("aggregate usage of %s: unknown window %d", p, wid)
		}
		if seen[wid] {
			// Only after a change of the sharding key without moving the data (docs/cluster.md).
			return fmt.Errorf("aggregate usage of %s: the samples of window %s are on more than one shard", p, ws[wid])
		}
		seen[wid] = true
		w := ws[wid]
		var qty decimal.Decimal
		switch w.Agg {
		case catalog.AggSum:
			qty = sum
		case catalog.AggMax:
			qty = max
		case catalog.AggAvg:
			qty = sum.DivRound(decimal.NewFromInt(int64(count)), rating.QuantityPlaces+6)
		case catalog.AggP95:
			qty = p95
		case catalog.AggAvgDailyMax:
			qty = sumMax.DivRound(decimal.NewFromInt(int64(days)), rating.QuantityPlaces+6)
		default:
			return fmt.Errorf("aggregate usage of %s: window %s: unknown aggregation %q", p, w, w.Agg)
		}
		out[w] = qty.Shift(-6).Round(rating.QuantityPlaces)
	}
	return nil
}

// queryWindows runs q (over usage_windows) on conn with the windows ws[i], i in idx, as its external table
// usage_windows, and scans its rows.
func queryWindows[R any](ctx context.Context, conn driver.Conn, ws []rating.UsageWindow, idx []int, q rowsQuery[R]) ([]R, error) {
	return queryExternal(ctx, conn, func() (*ext.Table, error) { return usageWindowsTable(ws, idx) }, q)
}

// shardWindowRows runs the query that query(table) makes over the windows ws[i], i in
// idx, as the external table usage_windows, on every shard (see rowsOfShards).
func shardWindowRows[R any](ctx context.Context, s *Store, ws []rating.UsageWindow, idx []int, catchUp bool, query func(table string) rowsQuery[R]) ([]R, error) {
	return rowsOfShards(ctx, s, func() (*ext.Table, error) { return usageWindowsTable(ws, idx) }, catchUp, query)
}

// usageWindowsTable is the windows ws[i], i in idx, as the external table usage_windows
// (wid = i).
func usageWindowsTable(ws []rating.UsageWindow, idx []int) (*ext.Table, error) {
	tbl, err := ext.NewTable("usage_windows",
		ext.Column("wid", "UInt32"), ext.Column("resource_id", "String"), ext.Column("metric", "String"),
		ext.Column("agg", "String"), ext.Column("from_date", "Date"), ext.Column("to_date", "Date"), ext.Column("vendor", "String"))
	if err != nil {
		return nil, err
	}
	for _, i := range idx {
		w := ws[i]
		if err := tbl.Append(uint32(i), string(w.Resource), w.Metric, string(w.Agg), w.From.Time(), w.To.Time(), string(w.Vendor)); err != nil {
			return nil, fmt.Errorf("usage windows: %w", err)
		}
	}
	return tbl, nil
}

var _ rating.UsageAnomalies = (*Store)(nil)

// UsageOutOfRange names the samples of month p, of the windows ws, that UsageAggregates
// leaves out because their value is outside 0..1e12 (stored before ingest checked metric
// ranges): one exception each, at most 20 and a last one saying there are more. Like
// UsageAggregates it reads the windows in chunks of bounded rows.
func (s *Store) UsageOutOfRange(ctx context.Context, p calendar.Period, ws []rating.UsageWindow) ([]string, error) {
	if len(ws) == 0 {
		return nil, nil
	}
	chunks, err := s.windowChunks(ctx, p, ws)
	if err != nil {
		return nil, fmt.Errorf("out-of-range samples of %s: %w", p, err)
	}
	var out []string
	for _, c := range chunks {
		if err := s.usageOutOfRange(ctx, p, ws, c, &out); err != nil || len(out) > 20 {
			return out, err
		}
	}
	return out, nil
}

func (s *Store) usageOutOfRange(ctx context.Context, p calendar.Period, ws []rating.UsageWindow, idx []int, outp *[]string) error {
	found, err := queryWindows(ctx, s.conn, ws, idx, usageOutOfRangeQuery{period: p})
	if err != nil {
		return fmt.Errorf("out-of-range samples of %s: %w", p, err)
	}
	out := *outp
	for _, r := range found {
		if len(out) == 20 {
			out = append(out, "… and more samples out of range")
			break
		}
		out = append(out, fmt.Sprintf("sample %s %s at %s: value %g is outside 0..%s, left out of the month's quantities",
			r.resource, r.metric, r.ts.In(calendar.Shanghai()).Format(time.RFC3339), r.v, maxBilledSample))
	}
	*outp = out
	return nil
}

// UsageForeign names the samples of month p that the windows ws leave out because their
// source is another vendor's (see usageAggregatesQuery): one exception per resource,
// metric and source with the number of samples, at most 20 and a last one saying there
// are more. Like UsageAggregates it reads the windows in chunks of bounded rows, on a
// cluster every shard.
func (s *Store) UsageForeign(ctx context.Context, p calendar.Period, ws []rating.UsageWindow) ([]string, error) {
	if len(ws) == 0 {
		return nil, nil
	}
	chunks, err := s.windowChunks(ctx, p, ws)
	if err != nil {
		return nil, fmt.Errorf("foreign samples of %s: %w", p, err)
	}
	var found []foreignSamples
	for _, c := range chunks {
		mine, err := shardWindowRows(ctx, s, ws, c, false, func(table string) rowsQuery[foreignSamples] {
			return usageForeignQuery{period: p, table: table}
		})
		if err != nil {
			return nil, fmt.Errorf("foreign samples of %s: %w", p, err)
		}
		found = append(found, mine...)
		if len(found) > 20 {
			break
		}
	}
	sort.Slice(found, func(i, j int) bool {
		a, b := found[i], found[j]
		if a.resource != b.resource {
			return a.resource < b.resource
		}
		if a.metric != b.metric {
			return a.metric < b.metric
		}
		return a.source < b.source
	})
	var out []string
	for _, r := range found {
		if len(out) == 20 {
			out = append(out, "… and more samples of other vendors")
			break
		}
		out = append(out, fmt.Sprintf("samples of resource %s, metric %s, source %s: %d, another vendor's, left out of the month's quantities (a sample counts only for its own vendor)",
			r.resource, r.metric, r.source, r.n))
	}
	return out, nil
}

// chDate is d as a ClickHouse Date (the zero Date as 1970-01-01).
func chDate(d calendar.Date) time.Time {
	if d.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return d.Time()
}

func fromCHDate(t time.Time) calendar.Date {
	if t.Unix() <= 0 {
		return calendar.Date{}
	}
	return calendar.DateOf(t)
}

func periodKey(p calendar.Period) uint32 {
	if p == (calendar.Period{}) {
		return 0
	}
	return p.Key()
}

// SaveRun stores a run: its lines, their daily detail (computed in ClickHouse from the
// lines: every day Line.DailyAmount, the last day the rest, as rating.Line.Daily does),
// its vendor deductions, and last the rating_runs row that commits it. Then the month's
// superseded runs are deleted, all but the one this run supersedes (a reader may be
// reading it). The month must be open (the rater checks).
func (s *Store) SaveRun(ctx context.Context, r rating.Run, lines []rating.Line, ded []rating.VendorDeduction) error {
	runNo, err := runRow(ctx, s.conn, runNumberQuery{period: r.Period})
	if err != nil {
		return fmt.Errorf("number run: %w", err)
	}
	if err := s.insertBlock(ctx, ratedLinesInsert{run: r, lines: lines}); err != nil {
		return fmt.Errorf("insert rated lines: %w", err)
	}
	if err := execOn(ctx, s.conn, ratedDaysInsert{run: r}); err != nil {
		return fmt.Errorf("insert daily detail: %w", err)
	}
	if err := s.insertBlock(ctx, vendorDeductionsInsert{run: r, ded: ded}); err != nil {
		return fmt.Errorf("insert vendor deductions: %w", err)
	}
	gross, deductions, adjustments := decimal.Zero, decimal.Zero, decimal.Zero
	for _, l := range lines {
		switch l.Kind {
		case rating.KindDeduction:
			deductions = deductions.Add(l.Amount)
		case rating.KindAdjustment:
			adjustments = adjustments.Add(l.Amount)
		default:
			gross = gross.Add(l.Amount)
		}
	}
	// The run this one supersedes stays until the next run: a reader that chose it just
	// before the commit below still finds all its rows (TestReadersSeeWholeRuns).
	previous := ""
	if prev, err := s.LatestRun(ctx, r.Period); err == nil {
		previous = prev.ID
	} else if !errors.Is(err, rating.ErrNotRated) {
		return err
	}
	run := ratingRunInsert{run: r, runNo: runNo + 1, gross: gross, deductions: deductions, adjustments: adjustments}
	if err := s.insertOne(ctx, run); err != nil {
		return fmt.Errorf("commit run: %w", err)
	}
	// A month closed while this run was computed keeps every run (its frozen one above
	// all); readers of a closed month use period_closes.run_id.
	if _, closed, err := s.CloseOf(ctx, r.Period); err != nil || closed {
		return err
	}
	for _, t := range runTables() {
		if err := execOn(ctx, s.conn, supersededRunsDelete{table: t, period: r.Period, keep: [2]string{r.ID, previous}}); err != nil {
			return fmt.Errorf("delete superseded runs of %s from %s: %w", r.Period, t, err)
		}
	}
	return nil
}

// runNumberQuery counts the runs of a month (the next run's number is one more).
type runNumberQuery struct{ period calendar.Period }

func (q runNumberQuery) toSQL() (string, []any) {
	return "SELECT toUInt32(count()) FROM rating_runs WHERE period = ?", []any{q.period.Key()}
}

func (runNumberQuery) scan(row driver.Row) (uint32, error) {
	var n uint32
	err := row.Scan(&n)
	return n, err
}

// ratedLinesInsert stores the lines of a run, in order (seq).
type ratedLinesInsert struct {
	run   rating.Run
	lines []rating.Line
}

func (ratedLinesInsert) toSQL() string {
	return `INSERT INTO rated_lines (period, run_id, seq, kind, department_id, vendor_id, project_id, category, order_id,
item_code, zone, mode, from_date, to_date, days, days_in_month, quantity, unit_price, unrounded, amount, daily_amount,
catalog_version, corrects, corrects_kind, note)`
}

func (q ratedLinesInsert) rows() int { return len(q.lines) }

func (q ratedLinesInsert) row(i int) []any {
	l := q.lines[i]
	return []any{q.run.Period.Key(), q.run.ID, uint32(i), string(l.Kind), string(l.Department), string(l.Vendor), string(l.Project), string(l.Category),
		string(l.Order), string(l.Item), string(l.Zone), string(l.Mode), chDate(l.From), chDate(l.To), int32(l.Days), uint8(l.DaysInMonth),
		l.Quantity, l.UnitPrice, l.Unrounded, l.Amount, l.DailyAmount(), chDate(l.CatalogVersion), periodKey(l.Corrects),
		string(l.CorrectsKind), l.Note}
}

// ratedDaysInsert computes a run's daily detail in ClickHouse from its stored lines:
// every day Line.DailyAmount, the last day the rest, as rating.Line.Daily does.
type ratedDaysInsert struct{ run rating.Run }

func (q ratedDaysInsert) toSQL() (string, []any) {
	return `INSERT INTO rated_days (period, run_id, date, department_id, vendor_id, project_id, order_id, item_code,
kind, quantity, unit_price, amount, line_seq)
SELECT period, run_id, from_date + i, department_id, vendor_id, project_id, order_id, item_code, kind, quantity, unit_price,
       if(i + 1 = days, unrounded - daily_amount * (days - 1), daily_amount), seq
FROM rated_lines ARRAY JOIN range(toUInt32(days)) AS i
WHERE period = ? AND run_id = ? AND kind IN ('charge', 'metered', 'unfunded') AND days > 0`, []any{q.run.Period.Key(), q.run.ID}
}

// vendorDeductionsInsert stores how each vendor's acceptance became its deduction in a
// run (the whole record as JSON in detail).
type vendorDeductionsInsert struct {
	run rating.Run
	ded []rating.VendorDeduction
}

func (vendorDeductionsInsert) toSQL() string {
	return `INSERT INTO vendor_deductions (period, run_id, vendor_id, pending, effective_result, security_valid, rate, gross,
deduction, net, rules_version, detail)`
}

func (q vendorDeductionsInsert) rows() int { return len(q.ded) }

func (q vendorDeductionsInsert) row(i int) []any {
	d := q.ded[i]
	detail, _ := json.Marshal(d)
	return []any{q.run.Period.Key(), q.run.ID, string(d.Vendor), flag(d.Pending), string(d.EffectiveResult), flag(d.SecurityValid), d.Rate.Round(6),
		d.Gross, d.Deduction, d.Net, d.RulesVersion, string(detail)}
}

// ratingRunInsert commits a run (its number and its gross, deductions and adjustments).
type ratingRunInsert struct {
	run                            rating.Run
	runNo                          uint32
	gross, deductions, adjustments decimal.Decimal
}

func (q ratingRunInsert) toSQL() (string, []any) {
	r := q.run
	pending := make([]string, len(r.Pending))
	for i, v := range r.Pending {
		pending[i] = string(v)
	}
	exceptions := append([]string{}, r.Exceptions...)
	return `INSERT INTO rating_runs (run_id, period, run_no, rated_at, fingerprint, lines, total, gross, deductions,
adjustments, pending, exceptions)`, []any{r.ID, r.Period.Key(), q.runNo, r.RatedAt.UTC(), r.Fingerprint, uint64(r.Lines), r.Total, q.gross, q.deductions,
			q.adjustments, pending, exceptions}
}

// runTables are the tables that hold a run's rows, keyed by period and run_id: the only
// tables supersededRunsDelete names.
func runTables() [3]string { return [...]string{"rated_lines", "rated_days", "vendor_deductions"} }

// supersededRunsDelete deletes from a run table the rows of a month's runs but two (the
// run just committed and the one it supersedes). A table not in runTables is refused.
type supersededRunsDelete struct {
	table  string
	period calendar.Period
	keep   [2]string
}

func (q supersededRunsDelete) toSQL() (string, []any) {
	table := ""
	for _, t := range runTables() {
		if q.table == t {
			table = t
		}
	}
	if table == "" {
		return "", nil // not a run table: an empty statement, which the server refuses
	}
	return "ALTER TABLE " + table + " DELETE WHERE period = ? AND run_id != ? AND run_id != ?", []any{q.period.Key(), q.keep[0], q.keep[1]}
}

// LatestRun is month p's latest committed run; rating.ErrNotRated when it has none.
func (s *Store) LatestRun(ctx context.Context, p calendar.Period) (rating.Run, error) {
	runs, err := s.runs(ctx, p, 1)
	if err != nil {
		return rating.Run{}, err
	}
	if len(runs) == 0 {
		return rating.Run{}, fmt.Errorf("%s: %w", p, rating.ErrNotRated)
	}
	return runs[0], nil
}

// Runs lists month p's runs, latest first.
func (s *Store) Runs(ctx context.Context, p calendar.Period) ([]rating.Run, error) {
	return s.runs(ctx, p, 0)
}

func (s *Store) runs(ctx context.Context, p calendar.Period, limit int) ([]rating.Run, error) {
	out, err := runQuery(ctx, s.conn, runsQuery{period: p, limit: limit})
	if err != nil {
		return nil, fmt.Errorf("read rating runs of %s: %w", p, err)
	}
	return out, nil
}

// runsQuery reads a month's runs, latest first; at most limit when it is positive.
type runsQuery struct {
	period calendar.Period
	limit  int
}

func (q runsQuery) toSQL() (string, []any) {
	sql := `SELECT run_id, rated_at, fingerprint, lines, total, pending, exceptions FROM rating_runs
WHERE period = ? ORDER BY run_no DESC, run_id`
	args := []any{q.period.Key()}
	if q.limit > 0 {
		sql += " LIMIT ?"
		args = append(args, q.limit)
	}
	return sql, args
}

func (q runsQuery) scan(rows driver.Rows) ([]rating.Run, error) {
	var out []rating.Run
	for rows.Next() {
		r := rating.Run{Period: q.period}
		var lines uint64
		var pending []string
		if err := rows.Scan(&r.ID, &r.RatedAt, &r.Fingerprint, &lines, &r.Total, &pending, &r.Exceptions); err != nil {
			return nil, err
		}
		r.Lines = int(lines)
		for _, v := range pending {
			r.Pending = append(r.Pending, catalog.VendorID(v))
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// runOf is the run whose results are month p's: the frozen one when p is closed, else
// the latest.
func (s *Store) runOf(ctx context.Context, p calendar.Period) (string, error) {
	c, closed, err := s.CloseOf(ctx, p)
	if err != nil {
		return "", err
	}
	if closed && c.RunID != "" {
		return c.RunID, nil
	}
	r, err := s.LatestRun(ctx, p)
	if err != nil {
		return "", err
	}
	return r.ID, nil
}

// RatedLines is month p's lines in the order the run wrote them (rating.SortLines): the
// frozen run's if p is closed, else the latest run's; rating.ErrNotRated if never rated.
func (s *Store) RatedLines(ctx context.Context, p calendar.Period) ([]rating.Line, error) {
	run, err := s.runOf(ctx, p)
	if err != nil {
		return nil, err
	}
	out, err := runQuery(ctx, s.conn, ratedLinesQuery{period: p, run: run})
	if err != nil {
		return nil, fmt.Errorf("read rated lines of %s: %w", p, err)
	}
	return out, nil
}

// ratedLinesQuery reads the lines of a run of a month, in the order written.
type ratedLinesQuery struct {
	period calendar.Period
	run    string
}

func (q ratedLinesQuery) toSQL() (string, []any) {
	return `SELECT kind, department_id, vendor_id, project_id, category, order_id, item_code, zone, mode, from_date, to_date,
days, days_in_month, quantity, unit_price, unrounded, amount, catalog_version, corrects, corrects_kind, note
FROM rated_lines WHERE period = ? AND run_id = ? ORDER BY seq`, []any{q.period.Key(), q.run}
}

func (q ratedLinesQuery) scan(rows driver.Rows) ([]rating.Line, error) {
	var out []rating.Line
	for rows.Next() {
		var (
			l                                                            rating.Line
			kind, dep, vendor, proj, cat, order, item, zone, mode, ckind string
			from, to, version                                            time.Time
			days                                                         int32
			dim                                                          uint8
			corrects                                                     uint32
		)
		if err := rows.Scan(&kind, &dep, &vendor, &proj, &cat, &order, &item, &zone, &mode, &from, &to, &days, &dim,
			&l.Quantity, &l.UnitPrice, &l.Unrounded, &l.Amount, &version, &corrects, &ckind, &l.Note); err != nil {
			return nil, err
		}
		l.Period, l.Kind = q.period, rating.Kind(kind)
		l.Department, l.Vendor, l.Project = catalog.DepartmentID(dep), catalog.VendorID(vendor), catalog.ProjectID(proj)
		l.Category, l.Order, l.Item = catalog.ProjectCategory(cat), catalog.OrderID(order), catalog.ItemCode(item)
		l.Zone, l.Mode = catalog.Zone(zone), catalog.Mode(mode)
		l.From, l.To, l.CatalogVersion = fromCHDate(from), fromCHDate(to), fromCHDate(version)
		l.Days, l.DaysInMonth = int(days), int(dim)
		if corrects != 0 {
			l.Corrects = calendar.PeriodOfKey(corrects)
		}
		l.CorrectsKind = rating.Kind(ckind)
		out = append(out, l)
	}
	return out, rows.Err()
}

// DailyAmounts is the daily detail of department dep (that department only, not its
// subordinate units) in month p, by date, order and line; unrounded amounts.
func (s *Store) DailyAmounts(ctx context.Context, p calendar.Period, dep catalog.DepartmentID) ([]rating.Day, error) {
	run, err := s.runOf(ctx, p)
	if err != nil {
		return nil, err
	}
	out, err := runQuery(ctx, s.conn, dailyAmountsQuery{period: p, run: run, dep: dep})
	if err != nil {
		return nil, fmt.Errorf("read daily amounts of %s: %w", p, err)
	}
	return out, nil
}

// dailyAmountsQuery reads the daily detail of one department in a run of a month.
type dailyAmountsQuery struct {
	period calendar.Period
	run    string
	dep    catalog.DepartmentID
}

func (q dailyAmountsQuery) toSQL() (string, []any) {
	return `SELECT date, vendor_id, project_id, order_id, item_code, kind, quantity, unit_price, amount
FROM rated_days WHERE period = ? AND run_id = ? AND department_id = ? ORDER BY date, order_id, line_seq`, []any{q.period.Key(), q.run, string(q.dep)}
}

func (q dailyAmountsQuery) scan(rows driver.Rows) ([]rating.Day, error) {
	var out []rating.Day
	for rows.Next() {
		d := rating.Day{Period: q.period, Department: q.dep}
		var date time.Time
		var vendor, proj, order, item, kind string
		if err := rows.Scan(&date, &vendor, &proj, &order, &item, &kind, &d.Quantity, &d.UnitPrice, &d.Amount); err != nil {
			return nil, err
		}
		d.Date = fromCHDate(date)
		d.Vendor, d.Project, d.Order, d.Item, d.Kind = catalog.VendorID(vendor), catalog.ProjectID(proj), catalog.OrderID(order), catalog.ItemCode(item), rating.Kind(kind)
		out = append(out, d)
	}
	return out, rows.Err()
}

// VendorDeductions is how each vendor's acceptance became its deduction in month p (the
// frozen run's if closed, else the latest run's), by vendor.
func (s *Store) VendorDeductions(ctx context.Context, p calendar.Period) ([]rating.VendorDeduction, error) {
	run, err := s.runOf(ctx, p)
	if err != nil {
		return nil, err
	}
	out, err := runQuery(ctx, s.conn, vendorDeductionsQuery{period: p, run: run})
	if err != nil {
		return nil, fmt.Errorf("read vendor deductions of %s: %w", p, err)
	}
	return out, nil
}

// vendorDeductionsQuery reads the vendor deductions of a run of a month (each stored
// whole, as JSON), by vendor.
type vendorDeductionsQuery struct {
	period calendar.Period
	run    string
}

func (q vendorDeductionsQuery) toSQL() (string, []any) {
	return `SELECT detail FROM vendor_deductions WHERE period = ? AND run_id = ? ORDER BY vendor_id`, []any{q.period.Key(), q.run}
}

func (vendorDeductionsQuery) scan(rows driver.Rows) ([]rating.VendorDeduction, error) {
	var out []rating.VendorDeduction
	for rows.Next() {
		var detail string
		if err := rows.Scan(&detail); err != nil {
			return nil, err
		}
		var d rating.VendorDeduction
		if err := json.Unmarshal([]byte(detail), &d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
