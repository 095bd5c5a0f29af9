// Package chcluster gives tests the local ClickHouse cluster of scripts/local-cluster.sh
// (2 shards x 2 replicas and a ZooKeeper on loopback): started once per test binary,
// stopped when its tests end, with nodes that tests kill and restart.
//
// A package that uses it declares
//
//	func TestMain(m *testing.M) { chcluster.Main(m) }
package chcluster

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"cloudbill/sql"
	"cloudbill/sql/chtest"
)

// Nodes are the cluster's nodes: shard 1 replicas 1 and 2, shard 2 replicas 1 and 2. The
// DSN lists s1r1 first: a client is connected to s1r1 while it lives.
func Nodes() []string {
	return []string{"s1r1", "s1r2", "s2r1", "s2r2"}
}

// Cluster is a running local cluster.
type Cluster struct {
	// Dir holds its data and generated configuration.
	Dir string
	// DSN points cloudbill at it (database cloudbill, cluster named).
	DSN string
}

var (
	once    sync.Once
	running *Cluster
	upErr   error
)

// Main runs the tests (through chtest.Main, for the single server they compare with)
// and stops the cluster if one was started.
func Main(m *testing.M) {
	chtest.Main(m, func() {
		if running != nil {
			_ = running.Down()
			_ = os.RemoveAll(running.Dir)
		}
	})
}

// Get is the test cluster, started on first use.
func Get(t testing.TB) *Cluster {
	t.Helper()
	once.Do(func() {
		dir, err := os.MkdirTemp("", "cloudbill-cluster-")
		if err != nil {
			upErr = err
			return
		}
		running, upErr = Up(dir)
	})
	if upErr != nil {
		t.Fatalf("start local cluster: %v", upErr)
	}
	running.heal(t)
	return running
}

// nodes are the servers of the local cluster.
var nodes = []string{"s1r1", "s1r2", "s2r1", "s2r2"}

// heal gives every test a whole cluster: a node that an earlier test stopped, or that
// died after a restart, is started again (and said so, with the end of its error log).
func (c *Cluster) heal(t testing.TB) {
	t.Helper()
	for _, n := range nodes {
		b, err := os.ReadFile(filepath.Join(c.Dir, n, "pid"))
		alive := err == nil && processAlive(strings.TrimSpace(string(b)))
		if !alive {
			log, _ := os.ReadFile(filepath.Join(c.Dir, n, "log", "server.err.log"))
			if len(log) > 2000 {
				log = log[len(log)-2000:]
			}
			t.Logf("local cluster: node %s is not running at the start of %s; starting it again. End of its error log:\n%s", n, t.Name(), log)
		}
		if _, err := script("start-node", c.Dir, n); err != nil {
			t.Fatalf("local cluster: start node %s: %v", n, err)
		}
	}
}

// processAlive reports whether process pid exists (and is not a zombie).
func processAlive(pid string) bool {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return false
	}
	// the state is the field after the parenthesised command name
	i := strings.LastIndexByte(string(b), ')')
	return i > 0 && i+2 < len(b) && b[i+2] != 'Z'
}

// Script is the path of scripts/local-cluster.sh, found from the working directory up.
func Script() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "scripts", "local-cluster.sh")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("scripts/local-cluster.sh not found above the working directory")
		}
		dir = parent
	}
}

func script(args ...string) (string, error) {
	p, err := Script()
	if err != nil {
		return "", err
	}
	var out, errb bytes.Buffer
	cmd := exec.Command("bash", append([]string{p}, args...)...)
	cmd.Env = append(os.Environ(), fmt.Sprintf("LOCAL_CLUSTER_WATCH_PID=%d", os.Getpid()))
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("local-cluster.sh %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

// Up starts the cluster in dir (scripts/local-cluster.sh up) and reads its DSN.
func Up(dir string) (*Cluster, error) {
	out, err := script("up", dir)
	if err != nil {
		return nil, err
	}
	var last string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			last = l
		}
	}
	if !strings.HasPrefix(last, "clickhouse://") {
		return nil, fmt.Errorf("local-cluster.sh up printed %q last, not a DSN", last)
	}
	return &Cluster{Dir: dir, DSN: last}, nil
}

// Down stops every process of the cluster.
func (c *Cluster) Down() error {
	_, err := script("down", c.Dir)
	return err
}

// StopNode kills node n (SIGKILL, as a crash).
func (c *Cluster) StopNode(t testing.TB, n string) {
	t.Helper()
	if _, err := script("stop-node", c.Dir, n); err != nil {
		t.Fatal(err)
	}
}

