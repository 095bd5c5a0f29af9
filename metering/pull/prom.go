package pull

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// promClient asks one Prometheus HTTP API for range queries.
type promClient struct {
	ep   Endpoint
	http *http.Client
}

// promSeries is one series of a range-query answer.
type promSeries struct {
	Metric map[string]string `json:"metric"`
	Values []promPoint       `json:"values"`
}

// promPoint is [unix seconds, "value"].
type promPoint struct {
	T int64 // unix milliseconds
	V float64
}

type promAnswer struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Data      struct {
		ResultType string       `json:"resultType"`
		Result     []promSeries `json:"result"`
	} `json:"data"`
	Warnings []string `json:"warnings"`
}

// queryRange evaluates expr at start, start+step, … ≤ end.
func (c *promClient) queryRange(ctx context.Context, expr string, start, end time.Time, step time.Duration) ([]promSeries, []string, error) {
	u, err := url.Parse(strings.TrimRight(c.ep.URL, "/") + "/api/v1/query_range")
	if err != nil {
		return nil, nil, err
	}
	form := url.Values{}
	form.Set("query", expr)
	form.Set("start", strconv.FormatInt(start.Unix(), 10))
	form.Set("end", strconv.FormatInt(end.Unix(), 10))
	form.Set("step", strconv.FormatInt(int64(step/time.Second), 10))
	form.Set("timeout", strconv.FormatInt(int64(c.ep.Timeout/time.Second), 10)+"s")
	ctx, cancel := context.WithTimeout(ctx, c.ep.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	// no gzip: compressing a large answer costs Prometheus more CPU than the bytes cost
	// on a LAN (and curl does not ask for it either)
	req.Header.Set("Accept-Encoding", "identity")
	switch c.ep.Auth {
	case "basic":
		req.SetBasicAuth(c.ep.Username, c.ep.Password)
	case "bearer":
		req.Header.Set("Authorization", "Bearer "+c.ep.Token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, c.describe(ctx, err)
	}
	defer resp.Body.Close()
	maxAnswer := c.ep.MaxAnswer
	if maxAnswer <= 0 {
		maxAnswer = DefaultMaxAnswer
	}
	body := &boundedJSON{r: resp.Body, left: maxAnswer, max: maxAnswer}
	ans, derr := decodeAnswer(body)
	if derr != nil {
		if body.err != nil { // a bound: said as such, whatever the status
			return nil, nil, fmt.Errorf("prometheus answered %s, refused: %v", resp.Status, body.err)
		}
		if resp.StatusCode/100 != 2 {
			return nil, nil, fmt.Errorf("prometheus answered %s", resp.Status)
		}
		return nil, nil, fmt.Errorf("prometheus answer unreadable: %v", c.describe(ctx, derr))
	}
	// text from outside is cut once, here, before anything keeps, logs or stores it
	for i, w := range ans.Warnings {
		if i == maxWarnings {
			ans.Warnings = append(ans.Warnings[:i], fmt.Sprintf("… and %d more warnings", len(ans.Warnings)-i))
			break
		}
		ans.Warnings[i] = cutText(w, maxOutsideText)
	}
	if ans.Status != "success" {
		msg := ans.Error
		if ans.ErrorType != "" {
			msg = ans.ErrorType + ": " + msg
		}
		return nil, nil, fmt.Errorf("prometheus answered %s: %s", resp.Status, cutText(msg, maxOutsideText))
	}
	if ans.Data.ResultType != "matrix" {
		return nil, nil, fmt.Errorf("prometheus answered a %q, want a matrix (is the expression a range function over [$window]?)", ans.Data.ResultType)
	}
	return ans.Data.Result, ans.Warnings, nil
}

const (
	// maxOutsideText bounds an error or warning text of a Prometheus answer as kept,
	// logged and stored.
	maxOutsideText = 2 << 10
	// maxWarnings bounds the warnings of one answer kept.
	maxWarnings = 5
	// maxJSONString bounds one string of an answer while it is read (a label value, a
	// point's value, the error): no legitimate one comes near.
	maxJSONString = 1 << 20
)

// cutText cuts s to at most n bytes (on a character boundary), saying how much was cut.
func cutText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return fmt.Sprintf("%s… (%d bytes more, cut)", s[:i], len(s)-i)
}

// boundedJSON reads a JSON answer within bounds checked while reading: at most max
// bytes in all, no string longer than maxJSONString. Past either, Read fails with err
// set, so the decoder never holds more than about one bound's worth.
type boundedJSON struct {
	r         io.Reader
	left, max int64
	inString  bool
	escaped   bool
	strLen    int
	err       error
}

func (b *boundedJSON) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.r.Read(p)
	if int64(n) > b.left {
		b.err = fmt.Errorf("the answer is larger than %d MiB (prometheus.max_answer_mib; ask fewer windows a query)", b.max>>20)
		return 0, b.err
	}
	b.left -= int64(n)
	for _, c := range p[:n] {
		switch {
		case !b.inString:
			if c == '"' {
				b.inString, b.strLen = true, 0
			}
		case b.escaped:
			b.escaped = false
			b.strLen++
		case c == '\\':
			b.escaped = true
			b.strLen++
		case c == '"':
			b.inString = false
		default:
			b.strLen++
		}
		if b.inString && b.strLen > maxJSONString {
			b.err = fmt.Errorf("a string of more than %d KiB in the answer", maxJSONString>>10)
			return 0, b.err
		}
	}
	return n, err
}

// describe names a timeout as such.
func (c *promClient) describe(ctx context.Context, err error) error {
	var ne net.Error
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Errorf("prometheus %s: timeout: no answer within %s", c.ep.URL, c.ep.Timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("prometheus %s: %v", c.ep.URL, err)
}
