package statements

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/shopspring/decimal"
	"golang.org/x/sys/unix"

	"cloudbill/catalog"
	"cloudbill/document/sheet"
	"cloudbill/internal/calendar"
	"cloudbill/internal/safeid"
	"cloudbill/rating"
)

// Typesetter turns documents 0…n−1 into PDF (package document/pdf provides one). doc
// lays out document i and may be called more than once per index, from several
// goroutines; emit may be called from several goroutines at once, once per index.
type Typesetter interface {
	Typeset(ctx context.Context, n int, doc func(i int) sheet.Doc, emit func(i int, pdf []byte) error) error
}

// Options are the collaborators of Issue.
type Options struct {
	// Now dates an open month's (provisional) statements; required.
	Now func() time.Time
	// PDF typesets the PDF files; nil writes the CSV files only.
	PDF Typesetter
	// Seal, when set, is called once the month's files are complete in a temporary
	// folder beside the target (sm.Dir is that folder), before they are moved into place:
	// an error leaves the earlier files of the month byte-identical. Seal may replace the
	// folder's files (with the archived final issue, say); it then sets sm.Files to their
	// number.
	Seal func(ctx context.Context, sm *Summary) error
}

// Summary says what Issue wrote.
type Summary struct {
	Period calendar.Period
	// Dir is DIR/<period>, holding summary.*, departments/ and vendors/.
	Dir      string
	Final    bool
	IssuedAt time.Time
	// Departments and Vendors count the statements; Lines the month's lines.
	Departments, Vendors, Lines int
	// Gross (charge, metered, unfunded) + Adjustments + Deductions = Net, the month's
	// total, equal to the sum of the top-level departments' statements and of the
	// vendors' settlements.
	Gross, Adjustments, Deductions, Net decimal.Decimal
	// Files is the number of files written.
	Files int
	// FromArchive, when not empty, says why the files are the month's archived final
	// issue rather than this rendering (set by Options.Seal).
	FromArchive string
}

// Issue writes the statements of month p under outDir/<p>, per docs/formats.md: summary.pdf
// and .csv, departments/<id>.pdf and .csv, vendors/<id>.pdf and .csv. The month's folder
// is written aside, sealed (opts.Seal) and then put in place, replacing an earlier issue
// whole; a failed issue leaves the earlier one as it was. A closed
// month's files are final and the same bytes at every re-issue; an open month's are
// provisional. It fails with ErrNotRated on a month never rated.
func Issue(ctx context.Context, src Source, p calendar.Period, outDir string, opts Options) (Summary, error) {
	if opts.Now == nil {
		return Summary{}, errors.New("statements: no clock (Options.Now)")
	}
	m, err := Load(ctx, src, p, opts.Now)
	if err != nil {
		return Summary{}, err
	}
	return write(ctx, Build(m), outDir, opts)
}

