package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// logSettings are serve's log: format and file (docs/install.md).
type logSettings struct {
	format string // text or json
	file   string // "" standard error
}

func logFlags(fs *flagSet, set *logSettings) {
	set.format = "text"
	fs.Func("log-format", "`format` of serve's log: text (key=value lines, log/slog) or json (one JSON object a line) (default text)", func(v string) error {
		if v != "text" && v != "json" {
			return fmt.Errorf("want text or json")
		}
		set.format = v
		return nil
	})
	fs.StringVar(&set.file, "log-file", "", "`file` serve logs to (appended; SIGHUP reopens it, for logrotate); default standard error")
}

// logFile is a log file that SIGHUP reopens (after logrotate moved it away).
type logFile struct {
	path string
	mu   sync.Mutex
	f    *os.File
}

func openLogFile(path string) (*logFile, error) {
	l := &logFile{path: path}
	if err := l.reopen(); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *logFile) reopen() error {
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("--log-file: %w", err)
	}
	l.mu.Lock()
	old := l.f
	l.f = f
	l.mu.Unlock()
	if old != nil {
		_ = old.Close()
	}
	return nil
}

func (l *logFile) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Write(p)
}

func (l *logFile) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Close()
}

// newServeLog makes serve's one log: slog text (key=value) or JSON lines, on w.
func newServeLog(w io.Writer, format string) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// watchHUP reopens lf on every SIGHUP (and only logs it without a log file: a reload
// never stops serve); stop ends the watch.
func watchHUP(lf *logFile, log *slog.Logger) (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-ch:
				if lf == nil {
					log.Info("SIGHUP: no --log-file to reopen", "component", "serve")
					continue
				}
				if err := lf.reopen(); err != nil {
					log.Error("SIGHUP: "+err.Error(), "component", "serve")
					continue
				}
				log.Info("SIGHUP: log file reopened", "component", "serve", "file", lf.path)
			}
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}
