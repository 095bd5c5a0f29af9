package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// leaves lists every runnable command line prefix ("catalog import") with its command.
func leaves(cmds []*command, prefix string) map[string]*command {
	out := map[string]*command{}
	for _, c := range cmds {
		name := strings.TrimSpace(prefix + " " + c.Name)
		if len(c.Subs) > 0 {
			for k, v := range leaves(c.Subs, name) {
				out[k] = v
			}
			continue
		}
		out[name] = c
	}
	return out
}

func TestCommandsAreDescribed(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range commands() {
		assert.False(t, seen[c.Name], "command %s listed twice", c.Name)
		seen[c.Name] = true
		assert.NotEmpty(t, c.Short, c.Name)
		assert.NotEmpty(t, strings.TrimSpace(c.Long), c.Name)
		assert.True(t, c.Flags != nil || len(c.Subs) > 0, "%s: flags and run, or subcommands", c.Name)
	}
	for name, c := range leaves(commands(), "") {
		assert.NotNil(t, c.Flags, name)
		assert.NotContains(t, c.Long, "FORMATS.md", "%s: the reference is docs/, not the shared FORMATS.md", name)
	}
}

func TestHelpOnStdout(t *testing.T) {
	lines := [][]string{{"--help"}, {"help"}, {"-h"}}
	for name, c := range leaves(commands(), "") {
		lines = append(lines, append(strings.Fields(name), "--help"), []string{"help", strings.Fields(name)[0]})
		_ = c
	}
	for _, c := range commands() {
		if len(c.Subs) > 0 {
			lines = append(lines, []string{c.Name, "--help"})
		}
	}
	for _, args := range lines {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), args, &stdout, &stderr)
			require.NoError(t, err)
			assert.Contains(t, stdout.String(), "usage: cloudbill")
			assert.Empty(t, stderr.String())
		})
	}
	t.Run("a command's help lists its flags and marks the required ones", func(t *testing.T) {
		var stdout bytes.Buffer
		require.NoError(t, run(context.Background(), []string{"reconcile", "--help"}, &stdout, &bytes.Buffer{}))
		assert.Contains(t, stdout.String(), "usage: cloudbill reconcile --period YYYY-MM")
		assert.Regexp(t, `-period YYYY-MM\n\s+the month invoiced, YYYY-MM \(required\)`, stdout.String())
		assert.Regexp(t, `-tolerance amount\n\s+an amount in CNY[^\n]*\(default "0.00"\)`, stdout.String())
	})
}

func TestUsageErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown command", []string{"bill"}, `unknown command "bill"`},
		{"no command", nil, "no command given"},
		{"unknown subcommand", []string{"catalog", "export"}, `catalog: unknown subcommand "export": want import, adapt, show (usage: cloudbill catalog import FILE`},
		{"no subcommand", []string{"orders"}, "orders: want a subcommand: import"},
		{"unknown flag", []string{"rate", "--period", "2026-11", "--size", "2"}, "rate: unknown flag --size"},
		{"required flag", []string{"close"}, "close: --period is required"},
		{"required flags", []string{"reconcile", "--period", "2026-11"}, "reconcile: --vendor, --invoice, --out are required"},
		{"bad period", []string{"statements", "--period", "2026-13", "--out", "x"}, `statements: --period "2026-13": want a month YYYY-MM, e.g. 2026-11`},
		{"bad period, same words", []string{"breakdown", "--period", "11/2026", "--department", "D01"}, `breakdown: --period "11/2026": want a month YYYY-MM, e.g. 2026-11`},
		{"bad date", []string{"catalog", "show", "--date", "2026-11"}, `catalog show: --date "2026-11": want a day YYYY-MM-DD, e.g. 2026-11-30`},
		{"bad format", []string{"breakdown", "--period", "2026-11", "--department", "D01", "--format", "xml"}, `breakdown: --format "xml": want table, csv or json`},
		{"unexpected argument", []string{"rate", "--period", "2026-11", "extra"}, `rate: unexpected argument "extra"`},
		{"unexpected argument after flags", []string{"serve", "--listen", "127.0.0.1:0", "now"}, `serve: unexpected argument "now"`},
		{"one file wanted", []string{"catalog", "adapt", "a.csv", "b.csv"}, "catalog adapt: want exactly one FILE, got 2"},
		{"a file wanted", []string{"orders", "import"}, "orders import: no FILE given"},
		{"files wanted", []string{"ingest", "--report", "r.txt"}, "ingest: no FILE given"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), c.args, &stdout, &stderr)
			require.Error(t, err)
			assert.Equal(t, exitBadInput, exitCode(err), "%v", err)
			assert.Contains(t, err.Error(), c.want)
			assert.Empty(t, stdout.String())
		})
	}
	t.Run("every command without arguments rejects one", func(t *testing.T) {
		for name, c := range leaves(commands(), "") {
			if c.Args != "" {
				continue
			}
			err := run(context.Background(), append(strings.Fields(name), "--", "stray"), &bytes.Buffer{}, &bytes.Buffer{})
			require.Error(t, err, name)
			assert.Equal(t, exitBadInput, exitCode(err), "%s: %v", name, err)
		}
	})
}

func TestFlagsAfterArguments(t *testing.T) {
	fs := newFlagSet("catalog import")
	eff := fs.Date("effective", "the day")
	pos, err := fs.parseInterspersed([]string{"a.csv", "--effective", "2026-11-01", "--", "--b.csv"})
	require.NoError(t, err)
	assert.Equal(t, []string{"a.csv", "--b.csv"}, pos)
	assert.Equal(t, "2026-11-01", eff.Get().String())
}

// docs/cli.md is the reference of the command line: every command has its line there.
func TestEveryCommandIsDocumented(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "cli.md"))
	require.NoError(t, err)
	for _, c := range commands() {
		assert.Regexp(t, `(?m)^`+c.Name+` `, string(b), "docs/cli.md: add a line for `cloudbill %s` to its Commands block", c.Name)
	}
}