// Check verifies that the three views agree to the fen: the top-level departments'
// statements, the vendors' settlements and the finance summary have the same total, and
// each statement's total is the sum of its lines.
func (st Statements) Check() error {
	depSum := decimal.Zero
	for _, d := range st.Departments {
		if !sum(d.Lines).Equal(d.Total) {
			return fmt.Errorf("department %s: total %s is not the sum of its lines %s", d.Department.ID, d.Total, sum(d.Lines))
		}
		if d.Parent == nil {
			depSum = depSum.Add(d.Total)
		}
	}
	venSum := decimal.Zero
	for _, v := range st.Vendors {
		if !sum(v.Lines).Equal(v.Net.Add(v.TrueUpTotal)) || !v.Gross.Add(v.Adjustments).Add(v.Deduction).Equal(v.Net) {
			return fmt.Errorf("vendor %s: net %s does not add up", v.Vendor.ID, v.Net)
		}
		venSum = venSum.Add(v.Net)
	}
	total := st.Summary.Total
	if !sum(st.Summary.Lines).Equal(total) || !st.Summary.Totals.Total.Equal(total) {
		return fmt.Errorf("summary: total %s does not add up", total)
	}
	if !depSum.Equal(total) || !venSum.Equal(total) {
		return fmt.Errorf("statements disagree: departments %s, vendors %s, summary %s", depSum, venSum, total)
	}
	// the true-up (January): each statement's lines add up to its total, and the three
	// views agree
	depTU, venTU := decimal.Zero, decimal.Zero
	for _, d := range st.Departments {
		if !sum(d.TrueUp).Equal(d.TrueUpTotal) || !d.Total.Add(d.TrueUpTotal).Equal(d.Payable) {
			return fmt.Errorf("department %s: true-up %s does not add up", d.Department.ID, d.TrueUpTotal)
		}
		if d.Parent == nil {
			depTU = depTU.Add(d.TrueUpTotal)
		}
	}
	for _, v := range st.Vendors {
		venTU = venTU.Add(v.TrueUpTotal)
	}
	su := st.Summary
	if !sum(su.TrueUp).Equal(su.TrueUpTotal) || !su.Total.Add(su.TrueUpTotal).Equal(su.Payable) {
		return fmt.Errorf("summary: true-up %s does not add up", su.TrueUpTotal)
	}
	if !depTU.Equal(su.TrueUpTotal) || !venTU.Equal(su.TrueUpTotal) {
		return fmt.Errorf("true-ups disagree: departments %s, vendors %s, summary %s", depTU, venTU, su.TrueUpTotal)
	}
	// the summary's year to date is each vendor settlement's
	ledger := map[catalog.VendorID]VendorLedger{}
	for _, r := range su.Ledger {
		ledger[r.Vendor] = r
	}
	for _, v := range st.Vendors {
		r, ok := ledger[v.Vendor.ID]
		if !ok { // nothing payable nor paid this year: not listed
			r = VendorLedger{Payable: decimal.Zero, Paid: decimal.Zero}
		}
		if len(su.Ledger) > 0 && (!r.Payable.Equal(v.YearToDateNet) || !r.Paid.Equal(v.Paid)) {
			return fmt.Errorf("summary: vendor %s's year to date differs from its settlement's (%s, paid %s)", v.Vendor.ID, v.YearToDateNet, v.Paid)
		}
	}
	return nil
}

// Doc lays out statement i of the month: 0 is the finance summary, then the
// departments, then the vendors (NumDocs in all).
func (st Statements) Doc(i int) sheet.Doc {
	m := st.Month
	switch {
	case i == 0:
		return m.SummaryDoc(st.Summary, len(st.Departments), len(st.Vendors))
	case i <= len(st.Departments):
		return m.DepartmentDoc(st.Departments[i-1])
	default:
		return m.VendorDoc(st.Vendors[i-1-len(st.Departments)])
	}
}

// DocName is the path of statement i under the month's folder, without extension.
func (st Statements) DocName(i int) string {
	switch {
	case i == 0:
		return "summary"
	case i <= len(st.Departments):
		return filepath.Join("departments", FileName(string(st.Departments[i-1].Department.ID)))
	default:
		return filepath.Join("vendors", FileName(string(st.Vendors[i-1-len(st.Departments)].Vendor.ID)))
	}
}

// NumDocs is the number of statements: the summary, the departments, the vendors.
func (st Statements) NumDocs() int { return 1 + len(st.Departments) + len(st.Vendors) }

// Write writes built statements under outDir/<period> (see Issue).
func Write(ctx context.Context, st Statements, outDir string, ts Typesetter) (Summary, error) {
	return write(ctx, st, outDir, Options{PDF: ts})
}

