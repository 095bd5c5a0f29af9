package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// A command is one CLI command described as data, after Go's cmd/go base.Command: its
// name, the usage line, a one-line and a long help, the flags it declares and what it
// runs. A command with subcommands (catalog import|adapt|show) lists them in Subs; it
// has Flags of its own only when it also runs without a subcommand (collect --config F |
// collect status).
//
// Flags declares the command's flags on a fresh flag set each time the command runs and
// returns the function that runs it with their values: no flag state outlives a run.
//
// The frame does the rest the same way for every command: flags are accepted before,
// between and after the positional arguments; --help (or -h) prints the help on stdout
// and exits 0; a required flag left out, an unexpected argument or a missing one is a
// usage error (exit 2) naming the command.
type command struct {
	Name  string // the word that selects the command
	Usage string // what follows the name in the usage line: "--period YYYY-MM [--rules FILE]"
	Short string // one line for the command list
	Long  string // the help text; docs/cli.md has the reference
	// Args names the positional arguments: "" none, "FILE" exactly one, "FILE..." one or more.
	Args  string
	Flags func(fs *flagSet) runFunc
	Subs  []*command
}

// runFunc runs a command with its positional arguments.
type runFunc func(ctx context.Context, a *app, args []string) error

func lookup(cmds []*command, name string) *command {
	for _, c := range cmds {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help" || arg == "help"
}

// execute runs c (called path on the command line, e.g. "cloudbill catalog import") with
// its arguments.
func (c *command) execute(ctx context.Context, a *app, path string, args []string) error {
	if len(c.Subs) > 0 && len(args) > 0 && lookup(c.Subs, args[0]) != nil {
		sub := lookup(c.Subs, args[0])
		return sub.execute(ctx, a, path+" "+sub.Name, args[1:])
	}
	if len(c.Subs) > 0 && c.Flags == nil {
		if len(args) == 0 {
			return usagef("%s: want a subcommand: %s (usage: %s %s)", strings.TrimPrefix(path, "cloudbill "), c.subNames(), path, c.Usage)
		}
		if isHelp(args[0]) {
			c.printHelp(a.stdout, path, nil)
			return nil
		}
		return usagef("%s: unknown subcommand %q: want %s (usage: %s %s)", strings.TrimPrefix(path, "cloudbill "), args[0], c.subNames(), path, c.Usage)
	}
	name := strings.TrimPrefix(path, "cloudbill ")
	fs := newFlagSet(name)
	run := c.Flags(fs)
	pos, err := fs.parseInterspersed(args)
	if errors.Is(err, flag.ErrHelp) {
		c.printHelp(a.stdout, path, fs)
		return nil
	}
	if err != nil {
		fmt.Fprintf(a.stderr, "usage: %s %s\nRun '%s --help' for details.\n", path, c.Usage, path)
		return usagef("%s: %s", name, flagError(err))
	}
	if err := fs.checkRequired(); err != nil {
		return usagef("%s: %v", name, err)
	}
	if err := c.checkArgs(pos); err != nil {
		return usagef("%s: %v", name, err)
	}
	if !a.profiling { // the outer command's profile covers the steps it runs (demo)
		stop, err := cpuProfile()
		if err != nil {
			return err
		}
		a.profiling = true
		defer func() { stop(); a.profiling = false }()
	}
	return run(ctx, a, pos)
}

// checkArgs holds the positional arguments to what Args names.
func (c *command) checkArgs(pos []string) error {
	switch {
	case c.Args == "" && len(pos) > 0:
		return fmt.Errorf("unexpected argument %q", pos[0])
	case strings.HasSuffix(c.Args, "...") && len(pos) == 0:
		return fmt.Errorf("no %s given", strings.TrimSuffix(c.Args, "..."))
	case c.Args != "" && !strings.HasSuffix(c.Args, "...") && len(pos) != 1:
		return fmt.Errorf("want exactly one %s, got %d", c.Args, len(pos))
	}
	return nil
}

func (c *command) subNames() string {
	names := make([]string, len(c.Subs))
	for i, s := range c.Subs {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}

// printHelp writes the help of c: usage line, long text, subcommands or flags.
func (c *command) printHelp(w io.Writer, path string, fs *flagSet) {
	fmt.Fprintf(w, "usage: %s %s\n\n%s\n", path, c.Usage, strings.TrimSpace(c.Long))
	if len(c.Subs) > 0 {
		fmt.Fprintln(w, "\nsubcommands:")
		for _, s := range c.Subs {
			fmt.Fprintf(w, "  %-8s %s %s\n", s.Name, s.Usage, "— "+s.Short)
		}
		fmt.Fprintf(w, "\n'%s <subcommand> --help' explains one.\n", path)
	}
	if fs != nil && fs.hasFlags() {
		fmt.Fprintln(w, "\nflags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
}

var (
	invalidFlag = regexp.MustCompile(`^invalid (?:boolean )?value ("[^"]*") for flag -(\S+): (.*)$`)
	unknownFlag = regexp.MustCompile(`^flag provided but not defined: -+(\S+)$`)
	bareFlag    = regexp.MustCompile(`^flag needs an argument: -+(\S+)$`)
)

// flagError words the flag package's errors the way the rest of the CLI does:
// `--period "2026-13": want a month YYYY-MM, e.g. 2026-11`.
func flagError(err error) string {
	msg := err.Error()
	if m := invalidFlag.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("--%s %s: %s", m[2], m[1], m[3])
	}
	if m := unknownFlag.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("unknown flag --%s", m[1])
	}
	if m := bareFlag.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("--%s needs a value", m[1])
	}
	return msg
}
