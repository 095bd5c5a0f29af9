package metering

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// BatcherConfig configures the Batcher.
type BatcherConfig struct {
	Sink Sink
	// Spool takes the batches the Sink cannot; nil: such batches fail.
	Spool *Spool
	// MaxRows flushes a batch at this many samples; default 100,000.
	MaxRows int
	// MaxDelay flushes a batch this long after its first sample; default 200ms.
	MaxDelay time.Duration
	// Linger, when set, also flushes a batch this long after its first sample if an
	// inserter is idle (group commit: light load gets short waits, heavy load large
	// batches). 0: only MaxRows and MaxDelay flush.
	Linger time.Duration
	// Inserters is how many batches are written at once; default 2.
	Inserters int
	// InsertTimeout bounds one write to the Sink; default 60s.
	InsertTimeout time.Duration
	// RetryEvery is how often the spool is replayed while it holds batches; default 2s.
	RetryEvery time.Duration
	// Now is the clock versions are taken from; default time.Now.
	Now func() time.Time
	// Logf reports outages and replays; default: silent.
	Logf func(format string, args ...any)
	// StoredCacheRows, when set and the Sink is a LatestFinder, keeps what is stored of
	// the series batches overlap (read once per series and month, up to this many rows
	// in all) and checks each batch's duplicates against it instead of asking the store
	// per batch. For one-shot commands (file ingest): writers in other processes are not
	// seen while it is kept. 0: each batch asks the store.
	StoredCacheRows int
}

// Validate reports a configuration that cannot work.
func (c BatcherConfig) Validate() error {
	if c.Sink == nil {
		return errors.New("batcher: no sink")
	}
	if c.MaxRows < 0 || c.MaxDelay < 0 || c.Inserters < 0 {
		return errors.New("batcher: negative limit")
	}
	return nil
}

// Batcher is the one path by which samples reach the store: it gathers them into large
// batches, flushed by size and by time, writes each batch to the Sink, and when the
// Sink fails puts the batch in the Spool, from which it is replayed, in order, once the
// Sink takes batches again. While the spool holds batches, new ones join it, so that
// samples reach the store in the order they were accepted.
//
// Every sample gets its version when it is added: a number above every version given
// before by this process (nanoseconds of the clock, or the last version plus one), so
// the store can keep the latest value of each identity whatever the order of writes.
type Batcher struct {
	cfg    BatcherConfig
	sealed chan *pending
	wg     sync.WaitGroup

	mu      sync.Mutex
	cur     *pending
	closed  bool
	lastVer uint64

	busy    atomic.Int64 // inserters writing a batch
	spooled atomic.Int64 // spool files known to this process not yet replayed
	kick    chan struct{}
	stop    chan struct{}
	replay  sync.WaitGroup
	replayM sync.Mutex

	rangesMu sync.Mutex
	ranges   map[Series]knownRange // what is stored per series, as far as this process knows

	latestMu   sync.Mutex
	latest     map[Series]*cachedSeries // StoredCacheRows: what is stored of series (storedcache.go)
	latestRows int                      // rows in latest
	latestFull bool                     // a read found more than StoredCacheRows: no more reads

	seriesHint atomic.Int64 // series of the last batch grouped: the size its maps start at

	flightMu sync.Mutex
	flight   []*pending // sealed batches not yet stored (and learnt) or spooled, in seal order
	sealSeq  uint64

	stats struct {
		stored, spooledRows, replayedRows atomic.Int64
	}
}

// pending is a batch being gathered or written.
type pending struct {
	Batch
	started time.Time
	done    chan struct{}
	dup     []bool
	spooled bool
	err     error

	seq      uint64 // seal order: the order of the versions
	bsOnce   sync.Once
	bs       *batchSeries
	inFlight bool // in Batcher.flight (under flightMu)
	hint     int  // series expected (the batch before had as many)
}

// series is p's series, computed once (the inserter of p and the batches decided while p
// is in flight both read it; p is not changed once sealed).
func (p *pending) series() *batchSeries {
	p.bsOnce.Do(func() { p.bs = seriesOf(&p.Batch, p.hint) })
	return p.bs
}

