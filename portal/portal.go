// Package portal is the web portal of cloudbill and its JSON API: departments,
// vendors, the finance bureau and the big-data bureau sign in and see their own billing,
// and nothing that is not theirs.
//
// Every route is declared once in Routes with its scope rule: the action and object the
// signed-in identity needs, decided by access.Identity.May (the one scope function). The
// router is built from that table, so a route without a rule cannot be served, and the
// access-matrix test enumerates the same table. Figures come from the rated and closed
// months through statements and statements/breakdown (drill-down), the single
// source of every figure; statement files are served from the ClickHouse archive, byte
// for byte as `statements` issued them.
package portal

import (
	"context"
	"crypto/subtle"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"cloudbill/access"
	"cloudbill/app"
	"cloudbill/catalog"
	"cloudbill/document/sheet"
	"cloudbill/funding"
	"cloudbill/idle"
	"cloudbill/internal/calendar"
	"cloudbill/metering/pull"
	"cloudbill/monthclose"
	"cloudbill/rating"
	"cloudbill/reconcile"
	"cloudbill/schedule/jobrun"
	"cloudbill/statements"
	"cloudbill/statements/breakdown"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Store is what the portal reads and writes; the ClickHouse store (package chstore)
// satisfies it, as cmd/cloudbill checks where it assembles the portal.
type Store interface {
	breakdown.Reader
	statements.Source
	monthclose.Store
	reconcile.Store
	RatedMonths(ctx context.Context) ([]rating.RatedMonth, error)
	RunTotals(ctx context.Context, p calendar.Period, runID string) ([]rating.PartyTotal, error)
	DailyAmountsOf(ctx context.Context, p calendar.Period, runID string, deps []catalog.DepartmentID) ([]rating.Day, error)
	CurrentIssues(ctx context.Context) (map[calendar.Period]statements.IssueInfo, error)
	ArchivedFileOf(ctx context.Context, p calendar.Period, path string) ([]byte, statements.IssueInfo, bool, error)
	JobRuns(ctx context.Context, job string) ([]jobrun.Run, error)
	Imports(ctx context.Context, kind string) ([]catalog.Import, error)
	// ImportsMark changes with every accepted import (budgetMark)
	ImportsMark(ctx context.Context) (string, error)
	InsertInvoiceUpload(ctx context.Context, u reconcile.Upload) error
	InvoiceUploads(ctx context.Context, vendor catalog.VendorID) ([]reconcile.Upload, error)
	InvoiceUploadOf(ctx context.Context, id string) (reconcile.Upload, bool, error)
	// idle-resource cases and collection completeness
	Cases(ctx context.Context) ([]idle.Case, error)
	Evidence(ctx context.Context, id idle.CaseID) ([]idle.Evidence, error)
	OrderEvents(ctx context.Context) ([]catalog.Event, error)
	pull.StatusStore
	// the year's budgets and payments
	funding.WarnStore
	funding.LedgerStore
	funding.DeclarationStore
}

// App is what the portal asks the use-case layer (package app) to do; *app.App
// satisfies it.
type App interface {
	// Close closes a month with the refusals and records of every way in, then issues
	// its final statements when asked.
	Close(ctx context.Context, req app.CloseRequest) (app.CloseResult, error)
	// Months lists the rated and closed months and the ones given, newest first, with
	// their states.
	Months(ctx context.Context, also ...calendar.Period) ([]app.Month, error)
	// UploadInvoice reconciles a vendor's invoice handed in and keeps it with its report.
	UploadInvoice(ctx context.Context, req app.UploadRequest) (reconcile.Upload, app.Reconciliation, error)
	// MissingWindows lists a month's missing collector windows (nil: none).
	MissingWindows(ctx context.Context, p calendar.Period) (*app.IncompleteError, error)
	// DownsizingList is the bureau's downsizing list on a day, as work-order changes.
	DownsizingList(ctx context.Context, d calendar.Date) ([]idle.ChangeRequest, error)
	// Font is the PDF typesetter of a font ("": the default), loaded once (declarations).
	Font(path string) (sheet.Typesetter, error)
}

var _ App = (*app.App)(nil)

// Config configures the portal.
type Config struct {
	Store  Store
	Access *access.Service
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Secure marks the cookies Secure (serve runs under TLS, or behind a TLS proxy).
	Secure bool
	// MaxUpload bounds an uploaded invoice, in bytes; default 10 MiB.
	MaxUpload int64
	// App is the use cases the portal starts (closing a month); required.
	App App
	// FontPath is the TrueType CJK font of the reconciliation report and declaration
	// PDFs ("" default).
	FontPath string
	// NoWarm: do not load a newly rated or closed month's figures in the background when
	// its run is first seen (they load on the first request instead).
	NoWarm bool
	// Logf logs server-side errors; default: discarded.
	Logf func(format string, args ...any)
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if c.Store == nil || c.Access == nil || c.App == nil {
		return errors.New("portal: Store, Access and App are required")
	}
	return nil
}

// Server is the portal.
type Server struct {
	cfg    Config
	now    func() time.Time
	routes []Route
	mux    *http.ServeMux
	pages  map[string]*template.Template
	shell  *template.Template // the layout around content made before (renderContent)

	org     kept[catalog.Org]
	warmMu  sync.Mutex
	warmed  map[monthKey]bool
	events  kept[[]catalog.Event]
	states  kept[[]MonthState]
	cacheMu sync.Mutex
	months  map[monthKey]*monthData
	totals  map[monthKey][]rating.PartyTotal
	budgets budgetCache
	// budgetEvals counts the evaluations of budgets made, budgetLooks the background looks
	// whether one is due (evaluateBudgets)
	budgetEvals, budgetLooks atomic.Int64

	trendMu sync.Mutex
	trends  map[trendKey][]TrendPoint // the overview's 12 months of a party (trend)
	tick    atomic.Int64              // orders the uses of cached months and departments
}

// New makes the portal.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = 10 << 20
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	s := &Server{cfg: cfg, now: cfg.Now, months: map[monthKey]*monthData{}, totals: map[monthKey][]rating.PartyTotal{}}
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	s.routes = s.Routes()
	s.mux = http.NewServeMux()
	for _, rt := range s.routes {
		if rt.Rule == nil && !rt.Public {
			return nil, fmt.Errorf("portal: route %s %s has no scope rule", rt.Method, rt.Pattern)
		}
		s.mux.Handle(rt.Method+" "+rt.Pattern, s.wrap(rt))
	}
	return s, nil
}

