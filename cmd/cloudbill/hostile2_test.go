package main

// The second hostile-input probe (issue 24): the cases of findings 2, 3 and 9 that run
// the real commands on a fresh database of one shared ClickHouse, as TestHostileInput
// does for the first probe. Cases named F<n> reproduce finding n.

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"cloudbill/sql/chtest"
)

func TestHostileInputRound2(t *testing.T) {
	srv := meteringServer(t)

	// ---- finding 9: Latin-1 text that happens to be valid GB18030 ----

	t.Run("F9 a Latin-1 department name valid as GB18030 is refused, naming --encoding", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, false)
		msg := h.refused([]string{"d.csv:3: byte 6 (0xFC): is valid GB18030 only by chance", "--encoding utf-8|gb18030"},
			"org", "import", "--departments", h.file("d.csv", "id,name,parent_id\nD01,Finanzamt,\nD02,M\xfcller Stra\xdfe,\n"))
		assert.NotContains(t, msg, "黮")
		h.refused([]string{"byte 12 (0xE9): is valid GB18030 only by chance"},
			"org", "import", "--departments", h.file("d2.csv", "id,name,parent_id\nD01,Les caf\xe9s,\n"))
		// a GB18030 file as Excel on a Chinese Windows saves it is still read
		h.ok("org", "import", "--departments", h.file("gb.csv", gbText(t, "id,name,parent_id\nD01,区财政局,\nD02,区民政局（社会救助中心）,\nD03,王喆工作室,\n")))
		var names []string
		rows, err := chtest.Conn(t, h.s).Query(t.Context(), "SELECT name FROM departments ORDER BY id")
		if assert.NoError(t, err) {
			for rows.Next() {
				var n string
				assert.NoError(t, rows.Scan(&n))
				names = append(names, n)
			}
			rows.Close()
		}
		assert.Equal(t, []string{"区财政局", "区民政局（社会救助中心）", "王喆工作室"}, names)
	})

	t.Run("F9 a Latin-1 resource id valid as GB18030 is a rejected line, not a garbled sample", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, true)
		out := h.ingestRejects(1, []string{"s.csv:2: byte 2 (0xFC): is valid GB18030 only by chance", "--encoding utf-8|gb18030"},
			h.file("s.csv", samplesHead+"M\xfcller-Stra\xdfe-1,net_out_gb,2026-11-03T10:00:00+08:00,1\nvm-9,net_out_gb,2026-11-03T10:00:00+08:00,1\n"))
		assert.NotContains(t, out, "黮")
		var ids []string
		assert.NoError(t, chtest.Conn(t, h.s).QueryRow(t.Context(), "SELECT groupUniqArray(resource_id) FROM usage_samples").Scan(&ids))
		assert.Equal(t, []string{"vm-9"}, ids)
	})
}
