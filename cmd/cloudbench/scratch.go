package main

import (
	"context"
	"os"
	"path/filepath"

	"cloudbill/internal/chserver"
	chstore "cloudbill/sql"
)

// scratch is a benchmark's temporary directory with an embedded ClickHouse server of its
// own (killed with the process) and the database "bench" opened on it.
type scratch struct {
	Dir    string
	Server *chserver.Server
	Store  *chstore.Store
	keep   bool // Close leaves the directory (keptScratch)
}

// newScratch makes the directory (named after the benchmark) and starts the server.
func newScratch(ctx context.Context, name string) (*scratch, error) {
	dir, err := os.MkdirTemp("", "cloudbench-"+name+"-")
	if err != nil {
		return nil, err
	}
	sc := &scratch{Dir: dir}
	if sc.Server, err = chserver.Start(ctx, chserver.Config{Dir: filepath.Join(dir, "clickhouse"), KillWithParent: true}); err != nil {
		sc.Close()
		return nil, err
	}
	if sc.Store, err = chstore.Open(ctx, chstore.Config{Addr: sc.Server.Addr, Database: "bench", User: sc.Server.User, Password: sc.Server.Password}); err != nil {
		sc.Close()
		return nil, err
	}
	return sc, nil
}

// keptScratch is a scratch in dir (made if missing) that Close leaves in place, so that a
// later run reuses what a benchmark set up there; its server restarts on the kept data.
func keptScratch(ctx context.Context, dir string) (*scratch, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	sc := &scratch{Dir: dir, keep: true}
	if sc.Server, err = chserver.Start(ctx, chserver.Config{Dir: filepath.Join(dir, "clickhouse"), KillWithParent: true}); err != nil {
		return nil, err
	}
	if sc.Store, err = chstore.Open(ctx, chstore.Config{Addr: sc.Server.Addr, Database: "bench", User: sc.Server.User, Password: sc.Server.Password}); err != nil {
		sc.Close()
		return nil, err
	}
	return sc, nil
}

// Close closes the store, stops the server and removes the directory.
func (sc *scratch) Close() {
	if sc.Store != nil {
		_ = sc.Store.Close()
	}
	if sc.Server != nil {
		_ = sc.Server.Stop()
	}
	if !sc.keep {
		_ = os.RemoveAll(sc.Dir)
	}
}
