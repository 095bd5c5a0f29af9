package chcluster_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/idle"
	"cloudbill/internal/calendar"
	"cloudbill/metering"
	"cloudbill/monthclose"
	"cloudbill/rating"
	"cloudbill/sql"
	"cloudbill/sql/chcluster"
	"cloudbill/sql/chtest"
)

func TestMain(m *testing.M) { chcluster.Main(m) }

// singleConn is a connection to the single test server (database default).
func singleConn(t *testing.T) driver.Conn {
	cfg := chtest.Config(t)
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{cfg.Addr}, Auth: clickhouse.Auth{Username: cfg.User, Password: cfg.Password},
		Compression: &clickhouse.Compression{Method: clickhouse.CompressionNone}})
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return conn
}

func tables(t *testing.T, conn driver.Conn, db string) map[string]string {
	rows, err := conn.Query(context.Background(), "SELECT name, engine FROM system.tables WHERE database = ?", db)
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var n, e string
		require.NoError(t, rows.Scan(&n, &e))
		out[n] = e
	}
	require.NoError(t, rows.Err())
	return out
}

func versions(t *testing.T, conn driver.Conn, db string) []uint32 {
	rows, err := conn.Query(context.Background(), "SELECT version FROM "+db+".schema_migrations ORDER BY version")
	require.NoError(t, err)
	defer rows.Close()
	var vs []uint32
	for rows.Next() {
		var v uint32
		require.NoError(t, rows.Scan(&v))
		vs = append(vs, v)
	}
	require.NoError(t, rows.Err())
	return vs
}

// The same migration files make the schema on a single server and on the cluster; a
// migrated cluster runs no DDL on open (it opens with a node down).
func TestMigrationsClusterAndSingleServer(t *testing.T) {
	c := chcluster.Get(t)
	single := chtest.New(t)
	cl := c.New(t)
	sconn := singleConn(t)
	want := tables(t, sconn, single.Database())
	require.NotEmpty(t, want)
	c.SyncReplicas(t, cl.Database(), "schema_migrations")
	for _, n := range chcluster.Nodes() {
		got := tables(t, c.Node(t, n), cl.Database())
		for name, engine := range want {
			switch name {
			case "usage_samples":
				assert.Equal(t, "Distributed", got[name], "%s on %s", name, n)
				assert.Equal(t, "Replicated"+engine, got[name+"_local"], "%s_local on %s", name, n)
			default:
				if strings.HasSuffix(engine, "MergeTree") {
					assert.Equal(t, "Replicated"+engine, got[name], "%s on %s", name, n)
				} else {
					assert.Equal(t, engine, got[name], "%s on %s", name, n)
				}
			}
		}
		assert.Len(t, got, len(want)+1, "on %s: the single server's tables and usage_samples_local", n)
		assert.Equal(t, versions(t, sconn, single.Database()), versions(t, c.Node(t, n), cl.Database()),
			"on %s: every migration recorded once per cluster", n)
	}

	// Already migrated: open and migrate again with a node down (DDL would need it).
	c.StopNode(t, "s2r2")
	defer c.StartNode(t, "s2r2")
	cfg := c.Config(t)
	cfg.Database = cl.Database()
	again, err := chstore.Open(context.Background(), cfg)
	require.NoError(t, err, "a migrated cluster runs no DDL")
	require.NoError(t, again.Migrate(context.Background()))
	require.NoError(t, again.Close())
	assert.Equal(t, versions(t, sconn, single.Database()), versions(t, c.Node(t, "s1r1"), cl.Database()))

	// A database not yet created needs every node: a clear error, nothing half-made.
	_, err = chstore.Open(context.Background(), c.Config(t))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "every node must be up")
}

// batchOf makes batch i of n: 2,000 samples of 100 resources, versions unique.
func batchOf(i int) *metering.Batch {
	b := &metering.Batch{}
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC).Unix()
	for k := 0; k < 2000; k++ {
		j := i*2000 + k
		b.ResourceID = append(b.ResourceID, fmt.Sprintf("vm-%03d", j%100))
		b.Metric = append(b.Metric, "cpu_util")
		b.TS = append(b.TS, start+int64(j/100)*300)
		b.Value = append(b.Value, float64(j%997)/10)
		b.Source = append(b.Source, "test")
		b.Version = append(b.Version, uint64(j+1))
	}
	return b
}

