package chstore

import "github.com/ClickHouse/clickhouse-go/v2/lib/driver"

// Tap replaces s's connection with wrap(conn): the chDB suite's mirror, which runs every
// statement on a second server too. It wraps the driver's connection, under the insert
// settings, so that it sees what the server is sent.
func Tap(s *Store, wrap func(driver.Conn) driver.Conn) {
	if ic, ok := s.conn.(insertConn); ok {
		ic.Conn = wrap(ic.Conn)
		s.conn = ic
		return
	}
	s.conn = wrap(s.conn)
}

// SchemaStatements are the statements that create a single server's schema: the
// migrations table and every migration, in order.
func SchemaStatements() ([]string, error) {
	ms, err := migrations()
	if err != nil {
		return nil, err
	}
	out := []string{`CREATE TABLE IF NOT EXISTS schema_migrations (
    version UInt32, name String, applied_at DateTime
) ENGINE = MergeTree ORDER BY version`}
	for _, m := range ms {
		out = append(out, m.stmts...)
	}
	return out, nil
}
