package chstore

import (
	"context"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// ImportsMark is a mark of the recorded imports (how many, the latest's time and a hash of
// their ids): every accepted import of any kind (organisation, catalog, work orders,
// budgets, thresholds, rules …) records its imports row last, after its facts, so the
// mark changes once the import's facts are stored and not before; an unchanged mark
// means nothing was imported since. One small query, for a reader that keeps figures made
// from the imported facts (the portal's budget evaluation) to tell whether to make them
// again.
func (s *Store) ImportsMark(ctx context.Context) (string, error) {
	out, err := runQuery(ctx, s.conn, importsMarkQuery{})
	if err != nil {
		return "", fmt.Errorf("read imports mark: %w", err)
	}
	if len(out) != 1 {
		return "", fmt.Errorf("read imports mark: %d rows", len(out))
	}
	return out[0], nil
}

// importsMarkQuery reads the imports' mark as one text.
type importsMarkQuery struct{}

func (importsMarkQuery) toSQL() (string, []any) {
	return "SELECT toString(count()), toString(max(imported_at)), toString(groupBitXor(cityHash64(import_id))) FROM imports", nil
}

func (importsMarkQuery) scan(rows driver.Rows) ([]string, error) {
	var out []string
	for rows.Next() {
		var n, at, ids string
		if err := rows.Scan(&n, &at, &ids); err != nil {
			return nil, err
		}
		out = append(out, n+"/"+at+"/"+ids)
	}
	return out, rows.Err()
}