// A replica killed during ingest (s1r1: the node the client talks to, and shard 1's first
// replica) and brought back: every batch is acknowledged, nothing is lost and nothing is
// stored twice, a retried batch included; both replicas of each shard end up equal.
func TestReplicaKilledDuringIngest(t *testing.T) {
	c := chcluster.Get(t)
	s := c.New(t)
	ctx := context.Background()
	const batches = 24
	var sum float64
	for i := 0; i < batches; i++ {
		switch i {
		case 8:
			c.StopNode(t, "s1r1")
		case 16:
			c.StartNode(t, "s1r1")
		}
		b := batchOf(i)
		require.NoError(t, s.InsertSamples(ctx, b), "batch %d", i)
		for _, v := range b.Value {
			sum += v
		}
	}
	// The client retries batches it is not sure of: one sent before, one during the outage.
	require.NoError(t, s.InsertSamples(ctx, batchOf(3)))
	require.NoError(t, s.InsertSamples(ctx, batchOf(12)))
	c.SyncReplicas(t, s.Database(), "usage_samples_local")

	st, err := s.SampleStats(ctx, chstore.SampleFilter{})
	require.NoError(t, err)
	assert.Equal(t, uint64(batches*2000), st.Samples, "nothing lost")
	assert.Equal(t, uint64(batches*2000), st.Rows, "nothing stored twice")
	assert.InDelta(t, sum, st.Sum, 1e-6*math.Abs(sum))
	count := map[string]uint64{}
	for _, n := range chcluster.Nodes() {
		var k uint64
		require.NoError(t, c.Node(t, n).QueryRow(ctx, "SELECT count() FROM "+s.Database()+".usage_samples_local").Scan(&k))
		count[n] = k
	}
	assert.Equal(t, count["s1r1"], count["s1r2"], "shard 1 replicas agree")
	assert.Equal(t, count["s2r1"], count["s2r2"], "shard 2 replicas agree")
	assert.Equal(t, uint64(batches*2000), count["s1r1"]+count["s2r1"], "each sample on one shard")
	assert.NotZero(t, count["s1r1"])
	assert.NotZero(t, count["s2r1"])
}

// A whole shard down: inserts fail with ErrShardDown, the batcher keeps what it
// acknowledged in its spool, and replays it once the shard is back.
func TestShardDownSpool(t *testing.T) {
	c := chcluster.Get(t)
	s := c.New(t)
	ctx := context.Background()
	require.NoError(t, s.InsertSamples(ctx, batchOf(0)))

	c.StopNode(t, "s2r1")
	c.StopNode(t, "s2r2")
	restarted := false
	defer func() {
		if !restarted {
			c.StartNode(t, "s2r1")
			c.StartNode(t, "s2r2")
		}
	}()
	err := s.InsertSamples(ctx, batchOf(1))
	require.Error(t, err)
	assert.ErrorIs(t, err, chstore.ErrShardDown)
	_, err = s.SampleStats(ctx, chstore.SampleFilter{})
	require.ErrorIs(t, err, chstore.ErrShardDown, "no figure from half the shards")
	assert.Contains(t, err.Error(), "shard 2")

	spool, err := metering.OpenSpool(t.TempDir())
	require.NoError(t, err)
	b, err := metering.NewBatcher(metering.BatcherConfig{Sink: s, Spool: spool, MaxRows: 1000, RetryEvery: 500 * time.Millisecond})
	require.NoError(t, err)
	var tickets []*metering.Ticket
	for i := 1; i <= 3; i++ {
		tk, err := b.Add(ctx, batchOf(i))
		require.NoError(t, err)
		tickets = append(tickets, tk)
	}
	b.Flush()
	spooled := 0
	for _, tk := range tickets {
		res, err := tk.Wait(ctx)
		require.NoError(t, err, "acknowledged: stored or spooled")
		spooled += res.Spooled
	}
	assert.Equal(t, 6000, spooled, "the shard is down: every sample waits in the spool")
	files, err := spool.Files()
	require.NoError(t, err)
	assert.NotEmpty(t, files)

	c.StartNode(t, "s2r1")
	c.StartNode(t, "s2r2")
	restarted = true
	require.Eventually(t, func() bool {
		files, err := spool.Files()
		return err == nil && len(files) == 0
	}, 90*time.Second, 500*time.Millisecond, "spool replayed once the shard is back")
	require.NoError(t, b.Close(ctx))
	c.SyncReplicas(t, s.Database(), "usage_samples_local")
	st, err := s.SampleStats(ctx, chstore.SampleFilter{})
	require.NoError(t, err)
	assert.Equal(t, uint64(8000), st.Samples, "the first batch and the three spooled, once each")
}

// --- the generated month, on a single server and on the cluster -----------------------

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// cloudbill builds cmd/cloudbill once per test binary.
func cloudbill(t *testing.T) string {
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "cloudbill-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "cloudbill")
		out, err := exec.Command("go", "build", "-o", binary, "cloudbill/cmd/cloudbill").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v: %s", err, out)
		}
	})
	require.NoError(t, buildErr)
	return binary
}

