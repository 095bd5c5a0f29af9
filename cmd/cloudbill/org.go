package main

import (
	"context"
	"strings"

	"cloudbill/catalog"
)

func init() {
	register("org", "import departments, projects and vendors", cmdOrg)
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

func cmdOrg(ctx context.Context, a *app, args []string) error {
	if len(args) == 0 || args[0] != "import" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			a.flags("org", "import --departments F --projects F --vendors F", orgExplain).Usage()
			return errHelpShown
		}
		return usagef("org: want `org import --departments F --projects F --vendors F`")
	}
	fs := a.flags("org import", "[--departments F] [--projects F] [--vendors F]", orgExplain)
	deps := fs.String("departments", "", "departments `file` (CSV)")
	projs := fs.String("projects", "", "projects `file` (CSV)")
	vends := fs.String("vendors", "", "vendors `file` (CSV)")
	a.addEncodingFlag(fs)
	rest, err := parseArgs(fs, args[1:])
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("org import: unexpected argument %q (files are given with --departments, --projects, --vendors)", rest[0])
	}
	if *deps == "" && *projs == "" && *vends == "" {
		return usagef("org import: give at least one of --departments, --projects, --vendors")
	}
	var files catalog.OrgFiles
	var names []string
	for _, x := range []struct {
		path string
		dst  **catalog.File
	}{{*deps, &files.Departments}, {*projs, &files.Projects}, {*vends, &files.Vendors}} {
		if x.path == "" {
			continue
		}
		f, closeFile, err := a.openInput(x.path)
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
