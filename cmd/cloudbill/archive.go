package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"cloudbill/invoicing"
	chstore "cloudbill/sql"
)

// archiveIssued copies the statement files an issue just wrote (sm.Dir) into the
// ClickHouse archive, where every portal instance serves them from. A closed month's
// archived final issue is never rewritten (re-issuing checks the bytes); a provisional
// issue replaces the previous provisional one.
func (a *app) archiveIssued(ctx context.Context, sm invoicing.Summary) (chstore.ArchiveResult, error) {
	s, err := a.Store(ctx)
	if err != nil {
		return chstore.ArchiveResult{}, err
	}
	is := chstore.ArchiveIssue{Period: sm.Period, Final: sm.Final, IssuedAt: sm.IssuedAt, Net: sm.Net}
	err = filepath.WalkDir(sm.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(sm.Dir, path)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		is.Files = append(is.Files, chstore.ArchivedFile{Path: filepath.ToSlash(rel), Content: b})
		return nil
	})
	if err != nil {
		return chstore.ArchiveResult{}, fmt.Errorf("archive statements of %s: %w", sm.Period, err)
	}
	return s.Archive(ctx, is)
}
