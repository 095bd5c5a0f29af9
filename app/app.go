// Package app holds the things users do with cloudbill: rate a month (with the budget
// warnings and the incomplete-usage check after every rating), close it, issue its
// statements, reconcile an invoice, the month states, and the idle analysis, follow-up,
// reminders and webhook delivery. The CLI (cmd/cloudbill), the portal and the scheduler
// all call it: they translate flags, forms and clock ticks into its calls and print or
// render what it returns, so a refusal or a record added here holds for every way in.
//
// It owns no storage: it reads and writes through the Store interface it declares, which
// the ClickHouse adapter (package chstore) satisfies; cmd/cloudbill assembles the two.
package app

import (
	"context"
	"errors"
	"sync"
	"time"

	"cloudbill/catalog"
	"cloudbill/document/sheet"
	"cloudbill/funding"
	"cloudbill/internal/calendar"
	"cloudbill/metering/pull"
	"cloudbill/monthclose"
	"cloudbill/rating"
	"cloudbill/reconcile"
	"cloudbill/statements"
)

// Store is what the use cases read and write.
type Store interface {
	monthclose.Store
	statements.Source
	MonthStore
	reconcile.Store
	// InsertInvoiceUpload keeps an invoice handed in with its reconciliation.
	InsertInvoiceUpload(ctx context.Context, u reconcile.Upload) error
	// Mappings and WindowStates tell which collector windows of a month are missing.
	pull.StatusStore
	// RecordIncompleteClose records a close made with collector windows missing
	// (AllowIncomplete): when, by whom, how many windows and which.
	RecordIncompleteClose(ctx context.Context, p calendar.Period, at time.Time, by string, missing int, detail string) error
	// Archive stores an issue of a month's statements (a closed month's final issue is
	// never rewritten; see statements.ArchiveIssue).
	Archive(ctx context.Context, is statements.ArchiveIssue) (statements.ArchiveResult, error)
	// the rating (Rate): master data, usage, runs; budgets evaluated after it
	rating.MasterData
	rating.UsageReader
	rating.Results
	funding.WarnStore
	// the idle analysis and follow-up
	IdleStore
	// CurrentIssue is the month's current archived issue (ok false: none); IssueFiles its
	// files.
	CurrentIssue(ctx context.Context, p calendar.Period) (statements.IssueInfo, bool, error)
	IssueFiles(ctx context.Context, p calendar.Period, issueID string) ([]statements.ArchivedFile, error)
	// Imports lists the recorded imports of a kind, oldest first (why a re-issue differs).
	Imports(ctx context.Context, kind string) ([]catalog.Import, error)
	// the year's money: budgets, thresholds, payments, estimates (audited)
	FundingStore
}

// Config configures the use cases.
type Config struct {
	Store Store
	// Now is the clock; required. It decides whether a month has ended and dates closes
	// and provisional statements.
	Now func() time.Time
	// StatementsDir is where statements issued after a close are written
	// (DIR/YYYY-MM/...); "" writes none (the close itself is unaffected).
	StatementsDir string
	// FontPath is the TrueType CJK font of the statement PDFs; "": the default font.
	FontPath string
	// LoadFont loads the PDF typesetter of the TrueType CJK font at a path ("": the default
	// font); required (cmd/cloudbill passes document/pdf's Load). Each font is loaded once
	// per App. The use cases lay documents out; the PDF library stays behind this call.
	LoadFont func(path string) (sheet.Typesetter, error)
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Store == nil:
		return errors.New("app: no store")
	case c.Now == nil:
		return errors.New("app: no clock")
	case c.LoadFont == nil:
		return errors.New("app: no PDF font loader (Config.LoadFont)")
	}
	return nil
}

// App is the use cases over one store. Its methods are safe for concurrent use.
type App struct {
	cfg Config

	fontMu sync.Mutex
	fonts  map[string]sheet.Typesetter
}

// New checks cfg and returns the use cases.
func New(cfg Config) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &App{cfg: cfg, fonts: map[string]sheet.Typesetter{}}, nil
}

// Now is the App's clock.
func (a *App) Now() time.Time { return a.cfg.Now() }
