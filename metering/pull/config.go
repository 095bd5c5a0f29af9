// Package pull collects usage samples from a vendor's Prometheus, window by window.
//
// A collector configuration (one YAML file per vendor, see ReadConfig) names the
// Prometheus, its authentication and a list of mappings `metric ← PromQL`. Each mapping
// has a window (5m, 1h …) and a lateness: the window [S, E) is collected once E+lateness
// has passed, by evaluating the mapping's expression — a `*_over_time` or `increase` over
// exactly `[$window]` — at E. The value becomes the sample (resource, metric, ts = S).
// Collecting a window twice gives the same identities: a duplicate, or a correction when
// Prometheus changed its mind.
//
// Every window tried is recorded (WindowStore) with what came of it: collected (with the
// number of series and samples), partial (some series dropped: NaN, ±Inf, no resource
// label, two series for one resource), or failed (with the error). A Collector resumes
// from the record: it collects every due window that is not recorded as collected, so
// gaps left by an outage, a crash or a failed query are filled the next time it runs.
//
// The package imports no driver: samples go to a SampleAdder (metering.Batcher), records
// to a WindowStore (package chstore).
package pull

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"cloudbill/internal/calendar"
	"cloudbill/metering"
)

// Config is one vendor's collector configuration.
type Config struct {
	// File is where the configuration was read from (for messages).
	File string
	// Vendor is the vendor id the samples belong to (their source).
	Vendor string
	// Prometheus is the vendor's Prometheus.
	Prometheus Endpoint
	// Start is the start of the first window to collect.
	Start time.Time
	// Retry is how soon failed windows are tried again by serve; default 1m.
	Retry time.Duration
	// Mappings are the metrics collected.
	Mappings []Mapping
}

// Endpoint is a Prometheus HTTP API and how to authenticate to it.
type Endpoint struct {
	// URL is the base URL (http or https), e.g. https://prom.example:9090 or a path
	// prefix such as https://gw.example/prometheus.
	URL string
	// Auth is "none", "basic" or "bearer".
	Auth     string
	Username string
	// Password (basic) or Token (bearer), read from the file named in the
	// configuration (password_file, token_file) or given inline.
	Password string
	Token    string
	// Timeout bounds one query; default 30s.
	Timeout time.Duration
	// MaxAnswer bounds one answer's body, in bytes, checked while it is read; default
	// DefaultMaxAnswer. A larger answer fails its windows (ask fewer windows a query).
	MaxAnswer int64
}

// DefaultMaxAnswer is the default bound of one Prometheus answer: 64 MiB, some 600,000
// points (a day of 5-minute windows of 2,000 resources in one query).
const DefaultMaxAnswer = 64 << 20

// Mapping is one metric collected: `Metric ← Query`.
type Mapping struct {
	// Metric is the sample metric stored (e.g. cpu_util).
	Metric string
	// Query is the PromQL expression with the placeholder [$window], e.g.
	// avg_over_time(vm_cpu_util[$window]).
	Query string
	// ResourceLabel is the label whose value is the resource id.
	ResourceLabel string
	// Window is the length of a window; it divides a day.
	Window time.Duration
	// Lateness is how long after its end a window is collected.
	Lateness time.Duration
}

// Expr is the query of one window: the placeholder replaced by the window length.
func (m Mapping) Expr() string {
	return strings.ReplaceAll(m.Query, "[$window]", "["+promDuration(m.Window)+"]")
}

// promDuration writes d the way PromQL reads it (whole seconds).
func promDuration(d time.Duration) string {
	s := int64(d / time.Second)
	switch {
	case s%86400 == 0:
		return strconv.FormatInt(s/86400, 10) + "d"
	case s%3600 == 0:
		return strconv.FormatInt(s/3600, 10) + "h"
	case s%60 == 0:
		return strconv.FormatInt(s/60, 10) + "m"
	}
	return strconv.FormatInt(s, 10) + "s"
}

// ConfigError is a configuration that cannot be used: the file, the line and the field
// (as a path: prometheus.url, mappings[2].window).
type ConfigError struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ": %s", e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// ConfigErrors is every problem of a configuration.
type ConfigErrors []*ConfigError

func (es ConfigErrors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// ReadConfig reads and checks a collector configuration file.
func ReadConfig(file string) (Config, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return Config{}, err
	}
	return ParseConfig(file, data)
}

var (
	labelRE  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	vendorRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
)

