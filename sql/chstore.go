// Package chstore is cloudbill's ClickHouse adapter: the schema migrations (numbered .sql
// files under sql/migrations, embedded in the binary), the queries, and the Store that
// satisfies the small interfaces the domain packages declare.
//
// Queries are built as (sql string, args []any) with bound values, never pasted.
// The schema runs on ClickHouse 18.16 (the Debian package) and unchanged on current
// ClickHouse: new-style MergeTree syntax only, explicit column lists on every INSERT.
package chstore

import (
	"context"
	"crypto/tls"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Config says how to reach ClickHouse.
type Config struct {
	// Addr is host:port of the native protocol. Several, comma-separated, are tried in
	// order (the nodes of a cluster: the first that answers is used, the next on failure).
	Addr string
	// Database is created if missing; default "cloudbill".
	Database string
	User     string
	Password string
	// TLS enables a secure connection (clickhouses:// DSNs).
	TLS bool
	// Compression of the native protocol: "lz4" or "none". Empty: none on a loopback
	// address (compressing there only costs CPU on both sides), lz4 otherwise.
	Compression string
	// SampleChunkRows bounds the stored sample rows one per-identity query groups at once
	// (SampleStats, LatestSamples, UsageAggregates split their work by resource ranges
	// under it); default DefaultSampleChunkRows.
	SampleChunkRows int
	// IdleMeasureChunk is the number of resources MeasureIdle measures by one query:
	// memory is bounded by one chunk's samples, whatever the number of resources;
	// default DefaultIdleMeasureChunk.
	IdleMeasureChunk int
	// Cluster names the cluster (remote_servers of the servers' configuration) that holds
	// cloudbill's tables; empty: a single server. See cluster.go and docs/cluster.md.
	Cluster string
	// ReadTimeout is how long a query may receive nothing from the server before it fails
	// (a progress deadline, not a bound on the query's time: readtimeout.go); default
	// DefaultReadTimeout.
	ReadTimeout time.Duration
}

// DefaultSampleChunkRows: about 4 million sample rows grouped by identity take a few
// hundred MB in ClickHouse, far below its default per-query limit, whatever the table.
const DefaultSampleChunkRows = 4_000_000

// DefaultIdleMeasureChunk: the resources of one idle measuring query. Two chunks are
// measured at once; with chunks of 4,000 the city month's ~10,000 resources made three,
// and the third ran alone on one of the two cores: 2,000 measured them in 4.13/4.44 s
// against 5.27/5.24 s (interleaved, quiet, same CSV), and each query holds half as much.
const DefaultIdleMeasureChunk = 2000

var dbName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if c.Addr == "" {
		return errors.New("clickhouse: empty address")
	}
	if c.Compression != "" && c.Compression != "lz4" && c.Compression != "none" {
		return fmt.Errorf("clickhouse: compression %q: want lz4 or none", c.Compression)
	}
	if !dbName.MatchString(c.Database) {
		return fmt.Errorf("clickhouse: database name %q must be letters, digits and _", c.Database)
	}
	if c.ReadTimeout < 0 {
		return fmt.Errorf("clickhouse: read_timeout %s is negative", c.ReadTimeout)
	}
	if c.Cluster != "" && !dbName.MatchString(c.Cluster) {
		return fmt.Errorf("clickhouse: cluster name %q must be letters, digits and _", c.Cluster)
	}
	return nil
}