// Handler serves the portal and its API (mount it at "/").
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
		if s.cfg.Secure {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if _, pattern := s.mux.Handler(r); pattern == "" {
			s.noRoute(w, r) // a Chinese page with the menu, not the mux's plain text
			return
		}
		s.mux.ServeHTTP(w, r)
	})
}

// Rule decides what a request needs: the action and object that the identity must be
// allowed (access.Identity.May). An error is bad input (400).
type Rule func(r *http.Request) (access.Action, access.Object, error)

// Route is one route of the portal or its API.
type Route struct {
	Method  string
	Pattern string
	// Public routes (sign-in, static assets) need no identity; every other route has a
	// Rule.
	Public bool
	Rule   Rule
	// API routes answer 401/403 in JSON; pages redirect to the sign-in page.
	API    bool
	handle func(w http.ResponseWriter, r *http.Request, c *call)
}

// call is one authenticated request.
type call struct {
	id      access.Identity
	session access.Session
	remote  string
	org     catalog.Org
}

const sessionCookie = "cloudbill_session"

// errBadInput marks a malformed request (400).
var errBadInput = errors.New("bad request")

func badInput(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errBadInput, fmt.Sprintf(format, args...))
}

// wrap authenticates, checks CSRF on state changes, applies the route's scope rule and
// runs the handler.
func (s *Server) wrap(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{remote: remoteAddr(r)}
		if rt.Public {
			rt.handle(w, r, c)
			return
		}
		ctx := r.Context()
		var err error
		if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			c.id, err = s.cfg.Access.Authenticate(ctx, strings.TrimSpace(bearer))
		} else if ck, cerr := r.Cookie(sessionCookie); cerr == nil {
			c.id, c.session, err = s.cfg.Access.SessionIdentity(ctx, ck.Value)
		} else {
			err = access.ErrUnauthenticated
		}
		if errors.Is(err, access.ErrUnauthenticated) {
			s.unauthenticated(w, r, rt)
			return
		}
		r = withCall(r, c) // an error page shows the menu
		if err != nil {
			s.fail(w, r, rt, http.StatusInternalServerError, "服务暂不可用", err)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUpload+64<<10)
			if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
				if err := r.ParseMultipartForm(1 << 20); err != nil {
					var mbe *http.MaxBytesError
					if errors.As(err, &mbe) {
						s.fail(w, r, rt, http.StatusRequestEntityTooLarge, fmt.Sprintf("文件过大：上限 %d MiB。", s.cfg.MaxUpload>>20), nil)
						return
					}
					s.fail(w, r, rt, http.StatusBadRequest, "请求有误：无法读取上传内容。", nil)
					return
				}
			}
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && c.id.Via == access.ViaSession {
			if !s.csrfOK(r, c.session) {
				_ = s.cfg.Access.Record(ctx, access.Event{Actor: c.id.Name(), Role: c.id.Role, Action: "denied", Target: r.Method + " " + r.URL.Path, Outcome: "refused", Remote: c.remote, Detail: access.Details(access.DetailRefused, "reason", access.ReasonCSRF)})
				s.fail(w, r, rt, http.StatusForbidden, "请求已过期或来源不明（CSRF 校验失败），请返回页面重试。", nil)
				return
			}
		}
		act, obj, err := rt.Rule(r)
		if err != nil {
			s.fail(w, r, rt, http.StatusBadRequest, "请求有误："+strings.TrimPrefix(err.Error(), "bad request: "), nil)
			return
		}
		if c.org, err = s.orgNow(ctx); err != nil {
			s.fail(w, r, rt, http.StatusInternalServerError, "服务暂不可用", err)
			return
		}
		if err := c.id.May(act, obj, access.OrgParents(c.org)); err != nil {
			s.forbidden(w, r, rt, c)
			return
		}
		rt.handle(w, r, c)
	})
}

