// Command cloudbill is the billing and metering batch system of the district government
// cloud: one binary with the CLI subcommands and `serve`.
//
// Every command is a value (see command) in the one list that commands returns; a new
// command is a file of its own with a function returning its *command, and one line in
// that list.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	usecase "cloudbill/app"
	"cloudbill/glossary"
	"cloudbill/internal/chserver"
	"cloudbill/internal/csvin"
	"cloudbill/sql"
)

// commands is the CLI, in the order `cloudbill --help` lists it.
func commands() []*command {
	return []*command{
		serveCommand(),
		ingestCommand(),
		catalogCommand(),
		orgCommand(),
		ordersCommand(),
		acceptanceCommand(),
		genCommand(),
		rateCommand(),
		closeCommand(),
		statementsCommand(),
		breakdownCommand(),
		reconcileCommand(),
		rulesCommand(),
		exportCommand(),
		idleCommand(),
		budgetsCommand(),
		paymentsCommand(),
		estimateCommand(),
		declareCommand(),
		statusCommand(),
		collectCommand(),
		usersCommand(),
		tokensCommand(),
		backupCommand(),
		restoreCommand(),
		configCommand(),
		demoCommand(),
	}
}

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
	restoreGC := batchGC(100, batchMemoryLimit) // serve and ingest set their own while they run
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	restoreGC()
	stop()
	if err != nil {
		if !errors.Is(err, errQuiet) {
			fmt.Fprintln(os.Stderr, "cloudbill:", errorText(err))
		}
		os.Exit(exitCode(err))
	}
}

// batchMemoryLimit is the soft memory limit of a command (the Go runtime's; GOMEMLIMIT or
// GOGC in the environment wins): the garbage collector collects more often as the process
// nears it, and gives freed memory back to the system instead of keeping it for the next
// step. Without it, one process running every step of the month (demo) held on the city
// month what its largest step had once needed, twice that step's live heap. The city
// month's steps live in less (rating about 180 MB, statements about 150 MB, 240 MB for a
// month of 100,000 lines); a command that needs more still runs, collecting often.
const batchMemoryLimit = 512 << 20

// Exit statuses (docs/cli.md): 0 done, 1 failed, 2 bad usage or bad input; reconcile
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

// errorText is err as the command line prints it: the input errors it holds
// (csvin.Errors) in Chinese, one to a line, naming file, line, record and column
// (glossary.InputErrors), after the context they were reported in ("reconcile: "); an
// input error that has no code prints as written. Other errors as they are.
func errorText(err error) string {
	var many csvin.Errors
	var one *csvin.Error
	var inner error
	switch {
	case errors.As(err, &many):
		inner = many
	case errors.As(err, &one):
		inner, many = one, csvin.Errors{one}
	default:
		return err.Error()
	}
	lines := inputLines(many)
	if len(lines) > 50 {
		lines = append(lines[:50], fmt.Sprintf("……另有 %d 处", len(lines)-50))
	}
	text := lines[0]
	if len(lines) > 1 {
		text = fmt.Sprintf("共 %d 处错误：\n", len(many)) + strings.Join(lines, "\n")
	}
	if full, in := err.Error(), inner.Error(); strings.HasSuffix(full, in) {
		return strings.TrimSuffix(full, in) + text
	}
	return text
}

// inputLines are input errors one to a line: in Chinese when coded, as written
// otherwise.
func inputLines(es csvin.Errors) []string {
	var lines []string
	for _, e := range es {
		if e.Code != "" {
			lines = append(lines, glossary.InputError(e))
		} else {
			lines = append(lines, e.Error())
		}
	}
	return lines
}

