// Package metering owns usage samples from the moment they arrive until they are stored:
// the Sample type, the streaming CSV and NDJSON parsers with their validation, the one
// Batcher behind both file ingest and the HTTP API, the durable Spool that keeps samples
// on local disk while ClickHouse cannot take them, and the HTTP handler of
// POST /v1/samples.
//
// Identity and idempotence: a sample is identified by (resource_id, metric, ts). Every
// accepted sample gets a Version, a number that grows with ingest order; the store keeps
// every row and readers take, per identity, the value of the highest version. So the same
// sample sent twice changes no figure, and a new value for an identity replaces the old
// one (the latest ingested wins), however often ClickHouse or cloudbill restart.
//
// Storage sits behind the Sink interface declared here; package chstore satisfies it.
package metering

import (
	"context"
	"errors"
	"math"
	"time"
)

// Limits on the text fields of a sample, in bytes.
const (
	MaxResourceIDLen = 256
	MaxMetricLen     = 128
	MaxSourceLen     = 256
	// MaxLineLen bounds one input line (CSV record or NDJSON object); a longer line is
	// rejected whole and reading goes on with the next one.
	MaxLineLen = 1 << 20
)

// Sample is one measurement of one metric of one resource at one instant.
type Sample struct {
	ResourceID string
	Metric     string
	// TS is stored to the second (ClickHouse DateTime); sub-second parts are dropped.
	TS    time.Time
	Value float64
	// Source says where the sample came from (a file name, an HTTP client, or what the
	// sender put in its source field).
	Source string
}

// Batch is a run of samples held column by column, the shape the store inserts.
// Version is filled by the Batcher when samples are accepted.
type Batch struct {
	ResourceID []string
	Metric     []string
	TS         []int64 // Unix seconds
	Value      []float64
	Source     []string
	Version    []uint64
	// Grouping, when set, is each row's series, as the Batcher found them: the store
	// then orders the rows without grouping them again. nil: not known.
	Grouping *Grouping
}

// Grouping is the series of a batch: Keys each series once (distinct by value), and
// OfRow[i] the index in Keys of row i's series.
type Grouping struct {
	Keys  []Series
	OfRow []int32
}

// Len is the number of samples in b.
func (b *Batch) Len() int { return len(b.ResourceID) }

// Reset empties b, keeping its capacity.
func (b *Batch) Reset() {
	b.ResourceID = b.ResourceID[:0]
	b.Metric = b.Metric[:0]
	b.TS = b.TS[:0]
	b.Value = b.Value[:0]
	b.Source = b.Source[:0]
	b.Version = b.Version[:0]
	b.Grouping = nil
}

// Append adds one sample (with version 0).
func (b *Batch) Append(s Sample) {
	b.add(s.ResourceID, s.Metric, s.TS.Unix(), s.Value, s.Source)
}

func (b *Batch) add(resource, metric string, ts int64, value float64, source string) {
	b.ResourceID = append(b.ResourceID, resource)
	b.Metric = append(b.Metric, metric)
	b.TS = append(b.TS, ts)
	b.Value = append(b.Value, value)
	b.Source = append(b.Source, source)
	b.Version = append(b.Version, 0)
}

// Sample returns row i.
func (b *Batch) Sample(i int) Sample {
	return Sample{ResourceID: b.ResourceID[i], Metric: b.Metric[i], TS: time.Unix(b.TS[i], 0).UTC(), Value: b.Value[i], Source: b.Source[i]}
}

// Sink stores batches of samples. InsertSamples either stores every row of b or returns
// an error (rows of a failed call may have been stored in part; the caller sends the
// same rows, with the same versions, again, which changes no figure).
type Sink interface {
	InsertSamples(ctx context.Context, b *Batch) error
}

// DuplicateFinder is what a Sink may also do, so that duplicates (samples already
// stored with the same value) are counted and not written again. The Batcher remembers
// the ranges it learns and extends them with what it stores, so a stream of new samples
// costs one StoredRanges call per series and month and no lookups after that. Both
// calls read only the rows of the series asked inside the time window given: their cost
// follows the batch, never the whole table.
type DuplicateFinder interface {
	// StoredRanges returns the first and last ts stored inside window for each of the
	// series asked; a series with nothing stored there is absent from the answer.
	StoredRanges(ctx context.Context, series []Series, window TSRange) (map[Series]TSRange, error)
	// StoredDuplicates sets dup[i] for each i of rows whose identity is stored with
	// the same value as its latest version.
	StoredDuplicates(ctx context.Context, b *Batch, rows []int, dup []bool) error
}

// LatestFinder is what a DuplicateFinder may also do: read the latest stored value of
// every identity of some series inside a window at once. A Batcher configured with
// StoredCacheRows reads so, once per series and month, and checks later batches against
// what it read: a time-major file, whose every batch holds a little of each series,
// then reads what is stored of its series once instead of once per batch.
type LatestFinder interface {
	// StoredLatest returns, for each series asked with anything stored inside window,
	// its identities in ts order with the latest value and version of each; or
	// ErrTooManyStored when more than max rows are stored there.
	StoredLatest(ctx context.Context, series []Series, window TSRange, max int) (map[Series]*StoredSeries, error)
}

// StoredSeries is what is stored of one series: the latest value and version of each ts,
// in ts order.
type StoredSeries struct {
	TS      []uint32
	Value   []float64
	Version []uint64
}

// ErrTooManyStored: more rows are stored than the caller would keep.
var ErrTooManyStored = errors.New("more samples stored than asked for")

// Series is (resource_id, metric).
type Series struct{ ResourceID, Metric string }

// TSRange is a closed range of Unix seconds.
type TSRange struct{ First, Last int64 }

// Validation of the fields of a sample. Each returns "" when the field is fine, or the
// message that names what is wrong.

func checkID(v []byte, max int) string {
	if len(v) == 0 {
		return "is empty"
	}
	if len(v) > max {
		return "is longer than " + itoa(max) + " bytes"
	}
	for _, c := range v {
		if c < 0x20 || c == 0x7f {
			return "contains a control character"
		}
	}
	// valid UTF-8: the line reader checked (or decoded) the whole line
	return ""
}

func checkValue(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "value is not a finite number"
	}
	return ""
}

// The range ClickHouse DateTime holds (UInt32 seconds); the first and last day are kept
// out so that any time zone shift stays inside.
const (
	minTS = 86400
	maxTS = 1<<32 - 1 - 86400
)

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
