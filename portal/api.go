package portal

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"cloudbill/access"
	"cloudbill/catalog"
	"cloudbill/invoicing"
	"cloudbill/invoicing/breakdown"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

func writeJSONError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func equalSecret(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

var apiRoute = Route{API: true}

// GET /api/v1/me
func (s *Server) apiMe(w http.ResponseWriter, r *http.Request, c *call) {
	ans := map[string]string{"login": string(c.id.Login), "role": string(c.id.Role)}
	if c.id.Department != "" {
		ans["department_id"] = string(c.id.Department)
	}
	if c.id.Vendor != "" {
		ans["vendor_id"] = string(c.id.Vendor)
	}
	writeJSON(w, 200, ans)
}

type apiPeriod struct {
	Period      string     `json:"period"`
	State       string     `json:"state"`
	RatedAt     *time.Time `json:"rated_at,omitempty"`
	ClosedAt    *time.Time `json:"closed_at,omitempty"`
	ContentHash string     `json:"content_hash,omitempty"`
	// Statements: "final", "provisional" or "" (none archived).
	Statements string `json:"statements"`
}

// GET /api/v1/periods
func (s *Server) apiPeriods(w http.ResponseWriter, r *http.Request, c *call) {
	ms, err := s.monthStates(r.Context())
	if err != nil {
		s.fail(w, r, apiRoute, 500, "unavailable", err)
		return
	}
	out := []apiPeriod{}
	for _, m := range ms {
		ap := apiPeriod{Period: m.Period.String(), State: m.State}
		if !m.RatedAt.IsZero() {
			t := m.RatedAt
			ap.RatedAt = &t
		}
		if m.Close != nil {
			t := m.Close.ClosedAt
			ap.ClosedAt, ap.ContentHash = &t, m.Close.ContentHash
		}
		if m.Issue != nil {
			ap.Statements = "provisional"
			if m.Issue.Final {
				ap.Statements = "final"
			}
		}
		out = append(out, ap)
	}
	writeJSON(w, 200, out)
}

// apiLine is one breakdown line with where it sits in the tree.
type apiLine struct {
	Unit     string `json:"department_id"`
	Project  string `json:"project_id"`
	Category string `json:"category"`
	Order    string `json:"order_id"`
	Vendor   string `json:"vendor_id"`
	breakdown.Line
}

// GET /api/v1/breakdown?period=YYYY-MM&department=ID
func (s *Server) apiBreakdown(w http.ResponseWriter, r *http.Request, c *call) {
	q := r.URL.Query()
	p, _ := parsePeriod(q.Get("period"))
	dep := catalog.DepartmentID(q.Get("department"))
	if _, ok := c.org.Departments[dep]; !ok {
		writeJSONError(w, http.StatusNotFound, "unknown department")
		return
	}
	md, err := s.monthLines(r.Context(), p)
	if errors.Is(err, errNotRated) {
		writeJSONError(w, http.StatusNotFound, p.String()+" is not rated")
		return
	}
	if err != nil {
		s.fail(w, r, apiRoute, 500, "unavailable", err)
		return
	}
	rep, err := s.breakdownOf(r.Context(), md, dep)
	if err != nil {
		s.fail(w, r, apiRoute, 500, "unavailable", err)
		return
	}
	lines := []apiLine{}
	for _, u := range rep.Units {
		for _, pr := range u.Projects {
			for _, o := range pr.Orders {
				for _, l := range o.Lines {
					lines = append(lines, apiLine{u.ID, pr.ID, pr.Category, o.ID, o.Vendor, l})
				}
			}
		}
	}
	writeJSON(w, 200, struct {
		breakdown.Report
		Lines []apiLine `json:"lines"`
	}{rep, lines})
}

// GET /api/v1/statements/{period}/departments|vendors/{file}, /{period}/summary.pdf|csv:
// the archived files, byte for byte.
func (s *Server) apiStatementFile(w http.ResponseWriter, r *http.Request, c *call) {
	p, _ := parsePeriod(r.PathValue("period"))
	id, ext, _ := parseFile(r.PathValue("file"))
	var rel string
	switch {
	case pathHas(r, "/departments/"):
		if _, ok := c.org.Departments[catalog.DepartmentID(id)]; !ok {
			writeJSONError(w, http.StatusNotFound, "unknown department")
			return
		}
		rel = "departments/" + invoicing.FileName(id) + "." + ext
	case pathHas(r, "/vendors/"):
		if _, ok := c.org.Vendors[catalog.VendorID(id)]; !ok {
			writeJSONError(w, http.StatusNotFound, "unknown vendor")
			return
		}
		rel = "vendors/" + invoicing.FileName(id) + "." + ext
	default:
		rel = "summary." + ext
	}
	body, is, ok, err := s.cfg.Store.ArchivedFileOf(r.Context(), p, rel)
	if err != nil {
		s.fail(w, r, apiRoute, 500, "unavailable", err)
		return
	}
	if !ok {
		writeJSONError(w, http.StatusNotFound, "no statement issued for "+p.String()+": "+rel)
		return
	}
	state := "provisional"
	if is.Final {
		state = "final"
	}
	_ = s.cfg.Access.Record(r.Context(), access.Event{Actor: c.id.Name(), Role: c.id.Role, Action: "download", Target: p.String() + "/" + rel, Remote: c.remote, Detail: state + " issue " + is.IssueID})
	ctype := "application/pdf"
	if ext == "csv" {
		ctype = "text/csv; charset=utf-8"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+p.String()+"-"+sanitizeName(rel)+`"`)
	w.Header().Set("X-Statement-Status", state)
	w.Header().Set("Cache-Control", "private, no-store")
	_, _ = w.Write(body)
}

func pathHas(r *http.Request, seg string) bool {
	p := r.URL.Path
	for i := 0; i+len(seg) <= len(p); i++ {
		if p[i:i+len(seg)] == seg {
			return true
		}
	}
	return false
}

// sanitizeName makes a download file name of an archive path.
func sanitizeName(rel string) string {
	b := []rune(rel)
	for i, r := range b {
		if r == '/' || r == '"' || r == '\\' || r < 32 {
			b[i] = '-'
		}
	}
	return string(b)
}
