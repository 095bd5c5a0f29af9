package chbench

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	chstore "cloudbill/sql"
)

// LogQueries has the embedded server of directory dir (chserver.Config.Dir) keep
// system.query_log, every query of every user logged (flushed when asked, Queries): the files go
// in config.d and users.d beside the generated configuration, which the server merges at
// its next start. Benchmark servers only.
func LogQueries(dir string) error {
	files := map[string]string{
		"config.d/cloudbench-query-log.xml": `<?xml version="1.0"?>
<yandex>
  <query_log>
    <database>system</database>
    <table>query_log</table>
    <flush_interval_milliseconds>60000</flush_interval_milliseconds>
  </query_log>
</yandex>
`,
		"users.d/cloudbench-log-queries.xml": `<?xml version="1.0"?>
<yandex>
  <profiles>
    <default>
      <log_queries>1</log_queries>
    </default>
  </profiles>
</yandex>
`,
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// QueryCount is how many queries of one text started in a time range.
type QueryCount struct {
	Query string // white space folded, literals as ? ([?] an array); beyond 120 characters its first 70 … its last 45
	N     int
}

// Queries are the queries that started on s's server from since to until (whole seconds,
// the server's clock), by text, most frequent first; the benchmark's own reads of the query log
// are left out. The server must log queries (LogQueries).
func Queries(ctx context.Context, s *chstore.Store, since, until time.Time) ([]QueryCount, error) {
	conn, err := benchConn(s)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if err := conn.Exec(ctx, `SYSTEM FLUSH LOGS`); err != nil {
		return nil, fmt.Errorf("query log: %w", err)
	}
	rows, err := conn.Query(ctx, `SELECT if(length(q0) > 120, concat(substring(q0, 1, 70), ' … ', substring(q0, length(q0) - 44)), q0) AS q, count() AS n
FROM (SELECT replaceRegexpAll(replaceRegexpAll(replaceRegexpAll(query, '\\s+', ' '), '\'[^\']*\'', '?'), '\\[[?, ]*\\]', '[?]') AS q0 FROM system.query_log
      WHERE type = 1 AND event_time >= toDateTime(?) AND event_time <= toDateTime(?) AND query NOT LIKE '%system.query_log%' AND query NOT LIKE 'SYSTEM FLUSH%')
GROUP BY q ORDER BY n DESC, q`, since.Unix(), until.Unix())
	if err != nil {
		return nil, fmt.Errorf("query log: %w", err)
	}
	defer rows.Close()
	var out []QueryCount
	for rows.Next() {
		var q QueryCount
		var n uint64
		if err := rows.Scan(&q.Query, &n); err != nil {
			return nil, fmt.Errorf("query log: %w", err)
		}
		q.N = int(n)
		out = append(out, q)
	}
	return out, rows.Err()
}

func benchConn(s *chstore.Store) (clickhouse.Conn, error) {
	cfg := s.Config()
	opt := &clickhouse.Options{Addr: []string{cfg.Addr}, Auth: clickhouse.Auth{Database: cfg.Database, Username: cfg.User, Password: cfg.Password}}
	if cfg.TLS {
		opt.TLS = &tls.Config{}
	}
	return clickhouse.Open(opt)
}
