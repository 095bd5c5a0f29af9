package metering

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// findingSink is memSink that also answers the duplicate lookups (DuplicateFinder and
// LatestFinder) from what it holds, counting the StoredLatest reads.
type findingSink struct {
	*memSink
	reads atomic.Int64

	asked []TSRange // the windows of StoredRanges, under memSink.mu
}

func (f *findingSink) rowsOf(k Series, w TSRange) *StoredSeries {
	f.mu.Lock()
	defer f.mu.Unlock()
	var s StoredSeries
	for key := range f.latest {
		p := strings.Split(key, "|")
		ts, _ := strconv.ParseInt(p[2], 10, 64)
		if p[0] == k.ResourceID && p[1] == k.Metric && ts >= w.First && ts <= w.Last {
			s.TS = append(s.TS, uint32(ts))
		}
	}
	slices.Sort(s.TS)
	for _, ts := range s.TS {
		v := f.latest[k.ResourceID+"|"+k.Metric+"|"+strconv.FormatInt(int64(ts), 10)]
		s.Value, s.Version = append(s.Value, v.v), append(s.Version, v.ver)
	}
	return &s
}

func (f *findingSink) StoredRanges(ctx context.Context, series []Series, w TSRange) (map[Series]TSRange, error) {
	f.mu.Lock()
	f.asked = append(f.asked, w)
	f.mu.Unlock()
	out := map[Series]TSRange{}
	for _, k := range series {
		if s := f.rowsOf(k, w); len(s.TS) > 0 {
			out[k] = TSRange{First: int64(s.TS[0]), Last: int64(s.TS[len(s.TS)-1])}
		}
	}
	return out, nil
}

func (f *findingSink) StoredDuplicates(ctx context.Context, b *Batch, rows []int, dup []bool) error {
	for _, i := range rows {
		v, ok := f.value(b.ResourceID[i], b.TS[i])
		dup[i] = ok && v == b.Value[i]
	}
	return nil
}

func (f *findingSink) StoredLatest(ctx context.Context, series []Series, w TSRange, max int) (map[Series]*StoredSeries, error) {
	f.reads.Add(1)
	out := map[Series]*StoredSeries{}
	n := 0
	for _, k := range series {
		if s := f.rowsOf(k, w); len(s.TS) > 0 {
			out[k] = s
			n += len(s.TS)
		}
	}
	if n > max {
		return nil, ErrTooManyStored
	}
	return out, nil
}

// TestBatcherStoredCache: with StoredCacheRows, what is stored of a series is read once
// and later batches are checked against it; what the Batcher stores itself counts, and a
// batch that went to the spool empties the cache, so a value sent again after a
// correction that reached the store behind it is not taken for a duplicate.
func TestBatcherStoredCache(t *testing.T) {
	sink := &findingSink{memSink: newMemSink()}
	spool, err := OpenSpool(t.TempDir())
	require.NoError(t, err)
	b, err := NewBatcher(BatcherConfig{Sink: sink, Spool: spool, MaxRows: 10, MaxDelay: time.Millisecond,
		RetryEvery: time.Hour, StoredCacheRows: 1000})
	require.NoError(t, err)
	ctx := context.Background()
	add := func(rows *Batch) Result {
		t.Helper()
		tk, err := b.Add(ctx, rows)
		require.NoError(t, err)
		b.Flush()
		res, err := tk.Wait(ctx)
		require.NoError(t, err)
		return res
	}
	timeMajor := func(value float64) *Batch { // 3 series × 10 minutes: each batch holds a little of each
		var r Batch
		for m := 0; m < 10; m++ {
			for s := 0; s < 3; s++ {
				r.add("vm-"+strconv.Itoa(s), "cpu", 1_800_000_000+60*int64(m), value, "t")
			}
		}
		return &r
	}
	one := func(value float64) *Batch {
		var r Batch
		r.add("vm-1", "cpu", 1_800_000_180, value, "t")
		return &r
	}
	assert.Equal(t, Result{Accepted: 30}, add(timeMajor(1)))
	assert.Equal(t, Result{Accepted: 30, Duplicates: 30}, add(timeMajor(1)), "the same rows again")
	assert.Equal(t, int64(1), sink.reads.Load(), "read once for the three batches of 10")
	assert.Equal(t, Result{Accepted: 1}, add(one(5)), "a correction")
	assert.Equal(t, Result{Accepted: 1}, add(one(1)), "the first value again, after the correction the Batcher stored")
	assert.Equal(t, Result{Accepted: 1, Duplicates: 1}, add(one(1)))

	// a correction spooled while the store is down reaches it behind the cache
	sink.setDown(true)
	assert.Equal(t, Result{Accepted: 1, Spooled: 1}, add(one(7)))
	sink.setDown(false)
	require.Equal(t, 0, b.ReplaySpool(ctx))
	v, _ := sink.value("vm-1", 1_800_000_180)
	require.Equal(t, 7.0, v)
	assert.Equal(t, Result{Accepted: 1}, add(one(1)), "1 is not what is stored (7)")
	v, _ = sink.value("vm-1", 1_800_000_180)
	assert.Equal(t, 1.0, v)
	require.NoError(t, b.Close(ctx))
}

