// Package coded writes and reads a stored detail that is data, not words: a code and its
// values, "code?key=value&…" with the values query-escaped. The audit log's details
// (access.Details) and the job runs' details (schedule.Detail) are stored so; package
// glossary says them in Chinese. A detail stored before details were data (free text)
// does not parse and prints as it was stored.
package coded

import (
	"net/url"
	"regexp"
	"strings"
)

// Text is the stored form of code with the values of key, value pairs (keys with an
// empty value left out).
func Text(code string, kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			v.Set(kv[i], kv[i+1])
		}
	}
	return code + "?" + v.Encode()
}

var form = regexp.MustCompile(`^[a-z_]+\?[^ ]*$`)

// Parse reads a stored detail back: ok is false for one that is not a code and values
// (free text, to be shown as stored).
func Parse(s string) (code string, v url.Values, ok bool) {
	if !form.MatchString(s) {
		return "", nil, false
	}
	c, q, _ := strings.Cut(s, "?")
	v, err := url.ParseQuery(q)
	if err != nil {
		return "", nil, false
	}
	return c, v, true
}