// run runs cloudbill with dsn and returns stdout; failure is fatal.
func run(t *testing.T, dsn, dataDir string, args ...string) string {
	t.Helper()
	out, err := try(t, dsn, dataDir, args...)
	require.NoError(t, err, "cloudbill %s", strings.Join(args, " "))
	return out
}

func try(t *testing.T, dsn, dataDir string, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(cloudbill(t), append([]string{"--clickhouse", dsn, "--data-dir", dataDir}, args...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

type manifest struct {
	Catalogs []struct {
		File      string `json:"file"`
		Effective string `json:"effective"`
	} `json:"catalogs"`
	Adaptations, Departments, Projects, Vendors, Orders, Acceptance string
	Samples                                                         []string
}

// load imports the generated dataset in dir and ingests its samples.
func load(t *testing.T, dsn, dataDir, dir string, m manifest) {
	in := func(f string) string { return filepath.Join(dir, f) }
	for _, c := range m.Catalogs {
		run(t, dsn, dataDir, "catalog", "import", in(c.File), "--effective", c.Effective)
	}
	run(t, dsn, dataDir, "catalog", "adapt", in(m.Adaptations))
	run(t, dsn, dataDir, "org", "import", "--departments", in(m.Departments), "--projects", in(m.Projects), "--vendors", in(m.Vendors))
	run(t, dsn, dataDir, "orders", "import", in(m.Orders))
	run(t, dsn, dataDir, "acceptance", "import", in(m.Acceptance))
	var samples []string
	for _, f := range m.Samples {
		samples = append(samples, in(f))
	}
	run(t, dsn, dataDir, append([]string{"ingest"}, samples...)...)
}

var hashRE = regexp.MustCompile(`content hash ([0-9a-f]+)`)

func closeMonth(t *testing.T, dsn, dataDir string, p calendar.Period) string {
	out := run(t, dsn, dataDir, "close", "--period", p.String())
	m := hashRE.FindStringSubmatch(out)
	require.NotNil(t, m, "close printed no content hash: %s", out)
	return m[1]
}

// killFirst kills a node when rating first asks for the work-order events: during the
// rating, with connections to that node in the pool, before the rating's reads of the
// samples, which then run at once on the replicas that answer. (A read in flight on a
// node that is lost fails, too late to retry there: sql/cluster.go's shardRows. Since
// the month's reads run at once, killing the node when the first of them starts, as this
// test did, caught the others in flight.)
type killFirst struct {
	*chstore.Store
	once sync.Once
	kill func()
}

func (k *killFirst) OrderEvents(ctx context.Context) ([]catalog.Event, error) {
	k.once.Do(k.kill)
	return k.Store.OrderEvents(ctx)
}

// scale of the generated month: $CLOUDBILL_CLUSTER_SCALE, default small (the district,
// 6 million samples, takes several minutes on the shared test machine: run it with
// CLOUDBILL_CLUSTER_SCALE=district).
func scale() string {
	if s := os.Getenv("CLOUDBILL_CLUSTER_SCALE"); s != "" {
		return s
	}
	return "small"
}

// The generated month rated, closed and issued on the cluster gives the single server's
// statement CSVs byte for byte and its content hash, with s1r1 killed during the rating;
// with a whole shard down the month is neither rated nor closed.
func TestGeneratedMonthSameBytes(t *testing.T) {
	c := chcluster.Get(t)
	p := calendar.MustPeriod("2026-10")
	work := t.TempDir()
	input := filepath.Join(work, "input")
	singleDB, clusterDB := chtest.Name(), chtest.Name()
	singleDSN := chtest.DSN(t, singleDB)
	clusterDSN := strings.Replace(c.DSN, "/cloudbill?", "/"+clusterDB+"?", 1)
	require.Contains(t, clusterDSN, clusterDB)
	t.Cleanup(func() {
		ctx := context.Background()
		for _, dsn := range []string{singleDSN, clusterDSN} {
			cfg, err := chstore.ParseDSN(dsn)
			if err == nil {
				if s, err := chstore.Open(ctx, cfg); err == nil {
					_ = s.DropDatabase(ctx, s.Database())
					_ = s.Close()
				}
			}
		}
	})

	run(t, singleDSN, filepath.Join(work, "var-gen"), "gen", "--scale", scale(), "--period", p.String(), "--out", input)
	b, err := os.ReadFile(filepath.Join(input, "manifest.json"))
	require.NoError(t, err)
	var m manifest
	require.NoError(t, json.Unmarshal(b, &m))

	// The single server: load, rate, close, issue.
	sv := filepath.Join(work, "var-single")
	load(t, singleDSN, sv, input, m)
	run(t, singleDSN, sv, "rate", "--period", p.String())
	singleHash := closeMonth(t, singleDSN, sv, p)
	run(t, singleDSN, sv, "statements", "--period", p.String(), "--out", filepath.Join(work, "single"))

	// The cluster: load, then rate in this process with s1r1 killed during the rating. (The
	// replicas are first in sync, as a month ingested over weeks is: a replica that never
	// received a block cannot serve it, and cloudbill would wait for it, not rate without.
	// Every replicated table: the rating also reads the master data, the collector windows
	// and the acceptance results, from whichever replica answers once s1r1 is gone; a
	// replica still fetching one of them gave another content hash once under load.)
	cv := filepath.Join(work, "var-cluster")
	load(t, clusterDSN, cv, input, m)
	c.SyncReplicas(t, clusterDB)
	ctx := context.Background()
	cfg, err := chstore.ParseDSN(clusterDSN)
	require.NoError(t, err)
	s, err := chstore.Open(ctx, cfg)
	require.NoError(t, err)
	defer s.Close()
	master := &killFirst{Store: s, kill: func() { c.StopNode(t, "s1r1") }}
	r, err := rating.New(rating.Config{Master: master, Usage: s, Results: s, Now: time.Now})
	require.NoError(t, err)
	out, err := r.Rate(ctx, p)
	require.NoError(t, err, "rating survives the loss of a replica")
	assert.Equal(t, singleHash, monthclose.ContentHash(out.Lines), "the cluster's lines are the single server's")
	c.StartNode(t, "s1r1")

	// A whole shard down: no rating, no close.
	c.StopNode(t, "s2r1")
	c.StopNode(t, "s2r2")
	_, err = r.Rate(ctx, p)
	require.Error(t, err)
	assert.ErrorIs(t, err, chstore.ErrShardDown)
	_, err = try(t, clusterDSN, cv, "close", "--period", p.String())
	require.Error(t, err)
	assert.Contains(t, err.Error(), chstore.ErrShardDown.Error())
	closes, err := s.Closes(ctx)
	require.NoError(t, err)
	assert.Empty(t, closes, "the month is not closed while a shard is down")
	c.StartNode(t, "s2r1")
	c.StartNode(t, "s2r2")
	c.SyncReplicas(t, clusterDB)

	// Back to whole: close (through s1r1 again, caught up) and issue.
	clusterHash := closeMonth(t, clusterDSN, cv, p)
	assert.Equal(t, singleHash, clusterHash, "same content hash at close")
	run(t, clusterDSN, cv, "statements", "--period", p.String(), "--out", filepath.Join(work, "cluster"))

	singleCSV := csvFiles(t, filepath.Join(work, "single"))
	clusterCSV := csvFiles(t, filepath.Join(work, "cluster"))
	require.NotEmpty(t, singleCSV)
	assert.Equal(t, keys(singleCSV), keys(clusterCSV))
	for name, want := range singleCSV {
		assert.True(t, bytes.Equal(want, clusterCSV[name]), "%s differs between the single server and the cluster", name)
	}
}

func csvFiles(t *testing.T, dir string) map[string][]byte {
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".csv") {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		out[rel] = b
		return err
	})
	require.NoError(t, err)
	return out
}

func keys(m map[string][]byte) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// The idle measures (per resource, over a window) computed on each shard are the single
// server's.
func TestIdleMeasureClusterAndSingleServer(t *testing.T) {
	c := chcluster.Get(t)
	single, cl := chtest.New(t), c.New(t)
	ctx := context.Background()
	for i := 0; i < 6; i++ {
		require.NoError(t, single.InsertSamples(ctx, batchOf(i)))
		require.NoError(t, cl.InsertSamples(ctx, batchOf(i)))
	}
	from, to := calendar.MustDate("2026-10-01"), calendar.MustDate("2026-10-30")
	var rs []idle.Resource
	for r := 0; r < 100; r++ {
		rs = append(rs, idle.Resource{Order: catalog.OrderID(fmt.Sprintf("WO-%03d", r)), Resource: catalog.ResourceID(fmt.Sprintf("vm-%03d", r)),
			Kind: idle.KindVCPU, Spans: []idle.Span{{From: from, To: to, Quantity: decimal.NewFromInt(int64(1 + r%8))}}})
	}
	want, err := single.MeasureIdle(ctx, from, to, rs)
	require.NoError(t, err)
	require.Len(t, want, 100)
	got, err := cl.MeasureIdle(ctx, from, to, rs)
	require.NoError(t, err)
	require.Len(t, got, len(want))
	for o, m := range want {
		assert.True(t, m.P95Used.Equal(got[o].P95Used), "%s: p95 %s on the cluster, %s on one server", o, got[o].P95Used, m.P95Used)
		m.P95Used = got[o].P95Used
		assert.Equal(t, m, got[o], o)
	}
}
