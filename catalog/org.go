package catalog

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"cloudbill/internal/coded"
	"cloudbill/internal/csvin"
)

// DepartmentColumns, ProjectColumns and VendorColumns are the columns of the organisation
// files (docs/formats.md); each call returns a fresh Spec.
func DepartmentColumns() csvin.Spec {
	return csvin.Spec{Required: []string{"id", "name"}, Optional: []string{"parent_id"}}
}

func ProjectColumns() csvin.Spec {
	return csvin.Spec{Required: []string{"id", "name", "department_id", "year", "category", "approved"}}
}

func VendorColumns() csvin.Spec {
	return csvin.Spec{Required: []string{"id", "name"}}
}

// OrgReader reads the stored organisation.
type OrgReader interface {
	Org(ctx context.Context) (Org, error)
}

// OrgStore stores organisation entries.
type OrgStore interface {
	OrgReader
	// InsertOrg stores the entries of one org import (each a new value for its key:
	// department id, project id and year, vendor id) and records imp.
	InsertOrg(ctx context.Context, imp Import, ch OrgChanges) error
}

// OrgChanges are the new or changed entries of an org import.
type OrgChanges struct {
	Departments []Department
	Projects    []Project
	Vendors     []Vendor
}

func (c OrgChanges) len() int { return len(c.Departments) + len(c.Projects) + len(c.Vendors) }

// OrgFiles are the files of one org import; any of them may be nil.
type OrgFiles struct {
	Departments, Projects, Vendors *File
}

