package catalog

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"cloudbill/internal/calendar"
)

// Dataset names the master-data files of one complete load (a generated dataset, or a
// district's initial load), relative to Dir. Empty names are skipped.
type Dataset struct {
	Dir         string
	Catalogs    []VersionFile // imported in this order
	Adaptations string
	Departments string
	Projects    string
	Vendors     string
	Orders      []string
	Acceptance  string
}

// VersionFile is a catalog file and the date its version takes effect.
type VersionFile struct {
	File      string
	Effective calendar.Date
}

// Store is every storage need of the catalog imports.
type Store interface {
	VersionStore
	AdaptationStore
	OrgStore
	EventStore
	AcceptanceStore
}

// DatasetReport is what ImportDataset did, file by file.
type DatasetReport struct {
	Files []FileReport
}

// FileReport is the report of one import of a dataset.
type FileReport struct {
	Kind   string
	File   string
	Report Report
}

// Rows is the number of data rows read over all files.
func (d DatasetReport) Rows() int {
	n := 0
	for _, f := range d.Files {
		n += f.Report.Read
	}
	return n
}

// ImportDataset imports a dataset in dependency order: catalog versions, adaptations,
// organisation, orders, acceptance. It stops at the first refused file and returns its
// error (csvin.Errors); the files imported before it stay imported. Like each import, it
// is idempotent: a dataset imported twice stores nothing the second time.
func ImportDataset(ctx context.Context, st Store, ds Dataset, now func() time.Time) (DatasetReport, error) {
	var out DatasetReport
	open := func(name string) (File, func(), error) {
		f, err := os.Open(filepath.Join(ds.Dir, name))
		if err != nil {
			return File{}, nil, err
		}
		return File{Name: name, R: f}, func() { f.Close() }, nil
	}
	step := func(kind, name string, do func(File) (Report, error)) error {
		if name == "" {
			return nil
		}
		f, done, err := open(name)
		if err != nil {
			return err
		}
		defer done()
		rep, err := do(f)
		if err != nil {
			return err
		}
		out.Files = append(out.Files, FileReport{Kind: kind, File: name, Report: rep})
		return nil
	}
	for _, v := range ds.Catalogs {
		if err := step("catalog", v.File, func(f File) (Report, error) {
			return ImportVersion(ctx, st, VersionInput{File: f, Effective: v.Effective, Now: now()})
		}); err != nil {
			return out, err
		}
	}
	if err := step("adaptations", ds.Adaptations, func(f File) (Report, error) { return ImportAdaptations(ctx, st, f, now()) }); err != nil {
		return out, err
	}
	if ds.Departments != "" || ds.Projects != "" || ds.Vendors != "" {
		var files OrgFiles
		var names []string
		for _, x := range []struct {
			name string
			dst  **File
		}{{ds.Departments, &files.Departments}, {ds.Projects, &files.Projects}, {ds.Vendors, &files.Vendors}} {
			if x.name == "" {
				continue
			}
			f, done, err := open(x.name)
			if err != nil {
				return out, err
			}
			defer done()
			*x.dst = &f
			names = append(names, x.name)
		}
		rep, err := ImportOrg(ctx, st, files, now())
		if err != nil {
			return out, err
		}
		out.Files = append(out.Files, FileReport{Kind: "org", File: fmt.Sprint(names), Report: rep})
	}
	for _, o := range ds.Orders {
		if err := step("orders", o, func(f File) (Report, error) { return ImportEvents(ctx, st, f, now()) }); err != nil {
			return out, err
		}
	}
	if err := step("acceptance", ds.Acceptance, func(f File) (Report, error) { return ImportAcceptance(ctx, st, f, now()) }); err != nil {
		return out, err
	}
	return out, nil
}
