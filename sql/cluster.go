package chstore

// Cluster mode: cloudbill's tables on a sharded, replicated ClickHouse cluster (the
// cluster named in Config.Cluster, i.e. in the DSN's ?cluster= or --cluster).
//
// The migrations are the same files as on a single server; each statement is rewritten
// mechanically (clusterRewriter) when it runs:
//
//   - a table a migration marks with `-- cluster: shard by EXPR` (usage_samples, sharded by
//     cityHash64(resource_id)) becomes a local table NAME_local, created ON CLUSTER with
//     the Replicated form of its engine under /clickhouse/tables/{shard}/DB/NAME_local, and
//     a Distributed table NAME over it with EXPR as sharding key: every identity of a
//     sample lives on one shard, so argMax(value, version) per identity is complete on
//     that shard;
//   - every other MergeTree-family table keeps its name and becomes a Replicated table
//     with one ZooKeeper path for the whole cluster (/clickhouse/tables/all/DB/NAME): a
//     full copy on every node. These are the small master and rated tables; every query
//     on them reads one complete, consistent copy, and the shards see them too (a
//     sub-query on order_events inside a query on usage_samples runs on each shard);
//   - other engines (Memory, Log...) are created ON CLUSTER unchanged, one per node.
//
// schema_migrations is such a replicated table: a migration is recorded once per cluster.
// Migrations that still have to run need every node up (ON CLUSTER DDL); on a migrated
// cluster Open runs no DDL at all.
//
// Inserts go through the Distributed table synchronously (distributed_foreground_insert,
// insert_distributed_sync before 23.11: the insert returns when every shard has its
// part; InsertSettings) to the first live replica of each shard
// (internal_replication; load_balancing in_order, so that reads go to the same replica as
// the writes while it lives). A failed connection or a replica lost mid-statement is
// retried; a retried insert sends the same blocks, which the Replicated engines
// deduplicate (block checksums), so nothing is stored twice. When no replica of a shard
// answers, the error wraps ErrShardDown.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	sqldriver "database/sql/driver"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// ErrShardDown is wrapped by errors of cluster mode when no replica of a shard answers:
// that shard's data can be neither read nor written, so no figure is computed from the
// other shards alone and no month is closed.
var ErrShardDown = errors.New("a shard of the cluster does not answer (no replica reachable)")

// shardLocalSuffix names the local table (on each shard) of a sharded table.
const shardLocalSuffix = "_local"

// topology is the cluster as the servers' remote_servers describe it.
type topology struct {
	name   string
	shards []*shard
	// replicated lists the tables with a full copy on every node (known after Migrate).
	replicated []string
}

type shard struct {
	num      uint32
	replicas []string // host:port, in the configuration's order
	opt      clickhouse.Options

	mu   sync.Mutex
	conn driver.Conn
}

// clusterSettings are the settings of every cluster-mode connection. (load_balancing =
// in_order belongs in the servers' profile: ClickHouse 18.16 takes only numeric settings
// from a client.)
// The synchronous Distributed insert is an insert setting, named by the server's version
// (InsertSettings).
func clusterSettings() clickhouse.Settings {
	return clickhouse.Settings{
		"distributed_ddl_task_timeout": 120,
	}
}

