package gen

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// metric kinds, indices into metricNames.
const (
	mCPU = iota
	mMem
	mDisk
	mNet
	mObj
)

var metricNames = []string{"cpu_util", "mem_util", "disk_used_gb", "net_out_gb", "objstore_gb"}

func metricKind(name string) (int, bool) {
	for i, n := range metricNames {
		if n == name {
			return i, true
		}
	}
	return 0, false
}

// sampled is a resource that reports usage in the period.
type sampled struct {
	o       *order
	id      []byte
	metrics []int
	qty     []float64 // per day of the period: the quantity in service, 0 when not in service
}

// sampleFile is one file of samples: one vendor, a run of days.
type sampleFile struct {
	name           string // relative to the dataset directory
	vendor         int
	dayFrom, dayTo int // [dayFrom, dayTo) days of the period
	ndjson         bool
	count          int
}

// samplePlan is everything the sample writers share, computed once.
type samplePlan struct {
	interval  time.Duration
	ts        [][]byte  // RFC 3339 (+08:00) of each step
	stepDay   []int     // day of the period of each step
	dayStep   []int     // first step of each day; dayStep[days] = number of steps
	elapsed   []float64 // days since the period start, per step
	diurnal   []float64 // −1 … +1, peaking at 15:00, per step
	byVendor  [][]*sampled
	files     []sampleFile
	resources int
	total     int
}

// inService is the quantity of the order on each day of the period (0: not in service),
// following the billable-day rules: from the open date to the terminate date, both
// counted; a change on day C applies from C.
func (w *world) inService(o *order) []float64 {
	days := w.cfg.Period.Days()
	q := make([]float64, days)
	for d := 0; d < days; d++ {
		date := w.first.AddDays(d)
		var cur *event
		for k := range o.events {
			if o.events[k].date.After(date) {
				break
			}
			cur = &o.events[k]
		}
		switch {
		case cur == nil:
		case cur.kind == "terminate" && cur.date != date:
		default:
			q[d] = float64(cur.qty)
		}
	}
	return q
}

func (w *world) samplePlan() *samplePlan {
	p := &samplePlan{interval: w.cfg.interval()}
	start, end := w.cfg.Period.Start(), w.cfg.Period.End()
	days := w.cfg.Period.Days()
	p.dayStep = make([]int, days+1)
	day := -1
	for k := 0; ; k++ {
		t := start.Add(time.Duration(k) * p.interval)
		if !t.Before(end) {
			break
		}
		d := t.YearDay() - start.YearDay()
		for day < d {
			day++
			p.dayStep[day] = k
		}
		p.ts = append(p.ts, t.AppendFormat(nil, time.RFC3339))
		p.stepDay = append(p.stepDay, d)
		el := t.Sub(start).Hours() / 24
		p.elapsed = append(p.elapsed, el)
		h := float64(t.Hour()) + float64(t.Minute())/60
		p.diurnal = append(p.diurnal, math.Sin(2*math.Pi*(h-9)/24))
	}
	for day < days {
		day++
		p.dayStep[day] = len(p.ts)
	}
	p.byVendor = make([][]*sampled, len(w.vendors))
	for _, o := range w.orders {
		var ms []int
		for _, name := range w.item(o.events[0].item).metrics() {
			if k, ok := metricKind(name); ok {
				ms = append(ms, k)
			}
		}
		if len(ms) == 0 {
			continue
		}
		q := w.inService(o)
		any := false
		for _, x := range q {
			any = any || x > 0
		}
		if !any {
			continue
		}
		p.byVendor[o.vendor] = append(p.byVendor[o.vendor], &sampled{o: o, id: []byte(o.resource), metrics: ms, qty: q})
		p.resources++
	}
	chunks := max(1, days/w.sp.chunkDays)
	for v, res := range p.byVendor {
		for c := 0; c < chunks; c++ {
			f := sampleFile{vendor: v, dayFrom: c * w.sp.chunkDays, dayTo: (c + 1) * w.sp.chunkDays, ndjson: v == 1}
			if c == chunks-1 {
				f.dayTo = days
			}
			for _, r := range res {
				for d := f.dayFrom; d < f.dayTo; d++ {
					if r.qty[d] > 0 {
						f.count += (p.dayStep[d+1] - p.dayStep[d]) * len(r.metrics)
					}
				}
			}
			if f.count == 0 {
				continue
			}
			ext := ".csv"
			if f.ndjson {
				ext = ".ndjson"
			}
			f.name = samplesDir + "/" + w.vendors[v].id + "-" + w.first.AddDays(f.dayFrom).String() + ext
			p.files = append(p.files, f)
			p.total += f.count
		}
	}
	return p
}

