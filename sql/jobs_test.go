package chstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/internal/calendar"
	"cloudbill/schedule/jobrun"
	"cloudbill/sql/chtest"
)

func TestJobRunsRoundTrip(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 2, 0, 0, 0, calendar.Shanghai())
	runs := []jobrun.Run{
		{Job: "close", Period: calendar.MustPeriod("2026-10"), Trigger: "catch-up", StartedAt: t0, FinishedAt: t0.Add(3 * time.Second),
			Status: jobrun.OK, Detail: "closed"},
		{Job: "close", Period: calendar.MustPeriod("2026-11"), Trigger: "catch-up", StartedAt: t0.Add(4 * time.Second), FinishedAt: t0.Add(5 * time.Second),
			Status: jobrun.Failed, Error: "close 2026-11: acceptance pending for vendor v2"},
		{Job: "rate", Period: calendar.MustPeriod("2026-12"), Trigger: "schedule", StartedAt: t0.Add(time.Hour), FinishedAt: t0.Add(time.Hour + time.Second),
			Status: jobrun.OK, Detail: "rated"},
	}
	for _, r := range runs {
		require.NoError(t, s.InsertJobRun(ctx, r))
	}
	utc := func(rs []jobrun.Run) []jobrun.Run {
		out := make([]jobrun.Run, len(rs))
		for i, r := range rs {
			r.StartedAt, r.FinishedAt = r.StartedAt.UTC(), r.FinishedAt.UTC()
			out[i] = r
		}
		return out
	}

	t.Run("every job", func(t *testing.T) {
		got, err := s.JobRuns(ctx, "")
		require.NoError(t, err)
		assert.Equal(t, utc(runs), utc(got))
	})
	t.Run("one job", func(t *testing.T) {
		got, err := s.JobRuns(ctx, "close")
		require.NoError(t, err)
		assert.Equal(t, utc(runs[:2]), utc(got))
	})
	t.Run("no such job", func(t *testing.T) {
		got, err := s.JobRuns(ctx, "nope")
		require.NoError(t, err)
		assert.Empty(t, got)
	})
}
