package statements_test

import (
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestKilledIssueLeftoversCleaned: writers of statements killed midway left their hidden
// folders behind; the next issue removes those whose writer is gone, and leaves those of
// writers still running.
func TestKilledIssueLeftoversCleaned(t *testing.T) {
	out := t.TempDir()
	mk := func(name string, lock bool, age time.Duration) {
		dir := filepath.Join(out, name)
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "departments"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "departments", "D01.pdf"), make([]byte, 1<<20), 0o644))
		if lock {
			require.NoError(t, os.WriteFile(dir+".lock", nil, 0o644))
		}
		if age > 0 {
			old := time.Now().Add(-age)
			require.NoError(t, os.Chtimes(dir, old, old))
		}
	}
	mk(".2026-11.writing-dead", true, 0)          // its writer was killed: lock file free
	mk(".2026-10.writing-1234", false, time.Hour) // an older cloudbill's, long abandoned
	mk(".2026-09.writing-5678", false, 0)         // no lock file, but too recent to judge
	mk(".2026-12.writing-live", true, 0)          // its writer runs: lock held
	live, err := os.OpenFile(filepath.Join(out, ".2026-12.writing-live.lock"), os.O_RDWR, 0)
	require.NoError(t, err)
	defer live.Close()
	require.NoError(t, syscall.Flock(int(live.Fd()), syscall.LOCK_EX))
	require.NoError(t, os.WriteFile(filepath.Join(out, ".2026-08.writing-gone.lock"), nil, 0o644)) // its folder is gone

	issue(t, handMonth(), out)

	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	assert.Equal(t, []string{".2026-09.writing-5678", ".2026-12.writing-live", ".2026-12.writing-live.lock", "2026-11"}, names)
}
