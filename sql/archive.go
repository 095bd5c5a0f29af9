package chstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"cloudbill/internal/calendar"
	"cloudbill/statements"
)

// The statement archive (tables statement_issues and statement_files, migration 0060):
// every issued statement file of a month, byte for byte, so that any portal instance
// serves the very files that `statements` wrote.

// The archive's types are the statements' (package statements).

// Archive stores an issue of a month's statements. A month whose final issue is
// archived is never rewritten: archiving it again checks that the bytes are the same
// (statements.ErrArchiveDiffers otherwise) and writes nothing. A provisional issue replaces the
// month's earlier provisional issue (whose files are then deleted).
func (s *Store) Archive(ctx context.Context, is statements.ArchiveIssue) (statements.ArchiveResult, error) {
	cur, ok, err := s.CurrentIssue(ctx, is.Period)
	if err != nil {
		return statements.ArchiveResult{}, err
	}
	if ok && cur.Final {
		if !is.Final {
			return statements.ArchiveResult{}, fmt.Errorf("archive %s: the month's final statements are archived; a provisional issue cannot replace them", is.Period)
		}
		have, err := s.issueHashes(ctx, is.Period, cur.IssueID)
		if err != nil {
			return statements.ArchiveResult{}, err
		}
		if len(have) != len(is.Files) {
			return statements.ArchiveResult{}, fmt.Errorf("archive %s: %w (%d files archived, %d issued)", is.Period, statements.ErrArchiveDiffers, len(have), len(is.Files))
		}
		for _, f := range is.Files {
			b, err := f.Bytes()
			if err != nil {
				return statements.ArchiveResult{}, fmt.Errorf("archive %s: %w", is.Period, err)
			}
			if have[f.Path] != sha(b) {
				return statements.ArchiveResult{}, fmt.Errorf("archive %s: %w: %s", is.Period, statements.ErrArchiveDiffers, f.Path)
			}
		}
		return statements.ArchiveResult{IssueID: cur.IssueID, Kept: true, Files: len(is.Files)}, nil
	}
	id := fmt.Sprintf("%s-%d", is.Period.String(), version())
	files := append([]statements.ArchivedFile(nil), is.Files...)
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	// Files first (in blocks of bounded size, each file read as its block is filled),
	// then the issue row: the row commits the issue.
	for start := 0; start < len(files); {
		var part []statements.ArchivedFile
		for size := 0; start < len(files) && size < archiveBlockBytes; start++ {
			b, err := files[start].Bytes()
			if err != nil {
				return statements.ArchiveResult{}, fmt.Errorf("archive %s: %w", is.Period, err)
			}
			part = append(part, statements.ArchivedFile{Path: files[start].Path, Content: b})
			size += len(b)
		}
		if err := s.insertBlock(ctx, statementFilesInsert{period: is.Period, issueID: id, files: part}); err != nil {
			return statements.ArchiveResult{}, fmt.Errorf("archive %s: %w", is.Period, err)
		}
	}
	err = s.insertOne(ctx, statementIssueInsert{is: is, issueID: id, archivedAt: time.Now(), files: len(files)})
	if err != nil {
		return statements.ArchiveResult{}, fmt.Errorf("archive %s: %w", is.Period, err)
	}
	// The superseded provisional issue's files go (a final issue is never deleted).
	if ok && !cur.Final {
		if err := execOn(ctx, s.conn, issueFilesDelete{period: is.Period, issueID: cur.IssueID}); err != nil {
			return statements.ArchiveResult{}, fmt.Errorf("archive %s: drop superseded provisional files: %w", is.Period, err)
		}
	}
	return statements.ArchiveResult{IssueID: id, Files: len(files)}, nil
}

// archiveBlockBytes bounds the content of one block of archived files (a block may go
// over it by its last file). An insert holds its block about three times (the files, the
// column, the encoded block): 16 MB blocks keep a city month's archive (127 MB) at about
// 50 MB of memory; the 64 MB blocks it had made its issue the month's memory peak.
const archiveBlockBytes = 16 << 20

