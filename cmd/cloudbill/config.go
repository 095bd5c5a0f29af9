package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"cloudbill/backup"
	"cloudbill/idle"
	"cloudbill/internal/flagfile"
	netlisten "cloudbill/internal/listen"
	"cloudbill/metering"
	"cloudbill/schedule"
)

const configExplain = `
serve's configuration file is YAML: one key a line, each key the name of one of serve's
flags (or of the global flags --clickhouse, --clickhouse-password-file, --cluster,
--data-dir) and its value of the flag's type. docs/configuration.md explains every key.
A flag given on the command line overrides its key; $CLOUDBILL_CLICKHOUSE and
$CLOUDBILL_CLUSTER override clickhouse and cluster.

Secrets never appear in the file: the ClickHouse password comes from
clickhouse-password-file or $CLOUDBILL_CLICKHOUSE_PASSWORD, the metrics token from
metrics-token-file or $CLOUDBILL_METRICS_TOKEN. A password in the clickhouse DSN, or a
key that holds a secret, is refused.

check validates FILE as serve would read it: every problem is a line
FILE:LINE: key: message (unknown key, wrong type, bad value, a secret given inline,
a file it names that cannot be read); exit status 0 when it is good, 2 when not.`

func configCommand() *command {
	return &command{
		Name:  "config",
		Usage: "check FILE",
		Short: "check serve's configuration file",
		Long:  configExplain,
		Subs: []*command{{
			Name:  "check",
			Usage: "FILE",
			Short: "validate a configuration file: FILE:LINE: key: message for each problem",
			Long:  configExplain,
			Args:  "FILE",
			Flags: func(fs *flagSet) runFunc {
				return func(ctx context.Context, a *app, args []string) error {
					return checkConfig(a, args[0])
				}
			},
		}},
	}
}

// checkConfig validates a configuration file on fresh flags: what serve --config would
// refuse, and the files it names.
func checkConfig(a *app, path string) error {
	scratch := &app{stdout: a.stdout, stderr: a.stderr, now: a.now, globalsSet: map[string]bool{}}
	fs := newFlagSet("serve")
	p := &serveParams{}
	p.addFlags(fs)
	f, err := readConfig(path)
	if err != nil {
		return reportConfig(a, err)
	}
	if err := flagfile.Apply(f, serveConfigSpec(scratch, fs), nil); err != nil {
		return reportConfig(a, err)
	}
	if errs := p.crossCheck(scratch, f); len(errs) > 0 {
		return reportConfig(a, errs)
	}
	fmt.Fprintf(a.stdout, "%s: good (%d keys)\n", path, len(f.Entries))
	return nil
}

func readConfig(path string) (*flagfile.File, error) {
	f, err := flagfile.Read(path)
	var fe flagfile.Errors
	if errors.As(err, &fe) {
		return nil, fe
	}
	if err != nil {
		return nil, usagef("--config: %v", err)
	}
	return f, nil
}

// reportConfig reports a refused file on stderr, its problems one a line
// (FILE:LINE: key: message), and returns the bad-input exit status.
func reportConfig(a *app, err error) error {
	var fe flagfile.Errors
	var one *flagfile.Error
	switch {
	case errors.As(err, &fe):
	case errors.As(err, &one):
		fe = flagfile.Errors{one}
	default:
		return err
	}
	fmt.Fprintln(a.stderr, fe.Error())
	return &exitError{code: exitBadInput, err: fmt.Errorf("%w: %d problems in the configuration file", errQuiet, len(fe))}
}

// applyServeConfig sets serve's flags and the global flags from the file at path, except
// those given on the command line (and clickhouse, cluster when their environment
// variable is set).
func applyServeConfig(a *app, fs *flagSet, p *serveParams) error {
	f, err := readConfig(p.ConfigFile)
	if err != nil {
		return reportConfig(a, err)
	}
	given := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	for k := range a.globalsSet {
		given[k] = true
	}
	if os.Getenv("CLOUDBILL_CLICKHOUSE") != "" {
		given["clickhouse"] = true
	}
	if os.Getenv("CLOUDBILL_CLUSTER") != "" {
		given["cluster"] = true
	}
	if err := flagfile.Apply(f, serveConfigSpec(a, fs), func(name string) bool { return given[name] }); err != nil {
		return reportConfig(a, err)
	}
	if errs := p.crossCheck(a, f); len(errs) > 0 {
		return reportConfig(a, errs)
	}
	return nil
}

// serveConfigSpec is what serve's configuration file may set: serve's flags and the
// global flags bound to a.
func serveConfigSpec(a *app, fs *flagSet) flagfile.Spec {
	globals := flag.NewFlagSet("cloudbill", flag.ContinueOnError)
	dsn, cluster, dataDir, pwFile := a.dsn, a.cluster, a.dataDir, a.passwordFile
	a.globalFlags(globals)
	// globalFlags resets the fields to their defaults: keep what the command line said.
	a.dsn, a.cluster, a.dataDir, a.passwordFile = dsn, cluster, dataDir, pwFile
	return flagfile.Spec{
		Flags:   []*flag.FlagSet{fs.FlagSet, globals},
		Lists:   map[string]bool{"metric-max": true, "collect-config": true},
		Check:   checkConfigValue,
		Unknown: unknownConfigKey,
	}
}

