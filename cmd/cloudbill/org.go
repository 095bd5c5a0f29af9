package main

import (
	"context"
	"strings"

	"cloudbill/catalog"
	"cloudbill/internal/csvin"
)

func orgCommand() *command {
	return &command{
		Name:  "org",
		Usage: "import --departments F --projects F --vendors F",
		Short: "import departments, projects and vendors",
		Long:  orgExplain,
		Subs: []*command{{
			Name:  "import",
			Usage: "[--departments F] [--projects F] [--vendors F]",
			Short: "import any of the three files, checked together",
			Long:  orgExplain,
			Flags: func(fs *flagSet) runFunc {
				deps := fs.String("departments", "", "departments `file` (CSV)")
				projs := fs.String("projects", "", "projects `file` (CSV)")
				vends := fs.String("vendors", "", "vendors `file` (CSV)")
				enc := fs.Encoding()
				return func(ctx context.Context, a *app, _ []string) error {
					return orgImport(ctx, a, *deps, *projs, *vends, *enc)
				}
			},
		}},
	}
}

const orgExplain = `
Imports the organisation: departments (id, name, parent_id: the 主管部门 through which a
subordinate unit applies), the annual project list (id, name, department_id, year,
category om|new|renovation, approved true|false) and vendors (id, name). Give any subset of
the three files. Entries add to what is stored; an id already stored takes the file's
values. The files are checked together (parents exist and form no cycle, projects name
existing departments, …) and accepted together or refused together: a refused import
lists every error of every file, stores nothing, and exits with status 2. Importing the
same files again changes nothing.`

func orgImport(ctx context.Context, a *app, deps, projs, vends string, enc csvin.Encoding) error {
	if deps == "" && projs == "" && vends == "" {
		return usagef("org import: give at least one of --departments, --projects, --vendors")
	}
	var files catalog.OrgFiles
	var names []string
	for _, x := range []struct {
		path string
		dst  **catalog.File
	}{{deps, &files.Departments}, {projs, &files.Projects}, {vends, &files.Vendors}} {
		if x.path == "" {
			continue
		}
		f, closeFile, err := openInput(x.path, enc)
		if err != nil {
			return err
		}
		defer closeFile()
		*x.dst = &f
		names = append(names, x.path)
	}
	s, err := a.Store(ctx)
	if err != nil {
		return err
	}
	rep, err := catalog.ImportOrg(ctx, s, files, a.now())
	if err != nil {
		return a.refused(strings.Join(names, ", "), err)
	}
	a.printReport(strings.Join(names, ", "), rep, "entries")
	return nil
}