// writeSamples writes the plan's files, as many at once as there are cores; each file
// has a random stream of its own, so the bytes do not depend on the scheduling.
func (w *world) writeSamples(ctx context.Context, cfg Config, p *samplePlan) ([]string, int, error) {
	if err := os.MkdirAll(filepath.Join(cfg.Out, samplesDir), 0o755); err != nil {
		return nil, 0, fmt.Errorf("create samples directory: %w", err)
	}
	started := time.Now()
	progressf(cfg.Progress, "gen: writing %d samples of %d resources every %s into %d files",
		p.total, p.resources, p.interval, len(p.files))
	var done atomic.Int64
	stop := make(chan struct{})
	var reporter sync.WaitGroup
	if cfg.Progress != nil {
		reporter.Add(1)
		go func() {
			defer reporter.Done()
			tick := time.NewTicker(2 * time.Second)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					n := done.Load()
					progressf(cfg.Progress, "gen: samples %d of %d (%.0f%%), %.0f/s",
						n, p.total, 100*float64(n)/float64(max(1, p.total)), float64(n)/sinceStart(started))
				}
			}
		}()
	}
	jobs := make(chan int)
	errs := make([]error, len(p.files))
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(p.files)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				errs[i] = w.writeSampleFile(ctx, cfg, p, i, &done)
			}
		}()
	}
	for i := range p.files {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(stop)
	reporter.Wait()
	names := make([]string, len(p.files))
	for i, f := range p.files {
		if errs[i] != nil {
			return nil, 0, errs[i]
		}
		names[i] = f.name
	}
	secs := sinceStart(started)
	progressf(cfg.Progress, "gen: %d samples written in %.1fs (%.0f/s)", p.total, secs, float64(p.total)/secs)
	return names, p.total, nil
}

// clearSamples removes the sample files (*.csv, *.ndjson) a previous run left in
// dir/samples, so that `cloudbill ingest DIR/samples/*` reads this dataset's only.
func clearSamples(dir string) error {
	for _, pat := range []string{"*.csv", "*.ndjson"} {
		old, err := filepath.Glob(filepath.Join(dir, samplesDir, pat))
		if err != nil {
			return err
		}
		for _, f := range old {
			if err := os.Remove(f); err != nil {
				return fmt.Errorf("remove old samples: %w", err)
			}
		}
	}
	return nil
}

func (w *world) writeSampleFile(ctx context.Context, cfg Config, p *samplePlan, i int, done *atomic.Int64) error {
	f := p.files[i]
	name := filepath.Join(cfg.Out, filepath.FromSlash(f.name))
	file, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("write samples: %w", err)
	}
	defer file.Close()
	bw := bufio.NewWriterSize(file, 1<<20)
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x73616d706c657300^uint64(i)))
	source := []byte(w.vendors[f.vendor].id)
	metric := make([][]byte, len(metricNames))
	for k, n := range metricNames {
		metric[k] = []byte(n)
	}
	if !f.ndjson {
		bw.WriteString("resource_id,metric,ts,value,source\n")
	}
	stepHours := p.interval.Hours()
	res := p.byVendor[f.vendor]
	buf := make([]byte, 0, 256)
	written := 0
	for k := p.dayStep[f.dayFrom]; k < p.dayStep[f.dayTo]; k++ {
		if k%64 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		d, ts, di, el := p.stepDay[k], p.ts[k], p.diurnal[k], p.elapsed[k]
		n := 0
		for _, r := range res {
			q := r.qty[d]
			if q == 0 {
				continue
			}
			m := &r.o.model
			for _, mk := range r.metrics {
				var v float64
				prec := 2
				switch mk {
				case mCPU:
					v = clamp(m.cpuMean*(1+m.cpuAmp*di)+2.5*rng.NormFloat64(), 0.1, 100)
				case mMem:
					v = clamp(m.memMean*(1+m.memAmp*di)+rng.NormFloat64(), 1, 100)
				case mDisk:
					v = q * math.Min(0.97, m.diskFrac+m.diskDay*el) * (1 + 0.001*rng.Float64())
				case mNet:
					v = m.trafficDay * stepHours / 24 * math.Max(0.05, 1+0.8*di) * (0.7 + 0.6*rng.Float64())
					prec = 3
				case mObj:
					v = m.objBase * (1 + m.objDay*el) * (1 + 0.0005*rng.Float64())
				}
				buf = buf[:0]
				if f.ndjson {
					buf = append(buf, `{"resource_id":"`...)
					buf = append(buf, r.id...)
					buf = append(buf, `","metric":"`...)
					buf = append(buf, metric[mk]...)
					buf = append(buf, `","ts":"`...)
					buf = append(buf, ts...)
					buf = append(buf, `","value":`...)
					buf = strconv.AppendFloat(buf, v, 'f', prec, 64)
					buf = append(buf, `,"source":"`...)
					buf = append(buf, source...)
					buf = append(buf, "\"}\n"...)
				} else {
					buf = append(buf, r.id...)
					buf = append(buf, ',')
					buf = append(buf, metric[mk]...)
					buf = append(buf, ',')
					buf = append(buf, ts...)
					buf = append(buf, ',')
					buf = strconv.AppendFloat(buf, v, 'f', prec, 64)
					buf = append(buf, ',')
					buf = append(buf, source...)
					buf = append(buf, '\n')
				}
				bw.Write(buf)
				n++
			}
		}
		written += n
		done.Add(int64(n))
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", f.name, err)
	}
	if err := file.Close(); err != nil {
		return fmt.Errorf("write %s: %w", f.name, err)
	}
	if written != f.count {
		return fmt.Errorf("write %s: %d samples written, %d planned", f.name, written, f.count)
	}
	return nil
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }
