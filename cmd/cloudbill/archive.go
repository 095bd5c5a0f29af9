package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"cloudbill/internal/calendar"
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

// restoreArchived replaces the files under dir with those of month p's current archived
// issue and returns their number.
func (a *app) restoreArchived(ctx context.Context, p calendar.Period, dir string) (int, error) {
	s, err := a.Store(ctx)
	if err != nil {
		return 0, err
	}
	cur, ok, err := s.CurrentIssue(ctx, p)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, fmt.Errorf("no archived issue of %s", p)
	}
	files, err := s.IssueFiles(ctx, p, cur.IssueID)
	if err != nil {
		return 0, err
	}
	if len(files) != cur.Files {
		return 0, fmt.Errorf("archived issue %s of %s: %d files, %d recorded", cur.IssueID, p, len(files), cur.Files)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return 0, err
		}
	}
	for _, f := range files {
		if !filepath.IsLocal(filepath.FromSlash(f.Path)) {
			return 0, fmt.Errorf("archived issue %s of %s: bad path %q", cur.IssueID, p, f.Path)
		}
		path := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return 0, err
		}
		if err := os.WriteFile(path, f.Content, 0o644); err != nil {
			return 0, err
		}
	}
	return len(files), nil
}