func newPending(capacity int, now time.Time) *pending {
	p := &pending{started: now, done: make(chan struct{})}
	p.ResourceID = make([]string, 0, capacity)
	p.Metric = make([]string, 0, capacity)
	p.TS = make([]int64, 0, capacity)
	p.Value = make([]float64, 0, capacity)
	p.Source = make([]string, 0, capacity)
	p.Version = make([]uint64, 0, capacity)
	return p
}

// Result is what became of the samples of one Add.
type Result struct {
	// Accepted samples were stored or spooled.
	Accepted int
	// Duplicates of them were already stored with the same value (known only for
	// samples stored directly, when the Sink can tell).
	Duplicates int
	// Spooled of them wait in the spool for ClickHouse.
	Spooled int
}

// Ticket follows the samples of one Add until they are durable.
type Ticket struct {
	parts []part
}

type part struct {
	p      *pending
	lo, hi int
}

// NewBatcher starts a Batcher; Close stops it.
func NewBatcher(cfg BatcherConfig) (*Batcher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.MaxRows == 0 {
		cfg.MaxRows = 100_000
	}
	if cfg.MaxDelay == 0 {
		cfg.MaxDelay = 200 * time.Millisecond
	}
	if cfg.Inserters == 0 {
		cfg.Inserters = 2
	}
	if cfg.InsertTimeout == 0 {
		cfg.InsertTimeout = 60 * time.Second
	}
	if cfg.RetryEvery == 0 {
		cfg.RetryEvery = 2 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	b := &Batcher{cfg: cfg, sealed: make(chan *pending, 1), kick: make(chan struct{}, 1), stop: make(chan struct{})}
	if cfg.Spool != nil {
		files, err := cfg.Spool.Files()
		if err != nil {
			return nil, err
		}
		b.spooled.Store(int64(len(files)))
	}
	for i := 0; i < cfg.Inserters; i++ {
		b.wg.Add(1)
		go b.inserter()
	}
	b.wg.Add(1)
	go b.timer()
	if cfg.Spool != nil {
		b.replay.Add(1)
		go b.replayer()
	}
	return b, nil
}

// ErrClosed is returned by Add after Close.
var ErrClosed = errors.New("batcher closed")

// Add accepts the samples of rows (copied; rows may be reused at once), gives them their
// versions and returns a Ticket that tells when they are durable. Add blocks while the
// inserters are busy and the next batch is full, so memory stays bounded.
func (b *Batcher) Add(ctx context.Context, rows *Batch) (*Ticket, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t := &Ticket{}
	n := rows.Len()
	base := b.versions(n)
	for off := 0; off < n; {
		if b.cur == nil {
			b.cur = newPending(b.cfg.MaxRows, b.cfg.Now())
		}
		k := min(n-off, b.cfg.MaxRows-b.cur.Len())
		lo := b.cur.Len()
		b.cur.ResourceID = append(b.cur.ResourceID, rows.ResourceID[off:off+k]...)
		b.cur.Metric = append(b.cur.Metric, rows.Metric[off:off+k]...)
		b.cur.TS = append(b.cur.TS, rows.TS[off:off+k]...)
		b.cur.Value = append(b.cur.Value, rows.Value[off:off+k]...)
		b.cur.Source = append(b.cur.Source, rows.Source[off:off+k]...)
		for i := 0; i < k; i++ {
			b.cur.Version = append(b.cur.Version, base+uint64(off+i))
		}
		t.parts = append(t.parts, part{p: b.cur, lo: lo, hi: lo + k})
		off += k
		if b.cur.Len() >= b.cfg.MaxRows {
			b.sealLocked()
		}
	}
	return t, nil
}

// versions reserves n consecutive versions above every earlier one.
func (b *Batcher) versions(n int) uint64 {
	v := uint64(b.cfg.Now().UnixNano())
	if v <= b.lastVer {
		v = b.lastVer + 1
	}
	b.lastVer = v + uint64(n) - 1
	return v
}

// sealLocked hands the current batch to the inserters, waiting for room (they always
// make progress: a write that does not end in InsertTimeout goes to the spool).
func (b *Batcher) sealLocked() {
	p := b.cur
	if p == nil || p.Len() == 0 {
		return
	}
	b.cur = nil
	b.flightMu.Lock()
	b.sealSeq++
	p.seq, p.inFlight = b.sealSeq, true
	p.hint = int(b.seriesHint.Load())
	b.flight = append(b.flight, p)
	b.flightMu.Unlock()
	b.sealed <- p
}

// landed takes p out of the batches in flight: its rows are in the store (and learnt) or
// in the spool, or it failed.
func (b *Batcher) landed(p *pending) {
	b.flightMu.Lock()
	defer b.flightMu.Unlock()
	if i := slices.Index(b.flight, p); i >= 0 {
		b.flight = slices.Delete(b.flight, i, i+1)
	}
	p.inFlight = false
}

// flightBefore is the batches sealed before p and not landed yet: what p's rows may
// overwrite, or be overwritten by, without the store showing it yet.
func (b *Batcher) flightBefore(p *pending) []*pending {
	b.flightMu.Lock()
	defer b.flightMu.Unlock()
	var out []*pending
	for _, q := range b.flight {
		if q.seq < p.seq {
			out = append(out, q)
		}
	}
	return out
}

// Flush hands the samples gathered so far to the inserters without waiting for the
// batch to fill.
func (b *Batcher) Flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed {
		b.sealLocked()
	}
}

