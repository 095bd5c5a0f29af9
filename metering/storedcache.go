package metering

import (
	"context"
	"errors"
	"math"
	"slices"
)

// The stored-rows cache (BatcherConfig.StoredCacheRows): what is stored of the series a
// batch overlaps is read once per series and month (LatestFinder) and kept, and each
// batch's candidates are checked against it. A series seen for the first time is read
// so straight away: the read tells its stored range too (no StoredRanges first). It is
// exact between the first and last ts the read found (exact): a candidate outside is
// asked of the store (StoredDuplicates), so rows the Batcher writes beyond what was
// stored (a new file) are not kept. Inside exact it stays what the store holds because:
//   - every batch this Batcher stores is learnt into it after the write (the latest
//     version of each identity wins, as in the store), as StoredDuplicates would see it;
//   - a read that a write of its series overlaps (the read may or may not have seen the
//     write) is thrown away, not kept;
//   - a batch going to the spool empties it (the spool's rows reach the store later,
//     behind the Batcher's back); reads start again once the spool is replayed.
// Writers in other processes are not seen: it is for one-shot commands (file ingest),
// where the file is the unit, not for a long-running server.

// cachedSeries is what is stored of one series inside win.
type cachedSeries struct {
	win   TSRange
	ready chan struct{} // closed when the read ends (ok or not)
	ok    bool          // rows is what is stored in exact
	dirty bool          // a batch of the series was stored during the read
	exact TSRange       // the first and last ts the read found (empty: none)
	rows  StoredSeries
}

func (c *cachedSeries) covers(r TSRange) bool { return c.win.First <= r.First && r.Last <= c.win.Last }

// fromStored marks the duplicates among cand (rows of p inside their series' stored
// range) that the cache can tell, reading what is stored of the series not read yet, and
// returns the rows left for StoredDuplicates.
func (b *Batcher) fromStored(ctx context.Context, lf LatestFinder, p *Batch, bs *batchSeries, cand []int, dup []bool) []int {
	need := make([]bool, len(bs.keys))
	for _, i := range cand {
		need[bs.ofRow[i]] = true
	}
	cs := b.cachedOf(ctx, lf, bs, need)
	b.latestMu.Lock()
	defer b.latestMu.Unlock()
	rest := cand[:0]
	for _, i := range cand {
		c := cs[bs.ofRow[i]]
		if c == nil || !c.ok {
			rest = append(rest, i)
			continue
		}
		if p.TS[i] < c.exact.First || p.TS[i] > c.exact.Last {
			rest = append(rest, i) // written by this Batcher beyond what was stored: not kept
			continue
		}
		ts := uint32(p.TS[i])
		if x, found := slices.BinarySearch(c.rows.TS, ts); found && c.rows.Value[x] == p.Value[i] {
			dup[i] = true
		}
	}
	return rest
}

// cachedOf returns, for each series j of bs with need[j], its cached rows covering its
// span in the batch, reading the series not cached (nil: ask the store per batch).
func (b *Batcher) cachedOf(ctx context.Context, lf LatestFinder, bs *batchSeries, need []bool) []*cachedSeries {
	cs := make([]*cachedSeries, len(bs.keys))
	for {
		var wait *cachedSeries
		var read []int
		b.latestMu.Lock()
		if b.latest == nil {
			b.latest = map[Series]*cachedSeries{}
		}
		for j, k := range bs.keys {
			if !need[j] || cs[j] != nil {
				continue
			}
			c := b.latest[k]
			switch {
			case c == nil:
				read = append(read, j)
			case c.covers(bs.span[j]):
				select {
				case <-c.ready:
					cs[j] = c
					need[j] = c.ok
				default:
					wait = c
				}
			default: // another month: read it instead, if that one is not being read
				select {
				case <-c.ready:
					delete(b.latest, k)
					b.latestRows -= len(c.rows.TS)
					read = append(read, j)
				default:
					need[j] = false
				}
			}
		}
		budget := b.cfg.StoredCacheRows - b.latestRows
		var mine *cacheRead
		if len(read) > 0 && !b.latestFull && budget > 0 {
			mine = &cacheRead{win: TSRange{First: bs.span[read[0]].First, Last: bs.span[read[0]].Last}}
			for _, j := range read {
				mine.win.First, mine.win.Last = min(mine.win.First, bs.span[j].First), max(mine.win.Last, bs.span[j].Last)
			}
			mine.win = monthWindow(mine.win)
			for _, j := range read {
				c := &cachedSeries{win: mine.win, ready: make(chan struct{})}
				b.latest[bs.keys[j]] = c
				mine.series = append(mine.series, bs.keys[j])
				mine.cached = append(mine.cached, c)
				cs[j] = c
			}
		} else {
			for _, j := range read {
				need[j] = false // not cached: asked per batch
			}
		}
		b.latestMu.Unlock()
		if mine != nil {
			b.readStored(ctx, lf, mine, budget)
			continue // the series read are ready now; look again for the others
		}
		if wait == nil {
			break
		}
		select {
		case <-wait.ready:
		case <-ctx.Done():
			return cs
		}
	}
	return cs
}