// ParseConfig reads a configuration from data; file names it in errors. Every key must be
// known: an unknown key is an error naming it.
func ParseConfig(file string, data []byte) (Config, error) {
	p := &cfgParser{file: file}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		return Config{}, ConfigErrors{{File: file, Msg: "not a YAML document: " + err.Error()}}
	}
	cfg := Config{File: file, Prometheus: Endpoint{Auth: "none", Timeout: 30 * time.Second, MaxAnswer: DefaultMaxAnswer}, Retry: time.Minute}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	var sawStart bool
	p.mapping(doc, "", map[string]func(*yaml.Node, string){
		"vendor": func(n *yaml.Node, f string) {
			cfg.Vendor = p.str(n, f)
			if cfg.Vendor != "" && !vendorRE.MatchString(cfg.Vendor) {
				p.fail(n, f, fmt.Sprintf("%q: want a vendor id (letters, digits, '.', '_', '-')", cfg.Vendor))
			}
		},
		"start": func(n *yaml.Node, f string) {
			sawStart = true
			s := p.str(n, f)
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				t, err = time.ParseInLocation("2006-01-02T15:04:05", s, calendar.Shanghai())
			}
			if err != nil {
				d, derr := calendar.ParseDate(s)
				if derr == nil {
					t, err = d.Start(), nil
				}
			}
			if err != nil {
				p.fail(n, f, fmt.Sprintf("%q: want an RFC 3339 time (2026-11-01T00:00:00+08:00) or a date", s))
			}
			cfg.Start = t
		},
		"retry": func(n *yaml.Node, f string) { cfg.Retry = p.duration(n, f) },
		"prometheus": func(n *yaml.Node, f string) {
			p.mapping(n, f, map[string]func(*yaml.Node, string){
				"url": func(n *yaml.Node, f string) {
					cfg.Prometheus.URL = p.str(n, f)
					if msg := checkURL(cfg.Prometheus.URL); msg != "" {
						p.fail(n, f, msg)
					}
				},
				"timeout": func(n *yaml.Node, f string) { cfg.Prometheus.Timeout = p.duration(n, f) },
				"max_answer_mib": func(n *yaml.Node, f string) {
					v, err := strconv.Atoi(p.str(n, f))
					if err != nil || v < 1 || v > 1024 {
						p.fail(n, f, fmt.Sprintf("%q: want a whole number of MiB, 1 to 1024", n.Value))
						return
					}
					cfg.Prometheus.MaxAnswer = int64(v) << 20
				},
				"auth": func(n *yaml.Node, f string) {
					p.mapping(n, f, map[string]func(*yaml.Node, string){
						"type": func(n *yaml.Node, f string) {
							cfg.Prometheus.Auth = p.str(n, f)
							switch cfg.Prometheus.Auth {
							case "none", "basic", "bearer":
							default:
								p.fail(n, f, fmt.Sprintf("%q: want none, basic or bearer", cfg.Prometheus.Auth))
							}
						},
						"username":      func(n *yaml.Node, f string) { cfg.Prometheus.Username = p.str(n, f) },
						"password":      func(n *yaml.Node, f string) { cfg.Prometheus.Password = p.str(n, f) },
						"password_file": func(n *yaml.Node, f string) { cfg.Prometheus.Password = p.secretFile(n, f) },
						"token":         func(n *yaml.Node, f string) { cfg.Prometheus.Token = p.str(n, f) },
						"token_file":    func(n *yaml.Node, f string) { cfg.Prometheus.Token = p.secretFile(n, f) },
					})
				},
			})
		},
		"mappings": func(n *yaml.Node, f string) {
			if n.Kind != yaml.SequenceNode {
				p.fail(n, f, "want a list of mappings")
				return
			}
			seen := map[string]int{}
			for i, item := range n.Content {
				mf := fmt.Sprintf("%s[%d]", f, i)
				var m Mapping
				p.mapping(item, mf, map[string]func(*yaml.Node, string){
					"metric": func(n *yaml.Node, f string) {
						m.Metric = p.str(n, f)
						if prev, ok := seen[m.Metric]; ok {
							p.fail(n, f, fmt.Sprintf("%q is mapped twice (also line %d)", m.Metric, prev))
						}
						seen[m.Metric] = n.Line
						if len(m.Metric) > metering.MaxMetricLen || strings.ContainsAny(m.Metric, "\t\r\n") {
							p.fail(n, f, fmt.Sprintf("%q: not a metric name", m.Metric))
						}
					},
					"query": func(n *yaml.Node, f string) {
						m.Query = p.str(n, f)
						if m.Query != "" && !strings.Contains(m.Query, "[$window]") {
							p.fail(n, f, "the expression must range over [$window] (e.g. avg_over_time(x[$window]) or increase(x[$window])): a window is collected as a whole, not as an instant")
						}
					},
					"resource_label": func(n *yaml.Node, f string) {
						m.ResourceLabel = p.str(n, f)
						if m.ResourceLabel != "" && !labelRE.MatchString(m.ResourceLabel) {
							p.fail(n, f, fmt.Sprintf("%q: not a Prometheus label name", m.ResourceLabel))
						}
					},
					"window": func(n *yaml.Node, f string) {
						m.Window = p.duration(n, f)
						if m.Window > 0 && (m.Window%time.Second != 0 || (24*time.Hour)%m.Window != 0) {
							p.fail(n, f, fmt.Sprintf("%s: a window must be whole seconds and divide a day (5m, 15m, 1h, 1d …)", m.Window))
						}
					},
					"lateness": func(n *yaml.Node, f string) { m.Lateness = p.duration(n, f) },
				})
				for _, req := range []struct {
					name string
					set  bool
				}{{"metric", m.Metric != ""}, {"query", m.Query != ""}, {"resource_label", m.ResourceLabel != ""}, {"window", m.Window > 0}} {
					if !req.set && item.Kind == yaml.MappingNode {
						p.fail(item, mf+"."+req.name, "is required")
					}
				}
				cfg.Mappings = append(cfg.Mappings, m)
			}
		},
	})
	if doc.Kind == yaml.MappingNode {
		if cfg.Vendor == "" && !p.failed("vendor") {
			p.fail(doc, "vendor", "is required")
		}
		if cfg.Prometheus.URL == "" && !p.failed("prometheus.url") {
			p.fail(doc, "prometheus.url", "is required")
		}
		if !sawStart {
			p.fail(doc, "start", "is required (the start of the first window to collect)")
		}
		if len(cfg.Mappings) == 0 && !p.failed("mappings") {
			p.fail(doc, "mappings", "is required (at least one)")
		}
		switch cfg.Prometheus.Auth {
		case "basic":
			if cfg.Prometheus.Username == "" || cfg.Prometheus.Password == "" {
				p.fail(doc, "prometheus.auth", "basic authentication needs username and password (or password_file)")
			}
		case "bearer":
			if cfg.Prometheus.Token == "" {
				p.fail(doc, "prometheus.auth", "bearer authentication needs token (or token_file)")
			}
		}
	}
	if len(p.errs) > 0 {
		return Config{}, p.errs
	}
	return cfg, nil
}

func checkURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Sprintf("%q: want an http:// or https:// URL with a host (e.g. https://prom.example:9090)", s)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Sprintf("%q: the base URL takes no query or fragment", s)
	}
	if u.User != nil {
		return fmt.Sprintf("%q: put credentials under prometheus.auth, not in the URL", s)
	}
	return ""
}

type cfgParser struct {
	file string
	errs ConfigErrors
}

func (p *cfgParser) fail(n *yaml.Node, field, msg string) {
	line := 0
	if n != nil {
		line = n.Line
	}
	p.errs = append(p.errs, &ConfigError{File: p.file, Line: line, Field: field, Msg: msg})
}

func (p *cfgParser) failed(field string) bool {
	for _, e := range p.errs {
		if e.Field == field {
			return true
		}
	}
	return false
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// mapping walks a YAML mapping: every key must be one of keys.
func (p *cfgParser) mapping(n *yaml.Node, field string, keys map[string]func(*yaml.Node, string)) {
	if n.Kind != yaml.MappingNode {
		name := field
		if name == "" {
			name = "the document"
		}
		p.fail(n, field, fmt.Sprintf("want a mapping of keys for %s", name))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f := join(field, k.Value)
		fn, ok := keys[k.Value]
		if !ok {
			known := make([]string, 0, len(keys))
			for name := range keys {
				known = append(known, name)
			}
			sort.Strings(known)
			p.fail(k, f, fmt.Sprintf("unknown key %q (known here: %s)", k.Value, strings.Join(known, ", ")))
			continue
		}
		if seen[k.Value] {
			p.fail(k, f, "given twice")
			continue
		}
		seen[k.Value] = true
		fn(v, f)
	}
}

func (p *cfgParser) str(n *yaml.Node, field string) string {
	if n.Kind != yaml.ScalarNode {
		p.fail(n, field, "want a single value")
		return ""
	}
	return strings.TrimSpace(n.Value)
}

func (p *cfgParser) duration(n *yaml.Node, field string) time.Duration {
	s := p.str(n, field)
	if s == "" {
		return 0
	}
	d, err := ParseDuration(s)
	if err != nil {
		p.fail(n, field, err.Error())
		return 0
	}
	return d
}

func (p *cfgParser) secretFile(n *yaml.Node, field string) string {
	name := p.str(n, field)
	if name == "" {
		return ""
	}
	b, err := os.ReadFile(name)
	if err != nil {
		p.fail(n, field, fmt.Sprintf("read %s: %v", name, errors.Unwrap(err)))
		return ""
	}
	return strings.TrimSpace(string(b))
}

// ParseDuration reads a positive duration: Go's form (90s, 1h30m) or a number of days
// (1d).
func ParseDuration(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		if days, err := strconv.Atoi(n); err == nil && days > 0 && days < 3660 {
			return time.Duration(days) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q: want a positive duration such as 30s, 5m, 1h or 1d", s)
	}
	return d, nil
}
