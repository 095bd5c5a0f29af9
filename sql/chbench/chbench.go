// Package chbench synthesizes usage samples inside ClickHouse for the benchmarks
// (cmd/cloudbench): INSERT … SELECT FROM numbers, where ingesting 100 million samples
// through the collectors would take longer than the figure being measured. It is
// benchmark data, not production code: nothing but cmd/cloudbench imports it, and it
// reaches the store's database through a connection of its own.
package chbench

import (
	"context"
	"crypto/tls"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2"

	"cloudbill/internal/calendar"
	chstore "cloudbill/sql"
)

// ResourceMetric is a resource and a metric it reports.
type ResourceMetric struct {
	Resource string
	Metric   string
}

// Samples fills usage_samples of s's database with n synthetic samples for month p,
// spread evenly over rs (each resource-metric gets n ÷ len(rs) samples at equal intervals
// over the month, values 0–999.99 from a hash).
func Samples(ctx context.Context, s *chstore.Store, p calendar.Period, rs []ResourceMetric, n int) error {
	return synthesize(ctx, s, p, rs, n, 100000)
}

// Utilisation is Samples with values 0–99.99 (percentages: what cpu_util and mem_util
// samples hold), for the idle-resource benchmark.
func Utilisation(ctx context.Context, s *chstore.Store, p calendar.Period, rs []ResourceMetric, n int) error {
	return synthesize(ctx, s, p, rs, n, 10000)
}

// synthesize inserts the samples, values (hash % span) ÷ 100.
func synthesize(ctx context.Context, s *chstore.Store, p calendar.Period, rs []ResourceMetric, n int, span uint64) error {
	if len(rs) == 0 || n <= 0 {
		return nil
	}
	cfg := s.Config()
	opt := &clickhouse.Options{Addr: []string{cfg.Addr}, Auth: clickhouse.Auth{Database: cfg.Database, Username: cfg.User, Password: cfg.Password}}
	if cfg.TLS {
		opt.TLS = &tls.Config{}
	}
	conn, err := clickhouse.Open(opt)
	if err != nil {
		return fmt.Errorf("synthesize samples: %w", err)
	}
	defer conn.Close()
	if err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS bench_resources (idx UInt32, resource_id String, metric String) ENGINE = Memory`); err != nil {
		return fmt.Errorf("synthesize samples: %w", err)
	}
	if err := conn.Exec(ctx, `TRUNCATE TABLE bench_resources`); err != nil {
		return fmt.Errorf("synthesize samples: %w", err)
	}
	b, err := conn.PrepareBatch(ctx, "INSERT INTO bench_resources (idx, resource_id, metric)")
	if err != nil {
		return fmt.Errorf("synthesize samples: %w", err)
	}
	for i, r := range rs {
		if err := b.Append(uint32(i), r.Resource, r.Metric); err != nil {
			_ = b.Abort()
			return fmt.Errorf("synthesize samples: %w", err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("synthesize samples: %w", err)
	}
	per := n / len(rs)
	if per == 0 {
		per = 1
	}
	seconds := p.End().Unix() - p.Start().Unix()
	const chunk = 10_000_000 // rows per INSERT, to bound the server's memory
	total := per * len(rs)
	for from := 0; from < total; from += chunk {
		count := min(chunk, total-from)
		err := conn.Exec(ctx, `INSERT INTO usage_samples (resource_id, metric, ts, value, source, ingested_at, version)
SELECT resource_id, metric, toDateTime(toUInt32(? + intDiv(j * ?, ?))), (cityHash64(idx, j) % ?) / 100, 'bench', now(), 1
FROM (SELECT toUInt32(intDiv(number, ?)) AS idx, number % ? AS j FROM numbers(?, ?))
ALL INNER JOIN bench_resources USING idx`, p.Start().Unix(), seconds, per, span, per, per, from, count)
		if err != nil {
			return fmt.Errorf("synthesize samples: %w", err)
		}
	}
	return conn.Exec(ctx, `DROP TABLE IF EXISTS bench_resources`)
}