// cacheRead is one StoredLatest call: the series read and their entries.
type cacheRead struct {
	win    TSRange
	series []Series
	cached []*cachedSeries
}

// readStored reads what is stored of r's series and installs it, unless a write of a
// series overlapped the read or the cache was emptied meanwhile; the stored range of a
// series installed is known from then on (b.ranges), unless known already.
func (b *Batcher) readStored(ctx context.Context, lf LatestFinder, r *cacheRead, budget int) {
	got, err := lf.StoredLatest(ctx, r.series, r.win, budget)
	b.latestMu.Lock()
	defer b.latestMu.Unlock()
	if errors.Is(err, ErrTooManyStored) {
		b.latestFull = true // more than the cache may hold: each batch asks the store
	}
	b.rangesMu.Lock()
	defer b.rangesMu.Unlock()
	for i, c := range r.cached {
		k := r.series[i]
		if err == nil && !c.dirty && b.latest[k] == c {
			c.exact = TSRange{First: math.MaxInt64, Last: math.MinInt64}
			if s := got[k]; s != nil && len(s.TS) > 0 {
				c.rows = *s
				c.exact = TSRange{First: int64(s.TS[0]), Last: int64(s.TS[len(s.TS)-1])}
			}
			c.ok = true
			b.latestRows += len(c.rows.TS)
			if kr, known := b.ranges[k]; b.ranges != nil && (!known || kr.win.First > c.win.First || kr.win.Last < c.win.Last) {
				b.ranges[k] = knownRange{stored: c.exact, win: c.win}
			}
		} else if b.latest[k] == c {
			delete(b.latest, k)
		}
		close(c.ready)
	}
}

// learnStoredLocked puts the rows of p just stored (those dup does not mark) inside
// their cached series' exact range into it, keeping per ts the value of the highest
// version, as the store does; a series being read is marked so that its read is thrown
// away. The caller holds latestMu.
func (b *Batcher) learnStoredLocked(p *Batch, bs *batchSeries, dup []bool) {
	if len(b.latest) == 0 {
		return
	}
	cs := make([]*cachedSeries, len(bs.keys))
	some := false
	for j, k := range bs.keys {
		c := b.latest[k]
		if c == nil {
			continue
		}
		select {
		case <-c.ready:
			if c.ok {
				cs[j], some = c, true
			}
		default:
			c.dirty = true
		}
	}
	if !some {
		return
	}
	for i := 0; i < p.Len(); i++ {
		c := cs[bs.ofRow[i]]
		if c == nil || (dup != nil && dup[i]) || p.TS[i] < c.exact.First || p.TS[i] > c.exact.Last {
			continue
		}
		ts := uint32(p.TS[i])
		x, found := slices.BinarySearch(c.rows.TS, ts)
		if found {
			if p.Version[i] > c.rows.Version[x] {
				c.rows.Value[x], c.rows.Version[x] = p.Value[i], p.Version[i]
			}
			continue
		}
		c.rows.TS = slices.Insert(c.rows.TS, x, ts)
		c.rows.Value = slices.Insert(c.rows.Value, x, p.Value[i])
		c.rows.Version = slices.Insert(c.rows.Version, x, p.Version[i])
		b.latestRows++
	}
}

// forgetStored empties the cache (a batch went to the spool); reads under way are thrown
// away when they end.
func (b *Batcher) forgetStored() {
	b.latestMu.Lock()
	defer b.latestMu.Unlock()
	for _, c := range b.latest {
		c.dirty = true
	}
	b.latest = nil
	b.latestRows = 0
}
