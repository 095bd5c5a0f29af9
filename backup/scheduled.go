package backup

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"cloudbill/schedule/jobrun"
)

// ScheduledParams are the arguments of Scheduled: a backup's (Dir is not used: each
// scheduled backup goes to a new directory under Root) and the retention's.
type ScheduledParams struct {
	Params
	// Root holds the scheduled backups, ROOT/cloudbill-YYYYMMDD-HHMMSS (Name); created.
	Root string
	// Keep is the number of complete backups kept (Prune); at least one.
	Keep int
}

// Scheduled is the scheduled backup job: one backup (Take) into a new directory under
// p.Root named by the time it starts (p.Now), then the retention (Prune). It returns the
// detail its run is recorded with (data, jobrun.DetailBackup): the directory, tables,
// rows, bytes, the time it took and the number of old backups removed.
func Scheduled(ctx context.Context, p ScheduledParams) (detail string, err error) {
	if p.Now == nil {
		p.Now = time.Now
	}
	if err := os.MkdirAll(p.Root, 0o750); err != nil {
		return "", err
	}
	p.Dir = filepath.Join(p.Root, Name(p.Now()))
	began := time.Now()
	m, err := Take(ctx, p.Params)
	if err != nil {
		return "", fmt.Errorf("backup: %w", err)
	}
	took := time.Since(began)
	removed, err := Prune(p.Root, p.Keep)
	if err != nil {
		return "", fmt.Errorf("retention: %w", err)
	}
	var rows, bytes int64
	for _, t := range m.Tables {
		rows, bytes = rows+t.Rows, bytes+t.Bytes
	}
	return jobrun.Detail(jobrun.DetailBackup, "dir", p.Dir, "tables", strconv.Itoa(len(m.Tables)), "rows", strconv.FormatInt(rows, 10),
		"bytes", strconv.FormatInt(bytes, 10), "took", took.Round(time.Millisecond).String(), "removed", strconv.Itoa(len(removed))), nil
}
