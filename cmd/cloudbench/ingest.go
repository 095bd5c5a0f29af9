package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"cloudbill/internal/chserver"
	chstore "cloudbill/sql"
)

// httpRequestLines is the size of each request of the HTTP figure (the 50,000).
const httpRequestLines = 50_000

// benchIngest measures the figures of the metering issue on an embedded ClickHouse
// started in a temporary directory:
//
//   - the baseline: clickhouse-client INSERT … FORMAT TSV of N rows;
//   - `cloudbill ingest` of the same rows as CSV, into a fresh database of the same server,
//     the whole command as a user runs it (start-up and closing summary included);
//   - the same file ingested again into that database (every line a duplicate);
//   - HTTP: `cloudbill serve`, with 8 senders on loopback posting the same rows as NDJSON
//     (50,000 lines a request), and with one sender;
//   - the peak RSS of `cloudbill ingest` on a 2 GB CSV file.
//
// Each of the three is measured CLOUDBENCH_ROUNDS times (default 3), interleaved, into a
// fresh database each time, after the server's merges have settled; the ratios are of
// the medians. N is CLOUDBENCH_INGEST_ROWS (default 5,000,000); CLOUDBENCH_RSS_BYTES sets
// the size of the RSS file (default 2 GB; 0 skips it); CLOUDBENCH_BATCH the samples per
// insert of `cloudbill ingest`. Files go to a temporary directory, removed afterwards.
func benchIngest(ctx context.Context) ([]figure, error) {
	var figs []figure
	rows := envInt("CLOUDBENCH_INGEST_ROWS", 5_000_000)
	rssBytes := envInt("CLOUDBENCH_RSS_BYTES", 2<<30)
	tmp, err := os.MkdirTemp("", "cloudbench-ingest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	client, err := exec.LookPath("clickhouse-client")
	if err != nil {
		return nil, fmt.Errorf("clickhouse-client is needed for the baseline (make deps): %w", err)
	}

	bin := filepath.Join(tmp, "cloudbill")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/cloudbill")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return nil, fmt.Errorf("build cloudbill: %w", err)
	}
	srv, err := chserver.Start(ctx, chserver.Config{Dir: filepath.Join(tmp, "clickhouse"), KillWithParent: true})
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	host, port, _ := net.SplitHostPort(srv.Addr)
	fmt.Printf("clickhouse-server %s on %s; %d rows\n", serverVersion(ctx, client, host, port, srv.Password), srv.Addr, rows)
	// where is user:password@host:port, as in a DSN
	where := srv.User + ":" + srv.Password + "@" + srv.Addr

	csvFile, tsvFile, ndFile := filepath.Join(tmp, "s.csv"), filepath.Join(tmp, "s.tsv"), filepath.Join(tmp, "s.ndjson")
	if err := writeSamples(csvFile, tsvFile, ndFile, rows, 0); err != nil {
		return nil, err
	}

	// The machine may be shared: each figure is measured in several rounds, interleaved,
	// each into a fresh database, and the medians are compared.
	rounds := envInt("CLOUDBENCH_ROUNDS", 3)
	var baseRates, fileRates, resendRates, httpRates, http1Rates []float64
	for r := 1; r <= rounds; r++ {
		baseSecs, err := clientInsert(ctx, client, srv, fmt.Sprintf("bench_baseline_%d", r), tsvFile, rows)
		if err != nil {
			return nil, fmt.Errorf("baseline: %w", err)
		}
		// the whole command as a user runs it (start-up and closing summary included), then
		// the same file sent again into the same database: every line a duplicate
		var resendSecs float64
		fileSecs, err := measure(ctx, where, fmt.Sprintf("bench_file_%d", r), rows, func(db string) (float64, error) {
			secs, _, err := runIngest(ctx, bin, where, db, tmp, csvFile)
			if err != nil {
				return 0, err
			}
			if resendSecs, _, err = runIngest(ctx, bin, where, db, tmp, csvFile); err != nil {
				return 0, fmt.Errorf("resend: %w", err)
			}
			return secs, nil
		})
		if err != nil {
			return nil, err
		}
		httpSecs, err := measure(ctx, where, fmt.Sprintf("bench_http_%d", r), rows, func(db string) (float64, error) {
			return runHTTP(ctx, bin, where, db, tmp, ndFile, 8, httpRequestLines)
		})
		if err != nil {
			return nil, err
		}
		http1Secs, err := measure(ctx, where, fmt.Sprintf("bench_http1_%d", r), rows, func(db string) (float64, error) {
			return runHTTP(ctx, bin, where, db, tmp, ndFile, 1, httpRequestLines)
		})
		if err != nil {
			return nil, err
		}
		http1Rates = append(http1Rates, float64(rows)/http1Secs)
		baseRates = append(baseRates, float64(rows)/baseSecs)
		fileRates = append(fileRates, float64(rows)/fileSecs)
		resendRates = append(resendRates, float64(rows)/resendSecs)
		httpRates = append(httpRates, float64(rows)/httpSecs)
		fmt.Printf("round %d: baseline clickhouse-client INSERT FORMAT TSV %10.0f rows/s | cloudbill ingest FILE.csv %10.0f rows/s | the same file again %10.0f rows/s | cloudbill serve, 8 senders NDJSON %10.0f rows/s | 1 sender %10.0f rows/s\n",
			r, baseRates[r-1], fileRates[r-1], resendRates[r-1], httpRates[r-1], http1Rates[r-1])
	}
	baseRate, fileRate, resendRate, httpRate, http1Rate := median(baseRates), median(fileRates), median(resendRates), median(httpRates), median(http1Rates)
	fmt.Printf("median of %d rounds: baseline %.0f rows/s, file ingest %.0f rows/s, file sent again %.0f rows/s, HTTP %.0f rows/s, HTTP one sender %.0f rows/s\n", rounds, baseRate, fileRate, resendRate, httpRate, http1Rate)
	fmt.Printf("ratio file ingest (whole command, summary included) / baseline: %.2f (target >= 1.2)\n", fileRate/baseRate)
	fmt.Printf("ratio file sent again (all duplicates) / file ingest: %.2f (target >= 1.0)\n", resendRate/fileRate)
	fmt.Printf("ratio HTTP ingest (8 senders, %d lines a request) / baseline: %.2f (target >= 0.8)\n", httpRequestLines, httpRate/baseRate)
	fmt.Printf("ratio HTTP ingest (one sender) / baseline: %.2f (target >= 0.5)\n", http1Rate/baseRate)
	load := loadNow()
	med := fmt.Sprintf(" (median of %d rounds)", rounds)
	figs = append(figs,
		figure{Name: "file ingest, whole command", Value: fileRate, Unit: "rows/s", Reference: "clickhouse-client INSERT FORMAT TSV", RefValue: baseRate,
			AtLeast: true, Bound: 1.2, Command: "cloudbill ingest FILE.csv" + med, Load: load},
		figure{Name: "file sent again (all duplicates)", Value: resendRate, Unit: "rows/s", Reference: "the same file, new", RefValue: fileRate,
			AtLeast: true, Bound: 1.0, Command: "cloudbill ingest FILE.csv, twice" + med, Load: load},
		figure{Name: "HTTP ingest, 8 senders", Value: httpRate, Unit: "rows/s", Reference: "clickhouse-client INSERT FORMAT TSV", RefValue: baseRate,
			AtLeast: true, Bound: 0.8, Command: fmt.Sprintf("POST /v1/samples, 8 senders, %d NDJSON lines a request%s", httpRequestLines, med), Load: load},
		figure{Name: "HTTP ingest, one sender", Value: http1Rate, Unit: "rows/s", Reference: "clickhouse-client INSERT FORMAT TSV", RefValue: baseRate,
			AtLeast: true, Bound: 0.5, Command: fmt.Sprintf("POST /v1/samples, 1 sender, %d NDJSON lines a request%s", httpRequestLines, med), Load: load})
	for _, f := range []string{csvFile, tsvFile, ndFile} {
		_ = os.Remove(f)
	}

	if rssBytes > 0 {
		big := filepath.Join(tmp, "big.csv")
		n, err := writeSamplesBytes(big, int64(rssBytes))
		if err != nil {
			return nil, err
		}
		fi, _ := os.Stat(big)
		var rss int64
		secs, err := measure(ctx, where, "bench_rss", n, func(db string) (float64, error) {
			var err error
			_, rss, err = runIngest(ctx, bin, where, db, tmp, big)
			return 0, err
		})
		_ = os.Remove(big)
		if err != nil {
			return nil, err
		}
		fmt.Printf("cloudbill ingest of a %.2f GB file (%d rows): %.1f s, %.0f rows/s, peak RSS %.1f MB (target <= 300 MB)\n",
			float64(fi.Size())/(1<<30), n, secs, float64(n)/secs, float64(rss)/(1<<20))
		figs = append(figs, figure{Name: "ingest of a large file, peak RSS", Value: float64(rss) / (1 << 20), Unit: "MB", Bound: 300,
			Command: fmt.Sprintf("cloudbill ingest FILE.csv (%.2f GB)", float64(fi.Size())/(1<<30)), Load: loadNow()})
	}
	return figs, nil
}