// openCluster is Open in cluster mode.
func openCluster(ctx context.Context, cfg Config, opt *clickhouse.Options) (*Store, error) {
	opt.Settings = clusterSettings()
	boot, err := clickhouse.Open(opt)
	if err != nil {
		return nil, fmt.Errorf("clickhouse %s: %w", cfg.Addr, err)
	}
	var topo *topology
	err = retry(ctx, func() error {
		var err error
		topo, err = loadTopology(ctx, boot, cfg.Cluster, *opt, cfg.Database)
		return err
	})
	if err != nil {
		boot.Close()
		return nil, fmt.Errorf("clickhouse %s: %w", cfg.Addr, err)
	}
	if err := createClusterDatabase(ctx, boot, topo, cfg.Database); err != nil {
		boot.Close()
		return nil, err
	}
	boot.Close()
	o := *opt
	o.Auth.Database = cfg.Database
	raw, err := clickhouse.Open(&o)
	if err != nil {
		return nil, fmt.Errorf("clickhouse %s: %w", cfg.Addr, err)
	}
	conn, version, err := withInsertSettings(raw)
	if err != nil {
		raw.Close()
		return nil, fmt.Errorf("clickhouse %s: %w", cfg.Addr, err)
	}
	s := newStore(retryConn{conn, topo}, cfg, topo, version)
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.catchUp(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// catchUpTimeout bounds the wait of a replica for the parts its peers hold.
const catchUpTimeout = 60 * time.Second

// catchUp waits until the node answering has fetched every part of the replicated
// tables that its peers have logged (SYSTEM SYNC REPLICA, in parallel): a node back from
// a crash serves what was written meanwhile, not an older state. When a part is held
// only by a replica that is down, the wait ends in an error after catchUpTimeout rather
// than reading without it.
func (s *Store) catchUp(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, catchUpTimeout)
	defer cancel()
	errs := make([]error, len(s.cluster.replicated))
	var wg sync.WaitGroup
	for i, t := range s.cluster.replicated {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = syncReplica(ctx, s.conn, s.db, t)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("cluster %s: %w", s.cluster.name, err)
	}
	return nil
}

// syncReplica waits until the replica of db.table on conn's node has caught up.
// A lost connection is worth a retry (on the next replica); the end of the wait is not.
func syncReplica(ctx context.Context, conn driver.Conn, db, table string) error {
	if !identRE.MatchString(db) || !identRE.MatchString(table) {
		return fmt.Errorf("catch up %s.%s: not a plain table name", db, table)
	}
	err := execOn(ctx, conn, syncReplicaStatement{db: db, table: table})
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("the replica of %s has not caught up with its peers within %s (one holding parts it lacks may be down): %v", table, catchUpTimeout, err)
	}
	return fmt.Errorf("catch up %s: %w", table, err)
}

// syncReplicaStatement waits until a replica has caught up with its peers; db and table
// are plain names (syncReplica checks them: they cannot be bound).
type syncReplicaStatement struct{ db, table string }

func (q syncReplicaStatement) toSQL() (string, []any) {
	return "SYSTEM SYNC REPLICA " + q.db + "." + q.table, nil
}

// databaseCountQuery counts the databases named db on the node answering (one or none).
func databaseCountQuery(db string) countQuery {
	return countQuery{sql: "SELECT count() FROM system.databases WHERE name = ?", args: []any{db}}
}

// createDatabase creates a database if it does not exist, on every node of cluster when
// set. db is written as given: a name checked by Config.Validate (dbName), quoted or
// not; so is cluster.
type createDatabase struct{ db, cluster string }

func (q createDatabase) toSQL() (string, []any) {
	if q.cluster != "" {
		return fmt.Sprintf("CREATE DATABASE IF NOT EXISTS %s ON CLUSTER %s", q.db, q.cluster), nil
	}
	return "CREATE DATABASE IF NOT EXISTS " + q.db, nil
}

// clusterQuery reads the shards and replicas of a cluster (system.clusters), in shard
// and replica order.
type clusterQuery struct{ name string }

func (q clusterQuery) toSQL() (string, []any) {
	return `SELECT shard_num, host_address, port FROM system.clusters
WHERE cluster = ? ORDER BY shard_num, replica_num`, []any{q.name}
}

// clusterReplica is a replica of a shard of a cluster.
type clusterReplica struct {
	shard uint32
	host  string
	port  uint16
}