// statementFilesInsert stores some files of an archived issue.
type statementFilesInsert struct {
	period  calendar.Period
	issueID string
	files   []statements.ArchivedFile
}

func (statementFilesInsert) toSQL() string {
	return "INSERT INTO statement_files (period, issue_id, path, sha256, size, content)"
}

func (q statementFilesInsert) rows() int { return len(q.files) }

func (q statementFilesInsert) row(i int) []any {
	f := q.files[i]
	return []any{q.period.Key(), q.issueID, f.Path, sha(f.Content), uint64(len(f.Content)), string(f.Content)}
}

// issueFilesDelete deletes the files of a superseded provisional issue.
type issueFilesDelete struct {
	period  calendar.Period
	issueID string
}

func (q issueFilesDelete) toSQL() (string, []any) {
	return "ALTER TABLE statement_files DELETE WHERE period = ? AND issue_id = ?", []any{q.period.Key(), q.issueID}
}

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// statementIssueInsert records an archived issue of is.Period: its id, whether final,
// when issued and archived, its number of files and net.
type statementIssueInsert struct {
	is         statements.ArchiveIssue
	issueID    string
	archivedAt time.Time
	files      int
}

func (q statementIssueInsert) toSQL() (string, []any) {
	return "INSERT INTO statement_issues (period, issue_id, final, issued_at, archived_at, files, net)",
		[]any{q.is.Period.Key(), q.issueID, flag(q.is.Final), q.is.IssuedAt.UTC(), q.archivedAt.UTC(), uint32(q.files), q.is.Net}
}

// issuesQuery lists the archived issues of every month (period zero) or of one, oldest
// first.
type issuesQuery struct{ period calendar.Period }

func (q issuesQuery) toSQL() (string, []any) {
	sql := "SELECT period, issue_id, final, issued_at, archived_at, files, net FROM statement_issues"
	var args []any
	if q.period != (calendar.Period{}) {
		sql += " WHERE period = ?"
		args = append(args, q.period.Key())
	}
	return sql + " ORDER BY period, archived_at, issue_id", args
}

func (issuesQuery) scan(rows driver.Rows) ([]statements.IssueInfo, error) {
	var out []statements.IssueInfo
	for rows.Next() {
		var is statements.IssueInfo
		var key, files uint32
		var final uint8
		if err := rows.Scan(&key, &is.IssueID, &final, &is.IssuedAt, &is.ArchivedAt, &files, &is.Net); err != nil {
			return nil, err
		}
		is.Period, is.Final, is.Files = calendar.PeriodOfKey(key), final == 1, int(files)
		out = append(out, is)
	}
	return out, rows.Err()
}

// Issues lists the archived issues of every month (period 0) or of one, oldest first.
func (s *Store) Issues(ctx context.Context, p calendar.Period) ([]statements.IssueInfo, error) {
	out, err := runQuery(ctx, s.conn, issuesQuery{period: p})
	if err != nil {
		return nil, fmt.Errorf("read statement issues: %w", err)
	}
	return out, nil
}

// CurrentIssue is the issue a month's files are served from: its final issue, else its
// latest provisional one; ok false when none is archived.
func (s *Store) CurrentIssue(ctx context.Context, p calendar.Period) (statements.IssueInfo, bool, error) {
	all, err := s.Issues(ctx, p)
	if err != nil {
		return statements.IssueInfo{}, false, err
	}
	return currentIssue(all)
}

func currentIssue(all []statements.IssueInfo) (statements.IssueInfo, bool, error) {
	var cur statements.IssueInfo
	ok := false
	for _, is := range all { // oldest first: the last provisional wins, a final wins for good
		if is.Final {
			if !ok || !cur.Final {
				cur, ok = is, true
			}
			continue
		}
		if !ok || !cur.Final {
			cur, ok = is, true
		}
	}
	return cur, ok, nil
}

