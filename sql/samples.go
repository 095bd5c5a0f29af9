package chstore

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/ext"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"cloudbill/metering"
)

var (
	_ metering.Sink            = (*Store)(nil)
	_ metering.DuplicateFinder = (*Store)(nil)
)

// InsertSamples writes a batch of samples to usage_samples as one native columnar
// insert. The rows keep the versions the batcher gave them (the order of ingest, so
// readers take the latest value per identity); ingested_at is the instant of that
// version. Sending the same batch again changes no figure.
//
// The rows are sent in the table's sort order, (resource_id, metric, ts): the server
// then writes the block as it comes (MergeTree checks the order and skips its own sort
// and permutation of every column), which is most of its work on a time-major file.
// The order is a function of the batch, so a retried batch is the same block (what
// insert_deduplicate compares in cluster mode).
func (s *Store) InsertSamples(ctx context.Context, b *metering.Batch) error {
	if b.Len() == 0 {
		return nil
	}
	sc := getSortedColumns()
	defer putSortedColumns(sc)
	sc.fill(b)
	// In cluster mode a failed send is retried with the same rows: the shards'
	// Replicated tables drop the blocks they already hold.
	err := s.retry(ctx, func() error {
		return sendBlock(ctx, s.conn, samplesInsert{}.toSQL(), func(batch driver.Batch) error {
			if !sc.into(batch.Columns()) {
				for i, c := range sc.values() {
					if err := batch.Column(i).Append(c); err != nil {
						return fmt.Errorf("column %d: %w", i, err)
					}
				}
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("insert samples: %w", err)
	}
	return nil
}

// samplesInsert is the INSERT of a batch of samples, whose columns are handed to the
// driver whole (sortedColumns), not row by row.
type samplesInsert struct{}

func (samplesInsert) toSQL() string {
	return "INSERT INTO usage_samples (resource_id, metric, ts, value, source, ingested_at, version)"
}

// sortedColumns are the columns of one insert, in the table's sort order and already in
// the form the native protocol sends (ch-go's columns: a string column is one buffer of
// bytes and the positions in it). They are built directly from the batch, without a
// value per row in between, and kept for the next insert, so that a stream of batches
// reuses the same memory.
type sortedColumns struct {
	order                    []int32
	resource, metric, source proto.ColStr
	ts, ingested             proto.ColDateTime
	value                    proto.ColFloat64
	version                  proto.ColUInt64
	// series ranking (sampleOrder)
	rowSeries []int32
	count     []int32
	keys      []seriesKey
	rank      []int32
}

// sortedColumnsFree keeps the columns of the last few inserts for the next ones (a
// sync.Pool would drop them at every collection, and a fresh 10 MB a batch costs page
// faults); as many as inserts run at once in practice.
var sortedColumnsFree = make(chan *sortedColumns, 4)

func getSortedColumns() *sortedColumns {
	select {
	case sc := <-sortedColumnsFree:
		return sc
	default:
		return new(sortedColumns)
	}
}

func putSortedColumns(sc *sortedColumns) {
	select {
	case sortedColumnsFree <- sc:
	default:
	}
}

// fill puts the rows of b into sc in the order of sampleOrder.
func (sc *sortedColumns) fill(b *metering.Batch) {
	n := b.Len()
	sc.order = sc.sampleOrder(b)
	clear(sc.keys) // no string of the batch kept alive by a spare buffer
	// the string columns sized once (grown string by string, their buffers were copied
	// over and over: a tenth of a pull's client CPU)
	for _, c := range []struct {
		col  *proto.ColStr
		strs []string
	}{{&sc.resource, b.ResourceID}, {&sc.metric, b.Metric}, {&sc.source, b.Source}} {
		size := 0
		for _, s := range c.strs {
			size += len(s)
		}
		c.col.Buf = slices.Grow(c.col.Buf[:0], size)
		c.col.Pos = slices.Grow(c.col.Pos[:0], n)
	}
	sc.ts.Data = slices.Grow(sc.ts.Data[:0], n)[:n]
	sc.ingested.Data = slices.Grow(sc.ingested.Data[:0], n)[:n]
	sc.value = slices.Grow(sc.value[:0], n)[:n]
	sc.version = slices.Grow(sc.version[:0], n)[:n]
	for k, i := range sc.order {
		sc.resource.Append(b.ResourceID[i])
		sc.metric.Append(b.Metric[i])
		sc.source.Append(b.Source[i])
		sc.ts.Data[k] = proto.DateTime(b.TS[i])
		sc.value[k] = b.Value[i]
		sc.ingested.Data[k] = proto.DateTime(b.Version[i] / uint64(time.Second))
		sc.version[k] = b.Version[i]
	}
}

// into hands sc's columns to the columns of a batch (resource_id, metric, ts, value,
// source, ingested_at, version), when the driver keeps them as ch-go columns (field
// "col", checked by type); false: the caller appends sc.values() instead.
func (sc *sortedColumns) into(cols []column.Interface) bool {
	if len(cols) != 7 {
		return false
	}
	res, met, src := nativeColumn[proto.ColStr](cols[0]), nativeColumn[proto.ColStr](cols[1]), nativeColumn[proto.ColStr](cols[4])
	ts, ing := nativeColumn[proto.ColDateTime](cols[2]), nativeColumn[proto.ColDateTime](cols[5])
	val, ver := nativeColumn[proto.ColFloat64](cols[3]), nativeColumn[proto.ColUInt64](cols[6])
	if res == nil || met == nil || src == nil || ts == nil || ing == nil || val == nil || ver == nil ||
		res.Rows() != 0 || met.Rows() != 0 || src.Rows() != 0 || ts.Rows() != 0 || ing.Rows() != 0 || val.Rows() != 0 || ver.Rows() != 0 {
		return false
	}
	*res, *met, *src = sc.resource, sc.metric, sc.source
	ts.Data, ing.Data = sc.ts.Data, sc.ingested.Data
	*val, *ver = sc.value, sc.version
	return true
}

// nativeColumn is the ch-go column of type T a clickhouse-go column keeps its values in
// (its field "col"), or nil when it has none of that type.
func nativeColumn[T any](c column.Interface) *T {
	v := reflect.ValueOf(c)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	f := v.Elem().FieldByName("col")
	if !f.IsValid() || f.Type() != reflect.TypeFor[T]() {
		return nil
	}
	return (*T)(unsafe.Pointer(f.UnsafeAddr()))
}

// values are sc's columns as clickhouse-go's Append takes them.
func (sc *sortedColumns) values() []any {
	strs := func(c *proto.ColStr) []string {
		out := make([]string, c.Rows())
		for i := range out {
			out[i] = c.Row(i)
		}
		return out
	}
	secs := func(c *proto.ColDateTime) []int64 {
		out := make([]int64, len(c.Data))
		for i, t := range c.Data {
			out[i] = int64(t)
		}
		return out
	}
	return []any{strs(&sc.resource), strs(&sc.metric), secs(&sc.ts), []float64(sc.value), strs(&sc.source), secs(&sc.ingested), []uint64(sc.version)}
}

// seriesKey is a distinct (resource_id, metric) of a batch as sampleOrder meets it.
type seriesKey struct {
	resource, metric string
	first            int32 // index of its first appearance, for a deterministic order
}

// sampleOrder returns the rows of b ordered by (resource_id, metric, ts), rows of the
// same identity in the order they came. It costs about two passes over the rows: the
// series are told apart by where their strings lie (the parsers share equal strings),
// ranked by value, the rows counted out by series, and only a series whose rows are not
// already in ts order is sorted (files are written in time order).
func (sc *sortedColumns) sampleOrder(b *metering.Batch) []int32 {
	n := b.Len()
	sc.keys = sc.keys[:0]
	rowSeries := sc.rowSeries
	if g := b.Grouping; g != nil && len(g.OfRow) == n {
		// grouped by the batcher already (the batch's rows as they are): its series are
		// distinct by value, so they rank as the map below would rank them
		rowSeries = g.OfRow
		for j, k := range g.Keys {
			sc.keys = append(sc.keys, seriesKey{resource: k.ResourceID, metric: k.Metric, first: int32(j)})
		}
	} else {
		type at struct {
			r, m   *byte
			rn, mn int
		}
		idx := make(map[at]int32, 1024)
		sc.rowSeries = slices.Grow(sc.rowSeries[:0], n)[:n]
		rowSeries = sc.rowSeries
		for i := 0; i < n; i++ {
			r, m := b.ResourceID[i], b.Metric[i]
			a := at{unsafe.StringData(r), unsafe.StringData(m), len(r), len(m)}
			j, ok := idx[a]
			if !ok {
				j = int32(len(sc.keys))
				idx[a] = j
				sc.keys = append(sc.keys, seriesKey{resource: r, metric: m, first: j})
			}
			rowSeries[i] = j
		}
	}
	// rank the series by value; equal strings found at different places share a rank
	sorted := slices.Clone(sc.keys)
	slices.SortFunc(sorted, func(x, y seriesKey) int {
		if c := strings.Compare(x.resource, y.resource); c != 0 {
			return c
		}
		if c := strings.Compare(x.metric, y.metric); c != 0 {
			return c
		}
		return int(x.first - y.first)
	})
	sc.rank = slices.Grow(sc.rank[:0], len(sorted))[:len(sorted)]
	nr := int32(0)
	for k, key := range sorted {
		if k > 0 && (key.resource != sorted[k-1].resource || key.metric != sorted[k-1].metric) {
			nr++
		}
		sc.rank[key.first] = nr
	}
	nr++
	// count the rows out by rank (stable: rows of a series keep their order)
	sc.count = slices.Grow(sc.count[:0], int(nr)+1)[:nr+1]
	clear(sc.count)
	for _, j := range rowSeries {
		sc.count[sc.rank[j]+1]++
	}
	for r := 1; r <= int(nr); r++ {
		sc.count[r] += sc.count[r-1]
	}
	order := slices.Grow(sc.order[:0], n)[:n]
	next := sc.count[:nr]
	for i, j := range rowSeries {
		r := sc.rank[j]
		order[next[r]] = int32(i)
		next[r]++
	}
	// next[r] is now the end of rank r's rows; sort by ts the runs that are not in order
	start := int32(0)
	for r := int32(0); r < nr; r++ {
		run := order[start:next[r]]
		for k := 1; k < len(run); k++ {
			if b.TS[run[k]] < b.TS[run[k-1]] {
				slices.SortStableFunc(run, func(x, y int32) int { return cmp.Compare(b.TS[x], b.TS[y]) })
				break
			}
		}
		start = next[r]
	}
	return order
}

// SampleFilter narrows the samples a read helper looks at; zero fields do not filter.
type SampleFilter struct {
	From, To time.Time // ts in [From, To)
	Metric   string
}

// SampleStats summarises the stored samples, each identity (resource_id, metric, ts)
// counted once with its latest value.
type SampleStats struct {
	Samples   uint64  // distinct identities
	Rows      uint64  // rows stored (duplicates and corrections included, until merged)
	Sum       float64 // sum of the latest values
	Resources uint64
}

// sampleStatsQuery is the query of SampleStats over one resource range: its samples
// (identities), rows and sum (Resources is left to the caller).
type sampleStatsQuery struct {
	filter    SampleFilter
	resources resourceRange
}

func (q sampleStatsQuery) toSQL() (string, []any) {
	where, args := q.filter.where(q.resources)
	return `SELECT count(), sum(rows), sum(v) FROM (
    SELECT resource_id, metric, ts, argMax(value, version) AS v, count() AS rows
    FROM usage_samples` + where + `
    GROUP BY resource_id, metric, ts)`, args
}

func (q sampleStatsQuery) scan(row driver.Row) (SampleStats, error) {
	var st SampleStats
	err := row.Scan(&st.Samples, &st.Rows, &st.Sum)
	return st, err
}

// resourceRange is the resources from First to Last (both included, in the sort order
// of usage_samples); the zero range is every resource.
type resourceRange struct{ First, Last string }

func (f SampleFilter) where(r resourceRange) (string, []any) {
	var conds []string
	var args []any
	if r != (resourceRange{}) {
		conds = append(conds, "resource_id >= ?", "resource_id <= ?")
		args = append(args, r.First, r.Last)
	}
	if !f.From.IsZero() {
		conds = append(conds, "ts >= ?")
		args = append(args, f.From.Unix())
	}
	if !f.To.IsZero() {
		conds = append(conds, "ts < ?")
		args = append(args, f.To.Unix())
	}
	if f.Metric != "" {
		conds = append(conds, "metric = ?")
		args = append(args, f.Metric)
	}
	if len(conds) == 0 {
		return "", nil
	}
	w := "\n    WHERE " + conds[0]
	for _, c := range conds[1:] {
		w += " AND " + c
	}
	return w, args
}

// resourceCountsQuery counts the stored rows of each resource matching filter, in
// resource order (memory follows the resources, not the samples).
type resourceCountsQuery struct {
	filter SampleFilter
}

func (q resourceCountsQuery) toSQL() (string, []any) {
	where, args := q.filter.where(resourceRange{})
	return `SELECT resource_id, count() FROM usage_samples` + where + `
    GROUP BY resource_id ORDER BY resource_id`, args
}

// resourceCount is one row of resourceCountsQuery.
type resourceCount struct {
	resource string
	rows     uint64
}

func (q resourceCountsQuery) scan(rows driver.Rows) ([]resourceCount, error) {
	var out []resourceCount
	for rows.Next() {
		var c resourceCount
		if err := rows.Scan(&c.resource, &c.rows); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// resourceChunks splits the resources of the samples matching f into ranges of at most
// limit stored rows each (a resource with more rows is a range of its own). The queries
// that group samples by identity run once per range: each groups at most limit rows,
// whatever the size of the table or the time range. It returns the number of resources.
func (s *Store) resourceChunks(ctx context.Context, f SampleFilter, limit int) ([]resourceRange, int, error) {
	counts, err := runQuery(ctx, s.conn, resourceCountsQuery{filter: f})
	if err != nil {
		return nil, 0, err
	}
	var out []resourceRange
	var cur resourceRange
	var n uint64
	for _, rc := range counts {
		id, c := rc.resource, rc.rows
		if n > 0 && n+c > uint64(limit) {
			out = append(out, cur)
			n = 0
		}
		if n == 0 {
			cur.First = id
		}
		cur.Last = id
		n += c
	}
	if n > 0 {
		out = append(out, cur)
	}
	return out, len(counts), nil
}

// SampleStats counts and sums the stored samples honouring identity: duplicates count
// once and a corrected value replaces the old one. The identities are grouped one
// resource range at a time (Config.SampleChunkRows): memory is bounded whatever the range.
func (s *Store) SampleStats(ctx context.Context, f SampleFilter) (SampleStats, error) {
	chunks, resources, err := s.resourceChunks(ctx, f, s.chunkRows)
	if err != nil {
		return SampleStats{}, fmt.Errorf("sample stats: %w", err)
	}
	st := SampleStats{Resources: uint64(resources)}
	for _, r := range chunks {
		part, err := runRow(ctx, s.conn, sampleStatsQuery{filter: f, resources: r})
		if err != nil {
			return SampleStats{}, fmt.Errorf("sample stats: %w", err)
		}
		st.Samples += part.Samples
		st.Rows += part.Rows
		st.Sum += part.Sum
	}
	return st, nil
}

// LatestSamples returns the latest value of every stored identity matching f, ordered by
// resource_id, metric, ts (for tests and small reports: the result holds them all; the
// query groups one resource range at a time).
func (s *Store) LatestSamples(ctx context.Context, f SampleFilter) ([]metering.Sample, error) {
	chunks, _, err := s.resourceChunks(ctx, f, s.chunkRows)
	if err != nil {
		return nil, fmt.Errorf("read samples: %w", err)
	}
	var out []metering.Sample
	for _, r := range chunks {
		if err := s.latestSamples(ctx, latestSamplesQuery{filter: f, resources: r}, &out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// latestSamplesQuery reads the latest value (and source) of every identity matching
// filter in one resource range, ordered by resource_id, metric, ts.
type latestSamplesQuery struct {
	filter    SampleFilter
	resources resourceRange
}

func (q latestSamplesQuery) toSQL() (string, []any) {
	where, args := q.filter.where(q.resources)
	return `SELECT resource_id, metric, ts, argMax(value, version), argMax(source, version)
FROM usage_samples` + where + `
GROUP BY resource_id, metric, ts
ORDER BY resource_id, metric, ts`, args
}

// scan appends the samples read to out.
func (q latestSamplesQuery) scan(rows driver.Rows, out *[]metering.Sample) error {
	for rows.Next() {
		var sm metering.Sample
		if err := rows.Scan(&sm.ResourceID, &sm.Metric, &sm.TS, &sm.Value, &sm.Source); err != nil {
			return err
		}
		*out = append(*out, sm)
	}
	return rows.Err()
}

func (s *Store) latestSamples(ctx context.Context, q latestSamplesQuery, out *[]metering.Sample) error {
	err := streamQuery(ctx, s.conn, q, func(rows driver.Rows) error { return q.scan(rows, out) })
	if err != nil {
		return fmt.Errorf("read samples: %w", err)
	}
	return nil
}

// StoredRanges returns the first and last ts stored inside window of each series asked
// (absent: none stored there). It reads only the rows of those series in that window
// (the Batcher asks about whole months, the partitions of usage_samples), once per series
// and month and process: the Batcher remembers the answer.
func (s *Store) StoredRanges(ctx context.Context, series []metering.Series, window metering.TSRange) (map[metering.Series]metering.TSRange, error) {
	kt, err := ext.NewTable("batch_series", ext.Column("resource_id", "String"), ext.Column("metric", "String"))
	if err != nil {
		return nil, err
	}
	for _, k := range series {
		if err := kt.Append(k.ResourceID, k.Metric); err != nil {
			return nil, err
		}
	}
	ranges, err := runQuery(clickhouse.Context(ctx, clickhouse.WithExternalTable(kt)), s.conn, storedRangesQuery{window: window})
	if err != nil {
		return nil, fmt.Errorf("stored ranges: %w", err)
	}
	out := make(map[metering.Series]metering.TSRange, len(ranges))
	for _, r := range ranges {
		out[r.series] = r.stored
	}
	return out, nil
}

// storedRangesQuery reads the first and last ts stored inside window of each series of
// the external table batch_series.
type storedRangesQuery struct{ window metering.TSRange }

func (q storedRangesQuery) toSQL() (string, []any) {
	return `SELECT resource_id, metric, toUInt32(min(ts)), toUInt32(max(ts))
FROM usage_samples
PREWHERE ts >= toDateTime(?) AND ts <= toDateTime(?)
WHERE resource_id IN (SELECT resource_id FROM batch_series)
  AND (resource_id, metric) IN (SELECT resource_id, metric FROM batch_series)
GROUP BY resource_id, metric`, []any{q.window.First, q.window.Last}
}

// storedRange is the first and last ts stored of a series.
type storedRange struct {
	series metering.Series
	stored metering.TSRange
}

func (storedRangesQuery) scan(rows driver.Rows) ([]storedRange, error) {
	var out []storedRange
	for rows.Next() {
		var r storedRange
		var lo, hi uint32
		if err := rows.Scan(&r.series.ResourceID, &r.series.Metric, &lo, &hi); err != nil {
			return nil, err
		}
		r.stored = metering.TSRange{First: int64(lo), Last: int64(hi)}
		out = append(out, r)
	}
	return out, rows.Err()
}

// storedDuplicatesQuery reads the latest value of the stored identities of the series in
// batch_series (sid, resource_id, metric, first, last) with ts in [first, last] of their
// series: the rows of the batch's series and time span only, answered as fixed-size
// (sid, ts, value) rows. The identity is grouped after the join, on (sid, ts).
// batch_series has one row per series, so ALL INNER JOIN gives each stored row its one
// series (ANY INNER JOIN did on 18.16; since 20.x ANY also keeps one left row per key:
// docs/clickhouse.md). Joined subqueries carry aliases (required since 20.x).
type storedDuplicatesQuery struct{ first, last int64 }

func (q storedDuplicatesQuery) toSQL() (string, []any) {
	return `SELECT sid, t, argMax(value, version)
FROM (
    SELECT resource_id, metric, toUInt32(ts) AS t, value, version
    FROM usage_samples
    PREWHERE ts >= toDateTime(?) AND ts <= toDateTime(?)
    WHERE resource_id IN (SELECT resource_id FROM batch_series)
      AND (resource_id, metric) IN (SELECT resource_id, metric FROM batch_series)
) AS s ALL INNER JOIN (
    SELECT resource_id, metric, sid, first, last FROM batch_series
) AS b USING (resource_id, metric)
WHERE t >= first AND t <= last
GROUP BY sid, t`, []any{q.first, q.last}
}

// storedValue is the latest stored value of a series' (sid) sample at t.
type storedValue struct {
	sid, t uint32
	v      float64
}

func (storedDuplicatesQuery) scan(rows driver.Rows) ([]storedValue, error) {
	var out []storedValue
	for rows.Next() {
		var r storedValue
		if err := rows.Scan(&r.sid, &r.t, &r.v); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// StoredDuplicates sets dup[i], for i in rows, when row i's identity is stored with the
// same value as its latest version. One query per call reads the stored rows of the
// rows' series inside each series' ts span in the batch: its work and memory follow the
// batch, not the table.
func (s *Store) StoredDuplicates(ctx context.Context, b *metering.Batch, rowIdx []int, dup []bool) error {
	if len(rowIdx) == 0 {
		return nil
	}
	type sinfo struct {
		id          uint32
		first, last int64
	}
	sids := map[metering.Series]*sinfo{}
	var order []metering.Series
	ofRow := make([]uint32, len(rowIdx))
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for n, i := range rowIdx {
		k := metering.Series{ResourceID: b.ResourceID[i], Metric: b.Metric[i]}
		si := sids[k]
		if si == nil {
			si = &sinfo{id: uint32(len(order)), first: b.TS[i], last: b.TS[i]}
			sids[k] = si
			order = append(order, k)
		}
		si.first, si.last = min(si.first, b.TS[i]), max(si.last, b.TS[i])
		lo, hi = min(lo, b.TS[i]), max(hi, b.TS[i])
		ofRow[n] = si.id
	}
	st, err := ext.NewTable("batch_series", ext.Column("resource_id", "String"), ext.Column("metric", "String"),
		ext.Column("sid", "UInt32"), ext.Column("first", "UInt32"), ext.Column("last", "UInt32"))
	if err != nil {
		return err
	}
	for _, k := range order {
		si := sids[k]
		if err := st.Append(k.ResourceID, k.Metric, si.id, uint32(si.first), uint32(si.last)); err != nil {
			return err
		}
	}
	found, err := runQuery(clickhouse.Context(ctx, clickhouse.WithExternalTable(st)), s.conn, storedDuplicatesQuery{first: lo, last: hi})
	if err != nil {
		return fmt.Errorf("find duplicates: %w", err)
	}
	stored := make(map[uint64]float64, len(found))
	for _, r := range found {
		stored[uint64(r.sid)<<32|uint64(r.t)] = r.v
	}
	for n, i := range rowIdx {
		if v, ok := stored[uint64(ofRow[n])<<32|uint64(uint32(b.TS[i]))]; ok && v == b.Value[i] {
			dup[i] = true
		}
	}
	return nil
}
