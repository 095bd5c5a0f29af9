package chstore_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/sql/chtest"
)

// TestImportsMark: the mark changes with an accepted import and not with a re-import
// that stores nothing.
func TestImportsMark(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	empty, err := s.ImportsMark(ctx)
	require.NoError(t, err)
	clk := newClock()
	importFixtures(t, s, clk)
	imported, err := s.ImportsMark(ctx)
	require.NoError(t, err)
	assert.NotEqual(t, empty, imported, "an import changes the mark")
	again, err := s.ImportsMark(ctx)
	require.NoError(t, err)
	assert.Equal(t, imported, again, "the same mark while nothing is imported")
	before := tableCounts(t, s)
	importFixtures(t, s, clk)
	if assert.Equal(t, before, tableCounts(t, s), "a re-import stores nothing") {
		after, err := s.ImportsMark(ctx)
		require.NoError(t, err)
		assert.Equal(t, imported, after, "nothing imported, the same mark")
	}
}
