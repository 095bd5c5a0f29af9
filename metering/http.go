package metering

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"sync"

	"cloudbill/internal/csvin"
)

// HandlerConfig configures the POST /v1/samples handler.
type HandlerConfig struct {
	Batcher *Batcher
	// MaxBody is the largest request body taken, in bytes; larger ones get 413.
	// Default 64 MiB.
	MaxBody int64
	// MaxListed bounds the rejected lines listed in one answer (all are counted);
	// default 1000.
	MaxListed int
	// MaxConcurrent bounds the requests read at once (each holds its samples until
	// they are durable); others wait their turn. Default 16.
	MaxConcurrent int
	// Ranges are the valid values per metric (nil: DefaultRanges); a sample outside is
	// a rejected line.
	Ranges *Ranges
}

// Answer is the body of a 200 answer (FORMATS.md).
type Answer struct {
	Accepted   int        `json:"accepted"`
	Duplicates int        `json:"duplicates"`
	Rejected   []Rejected `json:"rejected"`
	// RejectedCount counts every rejected line, listed or not.
	RejectedCount int `json:"rejected_count"`
	// Spooled of the accepted samples wait in the spool for ClickHouse.
	Spooled int `json:"spooled"`
}

// Rejected is one refused line of a request.
type Rejected struct {
	Line  int    `json:"line"`
	Error string `json:"error"`
}

// Handler serves POST /v1/samples: an NDJSON (application/x-ndjson) or CSV (text/csv)
// body of samples. It answers 200 once the valid samples are durable (stored, or
// spooled and fsync'd), listing the refused lines; 400 when nothing can be read (an
// empty body, a CSV header that cannot be used); 413 past the size limit (nothing of
// the request is kept); 415 for another content type; 503 when the samples could be
// neither stored nor spooled (nothing acknowledged; the sender retries).
type Handler struct {
	cfg     HandlerConfig
	pool    sync.Pool
	strings *Strings
	slots   chan struct{}
}

// NewHandler makes the handler.
func NewHandler(cfg HandlerConfig) (*Handler, error) {
	if cfg.Batcher == nil {
		return nil, errors.New("samples handler: no batcher")
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 64 << 20
	}
	if cfg.MaxListed <= 0 {
		cfg.MaxListed = 1000
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = 16
	}
	return &Handler{cfg: cfg, pool: sync.Pool{New: func() any { return new(Batch) }}, strings: NewStrings(),
		slots: make(chan struct{}, cfg.MaxConcurrent)}, nil
}

// contentFormat maps a Content-Type to a Format (0: not taken).
func contentFormat(ct string) Format {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return 0
	}
	switch mt {
	case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines":
		return NDJSON
	case "text/csv":
		return CSV
	}
	return 0
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, "use POST")
		return
	}
	format := contentFormat(r.Header.Get("Content-Type"))
	if format == 0 {
		writeError(w, http.StatusUnsupportedMediaType, fmt.Sprintf("content type %q is not taken: send application/x-ndjson or text/csv", r.Header.Get("Content-Type")))
		return
	}
	if r.ContentLength > h.cfg.MaxBody {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body of %d bytes is over the limit of %d bytes: send smaller requests", r.ContentLength, h.cfg.MaxBody))
		return
	}
	select {
	case h.slots <- struct{}{}:
		defer func() { <-h.slots }()
	case <-r.Context().Done():
		return // the sender is gone
	}
	body := http.MaxBytesReader(w, r.Body, h.cfg.MaxBody)
	source := "http"
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		source = "http:" + host
	}
	batch := h.pool.Get().(*Batch)
	batch.Reset()
	defer h.pool.Put(batch)

	var ans Answer
	ans.Rejected = []Rejected{}
	p, err := NewParser(body, ParserConfig{Name: "request", Format: format, Source: source, Strings: h.strings, Ranges: h.cfg.Ranges})
	if err == nil {
		for {
			_, err = p.Next(batch, 1<<30, func(rj Reject) {
				ans.RejectedCount++
				if len(ans.Rejected) < h.cfg.MaxListed {
					ans.Rejected = append(ans.Rejected, Rejected{Line: rj.Line, Error: lineMessage(rj.Err)})
				}
			})
			if err != nil {
				break
			}
		}
		if err == io.EOF {
			err = nil
		}
	}
	if err != nil {
		var mbe *http.MaxBytesError
		var ce *csvin.Error
		var ces csvin.Errors
		switch {
		case errors.As(err, &mbe):
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is over the limit of %d bytes: nothing of it was kept; send smaller requests", h.cfg.MaxBody))
		case errors.As(err, &ce), errors.As(err, &ces):
			writeError(w, http.StatusBadRequest, err.Error())
		default:
			writeError(w, http.StatusBadRequest, "read request: "+err.Error())
		}
		return
	}
	if batch.Len() > 0 {
		t, err := h.cfg.Batcher.Add(r.Context(), batch)
		if err == nil {
			var res Result
			res, err = t.Wait(r.Context())
			ans.Accepted, ans.Duplicates, ans.Spooled = res.Accepted, res.Duplicates, res.Spooled
		}
		if err != nil {
			writeError(w, http.StatusServiceUnavailable, "samples not kept, send them again: "+err.Error())
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(ans)
}

// lineMessage is an input error without its file and line (the answer gives the line).
func lineMessage(e *csvin.Error) string {
	if e.Column != "" {
		return fmt.Sprintf("column %q: %s", e.Column, e.Msg)
	}
	return e.Msg
}

func writeError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": strings.TrimSpace(msg)})
}
