package schedule

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/internal/calendar"
)

func TestDefaultSchedulesInShanghai(t *testing.T) {
	s, err := parseSpec(DefaultCloseSpec)
	require.NoError(t, err)
	// 30 November 2026 20:00 UTC is 1 December 04:00 in Shanghai: the next close is 1 January.
	next := s.Next(time.Date(2026, 11, 30, 20, 0, 0, 0, time.UTC).In(calendar.Shanghai()))
	assert.Equal(t, time.Date(2027, 1, 1, 2, 0, 0, 0, calendar.Shanghai()), next)
	r, err := parseSpec(DefaultRateSpec)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 12, 2, 3, 0, 0, 0, calendar.Shanghai()),
		r.Next(time.Date(2026, 12, 1, 3, 0, 0, 0, calendar.Shanghai())))
}
