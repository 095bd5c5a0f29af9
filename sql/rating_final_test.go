package chstore

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"cloudbill/internal/calendar"
)

// TestUsageAggregatesFinalSQL: the FINAL form reads the latest rows with only key
// conditions inside the FINAL read; the value and owner tests come after it.
func TestUsageAggregatesFinalSQL(t *testing.T) {
	nov := calendar.MustPeriod("2026-11")
	sql, args := usageAggregatesQuery{period: nov, table: "usage_samples_local", final: true}.toSQL()
	assert.Equal(t, []any{nov.Start().Unix(), nov.End().Unix()}, args)
	for _, f := range []string{"FROM usage_samples_local FINAL\n", "USING (h)", "GROUP BY wid, day", "quantileExactIfMerge(0.95)(qs)"} {
		assert.Contains(t, sql, f)
	}
	read := sql[strings.Index(sql, "FINAL"):strings.Index(sql, ") AS s")]
	assert.NotContains(t, read, "value", "no value test inside the FINAL read")
	assert.NotContains(t, sql, "argMax", "no grouping by identity")
}
