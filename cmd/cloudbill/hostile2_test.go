package main

// The second hostile-input probe: the cases that run
// the real commands on a fresh database of one shared ClickHouse, as TestHostileInput
// does for the first probe. Cases named F<n> reproduce finding n.

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/sql/chtest"
)

// farColumnWorkbook is an invoice workbook of rows rows after the header, each holding
// one value in the sheet's last column (XFD): about 100 KB for 20,000 rows.
func farColumnWorkbook(t *testing.T, rows int) []byte {
	t.Helper()
	return xlsxWithSheet(t, func(w io.Writer) {
		io.WriteString(w, xlsxHead)
		for r := 2; r <= rows+1; r++ {
			fmt.Fprintf(w, `<row r="%d"><c r="XFD%d"><v>1</v></c></row>`, r, r)
		}
		io.WriteString(w, "</sheetData></worksheet>")
	})
}

func TestHostileInputRound2(t *testing.T) {
	srv := meteringServer(t)

	// ---- finding 2: a 100 KB workbook took 1 GB ----

	t.Run("F2 a workbook with a value per row in column XFD: reconcile and the portal upload stay small", func(t *testing.T) {
		if testing.Short() {
			t.Skip("runs cloudbill and serve as processes")
		}
		h := newHostile(t, srv, true)
		h.ok("rate", "--period", "2026-11")
		data := farColumnWorkbook(t, 20_000)
		t.Logf("workbook: %d bytes", len(data))
		inv := h.file("far.xlsx", string(data))
		m := runMeasured(t, h.dsn, filepath.Join(h.dir, "var"), 3*time.Minute,
			"reconcile", "--period", "2026-11", "--vendor", "V1", "--invoice", inv, "--out", filepath.Join(h.dir, "out"), "--provisional")
		assert.Equal(t, exitBadInput, m.code, m.out)
		assert.Contains(t, m.out, "far.xlsx 第 2 行：XFD 列有值，超出表头的最后一列 E", "the binary prints the refusal in Chinese")
		assert.Less(t, m.peakMB, 200.0, "peak RSS of reconcile, MB (1,000 before the fix)")
		assert.Less(t, m.took, 60*time.Second)

		pw := filepath.Join(h.dir, "pw")
		require.NoError(t, os.WriteFile(pw, []byte("far-column-password\n"), 0o600))
		h.ok("users", "add", "--role", "vendor", "--vendor", "V1", "--password-file", pw, "v1")
		sp := serveMeasured(t, h.dsn, filepath.Join(h.dir, "serve"))
		c := sp.signIn(t, "v1", "far-column-password")
		before := sp.peakMB(t)
		began := time.Now()
		status, body := c.upload(t, "/vendors/V1/2026-11/invoice", "invoice", "far.xlsx", data)
		took := time.Since(began)
		peak := sp.peakMB(t)
		t.Logf("serve: peak RSS %.0f MB before the upload, %.0f MB after (answered %d in %s)", before, peak, status, took.Round(time.Millisecond))
		assert.Equal(t, http.StatusBadRequest, status)
		assert.Contains(t, body, "XFD")
		assert.Less(t, peak, 256.0, "peak RSS of serve, MB (1,030 before the fix)")
		assert.Less(t, took, 60*time.Second)
	})

	// ---- finding 3: a vendor's Prometheus took the collector's memory ----

	t.Run("F3 a 10 MB error string from a vendor's Prometheus: collect stays small and keeps a few KB", func(t *testing.T) {
		if testing.Short() {
			t.Skip("runs cloudbill as a process")
		}
		h := newHostile(t, srv, true)
		huge := strings.Repeat("x", 10<<20)
		prom := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/api/v1/query_range" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"status":"error","errorType":"bad_data","error":"%s"}`, huge)
		}))
		defer prom.Close()
		start := time.Now().Add(-49 * time.Hour).Truncate(24 * time.Hour)
		cfg := h.file("V1.yaml", fmt.Sprintf("vendor: V1\nprometheus: {url: %q, timeout: 60s}\nstart: %s\nmappings:\n  - {metric: cpu_util, query: \"avg_over_time(vm_cpu_util[$window])\", resource_label: instance_id, window: 1h}\n",
			prom.URL, start.Format(time.RFC3339)))
		m := runMeasured(t, h.dsn, filepath.Join(h.dir, "var"), 5*time.Minute, "collect", "--config", cfg)
		assert.Equal(t, exitFailed, m.code, "%.2000s", m.out)
		assert.Contains(t, m.out, "prometheus answered 400 Bad Request, refused: a string of more than 1024 KiB in the answer")
		assert.Less(t, len(m.out), 64<<10, "the error is cut before it is printed")
		assert.Less(t, m.peakMB, 300.0, "peak RSS of collect, MB (1,600 before the fix; 120-160 after, with the runtime and the GC's slack)")
		var windows, longest uint64
		require.NoError(t, chtest.Conn(t, h.s).QueryRow(t.Context(), "SELECT count(), max(length(error)) FROM collect_windows WHERE status = 'failed'").Scan(&windows, &longest))
		assert.GreaterOrEqual(t, windows, uint64(48))
		assert.LessOrEqual(t, longest, uint64(4<<10), "a stored error is a few KB")
	})

	// ---- memory bounded by design: serve under the worst shape of ingest ----

	t.Run("memory: eight senders each posting a 16 MiB body at once stay within serve's memory limit", func(t *testing.T) {
		if testing.Short() {
			t.Skip("runs serve as a process")
		}
		h := newHostile(t, srv, false)
		sp := serveMeasured(t, h.dsn, filepath.Join(h.dir, "serve"), "--no-auth", "--memory-limit", "128")
		var body bytes.Buffer
		base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		for k := 0; body.Len() < 16<<20; k++ {
			fmt.Fprintf(&body, `{"resource_id":"vm-%04d","metric":"cpu_util","ts":"%s","value":%d}`+"\n", k%1000, base.Add(time.Duration(k/1000)*time.Minute).Format(time.RFC3339), k%100)
		}
		before := sp.peakMB(t)
		var wg sync.WaitGroup
		statuses := make([]int, 8)
		retry := make([]string, 8)
		for i := range statuses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := http.Post(sp.base+"/v1/samples", "application/x-ndjson", bytes.NewReader(body.Bytes()))
				if err != nil {
					t.Errorf("sender %d: %v", i, err)
					return
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				statuses[i], retry[i] = res.StatusCode, res.Header.Get("Retry-After")
			}()
		}
		wg.Wait()
		peak := sp.peakMB(t)
		t.Logf("serve: peak RSS %.0f MB before, %.0f MB after 8 × %d MiB bodies; answers %v", before, peak, body.Len()>>20, statuses)
		ok, shed := 0, 0
		for i, st := range statuses {
			switch st {
			case http.StatusOK:
				ok++
			case http.StatusServiceUnavailable:
				shed++
				assert.NotEmpty(t, retry[i], "503 says when to send again")
			default:
				t.Errorf("sender %d: answered %d", i, st)
			}
		}
		assert.Positive(t, ok, "some are taken")
		assert.Positive(t, shed, "the others are shed before their bodies are read")
		assert.Less(t, peak, 256.0, "peak RSS of serve, MB")
	})

	// ---- finding 9: Latin-1 text that happens to be valid GB18030 ----

	t.Run("F9 a Latin-1 department name valid as GB18030 is refused, naming --encoding", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, false)
		msg := h.refused([]string{"d.csv 第 3 行：第 6 个字节（0xFC）：按 GB18030 虽能读", "--encoding utf-8|gb18030"},
			"org", "import", "--departments", h.file("d.csv", "id,name,parent_id\nD01,Finanzamt,\nD02,M\xfcller Stra\xdfe,\n"))
		assert.NotContains(t, msg, "黮")
		h.refused([]string{"第 12 个字节（0xE9）：按 GB18030 虽能读"},
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
