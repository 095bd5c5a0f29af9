package chstore

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"cloudbill/internal/calendar"
	"cloudbill/rating"
)

var _ rating.RuleStore = (*Store)(nil)

// ruleVersionsQuery reads every stored version of the deduction rules, oldest first.
const ruleVersionsQuery = `SELECT effective, import_id, import_seq, file, body
FROM deduction_rules
ORDER BY effective, import_seq`

// RuleVersions returns every stored version of the deduction rules (cloudbill rules
// import), oldest first; none when no rules were imported.
func (s *Store) RuleVersions(ctx context.Context) ([]rating.Rules, error) {
	rows, err := s.conn.Query(ctx, ruleVersionsQuery)
	if err != nil {
		return nil, fmt.Errorf("read deduction rules: %w", err)
	}
	defer rows.Close()
	var out []rating.Rules
	for rows.Next() {
		var (
			eff      uint32
			id, file string
			seq      uint64
			body     string
		)
		if err := rows.Scan(&eff, &id, &seq, &file, &body); err != nil {
			return nil, fmt.Errorf("read deduction rules: %w", err)
		}
		p := calendar.PeriodOfKey(eff)
		v, err := rating.ReadRulesVersion(file, bytes.NewReader([]byte(body)), p)
		if err != nil {
			return nil, fmt.Errorf("deduction rules %s (effective %s): stored body unreadable: %w", id, p, err)
		}
		v.ImportID, v.ImportedAt = id, time.Unix(0, int64(seq)).UTC()
		out = append(out, v)
	}
	return out, rows.Err()
}

// SaveRules stores one imported version of the deduction rules and records the import
// in imports (kind "rules").
func (s *Store) SaveRules(ctx context.Context, v rating.Rules, file, sha256 string, body []byte) error {
	seq := uint64(v.ImportedAt.UnixNano())
	if err := s.insertRow(ctx, "INSERT INTO deduction_rules (effective, import_id, import_seq, imported_at, file, sha256, body)",
		v.Effective.Key(), v.ImportID, seq, v.ImportedAt.UTC(), file, sha256, string(body)); err != nil {
		return fmt.Errorf("store deduction rules: %w", err)
	}
	return s.insertRow(ctx, "INSERT INTO imports (import_id, kind, file, sha256, rows, imported_at, note)",
		v.ImportID, "rules", file, sha256, uint64(1), v.ImportedAt.UTC(), "effective "+v.Effective.String())
}
