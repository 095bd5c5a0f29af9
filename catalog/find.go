package catalog

import (
	"sort"
	"strings"
)

// MatchType is what a search hit is.
type MatchType string

const (
	MatchOrder      MatchType = "order"
	MatchResource   MatchType = "resource"
	MatchProject    MatchType = "project"
	MatchDepartment MatchType = "department"
)

// Match is one thing Find found: its id and name, and where it belongs (department,
// and for orders and resources their project, vendor and order).
type Match struct {
	Type       MatchType
	ID         string
	Name       string
	Department DepartmentID
	Project    ProjectID
	Vendor     VendorID
	Order      OrderID
}

// Find looks q up, case-insensitively, in work-order ids, resource ids (as the orders'
// events name them), project ids and names, and department ids and names. Exact ids come
// first, then by type and id; at most limit matches. An order's department, project and
// vendor are those of its latest event. q of fewer than 2 characters finds nothing.
func Find(org Org, events []Event, q string, limit int) []Match {
	q = strings.ToLower(strings.TrimSpace(q))
	if len([]rune(q)) < 2 {
		return nil
	}
	var out []Match
	exact := map[int]bool{}
	add := func(m Match, id string, texts ...string) {
		for _, t := range append([]string{id}, texts...) {
			if strings.Contains(strings.ToLower(t), q) {
				if strings.ToLower(id) == q {
					exact[len(out)] = true
				}
				out = append(out, m)
				return
			}
		}
	}
	latest := map[OrderID]Event{}
	for _, e := range events {
		if l, ok := latest[e.Order]; !ok || !e.Effective.Before(l.Effective) {
			latest[e.Order] = e
		}
	}
	resources := map[ResourceID]Event{}
	for _, e := range latest {
		add(Match{Type: MatchOrder, ID: string(e.Order), Department: e.Department, Project: e.Project, Vendor: e.Vendor, Order: e.Order}, string(e.Order))
		if e.ResourceID != "" {
			resources[e.ResourceID] = e
		}
	}
	for r, e := range resources {
		add(Match{Type: MatchResource, ID: string(r), Name: string(e.Order), Department: e.Department, Project: e.Project, Vendor: e.Vendor, Order: e.Order}, string(r))
	}
	seen := map[ProjectID]bool{}
	for k, p := range org.Projects {
		if seen[k.ID] {
			continue
		}
		before := len(out)
		add(Match{Type: MatchProject, ID: string(k.ID), Name: p.Name, Department: p.Department, Project: k.ID}, string(k.ID), p.Name)
		if len(out) > before {
			seen[k.ID] = true
		}
	}
	for id, d := range org.Departments {
		add(Match{Type: MatchDepartment, ID: string(id), Name: d.Name, Department: id}, string(id), d.Name)
	}
	rank := func(t MatchType) int {
		switch t {
		case MatchOrder:
			return 0
		case MatchResource:
			return 1
		case MatchProject:
			return 2
		}
		return 3
	}
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		i, j := idx[a], idx[b]
		if exact[i] != exact[j] {
			return exact[i]
		}
		if rank(out[i].Type) != rank(out[j].Type) {
			return rank(out[i].Type) < rank(out[j].Type)
		}
		return out[i].ID < out[j].ID
	})
	res := make([]Match, 0, len(out))
	for _, i := range idx {
		res = append(res, out[i])
	}
	if limit > 0 && len(res) > limit {
		res = res[:limit]
	}
	return res
}
