package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"cloudbill/backup"
)

const backupExplain = `
Writes a copy of the database to DIR (created; it must not exist or be empty): every table
as DIR/tables/<table>.native.zst (ClickHouse's Native format, zstd-compressed), the spool
of acknowledged samples not yet in ClickHouse (DIR/spool/, from --data-dir/spool), and
DIR/manifest.json, written last:
the schema migrations, and per table its columns, rows, file size, SHA-256 and a content
hash that does not depend on row order.

--samples all (default) | none | YYYY-MM | YYYY-MM..YYYY-MM takes all usage samples, none,
or those of the months given (Asia/Shanghai); every other table is always whole.

It may run while serve ingests: every sample acknowledged before it starts is in the
backup (in a table or in the copied spool); what arrives during it is in the next one.
docs/backup.md says how, and how to restore. Exit status 0 done, 1 failed, 2 bad usage.`

const restoreExplain = `
Loads the backup in DIR into the database (the embedded one of --data-dir, or --clickhouse),
which must be empty: no row in any table (else exit 2). It checks every file against the
manifest first (a mismatch: exit 2, nothing loaded), then loads each table and reads it
back: its rows and content hash must be the manifest's. Spooled batches of the backup go to
--data-dir/spool, which serve replays when it starts. A format 1 backup (JSON lines, from
cloudbill before December 2026) is refused (exit 2): restore it with the binary that took it.

After a restore, 'cloudbill status' shows what it showed where the backup was taken, and
re-issuing a closed month ('cloudbill statements --period M --out DIR') writes the same
bytes. docs/backup.md.`

func backupCommand() *command {
	return &command{
		Name:  "backup",
		Usage: "--out DIR [--samples all|none|YYYY-MM[..YYYY-MM]]",
		Short: "copy the database, the spool and a manifest to a directory",
		Long:  backupExplain,
		Flags: func(fs *flagSet) runFunc {
			out := fs.String("out", "", "backup `directory` (created; must not exist or be empty)")
			samples := fs.String("samples", "all", "which usage samples: all, none, YYYY-MM or YYYY-MM..YYYY-MM")
			fs.Require("out")
			return func(ctx context.Context, a *app, _ []string) error {
				sm, err := backup.ParseSamples(*samples)
				if err != nil {
					return usagef("backup: --samples: %v", err)
				}
				m, took, err := takeBackup(ctx, a, *out, sm)
				if err != nil {
					return err
				}
				printBackup(a, "backup", *out, m, took)
				return nil
			}
		},
	}
}

func restoreCommand() *command {
	return &command{
		Name:  "restore",
		Usage: "DIR",
		Short: "load a backup into an empty database and check it against its manifest",
		Long:  restoreExplain,
		Args:  "DIR",
		Flags: func(fs *flagSet) runFunc {
			return func(ctx context.Context, a *app, args []string) error {
				store, err := a.Store(ctx)
				if err != nil {
					return err
				}
				began := time.Now()
				m, err := backup.Restore(ctx, backup.RestoreParams{Store: store, Dir: args[0], SpoolDir: filepath.Join(a.dataDir, "spool"),
					Logf: func(f string, args ...any) { fmt.Fprintf(a.stderr, "restore: "+f+"\n", args...) }})
				switch {
				case errors.Is(err, backup.ErrNotEmpty), errors.Is(err, backup.ErrCorrupt), errors.Is(err, backup.ErrFormat):
					return &exitError{code: exitBadInput, err: fmt.Errorf("restore: %w", err)}
				case err != nil:
					return fmt.Errorf("restore: %w", err)
				}
				printBackup(a, "restored", args[0], m, time.Since(began))
				return nil
			}
		},
	}
}

// takeBackup writes a backup of a's database to dir: the plain function that both the
// backup command and serve's schedule call.
func takeBackup(ctx context.Context, a *app, dir string, sm backup.Samples) (*backup.Manifest, time.Duration, error) {
	store, err := a.Store(ctx)
	if err != nil {
		return nil, 0, err
	}
	began := time.Now()
	m, err := backup.Take(ctx, backup.Params{Store: store, Database: store.Database(), Dir: dir,
		SpoolDir: filepath.Join(a.dataDir, "spool"), Samples: sm, Now: a.now})
	if err != nil {
		return nil, 0, fmt.Errorf("backup: %w", err)
	}
	return m, time.Since(began), nil
}

func printBackup(a *app, verb, dir string, m *backup.Manifest, took time.Duration) {
	var rows, bytes int64
	for _, t := range m.Tables {
		rows += t.Rows
		bytes += t.Bytes
	}
	for _, f := range m.Spool {
		bytes += f.Bytes
	}
	fmt.Fprintf(a.stdout, "%s %s: %d tables, %d rows, %d spooled batches, %d bytes (samples: %s) in %s\n",
		verb, dir, len(m.Tables), rows, len(m.Spool), bytes, m.Samples, took.Round(time.Millisecond))
}