func (clusterQuery) scan(rows driver.Rows) ([]clusterReplica, error) {
	var out []clusterReplica
	for rows.Next() {
		var r clusterReplica
		if err := rows.Scan(&r.shard, &r.host, &r.port); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// createClusterDatabase creates the database on every node unless the node answering
// has it already (DDL needs every node up).
func createClusterDatabase(ctx context.Context, conn driver.Conn, topo *topology, db string) error {
	var n uint64
	err := retry(ctx, func() error {
		var err error
		n, err = runRow(ctx, conn, databaseCountQuery(db))
		return err
	})
	if err != nil || n > 0 {
		return err
	}
	if err := topo.checkNodes(ctx); err != nil {
		return fmt.Errorf("create database %s on cluster %s: every node must be up to change the schema: %w", db, topo.name, err)
	}
	if err := retry(ctx, func() error {
		return execOn(ctx, conn, createDatabase{db: db, cluster: topo.name})
	}); err != nil {
		return fmt.Errorf("create database %s on cluster %s: %w", db, topo.name, err)
	}
	return nil
}

func loadTopology(ctx context.Context, conn driver.Conn, name string, opt clickhouse.Options, db string) (*topology, error) {
	replicas, err := runQuery(ctx, conn, clusterQuery{name: name})
	if err != nil {
		return nil, fmt.Errorf("read cluster %s: %w", name, err)
	}
	t := &topology{name: name}
	for _, r := range replicas {
		num, host, port := r.shard, r.host, r.port
		if len(t.shards) == 0 || t.shards[len(t.shards)-1].num != num {
			o := opt
			o.Auth.Database = db
			o.MaxOpenConns, o.MaxIdleConns = 4, 2
			t.shards = append(t.shards, &shard{num: num, opt: o})
		}
		sh := t.shards[len(t.shards)-1]
		sh.replicas = append(sh.replicas, net.JoinHostPort(host, fmt.Sprint(port)))
		sh.opt.Addr = sh.replicas
	}
	if len(t.shards) == 0 {
		return nil, fmt.Errorf("cluster %q is not in the server's remote_servers (SELECT DISTINCT cluster FROM system.clusters lists them)", name)
	}
	return t, nil
}

func (t *topology) close() {
	for _, sh := range t.shards {
		sh.mu.Lock()
		if sh.conn != nil {
			_ = sh.conn.Close()
			sh.conn = nil
		}
		sh.mu.Unlock()
	}
}

func (sh *shard) String() string {
	return fmt.Sprintf("shard %d (%s)", sh.num, strings.Join(sh.replicas, ", "))
}

func (sh *shard) connect() (driver.Conn, error) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.conn == nil {
		c, err := clickhouse.Open(&sh.opt)
		if err != nil {
			return nil, err
		}
		sh.conn = c
	}
	return sh.conn, nil
}

// Cluster is the name of the cluster in cluster mode, "" on a single server.
func (s *Store) Cluster() string {
	if s.cluster == nil {
		return ""
	}
	return s.cluster.name
}

// eachShard runs fn on every shard at once, against the shard's local copy of table (on
// a single server: once, against table itself). fn is run again when a replica is lost
// under it (it must keep its results only once it returns nil). An error names the shard.
func (s *Store) eachShard(ctx context.Context, table string, fn func(ctx context.Context, conn driver.Conn, table string) error) error {
	if s.cluster == nil {
		return fn(ctx, s.conn, table)
	}
	errs := make([]error, len(s.cluster.shards))
	var wg sync.WaitGroup
	for i, sh := range s.cluster.shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := sh.connect()
			if err == nil {
				err = retry(ctx, func() error { return fn(ctx, conn, table+shardLocalSuffix) })
			}
			if err != nil {
				errs[i] = fmt.Errorf("cluster %s, %s: %w", s.cluster.name, sh, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// CheckShards returns an error wrapping ErrShardDown, naming the shards, when some shard
// of the cluster has no replica that answers; nil on a single server.
func (s *Store) CheckShards(ctx context.Context) error {
	return s.eachShard(ctx, "", func(ctx context.Context, conn driver.Conn, _ string) error {
		return conn.Ping(ctx)
	})
}

// --- retries -----------------------------------------------------------------------

// retryConn retries a statement that failed on its connection (a replica killed, a
// connection reset) or on a replica lost under a Distributed query, up to retries times:
// the pool then connects to the next live node. Inserts are safe to retry: the same
// blocks are deduplicated by the Replicated engines.
type retryConn struct {
	driver.Conn
	topo *topology // names the shards that are down in an error (nil: the conn of one shard)
}

func (c retryConn) Query(ctx context.Context, q string, args ...any) (rows driver.Rows, err error) {
	err = retry(ctx, func() error { rows, err = c.Conn.Query(ctx, q, args...); return err })
	if err != nil {
		return nil, c.topo.explain(ctx, err)
	}
	return shardRows{rows, ctx, c.topo}, nil
}

// shardRows reports a node or replica lost while the rows are read (a Distributed query
// sends its exception with the data) as ErrShardDown: too late to retry there.
type shardRows struct {
	driver.Rows
	ctx  context.Context
	topo *topology
}

func (r shardRows) Err() error {
	if err := r.Rows.Err(); err != nil && transient(err) {
		return r.topo.explain(r.ctx, fmt.Errorf("%w: %w", ErrShardDown, err))
	} else {
		return err
	}
}

func (c retryConn) QueryRow(ctx context.Context, q string, args ...any) (row driver.Row) {
	err := retry(ctx, func() error { row = c.Conn.QueryRow(ctx, q, args...); return row.Err() })
	if err != nil && errors.Is(err, ErrShardDown) {
		return errRow{c.topo.explain(ctx, err)}
	}
	return row
}

// errRow is a row that failed.
type errRow struct{ err error }

func (r errRow) Err() error           { return r.err }
func (r errRow) Scan(...any) error    { return r.err }
func (r errRow) ScanStruct(any) error { return r.err }

func (c retryConn) Exec(ctx context.Context, q string, args ...any) error {
	return c.topo.explain(ctx, retry(ctx, func() error { return c.Conn.Exec(ctx, q, args...) }))
}

func (c retryConn) Select(ctx context.Context, dest any, q string, args ...any) error {
	return c.topo.explain(ctx, retry(ctx, func() error { return c.Conn.Select(ctx, dest, q, args...) }))
}

// explain adds to an error wrapping ErrShardDown the shards that do not answer now.
func (t *topology) explain(ctx context.Context, err error) error {
	if err == nil || t == nil || !errors.Is(err, ErrShardDown) {
		return err
	}
	var down []string
	for _, sh := range t.shards {
		if len(t.unreachable(ctx, sh)) == len(sh.replicas) {
			down = append(down, sh.String())
		}
	}
	if len(down) == 0 {
		return err
	}
	return fmt.Errorf("cluster %s: %s: no replica answers: %w", t.name, strings.Join(down, ", "), err)
}

// unreachable lists the replicas of sh that do not answer a ping within a few seconds.
func (t *topology) unreachable(ctx context.Context, sh *shard) []string {
	var down []string
	for _, addr := range sh.replicas {
		o := sh.opt
		o.Addr = []string{addr}
		o.Auth.Database = "default"
		o.DialTimeout = 2 * time.Second // (the dialer of Open keeps its own; pctx bounds the ping's)
		c, err := clickhouse.Open(&o)
		if err == nil {
			pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			err = c.Ping(pctx)
			cancel()
			c.Close()
		}
		if err != nil {
			down = append(down, addr)
		}
	}
	return down
}

// retries bounds the attempts of one statement in cluster mode (about 6 s in all).
const retries = 6

// retry runs fn until it succeeds, fails for a reason other than a lost connection or
// replica, or has run retries times. The last error of a lost shard wraps ErrShardDown.
func retry(ctx context.Context, fn func() error) error {
	wait := 100 * time.Millisecond
	var err error
	for i := 0; i < retries; i++ {
		if err = fn(); err == nil || !transient(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait *= 2
	}
	return fmt.Errorf("%w: %w", ErrShardDown, err)
}

// Exception codes of ClickHouse that mean a node or replica could not be reached.
var unreachableCodes = map[int32]bool{
	209: true, // SOCKET_TIMEOUT
	210: true, // NETWORK_ERROR
	279: true, // ALL_CONNECTION_TRIES_FAILED
	285: true, // TOO_FEW_LIVE_REPLICAS
	319: true, // UNKNOWN_STATUS_OF_INSERT
	999: true, // KEEPER_EXCEPTION (ZooKeeper session lost)
}

// transient reports an error of a lost connection or replica (worth retrying).
func transient(err error) bool {
	var ex *clickhouse.Exception
	if errors.As(err, &ex) {
		return unreachableCodes[ex.Code]
	}
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, sqldriver.ErrBadConn),
		errors.Is(err, clickhouse.ErrAcquireConnTimeout), errors.As(err, &ne):
		return true
	}
	msg := err.Error()
	for _, m := range []string{"connection refused", "connection reset", "broken pipe", "EOF", "bad connection"} {
		if strings.Contains(msg, m) {
			return true
		}
	}
	return false
}

// retry runs an insert that builds its batch anew on each attempt: in cluster mode
// through retry, on a single server once (a plain MergeTree does not deduplicate).
func (s *Store) retry(ctx context.Context, fn func() error) error {
	if s.cluster == nil {
		return fn()
	}
	return s.cluster.explain(ctx, retry(ctx, fn))
}

// --- migrations ----------------------------------------------------------------------

// shardMark is the line that marks the next CREATE TABLE of a migration file as sharded.
var (
	shardMark     = regexp.MustCompile(`(?i)^--\s*cluster:\s*shard\s+by\s+(.+?)\s*$`)
	createTableRE = regexp.MustCompile(`(?is)^\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*`)
	engineRE      = regexp.MustCompile(`(?is)^\s*ENGINE\s*=\s*([A-Za-z]+)\s*`)
	dropTableRE   = regexp.MustCompile(`(?is)^\s*DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*$`)
	alterTableRE  = regexp.MustCompile(`(?is)^\s*ALTER\s+TABLE\s+([A-Za-z_][A-Za-z0-9_]*)\s+(.+)$`)
	columnOpRE    = regexp.MustCompile(`(?i)\b(ADD|DROP|MODIFY|CLEAR|COMMENT|RENAME)\s+COLUMN\b`)
	insertRE      = regexp.MustCompile(`(?is)^\s*INSERT\s+INTO\s+`)
)

// shardAnnotations reads the `-- cluster: shard by EXPR` lines of a migration file: each
// applies to the CREATE TABLE that follows it.
func shardAnnotations(src string) map[string]string {
	out := map[string]string{}
	pending := ""
	for _, line := range strings.Split(src, "\n") {
		t := strings.TrimSpace(line)
		if m := shardMark.FindStringSubmatch(t); m != nil {
			pending = m[1]
			continue
		}
		if m := createTableRE.FindStringSubmatch(t); m != nil && pending != "" {
			out[m[1]] = pending
			pending = ""
		}
	}
	return out
}

type tableKind int

const (
	replicatedEverywhere tableKind = iota + 1 // Replicated*MergeTree, one copy per node
	sharded                                   // NAME_local per shard + Distributed NAME
	perNode                                   // not replicated: one table per node
)

// clusterRewriter turns the single-server statements of the migrations into cluster
// statements. It remembers the kind of every table created so far (of all migrations,
// applied or not, in order), for the ALTER and DROP statements that follow.
type clusterRewriter struct {
	db, cluster string
	kinds       map[string]tableKind
}

// kindCount is the number of tables of kind k.
func (r *clusterRewriter) kindCount(k tableKind) int {
	n := 0
	for _, v := range r.kinds {
		if v == k {
			n++
		}
	}
	return n
}

func newClusterRewriter(db, cluster string) *clusterRewriter {
	return &clusterRewriter{db: db, cluster: cluster, kinds: map[string]tableKind{}}
}

// rewrite returns the cluster statements of one migration statement. shardBy holds the
// sharding keys of the file's marked tables.
func (r *clusterRewriter) rewrite(stmt string, shardBy map[string]string) ([]string, error) {
	switch {
	case createTableRE.MatchString(stmt):
		return r.createTable(stmt, shardBy)
	case alterTableRE.MatchString(stmt):
		m := alterTableRE.FindStringSubmatch(stmt)
		name, rest := m[1], m[2]
		switch r.kinds[name] {
		case replicatedEverywhere:
			// ZooKeeper carries a Replicated table's ALTER to every replica.
			return []string{fmt.Sprintf("ALTER TABLE %s.%s %s", r.db, name, rest)}, nil
		case sharded:
			out := []string{fmt.Sprintf("ALTER TABLE %s.%s_local ON CLUSTER %s %s", r.db, name, r.cluster, rest)}
			if columnOpRE.MatchString(rest) {
				out = append(out, fmt.Sprintf("ALTER TABLE %s.%s ON CLUSTER %s %s", r.db, name, r.cluster, rest))
			}
			return out, nil
		case perNode:
			return []string{fmt.Sprintf("ALTER TABLE %s.%s ON CLUSTER %s %s", r.db, name, r.cluster, rest)}, nil
		}
		return nil, fmt.Errorf("cluster mode: ALTER of table %s, which no earlier migration creates", name)
	case dropTableRE.MatchString(stmt):
		name := dropTableRE.FindStringSubmatch(stmt)[1]
		out := []string{fmt.Sprintf("DROP TABLE IF EXISTS %s.%s ON CLUSTER %s", r.db, name, r.cluster)}
		if r.kinds[name] == sharded {
			out = append(out, fmt.Sprintf("DROP TABLE IF EXISTS %s.%s_local ON CLUSTER %s", r.db, name, r.cluster))
		}
		delete(r.kinds, name)
		return out, nil
	case insertRE.MatchString(stmt):
		return []string{stmt}, nil // into a replicated or Distributed table: stored once
	}
	return nil, fmt.Errorf("cluster mode: no rewrite for statement %q (migrations may hold CREATE TABLE, ALTER TABLE, DROP TABLE and INSERT; see sql/migrations/README.md)", firstLine(stmt))
}

func (r *clusterRewriter) createTable(stmt string, shardBy map[string]string) ([]string, error) {
	m := createTableRE.FindStringSubmatchIndex(stmt)
	name := stmt[m[2]:m[3]]
	rest := stmt[m[1]:]
	fail := func(format string, args ...any) ([]string, error) {
		return nil, fmt.Errorf("cluster mode: CREATE TABLE %s: %s (see sql/migrations/README.md)", name, fmt.Sprintf(format, args...))
	}
	if !strings.HasPrefix(rest, "(") {
		return fail("want a column list in parentheses after the name (no db.name, AS or AS SELECT)")
	}
	end, err := closingParen(rest)
	if err != nil {
		return fail("%v", err)
	}
	cols, rest := rest[1:end], rest[end+1:]
	em := engineRE.FindStringSubmatchIndex(rest)
	if em == nil {
		return fail("want ENGINE = ... after the columns")
	}
	engine := rest[em[2]:em[3]]
	rest = rest[em[1]:]
	args := ""
	if strings.HasPrefix(rest, "(") {
		end, err := closingParen(rest)
		if err != nil {
			return fail("engine arguments: %v", err)
		}
		args, rest = strings.TrimSpace(rest[1:end]), rest[end+1:]
	}
	rest = strings.TrimSpace(rest)
	key, shard := shardBy[name]
	if !strings.HasSuffix(engine, "MergeTree") {
		if shard {
			return fail("only a MergeTree-family table can be sharded")
		}
		r.kinds[name] = perNode
		eng := engine
		if args != "" {
			eng += "(" + args + ")"
		}
		return []string{fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s ON CLUSTER %s (%s) ENGINE = %s %s", r.db, name, r.cluster, cols, eng, rest)}, nil
	}
	if strings.HasPrefix(engine, "Replicated") {
		return fail("write the plain engine (%s); cluster mode makes it Replicated", strings.TrimPrefix(engine, "Replicated"))
	}
	if !regexp.MustCompile(`(?i)\bORDER\s+BY\b`).MatchString(rest) {
		return fail("old MergeTree(date, key, granularity) syntax: use ORDER BY / PARTITION BY")
	}
	target, path := name, fmt.Sprintf("/clickhouse/tables/all/%s/%s", r.db, name)
	if shard {
		target = name + shardLocalSuffix
		path = fmt.Sprintf("/clickhouse/tables/{shard}/%s/%s", r.db, target)
	}
	eargs := fmt.Sprintf("'%s', '{replica}'", path)
	if args != "" {
		eargs += ", " + args
	}
	out := []string{fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s ON CLUSTER %s (%s) ENGINE = Replicated%s(%s) %s",
		r.db, target, r.cluster, cols, engine, eargs, rest)}
	if !shard {
		r.kinds[name] = replicatedEverywhere
		return out, nil
	}
	r.kinds[name] = sharded
	out = append(out, fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s ON CLUSTER %s AS %s.%s ENGINE = Distributed('%s', '%s', '%s', %s)",
		r.db, name, r.cluster, r.db, target, r.cluster, r.db, target, key))
	return out, nil
}

// closingParen returns the index of the parenthesis that closes s[0] == '(', skipping
// quoted strings and identifiers.
func closingParen(s string) (int, error) {
	depth := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"' || c == '`':
			quote = c
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth == 0 {
				return i, nil
			}
		}
	}
	return 0, errors.New("unbalanced parentheses")
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}

