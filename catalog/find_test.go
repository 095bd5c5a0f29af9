package catalog

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"cloudbill/internal/calendar"
)

func TestFind(t *testing.T) {
	org := Org{
		Departments: map[DepartmentID]Department{"D01": {ID: "D01", Name: "区财政局"}, "D02": {ID: "D02", Name: "区教育局"}},
		Projects: map[ProjectKey]Project{
			{ID: "P-O-1001", Year: 2026}: {Name: "财政云平台", Department: "D01"},
			{ID: "P02", Year: 2026}:      {Name: "智慧教育", Department: "D02"},
		},
	}
	ev := func(o, dep, res, date string) Event {
		return Event{Order: OrderID(o), Kind: EventOpen, Effective: calendar.MustDate(date),
			Config: Config{Department: DepartmentID(dep), Project: "P02", Vendor: "V1", ResourceID: ResourceID(res)}}
	}
	events := []Event{ev("O-1001", "D02", "i-abc", "2026-01-01"), ev("O-10012", "D02", "", "2026-01-01"),
		ev("O-1001", "D01", "i-abc", "2026-03-01")} // moved to D01 in March
	ids := func(ms []Match) []string {
		var out []string
		for _, m := range ms {
			out = append(out, string(m.Type)+":"+m.ID)
		}
		return out
	}
	for _, tt := range []struct {
		name, q string
		want    []string
	}{
		{"exact order first, then by type", "o-1001", []string{"order:O-1001", "order:O-10012", "project:P-O-1001"}},
		{"resource id", "I-ABC", []string{"resource:i-abc"}},
		{"project name", "教育", []string{"project:P02", "department:D02"}},
		{"department id", "d01", []string{"department:D01"}},
		{"too short", "D", nil},
	} {
		t.Run(tt.name, func(t *testing.T) { assert.Equal(t, tt.want, ids(Find(org, events, tt.q, 0))) })
	}
	m := Find(org, events, "O-1001", 1)
	assert.Len(t, m, 1)
	assert.Equal(t, DepartmentID("D01"), m[0].Department, "an order belongs where its latest event puts it")
}