func (b *Batcher) timer() {
	defer b.wg.Done()
	every := b.cfg.MaxDelay / 4
	if b.cfg.Linger > 0 {
		every = min(every, b.cfg.Linger/2)
	}
	tick := time.NewTicker(max(every, time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-tick.C:
		}
		b.mu.Lock()
		if b.cur != nil && b.cur.Len() > 0 {
			age := b.cfg.Now().Sub(b.cur.started)
			idle := int64(b.cfg.Inserters) - b.busy.Load() - int64(len(b.sealed))
			if age >= b.cfg.MaxDelay || (b.cfg.Linger > 0 && age >= b.cfg.Linger && idle > 0) {
				b.sealLocked()
			}
		}
		b.mu.Unlock()
	}
}

func (b *Batcher) inserter() {
	defer b.wg.Done()
	for p := range b.sealed {
		b.busy.Add(1)
		b.write(p)
		b.landed(p)
		b.busy.Add(-1)
		close(p.done)
	}
}

// write stores p, or spools it.
func (b *Batcher) write(p *pending) {
	if b.cfg.Spool == nil || b.spooled.Load() == 0 {
		ctx, cancel := context.WithTimeout(context.Background(), b.cfg.InsertTimeout)
		var bs *batchSeries
		df, findDups := b.cfg.Sink.(DuplicateFinder)
		write := &p.Batch
		if findDups {
			bs = p.series()
			b.seriesHint.Store(int64(len(bs.keys)))
			p.dup = b.duplicates(ctx, df, p, bs)
			write = withoutDuplicates(&p.Batch, p.dup)
			if write == &p.Batch { // the rows as grouped: the store need not group them again
				write.Grouping = &Grouping{Keys: bs.keys, OfRow: bs.ofRow}
			}
		}
		var err error
		if write.Len() > 0 { // a batch of duplicates only: nothing to write
			err = b.cfg.Sink.InsertSamples(ctx, write)
		}
		cancel()
		if err == nil {
			b.stats.stored.Add(int64(p.Len()))
			if findDups {
				if b.cfg.StoredCacheRows > 0 {
					// both at once for a cache read ending now: it sees neither or both
					b.latestMu.Lock()
					b.learn(bs)
					b.learnStoredLocked(&p.Batch, bs, p.dup)
					b.latestMu.Unlock()
				} else {
					b.learn(bs)
				}
			}
			return
		}
		p.dup = nil
		if b.cfg.Spool == nil {
			p.err = fmt.Errorf("store samples: %w", err)
			return
		}
		b.cfg.Logf("clickhouse cannot take a batch of %d samples, spooling: %v", p.Len(), err)
	}
	if b.cfg.StoredCacheRows > 0 {
		b.forgetStored() // the spool's rows reach the store behind the cache's back
	}
	if err := b.cfg.Spool.Write(&p.Batch); err != nil {
		p.err = fmt.Errorf("samples neither stored nor spooled: %w", err)
		return
	}
	p.spooled = true
	b.stats.spooledRows.Add(int64(p.Len()))
	b.spooled.Add(1)
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// maxRanges bounds the series whose stored range the Batcher remembers.
const maxRanges = 1 << 20

// knownRange is what is stored of a series inside the window asked about.
type knownRange struct {
	stored TSRange // empty (First > Last) when nothing is stored in win
	win    TSRange
}

// withoutDuplicates is b without the rows dup marks (b itself when none is marked):
// a duplicate changes no figure, so it is not written again.
func withoutDuplicates(b *Batch, dup []bool) *Batch {
	n := 0
	for _, d := range dup {
		if d {
			n++
		}
	}
	if n == 0 {
		return b
	}
	keep := b.Len() - n
	out := &Batch{ResourceID: make([]string, 0, keep), Metric: make([]string, 0, keep), TS: make([]int64, 0, keep),
		Value: make([]float64, 0, keep), Source: make([]string, 0, keep), Version: make([]uint64, 0, keep)}
	for i, d := range dup {
		if d {
			continue
		}
		out.ResourceID = append(out.ResourceID, b.ResourceID[i])
		out.Metric = append(out.Metric, b.Metric[i])
		out.TS = append(out.TS, b.TS[i])
		out.Value = append(out.Value, b.Value[i])
		out.Source = append(out.Source, b.Source[i])
		out.Version = append(out.Version, b.Version[i])
	}
	return out
}

// monthWindow widens r to whole months (UTC): the partitions of usage_samples.
func monthWindow(r TSRange) TSRange {
	lo := time.Unix(r.First, 0).UTC()
	hi := time.Unix(r.Last, 0).UTC()
	from := time.Date(lo.Year(), lo.Month(), 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(hi.Year(), hi.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	return TSRange{First: from.Unix(), Last: to.Unix() - 1}
}

// batchSeries is the series of a batch: each row's series, and each series' ts range in
// the batch.
type batchSeries struct {
	keys  []Series // each series once
	byKey map[Series]int32
	span  []TSRange
	ofRow []int32
}

func seriesOf(p *Batch, hint int) *batchSeries {
	bs := &batchSeries{ofRow: make([]int32, p.Len())}
	// sized for as many series as the batch before (a time-major file: every batch has
	// the file's series), not grown to them batch after batch
	size := min(p.Len(), max(hint+hint/8, 4096))
	// keyed by where the strings lie: the parser shares equal strings, so this is
	// cheaper than hashing them; equal strings elsewhere are found by their text
	type at struct {
		r, m   *byte
		rn, mn int
	}
	idx := make(map[at]int32, size)
	bs.byKey = make(map[Series]int32, size)
	bs.keys = make([]Series, 0, size)
	bs.span = make([]TSRange, 0, size)
	for i := 0; i < p.Len(); i++ {
		a := at{unsafe.StringData(p.ResourceID[i]), unsafe.StringData(p.Metric[i]), len(p.ResourceID[i]), len(p.Metric[i])}
		j, ok := idx[a]
		if !ok {
			k := Series{p.ResourceID[i], p.Metric[i]}
			if j, ok = bs.byKey[k]; !ok { // equal strings elsewhere: the same series
				j = int32(len(bs.keys))
				bs.byKey[k] = j
				bs.keys = append(bs.keys, k)
				bs.span = append(bs.span, TSRange{First: p.TS[i], Last: p.TS[i]})
			}
			idx[a] = j
		}
		bs.ofRow[i] = j
		if r := &bs.span[j]; p.TS[i] < r.First {
			r.First = p.TS[i]
		} else if p.TS[i] > r.Last {
			r.Last = p.TS[i]
		}
	}
	return bs
}

// duplicates marks the rows of p already stored with the same value, or returns nil
// when that cannot be told (the count is then unknown, reported as 0). Only rows inside
// the stored range of their series are looked up. A row is not marked when an earlier
// row of its identity with another value has not reached the store yet (an earlier row
// of p, or of a batch still in flight): that row will land first and the later one must
// replace it.
func (b *Batcher) duplicates(ctx context.Context, df DuplicateFinder, pd *pending, bs *batchSeries) []bool {
	// what the store (or the cache) shows from here on includes every batch landed now;
	// those still in flight are checked against p's rows below
	earlier := b.flightBefore(pd)
	if b.cfg.Spool != nil && b.spooled.Load() > 0 {
		return nil // spooled rows reach the store behind the lookups' back
	}
	dup := b.storedDuplicates(ctx, df, &pd.Batch, bs)
	if dup != nil {
		keepOverwritten(&pd.Batch, bs, dup, earlier)
	}
	return dup
}

func (b *Batcher) storedDuplicates(ctx context.Context, df DuplicateFinder, p *Batch, bs *batchSeries) []bool {
	lf, cached := df.(LatestFinder)
	cached = cached && b.cfg.StoredCacheRows > 0
	b.rangesMu.Lock()
	if b.ranges == nil || len(b.ranges) > maxRanges {
		b.ranges = map[Series]knownRange{}
	}
	var unknown []int
	var firstSeen []bool
	for j, k := range bs.keys {
		kr, ok := b.ranges[k]
		if sp := bs.span[j]; !ok || sp.First < kr.win.First || sp.Last > kr.win.Last {
			unknown = append(unknown, j)
			if cached {
				if firstSeen == nil {
					firstSeen = make([]bool, len(bs.keys))
				}
				firstSeen[j] = !ok
			}
		}
	}
	b.rangesMu.Unlock()
	if len(unknown) > 0 && firstSeen != nil {
		// series not seen before: reading what is stored of them (kept for later batches)
		// tells their ranges too, one query instead of two in a row
		b.cachedOf(ctx, lf, bs, firstSeen)
		b.rangesMu.Lock()
		rest := unknown[:0]
		for _, j := range unknown {
			kr, ok := b.ranges[bs.keys[j]]
			if sp := bs.span[j]; !ok || sp.First < kr.win.First || sp.Last > kr.win.Last {
				rest = append(rest, j)
			}
		}
		unknown = rest
		b.rangesMu.Unlock()
	}
	if len(unknown) > 0 {
		// ask about the whole months of the batch that are not known yet (a file crossing
		// into a new month asks about that month only, not again about the one it filled):
		// later batches of the same series and months need no question
		win := TSRange{First: math.MaxInt64, Last: math.MinInt64}
		series := make([]Series, len(unknown))
		b.rangesMu.Lock()
		for n, j := range unknown {
			series[n] = bs.keys[j]
			ask := bs.span[j]
			if kr, ok := b.ranges[series[n]]; ok && ask.First <= kr.win.Last && ask.Last >= kr.win.First &&
				(ask.First >= kr.win.First || ask.Last <= kr.win.Last) { // overlaps it on one side
				if ask.First >= kr.win.First {
					ask.First = kr.win.Last + 1
				} else {
					ask.Last = kr.win.First - 1
				}
			}
			win.First, win.Last = min(win.First, ask.First), max(win.Last, ask.Last)
		}
		b.rangesMu.Unlock()
		win = monthWindow(win)
		got, err := df.StoredRanges(ctx, series, win)
		if err != nil {
			return nil
		}
		b.rangesMu.Lock()
		for _, k := range series {
			r, ok := got[k]
			if !ok {
				r = TSRange{First: math.MaxInt64, Last: math.MinInt64} // nothing stored
			}
			kr := knownRange{stored: r, win: win}
			if old, ok := b.ranges[k]; ok && old.win.Last+1 >= win.First && win.Last+1 >= old.win.First {
				// next to (or over) what was known: known together (a wider stored range
				// only makes more rows looked up)
				kr.win = TSRange{First: min(old.win.First, win.First), Last: max(old.win.Last, win.Last)}
				kr.stored = TSRange{First: min(old.stored.First, r.First), Last: max(old.stored.Last, r.Last)}
			}
			b.ranges[k] = kr
		}
		b.rangesMu.Unlock()
	}
	stored := make([]TSRange, len(bs.keys))
	overlap := false
	b.rangesMu.Lock()
	for j, k := range bs.keys {
		stored[j] = b.ranges[k].stored
		if bs.span[j].First <= stored[j].Last && bs.span[j].Last >= stored[j].First {
			overlap = true
		}
	}
	b.rangesMu.Unlock()
	dup := make([]bool, p.Len())
	if !overlap {
		return dup
	}
	cand := make([]int, 0, p.Len())
	for i := 0; i < p.Len(); i++ {
		if r := stored[bs.ofRow[i]]; p.TS[i] >= r.First && p.TS[i] <= r.Last {
			cand = append(cand, i)
		}
	}
	if cached && len(cand) > 0 {
		cand = b.fromStored(ctx, lf, p, bs, cand, dup)
	}
	if len(cand) > 0 && df.StoredDuplicates(ctx, p, cand, dup) != nil {
		return nil
	}
	return dup
}

// keepOverwritten unmarks the duplicates of p (dup) that an earlier row of the same
// identity with another value would overwrite: an earlier row of p, or a row of one of
// the batches earlier, sealed before p and not landed when p was decided. Writing such
// a row again is harmless (the latest version wins); dropping it would leave the earlier
// value stored.
func keepOverwritten(p *Batch, bs *batchSeries, dup []bool, earlier []*pending) {
	hasDup := make([]bool, len(bs.keys))
	some := false
	for i, d := range dup {
		if d {
			hasDup[bs.ofRow[i]], some = true, true
		}
	}
	if !some {
		return
	}
	// in p: only a series whose ts do not grow row by row can repeat an identity
	last := make([]int64, len(bs.keys))
	for j := range last {
		last[j] = math.MinInt64
	}
	repeats := make([]bool, len(bs.keys))
	anyRepeat := false
	for i := 0; i < p.Len(); i++ {
		j := bs.ofRow[i]
		if p.TS[i] <= last[j] && hasDup[j] {
			repeats[j], anyRepeat = true, true
		}
		last[j] = p.TS[i]
	}
	if anyRepeat {
		seen := map[uint64]float64{} // (series, ts) → the value of its rows so far, NaN: several
		for i := 0; i < p.Len(); i++ {
			j := bs.ofRow[i]
			if !repeats[j] {
				continue
			}
			key := uint64(j)<<32 | uint64(uint32(p.TS[i]))
			v, ok := seen[key]
			if ok && v != p.Value[i] { // NaN never equals
				dup[i] = false
				seen[key] = math.NaN()
			} else if !ok {
				seen[key] = p.Value[i]
			}
		}
	}
	// in the batches in flight: only series whose ts spans overlap
	for _, q := range earlier {
		qs := q.series()
		var of []int32 // p's series → q's, -1: no overlap
		for j, k := range bs.keys {
			if !hasDup[j] {
				continue
			}
			qj, ok := qs.byKey[k]
			if !ok || qs.span[qj].Last < bs.span[j].First || qs.span[qj].First > bs.span[j].Last {
				continue
			}
			if of == nil {
				of = make([]int32, len(bs.keys))
				for n := range of {
					of[n] = -1
				}
			}
			of[j] = qj
		}
		if of == nil {
			continue
		}
		want := make([]bool, len(qs.keys))
		for _, qj := range of {
			if qj >= 0 {
				want[qj] = true
			}
		}
		vals := map[uint64]float64{} // (q's series, ts) → value, NaN: several
		for i := 0; i < q.Len(); i++ {
			qj := qs.ofRow[i]
			if !want[qj] {
				continue
			}
			key := uint64(qj)<<32 | uint64(uint32(q.TS[i]))
			if v, ok := vals[key]; ok && v != q.Value[i] {
				vals[key] = math.NaN()
			} else if !ok {
				vals[key] = q.Value[i]
			}
		}
		for i, d := range dup {
			if !d || of[bs.ofRow[i]] < 0 {
				continue
			}
			if v, ok := vals[uint64(of[bs.ofRow[i]])<<32|uint64(uint32(p.TS[i]))]; ok && v != p.Value[i] {
				dup[i] = false
			}
		}
	}
}

// learn extends the known stored ranges with a batch just stored.
func (b *Batcher) learn(bs *batchSeries) {
	b.rangesMu.Lock()
	defer b.rangesMu.Unlock()
	if b.ranges == nil {
		return
	}
	for j, k := range bs.keys {
		kr, ok := b.ranges[k]
		if !ok || bs.span[j].First < kr.win.First || bs.span[j].Last > kr.win.Last {
			continue // not asked yet: StoredRanges will tell
		}
		kr.stored.First = min(kr.stored.First, bs.span[j].First)
		kr.stored.Last = max(kr.stored.Last, bs.span[j].Last)
		b.ranges[k] = kr
	}
}

func (b *Batcher) replayer() {
	defer b.replay.Done()
	tick := time.NewTicker(b.cfg.RetryEvery)
	defer tick.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-tick.C:
		}
		b.ReplaySpool(context.Background())
	}
}

// ReplaySpool writes the spooled batches to the Sink, oldest first, removing each once
// stored; it stops at the first that fails. It returns how many batches remain.
func (b *Batcher) ReplaySpool(ctx context.Context) int {
	if b.cfg.Spool == nil {
		return 0
	}
	b.replayM.Lock()
	defer b.replayM.Unlock()
	files, err := b.cfg.Spool.Files()
	if err != nil {
		b.cfg.Logf("%v", err)
		return -1
	}
	var batch Batch
	for i, f := range files {
		if err := b.cfg.Spool.Read(f, &batch); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			b.cfg.Logf("%v; moved aside as %s.bad", err, f)
			_ = b.cfg.Spool.Quarantine(f)
			continue
		}
		ictx, cancel := context.WithTimeout(ctx, b.cfg.InsertTimeout)
		err := b.cfg.Sink.InsertSamples(ictx, &batch)
		cancel()
		if err != nil {
			b.spooled.Store(int64(len(files) - i))
			return len(files) - i
		}
		if err := b.cfg.Spool.Remove(f); err != nil {
			b.cfg.Logf("%v", err)
		}
		b.stats.replayedRows.Add(int64(batch.Len()))
		b.cfg.Logf("replayed spooled batch %s (%d samples)", f, batch.Len())
	}
	// batches spooled meanwhile are picked up by the next round
	rest, _ := b.cfg.Spool.Files()
	b.spooled.Store(int64(len(rest)))
	return len(rest)
}