// gatedSink is findingSink whose InsertSamples of a batch holding the value gate waits,
// once it is reached, until release is closed: the test decides which write is still in
// flight while another batch is decided.
type gatedSink struct {
	*findingSink
	gate    float64
	reached chan struct{}
	release chan struct{}
}

func (g *gatedSink) InsertSamples(ctx context.Context, b *Batch) error {
	if slices.Contains(b.Value, g.gate) {
		close(g.reached)
		<-g.release
	}
	return g.findingSink.InsertSamples(ctx, b)
}

// TestBatcherSameIdentityInFlight: a later sample of an identity is never dropped as a
// duplicate of what is stored while an earlier sample of the same identity with another
// value is still to be written: a correction and its undoing in two batches decided at
// once by the two inserters (the earlier one's write held until the later one is
// decided), and in one batch. Per-batch lookups and the stored-rows cache alike.
func TestBatcherSameIdentityInFlight(t *testing.T) {
	const ts = 1_800_000_000
	one := func(value float64) *Batch {
		var r Batch
		r.add("vm-1", "cpu", ts, value, "t")
		return &r
	}
	for _, cache := range []int{0, 1000} {
		t.Run(fmt.Sprintf("cache %d rows", cache), func(t *testing.T) {
			sink := &gatedSink{findingSink: &findingSink{memSink: newMemSink()}, gate: 5,
				reached: make(chan struct{}), release: make(chan struct{})}
			b, err := NewBatcher(BatcherConfig{Sink: sink, MaxRows: 10, MaxDelay: time.Hour, RetryEvery: time.Hour,
				Inserters: 2, StoredCacheRows: cache})
			require.NoError(t, err)
			ctx := context.Background()
			send := func(rows *Batch) *Ticket {
				t.Helper()
				tk, err := b.Add(ctx, rows)
				require.NoError(t, err)
				b.Flush()
				return tk
			}
			_, err = send(one(1)).Wait(ctx)
			require.NoError(t, err)

			// two batches: the correction's write is held until the undoing is decided
			fix := send(one(5))
			<-sink.reached
			undo, err := send(one(1)).Wait(ctx)
			require.NoError(t, err)
			close(sink.release)
			_, err = fix.Wait(ctx)
			require.NoError(t, err)
			v, _ := sink.value("vm-1", ts)
			assert.Equal(t, 1.0, v, "the undoing, sent last, is what is stored")
			assert.Equal(t, Result{Accepted: 1}, undo, "not a duplicate of what was stored when it was decided")

			// one batch holding both
			both := one(5)
			both.add("vm-1", "cpu", ts, 1, "t")
			sink.gate = -1
			_, err = send(one(1)).Wait(ctx)
			require.NoError(t, err)
			v, _ = sink.value("vm-1", ts)
			require.Equal(t, 1.0, v)
			res, err := send(both).Wait(ctx)
			require.NoError(t, err)
			v, _ = sink.value("vm-1", ts)
			assert.Equal(t, 1.0, v, "the later row of the batch is what is stored")
			assert.Equal(t, 2, res.Accepted)
			require.NoError(t, b.Close(ctx))
		})
	}
}

// TestBatcherNewMonthAsksThatMonth: a file crossing into a new month asks what is stored
// of its series in the new month only, not again in the month it filled (34 M rows of a
// 2 GB file, read in a query that outlasted the insert timeout); what is known of both
// still finds a duplicate in the first.
func TestBatcherNewMonthAsksThatMonth(t *testing.T) {
	sink := &findingSink{memSink: newMemSink()}
	b, err := NewBatcher(BatcherConfig{Sink: sink, MaxRows: 10, MaxDelay: time.Hour})
	require.NoError(t, err)
	ctx := context.Background()
	add := func(rows *Batch) Result {
		t.Helper()
		tk, err := b.Add(ctx, rows)
		require.NoError(t, err)
		b.Flush()
		res, err := tk.Wait(ctx)
		require.NoError(t, err)
		return res
	}
	nov := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Unix()
	dec := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Unix()
	at := func(ts ...int64) *Batch {
		var r Batch
		for _, x := range ts {
			r.add("vm-1", "cpu", x, 1, "t")
		}
		return &r
	}
	assert.Equal(t, Result{Accepted: 2}, add(at(nov, nov+300)))
	assert.Equal(t, Result{Accepted: 2}, add(at(dec-300, dec)))
	assert.Equal(t, Result{Accepted: 1, Duplicates: 1}, add(at(nov+300)), "November is still known")
	assert.Equal(t, Result{Accepted: 1, Duplicates: 1}, add(at(dec)))
	require.NoError(t, b.Close(ctx))
	sink.mu.Lock()
	defer sink.mu.Unlock()
	assert.Equal(t, []TSRange{{First: nov, Last: dec - 1}, {First: dec, Last: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).Unix() - 1}}, sink.asked)
}