func write(ctx context.Context, st Statements, outDir string, opts Options) (Summary, error) {
	ts := opts.PDF
	m := st.Month
	if err := st.Check(); err != nil {
		return Summary{}, fmt.Errorf("statements of %s: %w", m.Period, err)
	}
	dir := filepath.Join(outDir, m.Period.String())
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return Summary{}, fmt.Errorf("statements of %s: %w", m.Period, err)
	}
	tmp, done, err := writingDir(outDir, m.Period) // left-overs of killed writers are removed
	if err != nil {
		return Summary{}, fmt.Errorf("statements of %s: %w", m.Period, err)
	}
	defer done()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return Summary{}, err
	}
	for _, sub := range []string{"departments", "vendors"} {
		if err := os.MkdirAll(filepath.Join(tmp, sub), 0o755); err != nil {
			return Summary{}, fmt.Errorf("statements of %s: %w", m.Period, err)
		}
	}
	sm := Summary{Period: m.Period, Dir: dir, Final: m.Final(), IssuedAt: m.IssuedAt,
		Departments: len(st.Departments), Vendors: len(st.Vendors), Lines: len(m.Lines),
		Net: st.Summary.Total}
	tot := rating.TotalsOf(m.Lines)
	sm.Gross, sm.Adjustments, sm.Deductions = tot.Gross, tot.Adjustments, tot.Deductions
	writeCSV := func(name string, ls []rating.Line) error {
		f, err := os.Create(filepath.Join(tmp, name+".csv"))
		if err != nil {
			return err
		}
		w := bufio.NewWriterSize(f, 64<<10)
		err = m.WriteCSV(w, ls)
		if err == nil {
			err = w.Flush()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("write %s.csv: %w", name, err)
		}
		sm.Files++
		return nil
	}
	names := make(map[string]int, st.NumDocs())
	for i := 0; i < st.NumDocs(); i++ {
		if j, dup := names[st.DocName(i)]; dup {
			return Summary{}, fmt.Errorf("statements of %s: statements %d and %d would both be %s: refusing to lose one", m.Period, j, i, st.DocName(i))
		}
		names[st.DocName(i)] = i
	}
	for i := 0; i < st.NumDocs(); i++ {
		ls := st.Summary.FileLines()
		switch {
		case i == 0:
		case i <= len(st.Departments):
			ls = st.Departments[i-1].FileLines()
		default:
			ls = st.Vendors[i-1-len(st.Departments)].Lines
		}
		if err := writeCSV(st.DocName(i), ls); err != nil {
			return Summary{}, err
		}
	}
	if ts != nil {
		n := st.NumDocs()
		err := ts.Typeset(ctx, n, st.Doc, func(i int, pdf []byte) error {
			return os.WriteFile(filepath.Join(tmp, st.DocName(i)+".pdf"), pdf, 0o644)
		})
		if err != nil {
			return Summary{}, fmt.Errorf("statements of %s: %w", m.Period, err)
		}
		sm.Files += n
	}
	if opts.Seal != nil {
		sm.Dir = tmp
		err := opts.Seal(ctx, &sm)
		sm.Dir = dir
		if err != nil {
			return Summary{}, fmt.Errorf("statements of %s: %w (the earlier files of the month are as they were)", m.Period, err)
		}
	}
	if err := replaceDir(tmp, dir); err != nil {
		return Summary{}, fmt.Errorf("statements of %s: %w", m.Period, err)
	}
	if n, err := countFiles(dir); err != nil || n != sm.Files {
		return Summary{}, fmt.Errorf("statements of %s: %d files reported, %d on disk in %s (%v)", m.Period, sm.Files, n, dir, err)
	}
	return sm, nil
}

// replaceDir puts the folder tmp in the place of dir in one step: when dir exists the
// two are exchanged (renameat2 RENAME_EXCHANGE) and the earlier folder, now at tmp, is
// removed; a reader sees the earlier folder or the new one, never neither.
func replaceDir(tmp, dir string) error {
	for attempt := 0; ; attempt++ {
		err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, dir, unix.RENAME_EXCHANGE)
		if err == nil {
			_ = os.RemoveAll(tmp) // the earlier folder (done removes what is left)
			return nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		// no earlier folder: a plain rename, unless another issue of the month put one
		// in place in between (then exchange with it)
		err = unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, dir, unix.RENAME_NOREPLACE)
		if err == nil || attempt == 2 || !errors.Is(err, fs.ErrExist) {
			return err
		}
	}
}

// countFiles counts the regular files under dir.
func countFiles(dir string) (int, error) {
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return err
	})
	return n, err
}

// FileName is the file name (without extension) of a statement for an id: the one
// injective mapping of package safeid (a safe id is its own name; "Q/1" is "Q%2F1", never
// the "Q_1" of another department).
func FileName(id string) string { return safeid.FileName(id) }