// schemaMigrationsTable is the bookkeeping table of the migrations, in single-server form.
const schemaMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version UInt32, name String, applied_at DateTime
) ENGINE = MergeTree ORDER BY version`

// migrateCluster is Migrate in cluster mode: the pending migrations, rewritten, ON
// CLUSTER; nothing at all (no DDL) when every migration is recorded.
func (s *Store) migrateCluster(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	rw := newClusterRewriter(s.db, s.cluster.name)
	type step struct {
		m migration
		// stmts: the rewrite of each of m.stmts
		stmts [][]string
	}
	var all []step
	for _, m := range ms {
		st := step{m: m}
		for _, q := range m.stmts {
			out, err := rw.rewrite(q, m.shardBy)
			if err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			st.stmts = append(st.stmts, out)
		}
		all = append(all, st)
	}
	s.cluster.replicated = s.cluster.replicated[:0]
	for t, k := range rw.kinds {
		if k == replicatedEverywhere {
			s.cluster.replicated = append(s.cluster.replicated, t)
		}
	}
	s.cluster.replicated = append(s.cluster.replicated, "schema_migrations")
	applied, err := s.appliedMigrations(ctx)
	if err != nil {
		return err
	}
	var todo []step
	for _, st := range all {
		if !applied[uint32(st.m.version)] {
			todo = append(todo, st)
		}
	}
	if len(todo) == 0 && applied != nil {
		return nil
	}
	if err := s.cluster.checkNodes(ctx); err != nil {
		return fmt.Errorf("migrate on cluster %s: every node must be up to change the schema: %w", s.cluster.name, err)
	}
	boot := newClusterRewriter(s.db, s.cluster.name)
	ddl, err := boot.rewrite(schemaMigrationsTable, nil)
	if err != nil {
		return err
	}
	if err := execOn(ctx, s.conn, createDatabase{db: s.db, cluster: s.cluster.name}); err != nil {
		return fmt.Errorf("migrate on cluster %s: %w", s.cluster.name, err)
	}
	for _, q := range ddl {
		if err := execOn(ctx, s.conn, migrationDDL(q)); err != nil {
			return fmt.Errorf("migrate on cluster %s: %w", s.cluster.name, err)
		}
	}
	for _, st := range todo {
		for i, qs := range st.stmts {
			done, err := s.columnAdded(ctx, st.m.stmts[i])
			if err != nil {
				return fmt.Errorf("migration %s on cluster %s: %w", st.m.name, s.cluster.name, err)
			}
			if done { // an ALTER ON CLUSTER reaches every replica: this node has it, all have
				continue
			}
			for _, q := range qs {
				if err := execOn(ctx, s.conn, migrationDDL(q)); err != nil {
					return fmt.Errorf("migration %s on cluster %s: %w", st.m.name, s.cluster.name, err)
				}
			}
		}
		if err := s.insertOne(ctx, migrationInsert{m: st.m, at: time.Now()}); err != nil {
			return fmt.Errorf("migration %s: record: %w", st.m.name, err)
		}
	}
	return nil
}

// appliedMigrations reads the recorded migrations; nil when the database or its
// schema_migrations does not exist yet.
func (s *Store) appliedMigrations(ctx context.Context) (map[uint32]bool, error) {
	n, err := runRow(ctx, s.conn, migrationsTableQuery(s.db))
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	if n == 0 {
		return nil, nil
	}
	vs, err := runQuery(ctx, s.conn, appliedMigrationsQuery{db: s.db})
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	applied := map[uint32]bool{}
	for _, v := range vs {
		applied[v] = true
	}
	return applied, nil
}

// migrationsTableQuery counts the schema_migrations tables of database db (one or none).
func migrationsTableQuery(db string) countQuery {
	return countQuery{sql: "SELECT count() FROM system.tables WHERE database = ? AND name = 'schema_migrations'", args: []any{db}}
}

// checkNodes returns an error naming every node of the cluster that does not answer.
// A node just restarted may miss a ping or two while it reattaches its tables: a node
// counts as down only when it has not answered for about 10 s.
func (t *topology) checkNodes(ctx context.Context) error {
	var down []string
	for attempt := 0; ; attempt++ {
		down = down[:0]
		for _, sh := range t.shards {
			for _, addr := range t.unreachable(ctx, sh) {
				down = append(down, fmt.Sprintf("%s of shard %d", addr, sh.num))
			}
		}
		if len(down) == 0 || attempt == 4 {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
	if len(down) > 0 {
		return fmt.Errorf("no answer from %s", strings.Join(down, ", "))
	}
	return nil
}
