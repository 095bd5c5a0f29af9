package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"cloudbill/document/sheet"
	"cloudbill/internal/calendar"
	"cloudbill/statements"
)

// IssueOptions tune an issue of statements.
type IssueOptions struct {
	// Dir is where the files go (Dir/YYYY-MM/...); "": Config.StatementsDir.
	Dir string
	// FontPath is the PDF font; "": Config.FontPath.
	FontPath string
}

// IssueStatements writes the statements of month p (final for a closed month,
// provisional otherwise; see statements.Issue) and archives them, from where the portal
// serves them byte for byte. A month never rated is refused (statements.ErrNotRated).
func (a *App) IssueStatements(ctx context.Context, p calendar.Period, o IssueOptions) (statements.Summary, error) {
	dir, fontPath := o.Dir, o.FontPath
	if dir == "" {
		dir = a.cfg.StatementsDir
	}
	if dir == "" {
		return statements.Summary{}, errors.New("statements: no output directory")
	}
	if fontPath == "" {
		fontPath = a.cfg.FontPath
	}
	font, err := a.font(fontPath)
	if err != nil {
		return statements.Summary{}, err
	}
	sm, err := statements.Issue(ctx, a.cfg.Store, p, dir, statements.Options{Now: a.cfg.Now, PDF: font, Seal: a.seal})
	if errors.Is(err, statements.ErrNotRated) {
		return sm, fmt.Errorf("%w: rate it first (cloudbill rate --period %s)", err, p)
	}
	return sm, err
}

// seal archives the files of an issue (or checks them against the archived final issue)
// before they take the month's folder: the portal serves the archived files. A closed
// month's final issue is never rewritten: when today's rendering differs (master data
// corrected since, or a release that renders otherwise) the archived bytes are issued
// instead, and the summary says which of the two it was.
func (a *App) seal(ctx context.Context, sm *statements.Summary) error {
	_, err := a.archive(ctx, *sm)
	if !errors.Is(err, statements.ErrArchiveDiffers) {
		return err
	}
	n, rerr := a.restoreArchived(ctx, sm.Period, sm.Dir)
	if rerr != nil {
		return fmt.Errorf("%w; issuing the archived files: %v", err, rerr)
	}
	sm.Files, sm.FromArchive = n, a.whyDiffers(ctx, sm.Period)+" ("+err.Error()+")"
	return nil
}

// renderedMasterData are the kinds of imports whose data a statement renders (names of
// departments, projects, vendors, items): a closed month's rated lines never change, so
// only these, or the rendering itself, make a re-issue differ.
var renderedMasterData = []string{"org", "catalog", "adaptations"}

// whyDiffers says why month p's re-issue differs from its archived final issue: the
// master-data imports since the issue was archived, or, when there is none, that this
// binary renders the statements otherwise than the release that issued them.
func (a *App) whyDiffers(ctx context.Context, p calendar.Period) string {
	cur, ok, err := a.cfg.Store.CurrentIssue(ctx, p)
	if err != nil || !ok {
		return "today's rendering differs from the archived final issue"
	}
	at := cur.ArchivedAt.In(calendar.Shanghai()).Format("2006-01-02 15:04")
	var since []string
	for _, kind := range renderedMasterData {
		imps, err := a.cfg.Store.Imports(ctx, kind)
		if err != nil {
			return "today's rendering differs from the archived final issue"
		}
		for _, im := range imps {
			if !im.At.Before(cur.ArchivedAt) { // both to the second: the same second counts
				since = append(since, fmt.Sprintf("%s %s (%s)", im.Kind, im.File, im.At.In(calendar.Shanghai()).Format("2006-01-02 15:04")))
			}
		}
	}
	if len(since) > 0 {
		return fmt.Sprintf("master data imported since the final issue was archived (%s Asia/Shanghai) renders differently: %s", at, strings.Join(since, ", "))
	}
	return fmt.Sprintf("no master data imported since the final issue was archived (%s Asia/Shanghai): this release renders the statements otherwise than the one that issued them (wording or layout changed by an upgrade)", at)
}

// restoreArchived replaces the files under dir with those of month p's current archived
// issue and returns their number.
func (a *App) restoreArchived(ctx context.Context, p calendar.Period, dir string) (int, error) {
	s := a.cfg.Store
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

// Font is the PDF font at path ("": the default), read once per App (the scheduler
// issues month after month with it).
func (a *App) Font(path string) (sheet.Typesetter, error) { return a.font(path) }

func (a *App) font(path string) (sheet.Typesetter, error) {
	a.fontMu.Lock()
	defer a.fontMu.Unlock()
	if f, ok := a.fonts[path]; ok {
		return f, nil
	}
	f, err := a.cfg.LoadFont(path)
	if err != nil {
		return nil, err
	}
	a.fonts[path] = f
	return f, nil
}

// archive copies the statement files an issue just wrote (sm.Dir) into the store's
// archive. A closed month's archived final issue is never rewritten (re-issuing checks
// the bytes); a provisional issue replaces the previous provisional one.
func (a *App) archive(ctx context.Context, sm statements.Summary) (statements.ArchiveResult, error) {
	is := statements.ArchiveIssue{Period: sm.Period, Final: sm.Final, IssuedAt: sm.IssuedAt, Net: sm.Net}
	err := filepath.WalkDir(sm.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(sm.Dir, path)
		if err != nil {
			return err
		}
		// read when stored, a block at a time: the month's files are never all in memory
		is.Files = append(is.Files, statements.ArchivedFile{Path: filepath.ToSlash(rel), Read: func() ([]byte, error) { return os.ReadFile(path) }})
		return nil
	})
	if err != nil {
		return statements.ArchiveResult{}, fmt.Errorf("archive statements of %s: %w", sm.Period, err)
	}
	return a.cfg.Store.Archive(ctx, is)
}