// StartNode starts node n again and waits until it answers.
func (c *Cluster) StartNode(t testing.TB, n string) {
	t.Helper()
	if _, err := script("start-node", c.Dir, n); err != nil {
		t.Fatal(err)
	}
}

// Config is a connection config for a fresh database on the cluster.
func (c *Cluster) Config(t testing.TB) chstore.Config {
	t.Helper()
	cfg, err := chstore.ParseDSN(c.DSN)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Database = chtest.Name()
	return cfg
}

// New opens a Store on a fresh, migrated database of the cluster, dropped (ON CLUSTER)
// when the test ends.
func (c *Cluster) New(t testing.TB) *chstore.Store {
	t.Helper()
	s, err := chstore.Open(context.Background(), c.Config(t))
	if err != nil {
		t.Fatalf("open cluster database: %v", err)
	}
	t.Cleanup(func() {
		_ = s.DropDatabase(context.Background(), s.Database())
		_ = s.Close()
	})
	return s
}

// Node is a connection to node n alone (database default), closed when the test ends.
func (c *Cluster) Node(t testing.TB, n string) driver.Conn {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(c.Dir, n, "tcp.port"))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr:        []string{"127.0.0.1:" + strings.TrimSpace(string(b))},
		DialTimeout: 5 * time.Second,
		Compression: &clickhouse.Compression{Method: clickhouse.CompressionNone},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// running tells whether node n's server process lives (its pid file names a process
// that is not a zombie).
func (c *Cluster) running(n string) bool {
	b, err := os.ReadFile(filepath.Join(c.Dir, n, "pid"))
	if err != nil {
		return false
	}
	st, err := os.ReadFile(filepath.Join("/proc", strings.TrimSpace(string(b)), "stat"))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(st, ')')
	return i >= 0 && i+2 < len(st) && st[i+2] != 'Z'
}

// logTail is the end of node n's error log, for a failure's message.
func (c *Cluster) logTail(n string) string {
	b, err := os.ReadFile(filepath.Join(c.Dir, n, "log", "server.err.log"))
	if err != nil {
		return "(no error log: " + err.Error() + ")"
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// SyncReplicas waits until every replica of table in db (on every node) has fetched
// what the others hold (SYSTEM SYNC REPLICA); with no table named, every replicated
// table of db on that node.
func (c *Cluster) SyncReplicas(t testing.TB, db string, tables ...string) {
	t.Helper()
	for _, n := range Nodes() {
		c.syncNode(t, n, db, tables)
	}
}

// syncNode is SyncReplicas on one node, with a budget of its own: a node restarted just
// before (as the tests do) may take minutes to accept connections and reattach its
// replicated tables on a loaded 2-core machine, and one slow node must not use up the
// others' time. Each attempt has its own shorter timeout, so an attempt that hangs on a
// node still starting is asked again rather than waited on to the end.
func (c *Cluster) syncNode(t testing.TB, n, db string, tables []string) {
	t.Helper()
	const budget, attempt = 5 * time.Minute, 30 * time.Second
	deadline := time.Now().Add(budget)
	conn := c.Node(t, n)
	restarts := 0
	retry := func(what string, f func(ctx context.Context) error) {
		t.Helper()
		for {
			ctx, cancel := context.WithTimeout(context.Background(), attempt)
			err := f(ctx)
			cancel()
			if err == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s on %s (asked for %s): %v\n%s", what, n, budget, err, c.logTail(n))
			}
			// A node started again after a kill has been seen to answer and then exit on
			// the loaded test machine (its own server, not cloudbill): say so with its log,
			// and start it again, twice at most, as an operator would.
			if !c.running(n) && restarts < 2 {
				restarts++
				t.Logf("%s is not running (%v); starting it again. Its log ends:\n%s", n, err, c.logTail(n))
				c.StartNode(t, n)
				continue
			}
			time.Sleep(time.Second)
		}
	}
	names := tables
	if len(names) == 0 {
		retry("list the replicated tables of "+db, func(ctx context.Context) error {
			rows, err := conn.Query(ctx, "SELECT table FROM system.replicas WHERE database = ? ORDER BY table", db)
			if err != nil {
				return err
			}
			defer rows.Close()
			var got []string
			for rows.Next() {
				var tb string
				if err := rows.Scan(&tb); err != nil {
					return err
				}
				got = append(got, tb)
			}
			if err := rows.Err(); err != nil {
				return err
			}
			names = got
			return nil
		})
		if len(names) == 0 {
			t.Fatalf("%s has no replicated table on %s", db, n)
		}
	}
	for _, tb := range names {
		retry("sync "+db+"."+tb, func(ctx context.Context) error {
			return conn.Exec(ctx, "SYSTEM SYNC REPLICA "+db+"."+tb)
		})
	}
}
