package chstore

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/rating"
)

var _ rating.RuleStore = (*Store)(nil)

// ruleVersionsQuery reads every stored version of the deduction rules, oldest first.
type ruleVersionsQuery struct{}

func (ruleVersionsQuery) toSQL() (string, []any) {
	return `SELECT effective, import_id, import_seq, file, body
FROM deduction_rules
ORDER BY effective, import_seq`, nil
}

// storedRules is a stored version of the deduction rules, its body as imported.
type storedRules struct {
	effective uint32
	id, file  string
	seq       uint64
	body      string
}

func (ruleVersionsQuery) scan(rows driver.Rows) ([]storedRules, error) {
	var out []storedRules
	for rows.Next() {
		var r storedRules
		if err := rows.Scan(&r.effective, &r.id, &r.seq, &r.file, &r.body); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// RuleVersions returns every stored version of the deduction rules (cloudbill rules
// import), oldest first; none when no rules were imported.
func (s *Store) RuleVersions(ctx context.Context) ([]rating.Rules, error) {
	stored, err := runQuery(ctx, s.conn, ruleVersionsQuery{})
	if err != nil {
		return nil, fmt.Errorf("read deduction rules: %w", err)
	}
	var out []rating.Rules
	for _, r := range stored {
		p := calendar.PeriodOfKey(r.effective)
		v, err := rating.ReadRulesVersion(r.file, bytes.NewReader([]byte(r.body)), p)
		if err != nil {
			return nil, fmt.Errorf("deduction rules %s (effective %s): stored body unreadable: %w", r.id, p, err)
		}
		v.ImportID, v.ImportedAt = r.id, time.Unix(0, int64(r.seq)).UTC()
		out = append(out, v)
	}
	return out, nil
}

// rulesInsert stores one imported version of the deduction rules, its body as imported.
type rulesInsert struct {
	v            rating.Rules
	file, sha256 string
	body         []byte
}

func (q rulesInsert) toSQL() (string, []any) {
	return "INSERT INTO deduction_rules (effective, import_id, import_seq, imported_at, file, sha256, body)",
		[]any{q.v.Effective.Key(), q.v.ImportID, uint64(q.v.ImportedAt.UnixNano()), q.v.ImportedAt.UTC(), q.file, q.sha256, string(q.body)}
}

// SaveRules stores one imported version of the deduction rules and records the import
// in imports (kind "rules").
func (s *Store) SaveRules(ctx context.Context, v rating.Rules, file, sha256 string, body []byte) error {
	if err := s.insertOne(ctx, rulesInsert{v: v, file: file, sha256: sha256, body: body}); err != nil {
		return fmt.Errorf("store deduction rules: %w", err)
	}
	return s.insertOne(ctx, importInsert{catalog.Import{ID: v.ImportID, Kind: "rules", File: file, SHA256: sha256, Rows: 1, At: v.ImportedAt,
		Note: "effective " + v.Effective.String()}})
}