// measure runs load into a fresh database db, once the server merges nothing, checks
// that want distinct samples arrived, drops the database and returns the load's time.
// A load that times itself returns its time (HTTP: from the first request on, without
// the server's start); 0 means the whole call.
func measure(ctx context.Context, addr, db string, want int, load func(db string) (float64, error)) (float64, error) {
	s, err := openDB(ctx, addr, db)
	if err != nil {
		return 0, err
	}
	defer s.Close()
	defer s.DropDatabase(context.Background(), db)
	quiesce(ctx, s)
	start := time.Now()
	secs, err := load(db)
	if err != nil {
		return 0, err
	}
	if secs == 0 {
		secs = time.Since(start).Seconds()
	}
	if err := expectRows(ctx, s, want); err != nil {
		return 0, fmt.Errorf("%s: %w", db, err)
	}
	return secs, nil
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// quiesce waits (up to a minute) until the server merges no parts, so that the merges
// of one run do not slow the next.
func quiesce(ctx context.Context, s *chstore.Store) {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if n, err := s.RunningMerges(ctx); err != nil || n == 0 {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func envInt(name string, def int) int {
	if v := os.Getenv(name); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return def
}

func serverVersion(ctx context.Context, client, host, port, password string) string {
	out, err := exec.CommandContext(ctx, client, "--host", host, "--port", port, "--password", password, "--query", "SELECT version()").Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(out))
}

// openDB opens database db on addr (user:password@host:port).
func openDB(ctx context.Context, addr, db string) (*chstore.Store, error) {
	cfg, err := chstore.ParseDSN("clickhouse://" + addr + "/" + db)
	if err != nil {
		return nil, err
	}
	return chstore.Open(ctx, cfg)
}

func expectRows(ctx context.Context, s *chstore.Store, want int) error {
	st, err := s.SampleStats(ctx, chstore.SampleFilter{})
	if err != nil {
		return err
	}
	if st.Samples != uint64(want) {
		return fmt.Errorf("stored %d distinct samples, want %d", st.Samples, want)
	}
	return nil
}

// runIngest runs `cloudbill ingest` on one file and returns its wall time and peak RSS
// in bytes (from the child's rusage).
func runIngest(ctx context.Context, bin, addr, db, tmp, file string) (secs float64, rss int64, err error) {
	cmd := exec.CommandContext(ctx, bin, "--clickhouse", "clickhouse://"+addr+"/"+db, "--data-dir", filepath.Join(tmp, "var-"+db),
		"ingest", "--batch", strconv.Itoa(envInt("CLOUDBENCH_BATCH", 100_000)), "--report", filepath.Join(tmp, db+"-report.txt"), file)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err = cmd.Run()
	secs = time.Since(start).Seconds()
	if err != nil {
		return 0, 0, fmt.Errorf("cloudbill ingest: %w\n%s", err, out.String())
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss * 1024 // kilobytes on Linux
	}
	return secs, rss, nil
}

// runHTTP starts `cloudbill serve` and posts the NDJSON file from several senders, each
// request a run of lines; it returns the time from the first request to the last answer.
func runHTTP(ctx context.Context, bin, addr, db, tmp, file string, senders, perRequest int) (float64, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	listen := l.Addr().String()
	l.Close()
	token, err := benchToken(ctx, bin, addr, db, tmp)
	if err != nil {
		return 0, err
	}
	var logs bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "--clickhouse", "clickhouse://"+addr+"/"+db, "--data-dir", filepath.Join(tmp, "var-"+db),
		"serve", "--listen", listen)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + listen + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("serve did not start: %s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	f, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	var mu sync.Mutex
	next := func(buf []byte) ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		buf = buf[:0]
		for i := 0; i < perRequest; i++ {
			line, err := br.ReadSlice('\n')
			buf = append(buf, line...)
			if err == io.EOF {
				if len(buf) == 0 {
					return nil, io.EOF
				}
				return buf, nil
			}
			if err != nil {
				return nil, err
			}
		}
		return buf, nil
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders}}
	url := "http://" + listen + "/v1/samples"
	errs := make(chan error, senders)
	var wg sync.WaitGroup
	start := time.Now()
	for g := 0; g < senders; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for {
				body, err := next(buf)
				if err == io.EOF {
					return
				}
				if err != nil {
					errs <- err
					return
				}
				buf = body
				req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
				if err != nil {
					errs <- err
					return
				}
				req.Header.Set("Content-Type", "application/x-ndjson")
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := client.Do(req)
				if err != nil {
					errs <- err
					return
				}
				data, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errs <- fmt.Errorf("serve answered %d: %s", resp.StatusCode, data)
					return
				}
			}
		}()
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	return secs, nil
}

