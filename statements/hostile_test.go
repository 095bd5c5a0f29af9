package statements_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
)

// renameDepartment gives department from the id to everywhere in the hand month: ids
// stored before imports enforced the safe alphabet.
func renameDepartment(s *fakeSource, from, to catalog.DepartmentID) {
	d := s.org.Departments[from]
	delete(s.org.Departments, from)
	d.ID = to
	s.org.Departments[to] = d
	for id, x := range s.org.Departments {
		if x.Parent == from {
			x.Parent = to
			s.org.Departments[id] = x
		}
	}
	for k, p := range s.org.Projects {
		if p.Department == from {
			p.Department = to
			s.org.Projects[k] = p
		}
	}
	for p, ls := range s.lines {
		for i := range ls {
			if ls[i].Department == from {
				ls[i].Department = to
			}
		}
		s.lines[p] = ls
	}
}

// Hostile-input probe, finding 3: departments Q/1 and Q_1 both became Q_1.csv (22 statements
// reported, 20 on disk, exit 0). The mapping of ids to file names is injective, and the
// files on disk are as many as reported; finding 2: no id leads outside the folder.
func TestStatementFilesOfHostileIDs(t *testing.T) {
	src := handMonth()
	renameDepartment(src, "D01", "Q/1")
	renameDepartment(src, "D0201", "Q_1")
	src.org.Vendors["x/../../escaped"] = catalog.Vendor{ID: "x/../../escaped", Name: "越界"}
	out := filepath.Join(t.TempDir(), "out")
	sm := issue(t, src, out)
	var files []string
	require.NoError(t, filepath.WalkDir(filepath.Dir(out), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(sm.Dir, p)
			files = append(files, rel)
		}
		return err
	}))
	sort.Strings(files)
	assert.Equal(t, sm.Files, len(files), "files reported == files on disk")
	assert.Contains(t, files, "departments/Q%2F1.csv")
	assert.Contains(t, files, "departments/Q_1.csv")
	for _, f := range files {
		assert.NotContains(t, f, "..", "every file is inside the month's folder")
	}
	b, err := os.ReadFile(filepath.Join(sm.Dir, "departments", "Q%2F1.csv"))
	require.NoError(t, err)
	assert.Contains(t, string(b), ",Q/1,")
}
