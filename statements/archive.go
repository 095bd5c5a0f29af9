package statements

import (
	"errors"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/internal/calendar"
)

// The statement archive: every issued statement file of a month, byte for byte, so that
// any portal instance serves the very files that Issue wrote. The store keeps it (tables
// statement_issues and statement_files).

// ArchivedFile is one issued file: Path under the month's folder ("summary.pdf",
// "departments/D01.csv", "vendors/V1.pdf").
type ArchivedFile struct {
	Path    string
	Content []byte
	// Read, when Content is nil, reads the file's content when the archive needs it, so
	// that an issue's files need not all be in memory at once (a city month's 2,012 files
	// are 127 MB).
	Read func() ([]byte, error)
}

// Bytes is the file's content: Content, or what Read reads.
func (f ArchivedFile) Bytes() ([]byte, error) {
	if f.Content != nil || f.Read == nil {
		return f.Content, nil
	}
	return f.Read()
}

// ArchiveIssue is one issue of a month's statements.
type ArchiveIssue struct {
	Period calendar.Period
	// Final: the month was closed (the files never change again).
	Final    bool
	IssuedAt time.Time
	Net      decimal.Decimal
	Files    []ArchivedFile
}

// ArchiveResult says what archiving an issue did.
type ArchiveResult struct {
	IssueID string
	// Kept: a final issue was archived before and the files are the same bytes: nothing
	// was written.
	Kept  bool
	Files int
}

// ErrArchiveDiffers: a closed month's statements were issued again with other bytes
// than the archived final issue (which is never rewritten).
var ErrArchiveDiffers = errors.New("closed month's statements differ from the archived final issue")

// IssueInfo is an archived issue.
type IssueInfo struct {
	Period     calendar.Period
	IssueID    string
	Final      bool
	IssuedAt   time.Time
	ArchivedAt time.Time
	Files      int
	Net        decimal.Decimal
}

// Status is the issue's word in the API and the glossary: "final" (the month is closed)
// or "provisional".
func (i IssueInfo) Status() string {
	if i.Final {
		return "final"
	}
	return "provisional"
}
