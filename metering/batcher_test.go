package metering

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// memSink is a hand-written fake store: it keeps the latest value per identity by
// version, as usage_samples readers do, and can be made to fail like a ClickHouse that
// is down.
type memSink struct {
	mu      sync.Mutex
	down    bool
	inserts int
	rows    int
	latest  map[string]struct {
		v   float64
		ver uint64
	}
}

func newMemSink() *memSink {
	return &memSink{latest: map[string]struct {
		v   float64
		ver uint64
	}{}}
}

func (m *memSink) InsertSamples(ctx context.Context, b *Batch) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return errors.New("connection refused")
	}
	m.inserts++
	m.rows += b.Len()
	for i := 0; i < b.Len(); i++ {
		k := fmt.Sprintf("%s|%s|%d", b.ResourceID[i], b.Metric[i], b.TS[i])
		if cur, ok := m.latest[k]; !ok || b.Version[i] > cur.ver {
			m.latest[k] = struct {
				v   float64
				ver uint64
			}{b.Value[i], b.Version[i]}
		}
	}
	return nil
}

func (m *memSink) setDown(d bool) { m.mu.Lock(); m.down = d; m.mu.Unlock() }

func (m *memSink) value(resource string, ts int64) (float64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.latest[fmt.Sprintf("%s|cpu|%d", resource, ts)]
	return v.v, ok
}

func (m *memSink) count() int { m.mu.Lock(); defer m.mu.Unlock(); return len(m.latest) }

func rowsOf(n int, value float64) *Batch {
	var b Batch
	for i := 0; i < n; i++ {
		b.add(fmt.Sprintf("vm-%d", i), "cpu", 1_800_000_000+int64(i), value, "t")
	}
	return &b
}

func TestBatcherFlushesBySizeAndTime(t *testing.T) {
	sink := newMemSink()
	b, err := NewBatcher(BatcherConfig{Sink: sink, MaxRows: 100, MaxDelay: 50 * time.Millisecond})
	require.NoError(t, err)
	ctx := context.Background()
	t1, err := b.Add(ctx, rowsOf(250, 1))
	require.NoError(t, err)
	assert.Eventually(t, func() bool { sink.mu.Lock(); defer sink.mu.Unlock(); return sink.inserts >= 2 }, 5*time.Second, time.Millisecond, "two full batches written at once")
	res, err := t1.Wait(ctx) // the last 50 rows go by time
	require.NoError(t, err)
	assert.Equal(t, Result{Accepted: 250}, res)
	assert.Equal(t, 3, sink.inserts)
	require.NoError(t, b.Close(ctx))
	_, err = b.Add(ctx, rowsOf(1, 1))
	assert.ErrorIs(t, err, ErrClosed)
}

func TestBatcherVersionsGrow(t *testing.T) {
	sink := newMemSink()
	fixed := time.Unix(1_800_000_000, 0)
	b, err := NewBatcher(BatcherConfig{Sink: sink, Now: func() time.Time { return fixed }})
	require.NoError(t, err)
	ctx := context.Background()
	// with a clock that stands still, a later correction still wins
	_, err = b.Add(ctx, rowsOf(10, 1))
	require.NoError(t, err)
	t2, err := b.Add(ctx, rowsOf(10, 2))
	require.NoError(t, err)
	b.Flush()
	_, err = t2.Wait(ctx)
	require.NoError(t, err)
	require.NoError(t, b.Close(ctx))
	v, ok := sink.value("vm-3", 1_800_000_003)
	require.True(t, ok)
	assert.Equal(t, 2.0, v)
}

