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

// Close closes the store, stops the server and removes the directory.
func (sc *scratch) Close() {
	if sc.Store != nil {
		_ = sc.Store.Close()
	}
	if sc.Server != nil {
		_ = sc.Server.Stop()
	}
	_ = os.RemoveAll(sc.Dir)
}
