package portal

// Search ("find anything"): one box in the navigation and GET /api/v1/search?q=. Hits
// are work orders, resource ids, projects and departments (catalog.Find), kept only when
// the identity may view their department (access.Identity.May, the one scope function)
// or, for a vendor, when the order is the vendor's.

import (
	"context"
	"net/http"
	"time"

	"cloudbill/access"
	"cloudbill/app"
	"cloudbill/catalog"
	"cloudbill/glossary"
)

// searchLimit bounds the hits answered.
const searchLimit = 50

type searchHit struct {
	Type       string `json:"type"`
	TypeName   string `json:"type_name"`
	ID         string `json:"id"`
	Name       string `json:"name"`
	Department string `json:"department_id"`
	// DepartmentName is the department's name, for those who may view it (a vendor's own
	// order in another department shows the code alone, as its settlement links do).
	DepartmentName string `json:"department_name,omitempty"`
	URL            string `json:"url"`
}

// orderEvents are the work-order events, re-read at most every 10 seconds (in the
// background; an import shows within that and one re-read).
func (s *Server) orderEvents(ctx context.Context) ([]catalog.Event, error) {
	return s.events.get(ctx, s.now, 10*time.Second, time.Minute, s.cfg.Store.OrderEvents)
}

// search finds q in the identity's scope; each hit links to its page in the latest rated
// month (a work order or resource: its order in the drill-down; a project: its project;
// a department: its drill-down).
func (s *Server) search(ctx context.Context, c *call, q string) ([]searchHit, error) {
	evs, err := s.orderEvents(ctx)
	if err != nil {
		return nil, err
	}
	period := s.latestRated(ctx)
	parents := access.OrgParents(c.org)
	hits := []searchHit{}
	for _, m := range catalog.Find(c.org, evs, q, 0) {
		if !c.id.SeesCharge(m.Department, m.Vendor, parents) {
			continue
		}
		inScope := c.id.Allows(access.View, access.Department(m.Department), parents)
		h := searchHit{Type: string(m.Type), TypeName: glossary.MatchType(string(m.Type)), ID: m.ID, Name: m.Name, Department: string(m.Department)}
		if h.Name == "" {
			h.Name = s.deptName(c, m.Department)
		}
		if inScope {
			h.DepartmentName = s.deptName(c, m.Department)
		}
		dep := "/departments/" + esc(string(m.Department)) + "/" + period
		switch {
		case !inScope: // a vendor's own order: its settlement
			h.URL = "/vendors/" + esc(string(m.Vendor)) + "/" + period
		case m.Type == catalog.MatchOrder || m.Type == catalog.MatchResource:
			h.URL = drillURL(dep, string(m.Department), string(m.Project), string(m.Order), string(m.Vendor))
		case m.Type == catalog.MatchProject:
			h.URL = drillURL(dep, string(m.Department), string(m.Project))
		default:
			h.URL = dep
		}
		hits = append(hits, h)
		if len(hits) == searchLimit {
			break
		}
	}
	return hits, nil
}

// latestRated is the latest rated or closed month ("YYYY-MM"), else the previous month
// (app.LatestShown).
func (s *Server) latestRated(ctx context.Context) string {
	ms, err := s.monthStates(ctx)
	if err != nil {
		ms = nil // none known: the month before this one
	}
	return app.LatestShown(ms, s.now()).String()
}

type searchData struct {
	Q    string
	Hits []searchHit
}

// GET /search?q=: the hits as a page.
func (s *Server) searchPage(w http.ResponseWriter, r *http.Request, c *call) {
	q := r.URL.Query().Get("q")
	hits, err := s.search(r.Context(), c, q)
	if err != nil {
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return
	}
	s.render(w, c, 200, "search", "搜索 "+q, searchData{Q: q, Hits: hits})
}

// GET /api/v1/search?q=: {"results": [{"type", "type_name", "id", "name", "department_id", "url"}]}.
func (s *Server) apiSearch(w http.ResponseWriter, r *http.Request, c *call) {
	hits, err := s.search(r.Context(), c, r.URL.Query().Get("q"))
	if err != nil {
		s.fail(w, r, apiRoute, 500, "服务暂不可用", err)
		return
	}
	writeJSON(w, 200, map[string]any{"results": hits})
}