func TestBatcherSpoolsWhileDown(t *testing.T) {
	dir := t.TempDir()
	spool, err := OpenSpool(dir)
	require.NoError(t, err)
	sink := newMemSink()
	sink.setDown(true)
	b, err := NewBatcher(BatcherConfig{Sink: sink, Spool: spool, MaxRows: 100, MaxDelay: 10 * time.Millisecond, RetryEvery: 20 * time.Millisecond})
	require.NoError(t, err)
	ctx := context.Background()
	t1, err := b.Add(ctx, rowsOf(150, 1))
	require.NoError(t, err)
	res, err := t1.Wait(ctx)
	require.NoError(t, err)
	assert.Equal(t, Result{Accepted: 150, Spooled: 150}, res, "acknowledged from the spool")
	files, err := spool.Files()
	require.NoError(t, err)
	assert.Len(t, files, 2)
	assert.Equal(t, 0, sink.count())

	// a correction accepted while down, then ClickHouse comes back: replayed, latest wins
	t2, err := b.Add(ctx, rowsOf(10, 7))
	require.NoError(t, err)
	_, err = t2.Wait(ctx)
	require.NoError(t, err)
	sink.setDown(false)
	assert.Eventually(t, func() bool { f, _ := spool.Files(); return len(f) == 0 && b.Stats().SpoolFiles == 0 }, 10*time.Second, 5*time.Millisecond)
	assert.Equal(t, 150, sink.count())
	v, _ := sink.value("vm-5", 1_800_000_005)
	assert.Equal(t, 7.0, v)
	v, _ = sink.value("vm-50", 1_800_000_050)
	assert.Equal(t, 1.0, v)

	// once the spool is empty, batches go straight to the store again
	t3, err := b.Add(ctx, rowsOf(5, 9))
	require.NoError(t, err)
	res, err = t3.Wait(ctx)
	require.NoError(t, err)
	assert.Equal(t, Result{Accepted: 5}, res)
	require.NoError(t, b.Close(ctx))
}

func TestBatcherSpoolSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	spool, err := OpenSpool(dir)
	require.NoError(t, err)
	sink := newMemSink()
	sink.setDown(true)
	b, err := NewBatcher(BatcherConfig{Sink: sink, Spool: spool, MaxDelay: 10 * time.Millisecond, RetryEvery: time.Hour})
	require.NoError(t, err)
	ctx := context.Background()
	tk, err := b.Add(ctx, rowsOf(30, 3))
	require.NoError(t, err)
	_, err = tk.Wait(ctx)
	require.NoError(t, err)
	require.NoError(t, b.Close(ctx))
	assert.Equal(t, 0, sink.count(), "nothing stored while down")

	// a torn write of a process that died is not a batch
	require.NoError(t, os.WriteFile(filepath.Join(dir, "00000000000000000001-99999999-000001.spool.99999999.tmp"), []byte("CBSPOOL1 torn"), 0o644))
	// the next process replays on start
	sink.setDown(false)
	spool2, err := OpenSpool(dir)
	require.NoError(t, err)
	b2, err := NewBatcher(BatcherConfig{Sink: sink, Spool: spool2})
	require.NoError(t, err)
	assert.Equal(t, 0, b2.ReplaySpool(ctx))
	require.NoError(t, b2.Close(ctx))
	assert.Equal(t, 30, sink.count())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "replayed files and the torn one are gone")
}

func TestBatcherNoSpoolFails(t *testing.T) {
	sink := newMemSink()
	sink.setDown(true)
	b, err := NewBatcher(BatcherConfig{Sink: sink, MaxDelay: time.Millisecond})
	require.NoError(t, err)
	ctx := context.Background()
	tk, err := b.Add(ctx, rowsOf(3, 1))
	require.NoError(t, err)
	_, err = tk.Wait(ctx)
	assert.ErrorContains(t, err, "store samples: connection refused")
	require.NoError(t, b.Close(ctx))
}

func TestSpoolRoundTripAndCorruption(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenSpool(dir)
	require.NoError(t, err)
	in := rowsOf(3, 2.5)
	in.Source[1] = "源-丙"
	for i := range in.Version {
		in.Version[i] = uint64(100 + i)
	}
	require.NoError(t, s.Write(in))
	files, err := s.Files()
	require.NoError(t, err)
	require.Len(t, files, 1)
	var out Batch
	require.NoError(t, s.Read(files[0], &out))
	assert.Equal(t, *in, out)

	// a flipped byte is caught by the checksum
	path := filepath.Join(dir, files[0])
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	data[12] ^= 0xff
	require.NoError(t, os.WriteFile(path, data, 0o644))
	assert.ErrorContains(t, s.Read(files[0], &out), "checksum mismatch")
}

func TestBatcherLingerCommitsWhenIdle(t *testing.T) {
	sink := newMemSink()
	b, err := NewBatcher(BatcherConfig{Sink: sink, MaxDelay: time.Hour, Linger: 5 * time.Millisecond})
	require.NoError(t, err)
	ctx := context.Background()
	start := time.Now()
	tk, err := b.Add(ctx, rowsOf(10, 1))
	require.NoError(t, err)
	res, err := tk.Wait(ctx)
	require.NoError(t, err)
	assert.Equal(t, 10, res.Accepted)
	assert.Less(t, time.Since(start), 10*time.Second, "an idle inserter takes the batch without waiting for MaxDelay")
	require.NoError(t, b.Close(ctx))
}