// CurrentIssues is the current issue of every archived month, by period.
func (s *Store) CurrentIssues(ctx context.Context) (map[calendar.Period]statements.IssueInfo, error) {
	all, err := s.Issues(ctx, calendar.Period{})
	if err != nil {
		return nil, err
	}
	by := map[calendar.Period][]statements.IssueInfo{}
	for _, is := range all {
		by[is.Period] = append(by[is.Period], is)
	}
	out := map[calendar.Period]statements.IssueInfo{}
	for p, iss := range by {
		if cur, ok, _ := currentIssue(iss); ok {
			out[p] = cur
		}
	}
	return out, nil
}

// issueHashesQuery reads the path and SHA-256 of every file of one archived issue.
type issueHashesQuery struct {
	period  calendar.Period
	issueID string
}

func (q issueHashesQuery) toSQL() (string, []any) {
	return "SELECT path, sha256 FROM statement_files WHERE period = ? AND issue_id = ?", []any{q.period.Key(), q.issueID}
}

func (issueHashesQuery) scan(rows driver.Rows) ([][2]string, error) {
	var out [][2]string
	for rows.Next() {
		var f [2]string
		if err := rows.Scan(&f[0], &f[1]); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

func (s *Store) issueHashes(ctx context.Context, p calendar.Period, id string) (map[string]string, error) {
	files, err := runQuery(ctx, s.conn, issueHashesQuery{period: p, issueID: id})
	if err != nil {
		return nil, fmt.Errorf("read archived files of %s: %w", p, err)
	}
	out := make(map[string]string, len(files))
	for _, f := range files {
		out[f[0]] = f[1]
	}
	return out, nil
}

// archivedFileQuery reads the content of the file at path of one archived issue (no row
// when there is none).
type archivedFileQuery struct {
	period        calendar.Period
	issueID, path string
}

func (q archivedFileQuery) toSQL() (string, []any) {
	return "SELECT content FROM statement_files WHERE period = ? AND issue_id = ? AND path = ? LIMIT 1", []any{q.period.Key(), q.issueID, q.path}
}

func (archivedFileQuery) scan(rows driver.Rows) ([][]byte, error) {
	var out [][]byte
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, []byte(c))
	}
	return out, rows.Err()
}

// ArchivedFileOf returns the current issue's file at path of month p (ok false when the
// month or the file is not archived).
func (s *Store) ArchivedFileOf(ctx context.Context, p calendar.Period, path string) (content []byte, is statements.IssueInfo, ok bool, err error) {
	is, ok, err = s.CurrentIssue(ctx, p)
	if err != nil || !ok {
		return nil, is, false, err
	}
	found, err := runQuery(ctx, s.conn, archivedFileQuery{period: p, issueID: is.IssueID, path: path})
	if err != nil {
		return nil, is, false, fmt.Errorf("read archived %s of %s: %w", path, p, err)
	}
	if len(found) == 0 {
		return nil, is, false, nil
	}
	return found[0], is, true, nil
}

// issueFilesQuery reads every file of one archived issue, by path.
type issueFilesQuery struct {
	period  calendar.Period
	issueID string
}

func (q issueFilesQuery) toSQL() (string, []any) {
	return "SELECT path, content FROM statement_files WHERE period = ? AND issue_id = ? ORDER BY path",
		[]any{q.period.Key(), q.issueID}
}

func (q issueFilesQuery) scan(rows driver.Rows) ([]statements.ArchivedFile, error) {
	var out []statements.ArchivedFile
	for rows.Next() {
		var f statements.ArchivedFile
		var c string
		if err := rows.Scan(&f.Path, &c); err != nil {
			return nil, err
		}
		f.Content = []byte(c)
		out = append(out, f)
	}
	return out, rows.Err()
}

// IssueFiles returns every file of the archived issue issueID of month p, by path.
func (s *Store) IssueFiles(ctx context.Context, p calendar.Period, issueID string) ([]statements.ArchivedFile, error) {
	files, err := runQuery(ctx, s.conn, issueFilesQuery{period: p, issueID: issueID})
	if err != nil {
		return nil, fmt.Errorf("read archived files of %s: %w", p, err)
	}
	return files, nil
}