// csrfOK checks the request's CSRF token (form field "csrf" or header X-CSRF-Token)
// against the session's.
func (s *Server) csrfOK(r *http.Request, se access.Session) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
			got = r.FormValue("csrf") // parses within MaxBytesReader set by the handler's route
		} else {
			got = r.PostFormValue("csrf")
		}
	}
	return se.CSRF != "" && got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(se.CSRF)) == 1
}

func (s *Server) unauthenticated(w http.ResponseWriter, r *http.Request, rt Route) {
	if rt.API || r.Method != http.MethodGet {
		writeJSONError(w, http.StatusUnauthorized, "未登录、会话已过期或访问令牌无效。")
		return
	}
	http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
}

func (s *Server) forbidden(w http.ResponseWriter, r *http.Request, rt Route, c *call) {
	_ = s.cfg.Access.Record(r.Context(), access.Event{Actor: c.id.Name(), Role: c.id.Role, Action: "denied", Target: r.Method + " " + r.URL.Path, Outcome: "refused", Remote: c.remote})
	s.fail(w, r, rt, http.StatusForbidden, "无权访问：不在本账户的范围内。", nil)
}

// notFound answers 404 with no detail (an id outside the scope is never confirmed).
func (s *Server) notFound(w http.ResponseWriter, r *http.Request, rt Route, what string) {
	s.fail(w, r, rt, http.StatusNotFound, what, nil)
}

// fail answers an error: JSON for the API, a page otherwise. Internal errors are logged,
// not shown.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, rt Route, status int, msg string, err error) {
	if err != nil {
		s.cfg.Logf("portal: %s %s: %v", r.Method, r.URL.Path, err)
	}
	if rt.API {
		writeJSONError(w, status, msg)
		return
	}
	s.errorPage(w, r, status, msg)
}

func remoteAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// orgNow is the organisation master data, re-read at most every 10 seconds (in the
// background; an import shows within that and one re-read).
func (s *Server) orgNow(ctx context.Context) (catalog.Org, error) {
	return s.org.get(ctx, s.now, 10*time.Second, time.Minute, s.cfg.Store.Org)
}

// staticFS is the embedded static assets.
func staticFS() fs.FS {
	sub, _ := fs.Sub(assets, "static")
	return sub
}
