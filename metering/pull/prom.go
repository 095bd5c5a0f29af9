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

// queryRange evaluates expr at start, start+step, … ≤ end and reads the answer.
func (c *promClient) queryRange(ctx context.Context, expr string, start, end time.Time, step time.Duration) ([]promSeries, []string, error) {
	q := c.ask(ctx, expr, start, end, step)
	q.head()
	ans, err := q.read(nil)
	return ans.Data.Result, ans.Warnings, err
}

// promCall is one range query asked: its answer's head comes in the background (ask
// returns at once), its body is read by read (or thrown away by abandon).
//
// The endpoint's timeout bounds the query's time at Prometheus and on the wire: the
// wait for the head, then the reading of the body, not the time an answer that came in
// waits to be read (the next run's answer while the one before is stored).
type promCall struct {
	c      *promClient
	ctx    context.Context
	cancel context.CancelCauseFunc // with context.DeadlineExceeded when the time is up
	timer  *time.Timer
	asked  time.Time
	waited time.Duration // for the head
	done   chan struct{} // closed once resp or err (and waited) is set
	resp   *http.Response
	err    error
}

// ask sends a range query without waiting for its answer.
func (c *promClient) ask(ctx context.Context, expr string, start, end time.Time, step time.Duration) *promCall {
	q := &promCall{c: c, done: make(chan struct{}), asked: time.Now()}
	q.ctx, q.cancel = context.WithCancelCause(ctx)
	q.timer = time.AfterFunc(c.ep.Timeout, func() { q.cancel(context.DeadlineExceeded) })
	u, err := url.Parse(strings.TrimRight(c.ep.URL, "/") + "/api/v1/query_range")
	if err != nil {
		q.err = err
		close(q.done)
		return q
	}
	form := url.Values{}
	form.Set("query", expr)
	form.Set("start", strconv.FormatInt(start.Unix(), 10))
	form.Set("end", strconv.FormatInt(end.Unix(), 10))
	form.Set("step", strconv.FormatInt(int64(step/time.Second), 10))
	form.Set("timeout", strconv.FormatInt(int64(c.ep.Timeout/time.Second), 10)+"s")
	req, err := http.NewRequestWithContext(q.ctx, http.MethodPost, u.String(), strings.NewReader(form.Encode()))
	if err != nil {
		q.err = err
		close(q.done)
		return q
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
	go func() {
		resp, err := c.http.Do(req)
		q.timer.Stop() // if it fired meanwhile, the body's reading fails as a timeout
		q.waited = time.Since(q.asked)
		if err != nil {
			err = c.describe(q.ctx, err)
		}
		q.resp, q.err = resp, err
		close(q.done)
	}()
	return q
}

// head waits for the answer's status line and headers; it reports whether the query
// has already failed (no answer, or a status other than 2xx).
func (q *promCall) head() (failed bool) {
	<-q.done
	return q.err != nil || q.resp.StatusCode/100 != 2
}

// abandon ends the query without reading its answer.
func (q *promCall) abandon() {
	q.cancel(nil)
	<-q.done
	q.timer.Stop()
	if q.resp != nil {
		q.resp.Body.Close()
	}
}

// read reads the answer as it streams in, within its bounds, into dec's buffers (nil:
// buffers of its own); the series returned are valid until dec reads another answer.
func (q *promCall) read(dec *jsonDecoder) (promAnswer, error) {
	<-q.done
	defer q.cancel(nil)
	if q.err != nil {
		return promAnswer{}, q.err
	}
	q.timer = time.AfterFunc(max(q.c.ep.Timeout-q.waited, 0), func() { q.cancel(context.DeadlineExceeded) })
	defer q.timer.Stop()
	resp := q.resp
	defer resp.Body.Close()
	maxAnswer := q.c.ep.MaxAnswer
	if maxAnswer <= 0 {
		maxAnswer = DefaultMaxAnswer
	}
	if dec == nil {
		dec = &jsonDecoder{}
	}
	ans, derr := dec.decodeAnswer(&boundedReader{r: resp.Body, left: maxAnswer, max: maxAnswer})
	if derr != nil {
		var be boundError
		if errors.As(derr, &be) { // a bound: said as such, whatever the status
			return promAnswer{}, fmt.Errorf("prometheus answered %s, refused: %v", resp.Status, be)
		}
		if resp.StatusCode/100 != 2 {
			return promAnswer{}, fmt.Errorf("prometheus answered %s", resp.Status)
		}
		return promAnswer{}, fmt.Errorf("prometheus answer unreadable: %v", q.c.describe(q.ctx, derr))
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
		return promAnswer{}, fmt.Errorf("prometheus answered %s: %s", resp.Status, cutText(msg, maxOutsideText))
	}
	if ans.Data.ResultType != "matrix" {
		return promAnswer{}, fmt.Errorf("prometheus answered a %q, want a matrix (is the expression a range function over [$window]?)", ans.Data.ResultType)
	}
	return ans, nil
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

// boundError is an answer past one of its bounds (its size in all, one string's
// length): the answer is refused as such, whatever its status.
type boundError struct{ msg string }

func (e boundError) Error() string { return e.msg }

// boundedReader reads at most max bytes of an answer: past them, Read fails with a
// boundError, so the decoder never reads more than the bound. (The length of each
// string is bounded by the decoder itself, maxJSONString.)
type boundedReader struct {
	r         io.Reader
	left, max int64
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.r.Read(p)
	if int64(n) > b.left {
		b.left = -1
		return 0, boundError{fmt.Sprintf("the answer is larger than %d MiB (prometheus.max_answer_mib; ask fewer windows a query)", b.max>>20)}
	}
	b.left -= int64(n)
	return n, err
}

// describe names a timeout as such.
func (c *promClient) describe(ctx context.Context, err error) error {
	var ne net.Error
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(context.Cause(ctx), context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Errorf("prometheus %s: timeout: no answer within %s", c.ep.URL, c.ep.Timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("prometheus %s: %v", c.ep.URL, err)
}