func usagef(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

// app is what every command gets: global configuration, output streams, and the
// store, opened on first use.
type app struct {
	profiling bool // $CLOUDBILL_CPUPROFILE is being written (command.execute)
	dsn       string
	cluster   string // --cluster: the ClickHouse cluster holding the tables (docs/cluster.md)
	dataDir   string
	// passwordFile (--clickhouse-password-file) and password ($CLOUDBILL_CLICKHOUSE_PASSWORD)
	// give the ClickHouse password without writing it in a DSN.
	passwordFile string
	password     string
	// globalsSet are the global flags given on the command line (they override serve's
	// configuration file).
	globalsSet map[string]bool
	// log, when set (serve), takes the messages of the embedded ClickHouse's start.
	log    *slog.Logger
	stdout io.Writer
	stderr io.Writer
	now    func() time.Time

	store  *chstore.Store
	server *chserver.Server
	uc     *usecase.App // the use cases on store (useCases)
}

// run is the whole program: global flags, then the command named by args.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	a := &app{stdout: stdout, stderr: stderr, now: time.Now, password: os.Getenv("CLOUDBILL_CLICKHOUSE_PASSWORD")}
	fs := flag.NewFlagSet("cloudbill", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	a.globalFlags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printMainUsage(stdout, fs)
			return nil
		}
		printMainUsage(stderr, fs)
		return usagef("%v", err)
	}
	a.globalsSet = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { a.globalsSet[f.Name] = true })
	if fs.NArg() == 0 {
		printMainUsage(stderr, fs)
		return usagef("no command given")
	}
	if fs.Arg(0) == "help" {
		if fs.NArg() == 1 {
			printMainUsage(stdout, fs)
			return nil
		}
		return a.runArgs(ctx, append(fs.Args()[1:], "--help"))
	}
	defer a.close()
	return a.runArgs(ctx, fs.Args())
}

// globalFlags declares the flags every command takes on fs, bound to a's fields.
func (a *app) globalFlags(fs *flag.FlagSet) {
	fs.StringVar(&a.dsn, "clickhouse", os.Getenv("CLOUDBILL_CLICKHOUSE"),
		"ClickHouse `DSN` clickhouse://host:9000/db (default $CLOUDBILL_CLICKHOUSE; with neither, an embedded server in --data-dir)")
	fs.StringVar(&a.cluster, "cluster", os.Getenv("CLOUDBILL_CLUSTER"),
		"ClickHouse cluster `NAME` (remote_servers) holding the tables, as ?cluster=NAME in the DSN (default $CLOUDBILL_CLUSTER; see docs/cluster.md)")
	fs.StringVar(&a.dataDir, "data-dir", "./var", "`directory` for the embedded ClickHouse, the spool and state")
	fs.StringVar(&a.passwordFile, "clickhouse-password-file", "",
		"`file` holding the ClickHouse password (first line), instead of one in the DSN (or $CLOUDBILL_CLICKHOUSE_PASSWORD)")
}

// runArgs runs the command that args name (args[0] is its name), as on the command line.
func (a *app) runArgs(ctx context.Context, args []string) error {
	cmd := lookup(commands(), args[0])
	if cmd == nil {
		return usagef("unknown command %q (see cloudbill --help)", args[0])
	}
	return cmd.execute(ctx, a, "cloudbill "+cmd.Name, args[1:])
}

func printMainUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintln(w, "cloudbill: billing and metering of the district government cloud")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "usage: cloudbill [--clickhouse DSN] [--clickhouse-password-file F] [--cluster NAME] [--data-dir DIR] <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-11s %s\n", c.Name, c.Short)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "global flags:")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "`cloudbill <command> --help` explains a command; docs/cli.md is the reference.")
	fmt.Fprintln(w, "Exit status: 0 done, 1 failed, 2 bad usage or bad input.")
}

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
		if a.cluster != "" {
			cfg.Cluster = a.cluster
		}
		pw, err := a.clickhousePassword()
		if err != nil {
			return nil, err
		}
		if pw != "" {
			if cfg.Password != "" {
				return nil, usagef("--clickhouse: the DSN has a password and so has --clickhouse-password-file or $CLOUDBILL_CLICKHOUSE_PASSWORD: give one")
			}
			cfg.Password = pw
		}
	} else {
		if a.cluster != "" {
			return nil, usagef("--cluster %s needs --clickhouse: the embedded ClickHouse is a single server", a.cluster)
		}
		srv, err := chserver.Start(ctx, chserver.Config{Dir: filepath.Join(a.dataDir, "clickhouse"),
			Logf: func(f string, args ...any) {
				if a.log != nil {
					a.log.Info(fmt.Sprintf(f, args...), "component", "clickhouse")
					return
				}
				fmt.Fprintf(a.stderr, "cloudbill: "+f+"\n", args...)
			}})
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

// clickhousePassword is the password of --clickhouse-password-file (its first line), else
// $CLOUDBILL_CLICKHOUSE_PASSWORD, else "".
func (a *app) clickhousePassword() (string, error) {
	if a.passwordFile == "" {
		return a.password, nil
	}
	b, err := os.ReadFile(a.passwordFile)
	if err != nil {
		return "", usagef("--clickhouse-password-file: %v", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimRight(line, "\r"), nil
}

func (a *app) close() {
	if a.store != nil {
		_ = a.store.Close()
	}
	if a.server != nil {
		_ = a.server.Stop()
	}
}