// ImportOrg validates departments, projects and vendors together with what is stored
// (the files add entries or change them: an id already stored takes the file's name,
// parent, …) and stores the entries that are new or changed. Rules: ids unique in a
// file; names non-empty; a department's parent exists (in the file or stored) and the
// parents form no cycle; a project's department exists, its year is 2000–2100, its
// category om, new or renovation, approved true or false, and (id, year) is unique.
// The files are accepted together or refused together: with any error, nothing is stored
// and every error of every file is returned as csvin.Errors.
func ImportOrg(ctx context.Context, st OrgStore, files OrgFiles, now time.Time) (Report, error) {
	old, err := st.Org(ctx)
	if err != nil {
		return Report{}, err
	}
	merged := Org{Departments: map[DepartmentID]Department{}, Projects: map[ProjectKey]Project{}, Vendors: map[VendorID]Vendor{}}
	for k, v := range old.Departments {
		merged.Departments[k] = v
	}
	for k, v := range old.Projects {
		merged.Projects[k] = v
	}
	for k, v := range old.Vendors {
		merged.Vendors[k] = v
	}
	var (
		errs  csvin.Errors
		ch    OrgChanges
		rep   Report
		names []string
		sums  []string
	)
	// departments first: projects refer to them
	var deptRR *rowReader
	var fileDepts []Department
	if f := files.Departments; f != nil {
		deptRR = &rowReader{key: keyOf("department", "id")}
		seen := map[DepartmentID]Source{}
		deptRR.read(*f, DepartmentColumns(), func(row csvin.Row) {
			id, ok := deptRR.id(row, "id")
			name, okName := deptRR.required(row, "name")
			d := Department{ID: DepartmentID(id), Name: name, Parent: DepartmentID(row.Get("parent_id")), Source: deptRR.source(row)}
			if ok {
				if prev, dup := seen[d.ID]; dup {
					deptRR.coded(row, "id", csvin.CodeDeptTwice, append([]string{"department", id}, deptRR.at(prev)...)...)
					ok = false
				}
				seen[d.ID] = d.Source
			}
			if ok && okName {
				fileDepts = append(fileDepts, d)
				merged.Departments[d.ID] = d
			}
		})
		rep.Read += deptRR.rows
		names, sums = append(names, f.Name), append(sums, deptRR.digest())
		// ids that differ only in letter case: one statement file on a case-insensitive
		// file system (Windows, macOS shares), so one department's bill would be lost
		folded := map[string][]DepartmentID{}
		for id := range merged.Departments {
			k := strings.ToLower(string(id))
			folded[k] = append(folded[k], id)
		}
		for _, d := range fileDepts {
			var other DepartmentID
			for _, o := range folded[strings.ToLower(string(d.ID))] {
				if o != d.ID && (other == "" || o < other) {
					other = o
				}
			}
			if other != "" {
				deptRR.errs = append(deptRR.errs, csvin.Coded(deptRR.file, d.Source.Line, "id", csvin.CodeDeptCase, "department", string(d.ID), "other", string(other)).SetKey("department", string(d.ID)))
			}
		}
		// parents and cycles, over the merged set
		for _, d := range fileDepts {
			if d.Parent == "" {
				continue
			}
			if _, ok := merged.Departments[d.Parent]; !ok {
				deptRR.errs = append(deptRR.errs, csvin.Coded(deptRR.file, d.Source.Line, "parent_id", csvin.CodeDeptParent, "parent", string(d.Parent), "department", string(d.ID), "name", d.Name).SetKey("department", string(d.ID)))
				continue
			}
			if cycle := parentCycle(merged.Departments, d.ID); cycle != nil {
				deptRR.errs = append(deptRR.errs, csvin.Coded(deptRR.file, d.Source.Line, "parent_id", csvin.CodeDeptCycle, "department", string(d.ID), "name", d.Name, "cycle", strings.Join(cycle, " → ")).SetKey("department", string(d.ID)))
			}
		}
		errs = append(errs, deptRR.errs...)
	}
	if f := files.Projects; f != nil {
		rr := &rowReader{key: func(row csvin.Row) []string {
			if id := row.Get("id"); id != "" {
				return []string{"project", id, "year", row.Get("year")}
			}
			return nil
		}}
		seen := map[ProjectKey]Source{}
		rr.read(*f, ProjectColumns(), func(row csvin.Row) {
			id, ok := rr.id(row, "id")
			p := Project{ID: ProjectID(id), Source: rr.source(row)}
			p.Name, _ = rr.required(row, "name")
			if dep, okDep := rr.id(row, "department_id"); okDep {
				if _, exists := merged.Departments[DepartmentID(dep)]; !exists {
					rr.coded(row, "department_id", csvin.CodeUnknownDept, "department", dep)
					ok = false
				}
				p.Department = DepartmentID(dep)
			} else {
				ok = false
			}
			if y, okY := rr.required(row, "year"); okY {
				n, err := strconv.Atoi(y)
				if err != nil || n < 2000 || n > 2100 {
					rr.coded(row, "year", csvin.CodeProjectYear, "value", y)
					ok = false
				}
				p.Year = n
			} else {
				ok = false
			}
			if c, okC := rr.required(row, "category"); okC {
				if rr.oneOf(row, "category", c, string(CategoryOM), string(CategoryNew), string(CategoryRenovation)) {
					p.Category = ProjectCategory(c)
				} else {
					ok = false
				}
			}
			if a, okA := rr.required(row, "approved"); okA {
				switch strings.ToLower(a) {
				case "true":
					p.Approved = true
				case "false":
				default:
					rr.coded(row, "approved", csvin.CodeApproved, "value", a)
					ok = false
				}
			}
			if !ok || p.Name == "" {
				return
			}
			key := ProjectKey{p.ID, p.Year}
			if prev, dup := seen[key]; dup {
				rr.coded(row, "id", csvin.CodeProjectTwice, append([]string{"project", string(p.ID), "year", strconv.Itoa(p.Year)}, rr.at(prev)...)...)
				return
			}
			seen[key] = p.Source
			if o, ok := old.Projects[key]; ok && sameProject(o, p) {
				rep.Present++
			} else {
				if ok {
					rep.Replaced++
				}
				ch.Projects = append(ch.Projects, p)
			}
			merged.Projects[key] = p
		})
		rep.Read += rr.rows
		names, sums = append(names, f.Name), append(sums, rr.digest())
		errs = append(errs, rr.errs...)
	}
	if f := files.Vendors; f != nil {
		rr := &rowReader{key: keyOf("vendor", "id")}
		seen := map[VendorID]Source{}
		rr.read(*f, VendorColumns(), func(row csvin.Row) {
			id, ok := rr.id(row, "id")
			name, okName := rr.required(row, "name")
			if !ok || !okName {
				return
			}
			v := Vendor{ID: VendorID(id), Name: name, Source: rr.source(row)}
			if prev, dup := seen[v.ID]; dup {
				rr.coded(row, "id", csvin.CodeVendorTwice, append([]string{"vendor", id}, rr.at(prev)...)...)
				return
			}
			seen[v.ID] = v.Source
			if other, ok := caseTwin(v.ID, old.Vendors, seen); ok {
				rr.coded(row, "id", csvin.CodeVendorCase, "vendor", string(v.ID), "other", string(other))
				return
			}
			if o, ok := old.Vendors[v.ID]; ok && o.Name == v.Name {
				rep.Present++
			} else {
				if ok {
					rep.Replaced++
				}
				ch.Vendors = append(ch.Vendors, v)
			}
		})
		rep.Read += rr.rows
		names, sums = append(names, f.Name), append(sums, rr.digest())
		errs = append(errs, rr.errs...)
	}
	if len(names) == 0 {
		return Report{}, fmt.Errorf("org import: no file given")
	}
	if len(errs) > 0 {
		return Report{}, errs
	}
	for _, d := range fileDepts {
		if o, ok := old.Departments[d.ID]; ok && o.Name == d.Name && o.Parent == d.Parent {
			rep.Present++
			continue
		} else if ok {
			rep.Replaced++
		}
		ch.Departments = append(ch.Departments, d)
	}
	if ch.len() == 0 {
		return rep, nil
	}
	imp := newImport("org", strings.Join(names, ","), strings.Join(sums, ","), now)
	imp.Rows = ch.len()
	imp.Note = coded.Text(NoteOrg, "departments", strconv.Itoa(len(ch.Departments)), "projects", strconv.Itoa(len(ch.Projects)), "vendors", strconv.Itoa(len(ch.Vendors)))
	for i := range ch.Departments {
		setImport(&ch.Departments[i].Source, imp.ID)
	}
	for i := range ch.Projects {
		setImport(&ch.Projects[i].Source, imp.ID)
	}
	for i := range ch.Vendors {
		setImport(&ch.Vendors[i].Source, imp.ID)
	}
	if err := st.InsertOrg(ctx, imp, ch); err != nil {
		return Report{}, fmt.Errorf("store org: %w", err)
	}
	rep.Import = imp
	rep.Accepted = ch.len()
	return rep, nil
}

