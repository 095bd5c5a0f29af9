package backup

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Prefix starts the name of every scheduled backup directory: cloudbill-YYYYMMDD-HHMMSS.
const Prefix = "cloudbill-"

// Name is the directory name of a scheduled backup taken at t (UTC).
func Name(t time.Time) string { return Prefix + t.UTC().Format("20060102-150405") }

// Prune keeps the keep newest complete backups (with a manifest) under root and removes
// the older ones, and any incomplete one older than the newest complete one (a backup
// that was cut off). It returns the directories removed.
func Prune(root string, keep int) ([]string, error) {
	if keep < 1 {
		return nil, fmt.Errorf("keep %d: keep at least one backup", keep)
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	var complete, incomplete []string
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), Prefix) {
			continue
		}
		if _, err := os.Stat(filepath.Join(root, e.Name(), ManifestFile)); err == nil {
			complete = append(complete, e.Name())
		} else {
			incomplete = append(incomplete, e.Name())
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(complete))) // newest first: names sort by time
	var drop []string
	if len(complete) > keep {
		drop = append(drop, complete[keep:]...)
	}
	if len(complete) > 0 {
		for _, n := range incomplete {
			if n < complete[0] {
				drop = append(drop, n)
			}
		}
	}
	var removed []string
	for _, n := range drop {
		if err := os.RemoveAll(filepath.Join(root, n)); err != nil {
			return removed, err
		}
		removed = append(removed, filepath.Join(root, n))
	}
	return removed, nil
}