// ParseDSN reads
// clickhouse://[user[:password]@]host:port[,host:port...][/database][?compress=lz4|none][&cluster=NAME][&read_timeout=DURATION].
// Several hosts are tried in order; cluster=NAME selects cluster mode (cluster.go);
// read_timeout (Go duration, "10m", or seconds) is Config.ReadTimeout.
func ParseDSN(dsn string) (Config, error) {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "clickhouse" && u.Scheme != "clickhouses" && u.Scheme != "tcp") || u.Host == "" {
		return Config{}, fmt.Errorf("clickhouse address %q: want clickhouse://host:9000/database", dsn)
	}
	q := u.Query()
	cfg := Config{Database: strings.Trim(u.Path, "/"), TLS: u.Scheme == "clickhouses", Compression: q.Get("compress"), Cluster: q.Get("cluster")}
	if v := q.Get("read_timeout"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			n, nerr := strconv.ParseUint(v, 10, 32)
			if nerr != nil {
				return Config{}, fmt.Errorf("clickhouse address %q: read_timeout %q: want a duration (600s, 10m) or seconds", dsn, v)
			}
			d = time.Duration(n) * time.Second
		}
		if d <= 0 {
			return Config{}, fmt.Errorf("clickhouse address %q: read_timeout %q: want more than 0", dsn, v)
		}
		cfg.ReadTimeout = d
	}
	hosts := strings.Split(u.Host, ",")
	for i, h := range hosts {
		if h == "" {
			return Config{}, fmt.Errorf("clickhouse address %q: empty host", dsn)
		}
		if _, _, err := net.SplitHostPort(h); err != nil {
			hosts[i] = h + ":9000"
		}
	}
	cfg.Addr = strings.Join(hosts, ",")
	if cfg.Database == "" {
		cfg.Database = "cloudbill"
	}
	if u.User != nil {
		cfg.User = u.User.Username()
		cfg.Password, _ = u.User.Password()
	}
	return cfg, cfg.Validate()
}

// Store is a connection to cloudbill's database.
type Store struct {
	conn      driver.Conn
	db        string
	cfg       Config
	chunkRows int
	// idleChunk is Config.IdleMeasureChunk or its default.
	idleChunk int
	// cluster is the cluster's topology in cluster mode, nil on a single server.
	cluster *topology
	// version is the server's, read at connect; it decides the insert settings.
	version ServerVersion
}

// newStore is a store on conn (topo nil on a single server), with cfg's chunk sizes or
// their defaults.
func newStore(conn driver.Conn, cfg Config, topo *topology, version ServerVersion) *Store {
	s := &Store{conn: conn, db: cfg.Database, cfg: cfg, chunkRows: cfg.SampleChunkRows, idleChunk: cfg.IdleMeasureChunk, cluster: topo, version: version}
	if s.chunkRows <= 0 {
		s.chunkRows = DefaultSampleChunkRows
	}
	if s.idleChunk <= 0 {
		s.idleChunk = DefaultIdleMeasureChunk
	}
	return s
}

// Open connects, creates the database if needed and applies the migrations.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Database == "" {
		cfg.Database = "cloudbill"
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	opt := &clickhouse.Options{
		Addr:            strings.Split(cfg.Addr, ","),
		Auth:            clickhouse.Auth{Database: "default", Username: cfg.User, Password: cfg.Password},
		DialTimeout:     10 * time.Second,
		MaxOpenConns:    16,
		MaxIdleConns:    8,
		ConnMaxLifetime: time.Hour,
		Compression:     &clickhouse.Compression{Method: clickhouse.CompressionLZ4},
	}
	if cfg.Compression == "none" || (cfg.Compression == "" && isLoopback(cfg.Addr)) {
		opt.Compression = &clickhouse.Compression{Method: clickhouse.CompressionNone}
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = DefaultReadTimeout
	}
	opt.ReadTimeout = cfg.ReadTimeout
	var tlsCfg *tls.Config
	if cfg.TLS {
		tlsCfg = &tls.Config{}
	}
	opt.DialContext = progressDialer(cfg.ReadTimeout, opt.DialTimeout, tlsCfg)
	if cfg.Cluster != "" {
		return openCluster(ctx, cfg, opt)
	}
	dbName, err := quoteIdent(cfg.Database)
	if err != nil {
		return nil, fmt.Errorf("clickhouse database: %w", err)
	}
	boot, err := clickhouse.Open(opt)
	if err != nil {
		return nil, fmt.Errorf("clickhouse %s: %w", cfg.Addr, err)
	}
	if err := execOn(ctx, boot, createDatabase{db: dbName}); err != nil {
		boot.Close()
		return nil, fmt.Errorf("clickhouse %s: create database: %w", cfg.Addr, err)
	}
	boot.Close()
	opt.Auth.Database = cfg.Database
	raw, err := clickhouse.Open(opt)
	if err != nil {
		return nil, fmt.Errorf("clickhouse %s: %w", cfg.Addr, err)
	}
	conn, version, err := withInsertSettings(raw)
	if err != nil {
		raw.Close()
		return nil, fmt.Errorf("clickhouse %s: %w", cfg.Addr, err)
	}
	s := newStore(conn, cfg, nil, version)
	if err := s.Migrate(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the connection pools.
func (s *Store) Close() error {
	if s.cluster != nil {
		s.cluster.close()
	}
	return s.conn.Close()
}

// Config is the configuration the store was opened with (the server's address, the
// database, the credentials).
func (s *Store) Config() Config { return s.cfg }

// Database is the database name.
func (s *Store) Database() string { return s.db }

// ServerVersion is the server's version, read at connect.
func (s *Store) ServerVersion() ServerVersion { return s.version }

// Ping checks that the server answers.
func (s *Store) Ping(ctx context.Context) error { return s.conn.Ping(ctx) }

// migration is one numbered file.
type migration struct {
	version int
	name    string
	stmts   []string
	// shardBy: the sharding key of each table the file marks with a
	// `-- cluster: shard by EXPR` line (cluster mode only; see cluster.go).
	shardBy map[string]string
}

func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	seen := map[int]string{}
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number and _", e.Name())
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s have the same number", prev, e.Name())
		}
		seen[v] = e.Name()
		b, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), stmts: splitStatements(string(b)), shardBy: shardAnnotations(string(b))})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// splitStatements splits a file on semicolons at line ends, dropping -- comments.