func sameProject(a, b Project) bool {
	return a.ID == b.ID && a.Name == b.Name && a.Department == b.Department && a.Year == b.Year &&
		a.Category == b.Category && a.Approved == b.Approved
}

// parentCycle returns the chain id → parent → … → id when following parents from id
// comes back to id, nil otherwise (a cycle further up that does not include id is
// reported at its own members).
func parentCycle(deps map[DepartmentID]Department, id DepartmentID) []string {
	chain := []string{string(id)}
	seen := map[DepartmentID]bool{id: true}
	cur := deps[id].Parent
	for cur != "" {
		chain = append(chain, string(cur))
		if cur == id {
			return chain
		}
		if seen[cur] {
			return nil
		}
		seen[cur] = true
		d, ok := deps[cur]
		if !ok {
			return nil
		}
		cur = d.Parent
	}
	return nil
}

// ParentOf is the department through which d applies (its 主管部门), "" for a top-level one.
func (o Org) ParentOf(d DepartmentID) DepartmentID { return o.Departments[d].Parent }

// ProjectFor is the entry of project id on year's list, or else the entry of the latest
// earlier year, or else of the earliest later year; ok is false when id is on no list.
func (o Org) ProjectFor(id ProjectID, year int) (p Project, ok bool) {
	var entries []Project
	for k, v := range o.Projects {
		if k.ID == id {
			entries = append(entries, v)
		}
	}
	return nearestYear(entries, year)
}

func nearestYear(entries []Project, year int) (Project, bool) {
	best, found := Project{}, false
	better := func(a, b int) bool { // is year a a better match than b?
		switch {
		case a == year:
			return true
		case b == year:
			return false
		case a < year && b < year:
			return a > b
		case a < year:
			return true
		case b < year:
			return false
		}
		return a < b
	}
	for _, p := range entries {
		if !found || better(p.Year, best.Year) {
			best, found = p, true
		}
	}
	return best, found
}

// caseTwin returns a vendor id, stored or seen earlier in the file, that equals id but
// for letter case.
func caseTwin(id VendorID, stored map[VendorID]Vendor, seen map[VendorID]Source) (VendorID, bool) {
	for o := range stored {
		if o != id && strings.EqualFold(string(o), string(id)) {
			return o, true
		}
	}
	for o := range seen {
		if o != id && strings.EqualFold(string(o), string(id)) {
			return o, true
		}
	}
	return "", false
}
