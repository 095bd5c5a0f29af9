// Command cloudbill is the billing and metering batch system of the district government
// cloud: one binary with the CLI subcommands and `serve`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"cloudbill/internal/chserver"
	"cloudbill/internal/csvin"
	"cloudbill/sql"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first SIGTERM/SIGINT asks the command to stop cleanly (and leave the
		// embedded server to its other users); a second one kills at once.
		<-ctx.Done()
		stop()
	}()
	// A reader that went away (`cloudbill … | head -1`) makes writes fail with EPIPE
	// instead of killing the process mid-command: it finishes its work and leaves cleanly.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, errQuiet) {
			fmt.Fprintln(os.Stderr, "cloudbill:", err)
		}
		os.Exit(exitCode(err))
	}
}

// Exit statuses (FORMATS.md): 0 done, 1 failed, 2 bad usage or bad input; reconcile
// adds 3 for differences found.
const (
	exitFailed   = 1
	exitBadInput = 2
)

var (
	// errUsage marks a command line that cannot be run.
	errUsage = errors.New("bad usage")
	// errQuiet marks an error already reported to the user.
	errQuiet = errors.New("reported")
)

// exitError carries a specific exit status.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func exitCode(err error) int {
	var ee *exitError
	var ce *csvin.Error
	var ces csvin.Errors
	switch {
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, errUsage), errors.Is(err, flag.ErrHelp), errors.As(err, &ce), errors.As(err, &ces):
		return exitBadInput
	}
	return exitFailed
}

func usagef(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, a *app, args []string) error
}

var commands = map[string]command{}

// register adds a subcommand; each lives in a file of its own.
func register(name, summary string, run func(ctx context.Context, a *app, args []string) error) {
	commands[name] = command{summary: summary, run: run}
}

// app is what every subcommand gets: global configuration, output streams, and the
// store, opened on first use.
type app struct {
	dsn     string
	dataDir string
	stdout  io.Writer
	stderr  io.Writer
	now     func() time.Time
	// encoding of input files, set by a command's --encoding flag (default: auto)
	encoding csvin.Encoding

	store  *chstore.Store
	server *chserver.Server
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	a := &app{stdout: stdout, stderr: stderr, now: time.Now}
	fs := flag.NewFlagSet("cloudbill", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&a.dsn, "clickhouse", os.Getenv("CLOUDBILL_CLICKHOUSE"),
		"ClickHouse `DSN` clickhouse://host:9000/db (default $CLOUDBILL_CLICKHOUSE; with neither, an embedded server in --data-dir)")
	fs.StringVar(&a.dataDir, "data-dir", "./var", "`directory` for the embedded ClickHouse, the spool and state")
	fs.Usage = func() { printUsage(stderr, fs) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if fs.NArg() == 0 {
		printUsage(stderr, fs)
		return usagef("no command given")
	}
	name := fs.Arg(0)
	if name == "help" {
		printUsage(stdout, fs)
		return nil
	}
	cmd, ok := commands[name]
	if !ok {
		return usagef("unknown command %q (see cloudbill --help)", name)
	}
	defer a.close()
	if err := cmd.run(ctx, a, fs.Args()[1:]); err != nil && !errors.Is(err, errHelpShown) {
		return err
	}
	return nil
}

func printUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintln(w, "cloudbill: billing and metering of the district government cloud")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "usage: cloudbill [--clickhouse DSN] [--data-dir DIR] <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-11s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "global flags:")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fmt.Fprintln(w)
	fmt.Fprintln(w, "`cloudbill <command> --help` explains a command. Exit status: 0 done, 1 failed, 2 bad usage or bad input.")
}

// flags makes a subcommand's flag set with a --help that explains it.
func (a *app) flags(name, usage, explain string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	fs.Usage = func() {
		fmt.Fprintf(a.stderr, "usage: cloudbill %s %s\n\n%s\n", name, usage, strings.TrimSpace(explain))
		var n int
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(a.stderr, "\nflags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parse parses a subcommand's flags; --help is not an error.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelpShown
		}
		return errUsage
	}
	return nil
}

// errHelpShown ends a command after --help; run maps it to success.
var errHelpShown = errors.New("help shown")

// Store opens the database on first use: the server named by --clickhouse, or the
// embedded one in --data-dir (started if not already running there).
func (a *app) Store(ctx context.Context) (*chstore.Store, error) {
	if a.store != nil {
		return a.store, nil
	}
	var cfg chstore.Config
	if a.dsn != "" {
		var err error
		if cfg, err = chstore.ParseDSN(a.dsn); err != nil {
			return nil, usagef("%v", err)
		}
	} else {
		srv, err := chserver.Start(ctx, chserver.Config{Dir: filepath.Join(a.dataDir, "clickhouse")})
		if err != nil {
			return nil, err
		}
		a.server = srv
		cfg = chstore.Config{Addr: srv.Addr, Database: "cloudbill", User: srv.User, Password: srv.Password}
	}
	s, err := chstore.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	a.store = s
	return s, nil
}

func (a *app) close() {
	if a.store != nil {
		_ = a.store.Close()
	}
	if a.server != nil {
		_ = a.server.Stop()
	}
}
