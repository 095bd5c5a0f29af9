package chstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/ext"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"cloudbill/metering"
)

// storedLatestQuery reads every stored row of the series in batch_series (resource_id,
// metric, sid) inside a window, as fixed-size (sid, ts, value, version) rows, unmerged:
// the rows stream from the parts with no grouping or sorting on the server, whose memory
// stays flat; the reader keeps the latest version of each ts. batch_series has one row
// per series, so ALL INNER JOIN gives each stored row its one series (see
// storedDuplicatesQuery).
type storedLatestQuery struct {
	window metering.TSRange
}

func (q storedLatestQuery) toSQL() (string, []any) {
	return `SELECT sid, toUInt32(ts), value, version
FROM (
    SELECT resource_id, metric, ts, value, version
    FROM usage_samples
    PREWHERE ts >= toDateTime(?) AND ts <= toDateTime(?)
    WHERE resource_id IN (SELECT resource_id FROM batch_series)
      AND (resource_id, metric) IN (SELECT resource_id, metric FROM batch_series)
) AS s ALL INNER JOIN (
    SELECT resource_id, metric, sid FROM batch_series
) AS b USING (resource_id, metric)`, []any{q.window.First, q.window.Last}
}

// scan reads the rows into out (indexed by sid); more than max rows: ErrTooManyStored.
// The rows are read into chunks of fixed size, then laid out series by series in one
// array per column (each series a slice of it): a few large allocations and no copying
// of growing slices.
func (q storedLatestQuery) scan(rows driver.Rows, out []*metering.StoredSeries, max int) error {
	type row struct {
		sid, ts uint32
		v       float64
		ver     uint64
	}
	const chunk = 1 << 16
	var chunks [][]row
	n := 0
	var r row
	dest := []any{&r.sid, &r.ts, &r.v, &r.ver} // made once: not a heap object per row
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if n >= max {
			return metering.ErrTooManyStored
		}
		if int(r.sid) >= len(out) {
			return fmt.Errorf("series %d not asked", r.sid)
		}
		if n%chunk == 0 {
			chunks = append(chunks, make([]row, 0, chunk))
		}
		chunks[len(chunks)-1] = append(chunks[len(chunks)-1], r)
		n++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	start := make([]int, len(out)+1) // series i's rows go to [start[i], start[i+1])
	for _, c := range chunks {
		for _, r := range c {
			start[r.sid+1]++
		}
	}
	for i := range out {
		start[i+1] += start[i]
	}
	at := slices.Clone(start[:len(out)])
	allTS, allV, allVer := make([]uint32, n), make([]float64, n), make([]uint64, n)
	for _, c := range chunks {
		for _, r := range c {
			k := at[r.sid]
			at[r.sid]++
			allTS[k], allV[k], allVer[k] = r.ts, r.v, r.ver
		}
	}
	for i := range out {
		if lo, hi := start[i], start[i+1]; hi > lo { // capped: an insert into one reallocates it alone
			out[i] = &metering.StoredSeries{TS: allTS[lo:hi:hi], Value: allV[lo:hi:hi], Version: allVer[lo:hi:hi]}
		}
	}
	return nil
}

// StoredLatest returns the latest stored value and version of every identity of the
// series asked inside window, each series' identities in ts order (a series with nothing
// stored there is absent), or metering.ErrTooManyStored when more than max rows are
// stored there. One query reads the series' rows of the window once: a file whose
// batches each hold a little of many series (time-major) then costs one read of what is
// stored of them, not one per batch.
func (s *Store) StoredLatest(ctx context.Context, series []metering.Series, window metering.TSRange, max int) (map[metering.Series]*metering.StoredSeries, error) {
	if len(series) == 0 {
		return map[metering.Series]*metering.StoredSeries{}, nil
	}
	st, err := ext.NewTable("batch_series", ext.Column("resource_id", "String"), ext.Column("metric", "String"), ext.Column("sid", "UInt32"))
	if err != nil {
		return nil, err
	}
	for i, k := range series {
		if err := st.Append(k.ResourceID, k.Metric, uint32(i)); err != nil {
			return nil, err
		}
	}
	q := storedLatestQuery{window: window}
	qctx, cancel := context.WithCancel(ctx)
	defer cancel() // a read cut short at max rows stops the query
	bySid := make([]*metering.StoredSeries, len(series))
	err = streamQuery(clickhouse.Context(qctx, clickhouse.WithExternalTable(st)), s.conn, q, func(rows driver.Rows) error {
		return q.scan(rows, bySid, max)
	})
	if err == metering.ErrTooManyStored {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("stored samples of %d series: %w", len(series), err)
	}
	out := make(map[metering.Series]*metering.StoredSeries, len(series))
	for i, ss := range bySid {
		if ss != nil {
			latestOnly(ss)
			out[series[i]] = ss
		}
	}
	return out, nil
}

// latestOnly sorts ss by ts and keeps, of rows with the same ts (versions not merged
// yet), the one of the highest version.
func latestOnly(ss *metering.StoredSeries) {
	sorted := true
	for i := 1; i < len(ss.TS); i++ {
		if ss.TS[i] < ss.TS[i-1] {
			sorted = false
			break
		}
	}
	if !sorted { // rows of several parts: sort by (ts, version)
		idx := make([]int, len(ss.TS))
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, func(a, b int) int {
			if ss.TS[a] != ss.TS[b] {
				if ss.TS[a] < ss.TS[b] {
					return -1
				}
				return 1
			}
			if ss.Version[a] < ss.Version[b] {
				return -1
			} else if ss.Version[a] > ss.Version[b] {
				return 1
			}
			return 0
		})
		ts, v, ver := make([]uint32, len(idx)), make([]float64, len(idx)), make([]uint64, len(idx))
		for n, i := range idx {
			ts[n], v[n], ver[n] = ss.TS[i], ss.Value[i], ss.Version[i]
		}
		ss.TS, ss.Value, ss.Version = ts, v, ver
	}
	w := 0
	for i := range ss.TS {
		if w > 0 && ss.TS[w-1] == ss.TS[i] {
			if ss.Version[i] > ss.Version[w-1] {
				ss.Value[w-1], ss.Version[w-1] = ss.Value[i], ss.Version[i]
			}
			continue
		}
		ss.TS[w], ss.Value[w], ss.Version[w] = ss.TS[i], ss.Value[i], ss.Version[i]
		w++
	}
	ss.TS, ss.Value, ss.Version = ss.TS[:w], ss.Value[:w], ss.Version[:w]
}
