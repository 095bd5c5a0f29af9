package chstore_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/internal/calendar"
	chstore "cloudbill/sql"
	"cloudbill/sql/chtest"
	"cloudbill/statements"
)

func TestArchive(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	p := calendar.Period{Year: 2026, Month: 10}
	issue := func(final bool, summary string) statements.ArchiveIssue {
		return statements.ArchiveIssue{Period: p, Final: final, IssuedAt: time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC), Net: decimal.RequireFromString("12.34"),
			Files: []statements.ArchivedFile{{Path: "summary.csv", Content: []byte(summary)}, {Path: "departments/D1.pdf", Content: []byte("%PDF-\x00\xff binary")}}}
	}
	_, ok, err := s.CurrentIssue(ctx, p)
	require.NoError(t, err)
	assert.False(t, ok, "nothing archived yet")

	r1, err := s.Archive(ctx, issue(false, "provisional 1"))
	require.NoError(t, err)
	assert.Equal(t, 2, r1.Files)
	r2, err := s.Archive(ctx, issue(false, "provisional 2"))
	require.NoError(t, err)
	b, is, ok, err := s.ArchivedFileOf(ctx, p, "summary.csv")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "provisional 2", string(b), "a provisional issue replaces the previous one")
	assert.Equal(t, r2.IssueID, is.IssueID)
	assert.False(t, is.Final)

	r3, err := s.Archive(ctx, issue(true, "final"))
	require.NoError(t, err)
	b, is, ok, err = s.ArchivedFileOf(ctx, p, "departments/D1.pdf")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "%PDF-\x00\xff binary", string(b), "bytes kept exactly")
	assert.True(t, is.Final)
	assert.Equal(t, r3.IssueID, is.IssueID)

	again, err := s.Archive(ctx, issue(true, "final"))
	require.NoError(t, err)
	assert.True(t, again.Kept, "re-issue of a closed month: nothing written")
	_, err = s.Archive(ctx, issue(true, "final, other bytes"))
	assert.True(t, errors.Is(err, statements.ErrArchiveDiffers), "got %v", err)
	_, err = s.Archive(ctx, issue(false, "late provisional"))
	assert.Error(t, err, "a provisional issue never replaces a final one")
	b, _, _, err = s.ArchivedFileOf(ctx, p, "summary.csv")
	require.NoError(t, err)
	assert.Equal(t, "final", string(b))

	_, _, ok, err = s.ArchivedFileOf(ctx, p, "departments/NOPE.pdf")
	require.NoError(t, err)
	assert.False(t, ok)
	iss, err := s.Issues(ctx, calendar.Period{})
	require.NoError(t, err)
	assert.Len(t, iss, 3)
}

// TestArchiveReadsFilesWhenStored: files given by Read (as the statements' issue gives
// them, read from its folder) are read as their block is stored, in blocks of bounded
// size (here 3 files over archiveBlockBytes, so more than one block), and stored byte for
// byte; a file that cannot be read fails the issue and nothing of it is current.
func TestArchiveReadsFilesWhenStored(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	p := calendar.Period{Year: 2026, Month: 9}
	big := func(c byte) []byte { return bytes.Repeat([]byte{c}, chstore.ArchiveBlockBytes/2+1) }
	contents := map[string][]byte{"a.pdf": big('a'), "b.pdf": big('b'), "c.pdf": big('c'), "summary.csv": []byte("x,y\n")}
	reads := map[string]int{}
	var files []statements.ArchivedFile
	for path, c := range contents {
		files = append(files, statements.ArchivedFile{Path: path, Read: func() ([]byte, error) { reads[path]++; return c, nil }})
	}
	failing := append(append([]statements.ArchivedFile(nil), files...), statements.ArchivedFile{Path: "z.pdf", Read: func() ([]byte, error) { return nil, errors.New("gone") }})
	_, err := s.Archive(ctx, statements.ArchiveIssue{Period: p, Final: true, Net: decimal.Zero, Files: failing})
	require.ErrorContains(t, err, "gone")
	_, ok, err := s.CurrentIssue(ctx, p)
	require.NoError(t, err)
	assert.False(t, ok, "an issue whose file cannot be read is not archived")

	clear(reads)
	r, err := s.Archive(ctx, statements.ArchiveIssue{Period: p, Final: true, Net: decimal.Zero, Files: files})
	require.NoError(t, err)
	assert.Equal(t, 4, r.Files)
	for path, c := range contents {
		assert.Equal(t, 1, reads[path], "%s read once", path)
		b, _, ok, err := s.ArchivedFileOf(ctx, p, path)
		require.NoError(t, err)
		require.True(t, ok, path)
		assert.True(t, bytes.Equal(c, b), "%s stored byte for byte", path)
	}
	again, err := s.Archive(ctx, statements.ArchiveIssue{Period: p, Final: true, Net: decimal.Zero, Files: files})
	require.NoError(t, err)
	assert.True(t, again.Kept, "the same bytes again, read on demand: kept")
}