func splitStatements(src string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(src, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "--") || t == "" {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			stmt := strings.TrimSuffix(strings.TrimSpace(cur.String()), ";")
			out = append(out, stmt)
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

// Migrate applies, in order, the migrations not yet recorded in schema_migrations. It is
// safe to run again; every statement is written to be re-runnable (IF NOT EXISTS).
func (s *Store) Migrate(ctx context.Context) error {
	if s.cluster != nil {
		return s.migrateCluster(ctx)
	}
	if err := execOn(ctx, s.conn, migrationDDL(schemaMigrationsTable)); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	vs, err := runQuery(ctx, s.conn, appliedMigrationsQuery{})
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	applied := map[uint32]bool{}
	for _, v := range vs {
		applied[v] = true
	}
	ms, err := migrations()
	if err != nil {
		return err
	}
	for _, m := range ms {
		if applied[uint32(m.version)] {
			continue
		}
		for _, st := range m.stmts {
			done, err := s.columnAdded(ctx, st)
			if err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			if done {
				continue
			}
			if err := execOn(ctx, s.conn, migrationDDL(st)); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
		}
		if err := s.insertOne(ctx, migrationInsert{m: m, at: time.Now()}); err != nil {
			return fmt.Errorf("migration %s: record: %w", m.name, err)
		}
	}
	return nil
}

// migrationDDL is a statement of a migration file (sql/migrations), or the bookkeeping
// table's CREATE, or either rewritten ON CLUSTER (clusterRewriter), run as written: DDL
// binds no values, and its text is reviewed in the migration files and the rewriter's
// tests, not built from input.
type migrationDDL string

func (q migrationDDL) toSQL() (string, []any) { return string(q), nil }

// appliedMigrationsQuery reads the versions of the applied migrations, of the
// connection's database or of db (a name checked by Config.Validate).
type appliedMigrationsQuery struct{ db string }

func (q appliedMigrationsQuery) toSQL() (string, []any) {
	if q.db != "" {
		return "SELECT version FROM " + q.db + ".schema_migrations", nil
	}
	return "SELECT version FROM schema_migrations", nil
}

func (appliedMigrationsQuery) scan(rows driver.Rows) ([]uint32, error) {
	var out []uint32
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// migrationInsert records a migration applied at a time.
type migrationInsert struct {
	m  migration
	at time.Time
}

func (q migrationInsert) toSQL() (string, []any) {
	return "INSERT INTO schema_migrations (version, name, applied_at)", []any{uint32(q.m.version), q.m.name, q.at.UTC()}
}

// isLoopback reports whether addr (host:port) names this machine.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
