package metering

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Ranges are the valid values of each metric (docs/security.md, "Metric ranges"): a sample
// outside its metric's range is a rejected line with the reason, never stored, so that
// one sender's −100000 or 1e30 cannot make a negative or impossible bill.
//
//   - a utilisation (a metric whose name ends in "_util") is a percentage: 0 to 100;
//   - every other metric is a counter or a gauge: 0 or more, up to its ceiling.
//
// Ceilings bound one sample (not a month). Defaults: net_out_gb 10,000 (GB in one
// sample interval), disk_used_gb and objstore_gb 10,000,000 (10 PB), any other metric
// 1,000,000,000. Each can be set (Set, the --metric-max flag).
type Ranges struct {
	max map[string]float64
}

// DefaultRanges are the ranges when none are configured.
func DefaultRanges() *Ranges {
	return &Ranges{max: map[string]float64{
		"net_out_gb":   1e4,
		"disk_used_gb": 1e7,
		"objstore_gb":  1e7,
	}}
}

// DefaultCeiling is the ceiling of a metric with none of its own.
const DefaultCeiling = 1e9

// Set sets metric's ceiling. A utilisation's ceiling cannot pass 100.
func (r *Ranges) Set(metric string, max float64) error {
	if max <= 0 || max != max || max > 1e12 {
		return fmt.Errorf("ceiling of %s: %v is not a number above 0 and up to 1e12", metric, max)
	}
	if isUtil(metric) && max > 100 {
		return fmt.Errorf("ceiling of %s: a utilisation is a percentage, at most 100", metric)
	}
	if r.max == nil {
		r.max = map[string]float64{}
	}
	r.max[metric] = max
	return nil
}

// ParseCeiling reads "metric=max" (the --metric-max flag) into r.
func (r *Ranges) ParseCeiling(s string) error {
	m, v, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(m) == "" {
		return fmt.Errorf("%q: want metric=max, e.g. net_out_gb=20000", s)
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil {
		return fmt.Errorf("%q: %q is not a number", s, v)
	}
	return r.Set(strings.TrimSpace(m), f)
}

// String lists the configured ceilings, "metric=max,…".
func (r *Ranges) String() string {
	if r == nil {
		return ""
	}
	var parts []string
	for m, v := range r.max {
		parts = append(parts, m+"="+strconv.FormatFloat(v, 'f', -1, 64))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// Bounds returns the valid range of metric's values.
func (r *Ranges) Bounds(metric string) (lo, hi float64) {
	hi = DefaultCeiling
	if isUtil(metric) {
		hi = 100
	}
	if r != nil {
		if v, ok := r.max[metric]; ok {
			hi = v
		}
	}
	return 0, hi
}

// Check returns "" when v is valid for metric, else the reason.
func (r *Ranges) Check(metric string, v float64) string {
	lo, hi := r.Bounds(metric)
	if v >= lo && v <= hi {
		return ""
	}
	kind := "a counter or gauge"
	if isUtil(metric) {
		kind = "a utilisation in percent"
	}
	return fmt.Sprintf("value %s is out of range: %s is %s, valid %s to %s", strconv.FormatFloat(v, 'g', -1, 64), metric, kind,
		strconv.FormatFloat(lo, 'f', -1, 64), strconv.FormatFloat(hi, 'f', -1, 64))
}

func isUtil(metric string) bool { return strings.HasSuffix(metric, "_util") }