// secretKey matches the names of keys that would hold a secret.
var secretKey = regexp.MustCompile(`(?i)(password|passwd|secret|token|api[-_]?key|private[-_]?key|credential)`)

const secretAdvice = "secrets come from a file or the environment, never from the configuration file or a flag (docs/configuration.md)"

func unknownConfigKey(key string) string {
	if key == "config" {
		return "the configuration file cannot name another one"
	}
	if secretKey.MatchString(key) && !strings.HasSuffix(key, "-file") {
		return "a secret given inline: " + secretAdvice
	}
	return ""
}

// checkConfigValue refuses a secret written inline and a value whose flag would only be
// judged when serve starts its part (schedules, webhook, interval).
func checkConfigValue(key, v string) error {
	switch key {
	case "config":
		return errors.New("the configuration file cannot name another one")
	case "clickhouse":
		u, err := url.Parse(v)
		if err != nil {
			return fmt.Errorf("%q: want clickhouse://host:9000/database", v)
		}
		if _, ok := u.User.Password(); ok || u.Query().Has("password") {
			return errors.New("a secret given inline: the DSN holds a password; put it in the file named by clickhouse-password-file or in $CLOUDBILL_CLICKHOUSE_PASSWORD")
		}
	case "idle-webhook", "budget-webhook":
		if u, err := url.Parse(v); err == nil && u.User != nil {
			return errors.New("a secret given inline: the URL holds credentials; " + secretAdvice)
		}
		return (idle.Webhook{URL: v}).Validate()
	case "close-schedule", "rate-schedule", "idle-schedule", "idle-follow-schedule":
		if v == schedule.Off {
			return nil
		}
		if err := (schedule.Config{RateSpec: v, CloseSpec: schedule.Off}).Validate(); err != nil {
			return errors.New(strings.TrimPrefix(err.Error(), "rate schedule: "))
		}
	case "idle-interval":
		d, err := time.ParseDuration(v)
		if err != nil {
			return nil // the flag's parser words it
		}
		_, err = idle.IntervalOf(d)
		return err
	case "log-format":
		if v != "text" && v != "json" {
			return fmt.Errorf("%q: want text or json", v)
		}
	case "backup-samples":
		_, err := backup.ParseSamples(v)
		return err
	case "backup-schedule":
		if _, err := cron.ParseStandard(v); err != nil {
			return fmt.Errorf("cron spec %q: %v", v, err)
		}
	case "metric-max":
		return metering.DefaultRanges().ParseCeiling(v)
	case "rules":
		if v != "" {
			return errors.New("no longer taken: the deduction rules are stored ('cloudbill rules import FILE --effective YYYY-MM')")
		}
	}
	return nil
}

// crossCheck holds the settings to the rules that span keys (serve's listen rule) and
// to the files they name; an error sits on the line of the key it is about (or names the
// flag when the file does not set it).
func (p *serveParams) crossCheck(a *app, f *flagfile.File) flagfile.Errors {
	var errs flagfile.Errors
	at := func(key string, err error) {
		e := f.Errorf(key, "%v", err)
		if e.Line == 0 {
			e.Key = "--" + key
		}
		errs = append(errs, e)
	}
	p.Listener.Addr = p.Listen
	if err := p.Listener.Validate(); err != nil {
		key := "listen"
		if (p.Listener.CertFile == "") != (p.Listener.KeyFile == "") {
			key = "tls-cert"
			if p.Listener.CertFile == "" {
				key = "tls-key"
			}
		}
		at(key, err)
	}
	if p.NoAuth && !netlisten.IsLoopback(p.Listen) {
		at("no-auth", errors.New("only with a loopback listen address: samples from the network need a collector token"))
	}
	if err := p.Metrics.validate(p.Listener); err != nil {
		key := "metrics-listen"
		for _, k := range []string{"metrics-token-file", "metrics-on-listen"} {
			if strings.HasPrefix(err.Error(), "--"+k) {
				key = k
			}
		}
		at(key, errors.New(strings.TrimPrefix(strings.TrimPrefix(err.Error(), "--"+key+" "), "--"+key+": ")))
	}
	for key, path := range map[string]string{"tls-cert": p.Listener.CertFile, "tls-key": p.Listener.KeyFile, "clickhouse-password-file": a.passwordFile} {
		if path == "" {
			continue
		}
		if _, err := os.ReadFile(path); err != nil {
			at(key, err)
		}
	}
	if a.passwordFile != "" && a.dsn != "" {
		if u, err := url.Parse(a.dsn); err == nil {
			if _, ok := u.User.Password(); ok {
				at("clickhouse-password-file", errors.New("the clickhouse DSN has a password too: give one"))
			}
		}
	}
	if a.cluster != "" && a.dsn == "" {
		at("cluster", errors.New("needs clickhouse: the embedded ClickHouse is a single server"))
	}
	if _, err := readCollectConfigs(p.CollectConfigs); err != nil {
		at("collect-config", err)
	}
	if p.Backup.keep < 1 {
		at("backup-keep", fmt.Errorf("%d: keep at least one", p.Backup.keep))
	}
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
	return errs
}