// benchToken makes the vendor "bench" (the source of the bench samples) and a collector
// token of it: the HTTP figure is of authenticated pushes, as a vendor makes them.
func benchToken(ctx context.Context, bin, addr, db, tmp string) (string, error) {
	vendors := filepath.Join(tmp, "vendors-"+db+".csv")
	if err := os.WriteFile(vendors, []byte("id,name\nbench,Bench vendor\n"), 0o644); err != nil {
		return "", err
	}
	base := []string{"--clickhouse", "clickhouse://" + addr + "/" + db, "--data-dir", filepath.Join(tmp, "var-"+db)}
	if out, err := exec.CommandContext(ctx, bin, append(base, "org", "import", "--vendors", vendors)...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("cloudbill org import: %v: %s", err, out)
	}
	out, err := exec.CommandContext(ctx, bin, append(base, "tokens", "create", "--vendor", "bench")...).Output()
	if err != nil {
		return "", fmt.Errorf("cloudbill tokens create: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1], nil
}

// sampleRow is row i of the deterministic bench data: 2,000 resources × 2 metrics, one
// sample every 5 minutes from 2026-11-01, time-major, values from a fixed xorshift.
type sampleGen struct {
	i     int
	state uint64
}

var benchMetrics = [2]string{"cpu_util", "net_out_gb"}

func (g *sampleGen) next() (resource int, metric string, ts int64, value float64) {
	const resources = 2000
	resource = g.i % resources
	metric = benchMetrics[(g.i/resources)%2]
	ts = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Unix() + int64(g.i/(resources*2))*300
	g.state ^= g.state << 13
	g.state ^= g.state >> 7
	g.state ^= g.state << 17
	value = float64(g.state%10_000_000) / 1000
	if metric == "cpu_util" { // a utilisation in percent: ingest refuses values above 100
		value = float64(g.state%100_000) / 1000
	}
	g.i++
	return
}

// writeSamples writes n rows as CSV, TSV (the columns of usage_samples) and NDJSON.
func writeSamples(csvPath, tsvPath, ndPath string, n int, _ int) error {
	var files []*os.File
	var ws []*bufio.Writer
	for _, p := range []string{csvPath, tsvPath, ndPath} {
		f, err := os.Create(p)
		if err != nil {
			return err
		}
		files = append(files, f)
		ws = append(ws, bufio.NewWriterSize(f, 1<<20))
	}
	c, t, nd := ws[0], ws[1], ws[2]
	c.WriteString("resource_id,metric,ts,value,source\n")
	g := sampleGen{state: 88172645463325252}
	ingested := time.Now().Unix()
	var b []byte
	for i := 0; i < n; i++ {
		r, m, ts, v := g.next()
		stamp := time.Unix(ts, 0).UTC().Format(time.RFC3339)
		b = fmt.Appendf(b[:0], "vm-%05d,%s,%s,%s,bench\n", r, m, stamp, strconv.FormatFloat(v, 'f', -1, 64))
		c.Write(b)
		b = fmt.Appendf(b[:0], "vm-%05d\t%s\t%d\t%s\tbench\t%d\t%d\n", r, m, ts, strconv.FormatFloat(v, 'f', -1, 64), ingested, i+1)
		t.Write(b)
		b = fmt.Appendf(b[:0], `{"resource_id":"vm-%05d","metric":"%s","ts":"%s","value":%s,"source":"bench"}`+"\n", r, m, stamp, strconv.FormatFloat(v, 'f', -1, 64))
		nd.Write(b)
	}
	var errs []error
	for i := range files {
		errs = append(errs, ws[i].Flush(), files[i].Close())
	}
	return errors.Join(errs...)
}

// writeSamplesBytes writes a CSV file of about size bytes and returns its row count.
func writeSamplesBytes(path string, size int64) (int, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("resource_id,metric,ts,value,source\n")
	g := sampleGen{state: 88172645463325252}
	var written int64
	var b []byte
	n := 0
	for written < size {
		r, m, ts, v := g.next()
		b = fmt.Appendf(b[:0], "vm-%05d,%s,%s,%s,bench\n", r, m, time.Unix(ts, 0).UTC().Format(time.RFC3339), strconv.FormatFloat(v, 'f', -1, 64))
		w.Write(b)
		written += int64(len(b))
		n++
	}
	if err := w.Flush(); err != nil {
		return 0, err
	}
	return n, f.Close()
}
