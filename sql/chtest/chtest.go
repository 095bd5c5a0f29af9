// Package chtest gives tests a fresh database on a real ClickHouse server.
//
// The server is the one named by $CLOUDBILL_TEST_CLICKHOUSE (host:port, with
// $CLOUDBILL_TEST_CLICKHOUSE_USER and _PASSWORD if it needs them), or else an embedded clickhouse-server started once per test binary in
// a temporary directory. A package that uses chtest declares
//
//	func TestMain(m *testing.M) { chtest.Main(m) }
//
// so that an embedded server is stopped when its tests end.
package chtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"cloudbill/internal/chserver"
	"cloudbill/sql"
)

var (
	once sync.Once
	addr string
	// user and password of the test server: the embedded server's generated password,
	// or $CLOUDBILL_TEST_CLICKHOUSE_USER / _PASSWORD for the named one.
	user, password string
	server         *chserver.Server
	srvErr         error
)

// Main runs the tests and stops the embedded server, if one was started; cleanups run
// first (other servers a package's tests started).
func Main(m *testing.M, cleanups ...func()) {
	code := m.Run()
	for _, c := range cleanups {
		c()
	}
	if server != nil {
		_ = server.Stop()
		_ = os.RemoveAll(dir)
	}
	os.Exit(code)
}

var dir string

// Addr is the test server's host:port, starting the embedded server on first use.
func Addr(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		if a := os.Getenv("CLOUDBILL_TEST_CLICKHOUSE"); a != "" {
			addr = a
			user, password = os.Getenv("CLOUDBILL_TEST_CLICKHOUSE_USER"), os.Getenv("CLOUDBILL_TEST_CLICKHOUSE_PASSWORD")
			return
		}
		dir, srvErr = os.MkdirTemp("", "cloudbill-chtest-")
		if srvErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		server, srvErr = chserver.Start(ctx, chserver.Config{Dir: dir, KillWithParent: true})
		if srvErr == nil {
			addr, user, password = server.Addr, server.User, server.Password
		}
	})
	if srvErr != nil {
		t.Fatalf("start test clickhouse: %v", srvErr)
	}
	return addr
}

// Server is the embedded server (nil when $CLOUDBILL_TEST_CLICKHOUSE names one), for
// tests that kill and restart it.
func Server() *chserver.Server { return server }

// Name returns a fresh database name.
func Name() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "t_" + hex.EncodeToString(b[:])
}

// New opens a Store on a fresh, migrated database that is dropped when the test ends.
func New(t testing.TB) *chstore.Store {
	t.Helper()
	cfg := Config(t)
	ctx := context.Background()
	s, err := chstore.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() {
		_ = s.DropDatabase(context.Background(), cfg.Database)
		_ = s.Close()
	})
	return s
}

// Config is a connection config for a fresh database name on the test server (not yet
// created: chstore.Open creates it). The caller drops it, or uses New.
func Config(t testing.TB) chstore.Config {
	return chstore.Config{Addr: Addr(t), Database: Name(), User: user, Password: password}
}

// DSN is the clickhouse:// address of database db on the test server, credentials
// included, for tests that run commands.
func DSN(t testing.TB, db string) string {
	a := Addr(t)
	if user == "" && password == "" {
		return "clickhouse://" + a + "/" + db
	}
	return "clickhouse://" + user + ":" + password + "@" + a + "/" + db
}

// Conn opens a connection of its own to s's database (on s's server), for tests that
// look at tables directly; it is closed when the test ends. Production code has no such
// access: its SQL stays in package chstore, behind named methods.
func Conn(t testing.TB, s *chstore.Store) driver.Conn {
	t.Helper()
	cfg := s.Config()
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr: []string{cfg.Addr},
		Auth: clickhouse.Auth{Database: cfg.Database, Username: cfg.User, Password: cfg.Password},
	})
	if err != nil {
		t.Fatalf("open test connection: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}