// Close flushes what is gathered, waits until every batch is stored or spooled, tries
// once more to replay the spool, and stops the Batcher.
func (b *Batcher) Close(ctx context.Context) error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.sealLocked()
	b.closed = true
	b.mu.Unlock()
	close(b.sealed)
	close(b.stop)
	b.wg.Wait()
	b.replay.Wait()
	if b.cfg.Spool != nil {
		if n := b.ReplaySpool(ctx); n > 0 {
			b.cfg.Logf("%d spooled batches wait in %s for ClickHouse; the next cloudbill serve or ingest replays them", n, b.cfg.Spool.Dir())
		}
	}
	return nil
}

// Stats are running totals of a Batcher.
type Stats struct {
	Stored, Spooled, Replayed int64
	SpoolFiles                int64
}

// Stats returns the totals so far.
func (b *Batcher) Stats() Stats {
	return Stats{Stored: b.stats.stored.Load(), Spooled: b.stats.spooledRows.Load(), Replayed: b.stats.replayedRows.Load(), SpoolFiles: b.spooled.Load()}
}

// Wait blocks until every sample of the ticket is stored or spooled; the error says
// they could be neither (the caller must not acknowledge them).
func (t *Ticket) Wait(ctx context.Context) (Result, error) {
	var r Result
	for _, pt := range t.parts {
		select {
		case <-pt.p.done:
		case <-ctx.Done():
			return r, ctx.Err()
		}
		if pt.p.err != nil {
			return r, pt.p.err
		}
		n := pt.hi - pt.lo
		r.Accepted += n
		if pt.p.spooled {
			r.Spooled += n
		}
		if pt.p.dup != nil {
			for _, d := range pt.p.dup[pt.lo:pt.hi] {
				if d {
					r.Duplicates++
				}
			}
		}
	}
	return r, nil
}

// Sum is the sum of the values of the ticket's samples that are not duplicates (new
// samples and corrections): what the ingest report states of what it wrote, without
// reading the store again. Call it after Wait.
func (t *Ticket) Sum() float64 {
	var s float64
	for _, pt := range t.parts {
		for i := pt.lo; i < pt.hi; i++ {
			if pt.p.dup == nil || !pt.p.dup[i] {
				s += pt.p.Value[i]
			}
		}
	}
	return s
}

// Done reports, without waiting, whether every sample of the ticket is stored or spooled
// (or failed).
func (t *Ticket) Done() bool {
	for _, pt := range t.parts {
		select {
		case <-pt.p.done:
		default:
			return false
		}
	}
	return true
}
