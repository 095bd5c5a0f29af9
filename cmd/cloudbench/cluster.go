package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"cloudbill/gen"
	"cloudbill/internal/calendar"
	"cloudbill/internal/chserver"
	"cloudbill/metering"
	"cloudbill/rating"
	chstore "cloudbill/sql"
	"cloudbill/sql/chbench"
)

// benchCluster compares, on this machine, the city month on the local 2 shards × 2
// replicas cluster (scripts/local-cluster.sh) with a single embedded server: ingest rate
// through the Sink (batches of 100,000 samples, two inserters, as the Batcher writes),
// the month's samples synthesized in ClickHouse, the usage aggregation and `cloudbill
// rate`, and the storage each node holds. CLOUDBENCH_CLUSTER_SAMPLES (default
// 100,000,000) sets the month's samples, CLOUDBENCH_CLUSTER_INGEST (default 2,000,000)
// the samples of the ingest measurement.
func benchCluster(ctx context.Context) ([]figure, error) {
	n := envInt("CLOUDBENCH_CLUSTER_SAMPLES", 100_000_000)
	ingestN := envInt("CLOUDBENCH_CLUSTER_INGEST", 2_000_000)
	p := benchPeriod()
	dir, err := os.MkdirTemp("", "cloudbench-cluster-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	data := filepath.Join(dir, "data")
	m, err := gen.Generate(ctx, gen.Config{Out: data, Scale: gen.City, Period: p, Seed: 1})
	if err != nil {
		return nil, err
	}
	bin, err := cloudbillBinary(ctx, dir)
	if err != nil {
		return nil, err
	}

	srv, err := chserver.Start(ctx, chserver.Config{Dir: filepath.Join(dir, "single"), KillWithParent: true})
	if err != nil {
		return nil, err
	}
	single := target{name: "single server", dsn: "clickhouse://" + srv.User + ":" + srv.Password + "@" + srv.Addr + "/bench",
		nodes: map[string]string{"single": srv.Addr}, user: srv.User, password: srv.Password}
	err = single.run(ctx, bin, data, m, p, n, ingestN)
	_ = srv.Stop()
	if err != nil {
		return nil, err
	}

	script := filepath.Join("scripts", "local-cluster.sh")
	cdir := filepath.Join(dir, "cluster")
	out, err := exec.CommandContext(ctx, "bash", script, "up", cdir).Output()
	if err != nil {
		return nil, fmt.Errorf("local-cluster.sh up: %w", err)
	}
	defer exec.Command("bash", script, "down", cdir).Run()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	cl := target{name: "cluster 2×2", dsn: strings.Replace(lines[len(lines)-1], "/cloudbill?", "/bench?", 1), nodes: map[string]string{}}
	for _, node := range []string{"s1r1", "s1r2", "s2r1", "s2r2"} {
		b, err := os.ReadFile(filepath.Join(cdir, node, "tcp.port"))
		if err != nil {
			return nil, err
		}
		cl.nodes[node] = "127.0.0.1:" + strings.TrimSpace(string(b))
	}
	return nil, cl.run(ctx, bin, data, m, p, n, ingestN)
}

type target struct {
	name           string
	dsn            string
	nodes          map[string]string // node name → host:port
	user, password string
}

func (tg target) run(ctx context.Context, bin, data string, m gen.Manifest, p calendar.Period, n, ingestN int) error {
	fmt.Printf("-- %s\n", tg.name)
	cfg, err := chstore.ParseDSN(tg.dsn)
	if err != nil {
		return err
	}
	s, err := chstore.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	im, err := importDataset(ctx, s, data, m)
	if err != nil {
		return err
	}
	cat, events := im.Catalog, im.Events
	rs := resourcesOf(cat, events)

	// Ingest through the Sink, as the Batcher writes: 100,000-sample batches, 2 at once,
	// into a database of its own (dropped after).
	icfg := cfg
	icfg.Database = "bench_ingest"
	is, err := chstore.Open(ctx, icfg)
	if err != nil {
		return err
	}
	defer is.Close()
	const per = 100_000
	batches := make(chan *metering.Batch, 2)
	go func() {
		defer close(batches)
		start := p.Start().Unix()
		for off := 0; off < ingestN; off += per {
			b := &metering.Batch{}
			for i := off; i < min(off+per, ingestN); i++ {
				r := rs[i%len(rs)]
				b.ResourceID = append(b.ResourceID, r.Resource)
				b.Metric = append(b.Metric, r.Metric)
				b.TS = append(b.TS, start+int64(i/len(rs))*60)
				b.Value = append(b.Value, float64(i%1000))
				b.Source = append(b.Source, "bench")
				b.Version = append(b.Version, uint64(i+1))
			}
			batches <- b
		}
	}()
	t0 := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				if err := is.InsertSamples(ctx, b); err != nil && errs[w] == nil {
					errs[w] = err
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	el := time.Since(t0)
	fmt.Printf("ingest: %d samples in %.1f s = %.0f samples/s (Sink, batches of %d, 2 inserters)\n",
		ingestN, el.Seconds(), float64(ingestN)/el.Seconds(), per)
	if err := is.DropDatabase(ctx, "bench_ingest"); err != nil {
		return err
	}

	t1 := time.Now()
	if err := chbench.Samples(ctx, s, p, rs, n); err != nil {
		return err
	}
	fmt.Printf("month: %d samples of %d resources synthesized in ClickHouse in %.1f s = %.0f samples/s\n",
		n, len(rs), time.Since(t1).Seconds(), float64(n)/time.Since(t1).Seconds())
	t2 := time.Now()
	if err := s.SettleMerges(ctx, 15*time.Minute); err != nil {
		return err
	}
	fmt.Printf("merges settled in %.1f s\n", time.Since(t2).Seconds())

	ws := rating.Windows(p, cat, events)
	var runs []float64
	for i := 0; i < 3; i++ {
		t := time.Now()
		if _, err := s.UsageAggregates(ctx, p, ws); err != nil {
			return err
		}
		runs = append(runs, time.Since(t).Seconds())
	}
	sort.Float64s(runs)
	fmt.Printf("usage aggregation of the month (%d windows): %.1f s (median of 3: %.1f, %.1f, %.1f)\n", len(ws), runs[1], runs[0], runs[1], runs[2])
	t3 := time.Now()
	if out, err := exec.CommandContext(ctx, bin, "--clickhouse", tg.dsn, "rate", "--period", p.String()).CombinedOutput(); err != nil {
		return fmt.Errorf("cloudbill rate: %v\n%s", err, out)
	}
	fmt.Printf("cloudbill rate --period %s: %.1f s\n", p, time.Since(t3).Seconds())

	names := make([]string, 0, len(tg.nodes))
	for k := range tg.nodes {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, node := range names {
		host, port, _ := strings.Cut(tg.nodes[node], ":")
		args := []string{"--host", host, "--port", port}
		if tg.user != "" {
			args = append(args, "--user", tg.user, "--password", tg.password)
		}
		out, err := exec.CommandContext(ctx, "clickhouse-client", append(args, "-q",
			"SELECT formatReadableSize(sum(bytes_on_disk)), sum(rows), formatReadableSize(sumIf(bytes_on_disk, table LIKE 'usage_samples%')), sumIf(rows, table LIKE 'usage_samples%') FROM system.parts WHERE database = 'bench' AND active")...).Output()
		if err != nil {
			return fmt.Errorf("storage of %s: %w", node, err)
		}
		f := strings.Split(strings.TrimSpace(string(out)), "\t")
		if len(f) == 4 {
			fmt.Printf("storage on %s: %s in %s rows (samples: %s in %s rows)\n", node, f[0], f[1], f[2], f[3])
		}
	}
	return nil
}
