package gen

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"cloudbill/internal/calendar"
)

// catalogCSV is ../shared/data/catalog-sample.csv, copied so that the binary carries it.
//
//go:embed catalog-sample.csv
var catalogCSV []byte

// item is one row of the catalog.
type item struct {
	code, category, billing, metric string
	internet, extranet              bool // offered in the zone (a price is given)
	row                             []string
}

// metrics are the usage metrics the vendors report for a resource of the item.
func (it item) metrics() []string {
	switch {
	case it.billing == "metered" && it.metric != "":
		return []string{it.metric}
	case it.category == "compute" || it.category == "database":
		return []string{"cpu_util", "mem_util"}
	case it.category == "storage" && it.billing == "allocated":
		return []string{"disk_used_gb"}
	}
	return nil
}

// offered reports whether the item may be ordered in zone z.
func (it item) offered(z string) bool {
	if z == "internet" {
		return it.internet
	}
	return it.extranet
}

type dept struct {
	id, name string
	parent   int // -1 for a top-level department
	systems  []string
}

type project struct {
	id, name string
	dept     int
	category string // om, new, renovation
	approved bool
}

type vendor struct{ id, name string }

// event is one work-order event; a terminate repeats the configuration before it.
type event struct {
	kind    string // open, change, terminate
	date    calendar.Date
	project int
	item    string // the catalog item (after adaptation)
	qty     int
	portion string
}

// order is a work order with its events and the model of its usage.
type order struct {
	seq      int
	id       string
	dept     int
	vendor   int
	zone     string
	rtype    string // vendor resource type, adapted (item_code left empty in the file)
	resource string
	events   []event
	model    usageModel
}

// usageModel holds the parameters of a resource's usage curves.
type usageModel struct {
	cpuMean, cpuAmp   float64 // percent
	memMean, memAmp   float64 // percent
	diskFrac, diskDay float64 // fraction of capacity used at the period start, growth per day
	trafficDay        float64 // GB per day
	objBase, objDay   float64 // GB at the period start, growth fraction per day
}

// world is a generated dataset before it is written.
type world struct {
	cfg      Config
	sp       scaleParams
	rng      *rand.Rand
	header   []string // the catalog header
	items    []item
	itemIdx  map[string]int
	depts    []dept
	children [][]int
	projects []project
	byDept   [][]int // projects of each department
	vendors  []vendor
	orders   []*order
	accept   [][]string

	yearStart, first, last calendar.Date
}

// build makes the master data, orders and acceptance records of cfg, deterministically.
func build(cfg Config) (*world, error) {
	sp, _ := cfg.Scale.params()
	w := &world{
		cfg: cfg, sp: sp,
		rng:       rand.New(rand.NewPCG(uint64(cfg.Seed), 0x636c6f756462696c)), // "cloudbil"
		yearStart: calendar.Date{Year: cfg.Period.Year, Month: time.January, Day: 1},
		first:     cfg.Period.First(),
		last:      cfg.Period.Last(),
	}
	if err := w.loadCatalog(); err != nil {
		return nil, err
	}
	w.makeDepartments()
	w.makeProjects()
	w.makeVendors()
	w.makeOrders()
	w.makeAcceptance()
	return w, nil
}

func (w *world) loadCatalog() error {
	r := csv.NewReader(bytes.NewReader(catalogCSV))
	rows, err := r.ReadAll()
	if err != nil || len(rows) < 2 {
		return fmt.Errorf("embedded catalog: %v", err)
	}
	w.header = rows[0]
	col := map[string]int{}
	for i, h := range w.header {
		col[h] = i
	}
	for _, c := range []string{"code", "category", "billing", "price_internet", "price_extranet", "meter_metric"} {
		if _, ok := col[c]; !ok {
			return fmt.Errorf("embedded catalog: no column %s", c)
		}
	}
	w.itemIdx = map[string]int{}
	for _, row := range rows[1:] {
		it := item{
			code: row[col["code"]], category: row[col["category"]], billing: row[col["billing"]],
			metric:   row[col["meter_metric"]],
			internet: row[col["price_internet"]] != "", extranet: row[col["price_extranet"]] != "",
			row: row,
		}
		w.itemIdx[it.code] = len(w.items)
		w.items = append(w.items, it)
	}
	return nil
}

func (w *world) item(code string) item { return w.items[w.itemIdx[code]] }

// makeDepartments fills areas one after the other: in each, about 40% bureaus (the first
// four always 财政局, 教育委员会, 卫生健康委员会, 公安分局; then the others in a seeded
// order, and in the district itself its towns), the rest their subordinate units.
func (w *world) makeDepartments() {
	w.depts = nil
	for a := 0; a < len(areas) && len(w.depts) < w.sp.departments; a++ {
		prefix := areas[a]
		size := min(w.sp.departments-len(w.depts), w.sp.areaSize)
		type top struct {
			name    string
			units   []string
			systems []string
		}
		var cands []top
		rest := make([]int, 0, len(bureaus))
		for i := range bureaus {
			if i >= 4 {
				rest = append(rest, i)
			}
		}
		w.rng.Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
		for _, i := range append([]int{0, 1, 2, 3}, rest...) {
			b := bureaus[i]
			units := make([]string, len(b.units))
			for k, u := range b.units {
				units[k] = prefix + u
			}
			cands = append(cands, top{prefix + b.name, units, b.systems})
		}
		if a == 0 {
			for _, t := range towns {
				name := t + "人民政府"
				if strings.HasSuffix(t, "街道") {
					name = t + "办事处"
				}
				cands = append(cands, top{name, []string{t + "便民服务中心"}, townSystems})
			}
		}
		nTop := min(len(cands), max(1, (size*2+4)/5))
		if size <= 5 {
			nTop = min(3, size)
		}
		tops := make([]int, 0, nTop)
		for _, c := range cands[:nTop] {
			tops = append(tops, len(w.depts))
			w.depts = append(w.depts, dept{id: "", name: c.name, parent: -1, systems: c.systems})
		}
		// Subordinate units, round robin over the bureaus from 教育委员会 on.
		next := make([]int, nTop)
		added := nTop
		for added < size {
			progress := false
			for k := 0; k < nTop && added < size; k++ {
				t := (k + 1) % nTop
				if next[t] >= len(cands[t].units) {
					continue
				}
				w.depts = append(w.depts, dept{name: cands[t].units[next[t]], parent: tops[t], systems: cands[t].systems})
				next[t]++
				added++
				progress = true
			}
			if !progress {
				break
			}
		}
	}
	w.children = make([][]int, len(w.depts))
	width := len(fmt.Sprint(len(w.depts)))
	width = max(width, 3)
	for i := range w.depts {
		w.depts[i].id = fmt.Sprintf("D%0*d", width, i+1)
		if p := w.depts[i].parent; p >= 0 {
			w.children[p] = append(w.children[p], i)
		}
	}
}

var categorySuffix = map[string]string{"om": "运维项目", "new": "建设项目", "renovation": "升级改造项目"}

// makeProjects gives every bureau 1–3 projects and about a third of the subordinate units
// one; categories om 50%, new 30%, renovation 20%; about 8% are not on the approved list.
// Every category and an unapproved project are always present.
func (w *world) makeProjects() {
	year := w.cfg.Period.Year
	w.byDept = make([][]int, len(w.depts))
	for d, dp := range w.depts {
		n := 0
		if dp.parent < 0 {
			n = 1 + w.rng.IntN(3)
		} else if w.rng.Float64() < 0.35 {
			n = 1
		}
		systems := append([]string(nil), dp.systems...)
		w.rng.Shuffle(len(systems), func(i, j int) { systems[i], systems[j] = systems[j], systems[i] })
		for k := 0; k < n; k++ {
			cat := "om"
			switch x := w.rng.Float64(); {
			case x < 0.2:
				cat = "renovation"
			case x < 0.5:
				cat = "new"
			}
			sys := systems[k%len(systems)]
			if k >= len(systems) {
				sys += chineseNumerals[k/len(systems)] + "期"
			}
			prefix := dp.name
			if dp.parent < 0 && d < 4 && w.sp.departments <= 60 {
				prefix = "" // the district's big bureaus' projects go by the system's name
			}
			p := project{
				name: prefix + sys + categorySuffix[cat], dept: d, category: cat,
				approved: w.rng.Float64() >= 0.08,
			}
			w.byDept[d] = append(w.byDept[d], len(w.projects))
			w.projects = append(w.projects, p)
		}
	}
	// Make sure every category, an approved renovation project and an unapproved
	// non-renovation project exist (small datasets may miss them by chance).
	has := func(f func(project) bool) bool {
		for _, p := range w.projects {
			if f(p) {
				return true
			}
		}
		return false
	}
	set := func(i int, cat string, approved bool) {
		p := &w.projects[i]
		p.name = strings.TrimSuffix(p.name, categorySuffix[p.category]) + categorySuffix[cat]
		p.category, p.approved = cat, approved
	}
	// Project 0 (the first bureau's) is O&M, approved.
	set(0, "om", true)
	if !has(func(p project) bool { return p.category == "renovation" && p.approved }) {
		set(1, "renovation", true)
	}
	if !has(func(p project) bool { return p.category == "new" }) {
		for i := len(w.projects) - 1; i > 0; i-- {
			if w.projects[i].category == "om" {
				set(i, "new", w.projects[i].approved)
				break
			}
		}
	}
	if !has(func(p project) bool { return !p.approved && p.category != "renovation" }) {
		for i := len(w.projects) - 1; i > 0; i-- {
			if w.projects[i].category != "renovation" {
				w.projects[i].approved = false
				break
			}
		}
	}
	width := max(4, len(fmt.Sprint(len(w.projects))))
	for i := range w.projects {
		w.projects[i].id = fmt.Sprintf("P%d-%0*d", year, width, i+1)
	}
}

func (w *world) makeVendors() {
	w.vendors = nil
	for _, v := range vendorTable[:w.sp.vendors] {
		w.vendors = append(w.vendors, vendor{v.id, v.name})
	}
}

// lifecycle is the shape of an order's events.
type lifecycle int

const (
	lcFull         lifecycle = iota // opened before the period, in service all month
	lcOpenIn                        // opened in the period
	lcOpenInTermIn                  // opened and terminated in the period
	lcSameDay                       // opened and terminated the same day in the period
	lcTermIn                        // opened before, terminated in the period
	lcChangeIn                      // opened before, changed in the period
	lcChangeBefore                  // opened and changed before the period
	lcTermBefore                    // opened and terminated before the period
)

type changeKind int

const (
	chUp     changeKind = iota // quantity up
	chDown                     // quantity down
	chConfig                   // disk type, or the project funding it
)

// scenario constrains an order; the zero value leaves everything to chance.
type scenario struct {
	lc         lifecycle
	change     changeKind
	item       string // catalog item, or
	rtype      string // vendor resource type to adapt
	zone       string
	renovation string // portion wanted: the order belongs to a renovation project
	unapproved bool   // the order's project is not on the approved list
	fixed      bool   // lc and change are set
}

// showcase is the start of every dataset's orders: each case that billing must handle.
var showcase = []scenario{
	{fixed: true, lc: lcFull, item: "C01", zone: "extranet"}, // full month across C01's price change
	{fixed: true, lc: lcFull, item: "N04"},                   // metered traffic
	{fixed: true, lc: lcFull, item: "S03"},                   // metered object storage
	{fixed: true, lc: lcChangeIn, change: chUp, item: "C02"},
	{fixed: true, lc: lcChangeIn, change: chDown, item: "C01"},
	{fixed: true, lc: lcChangeIn, change: chConfig, item: "S01"}, // disk type S01 → S02
	{fixed: true, lc: lcTermIn, item: "C03"},
	{fixed: true, lc: lcOpenIn, item: "S02"},
	{fixed: true, lc: lcOpenInTermIn, item: "D01"},
	{fixed: true, lc: lcSameDay, item: "N03"},
	{fixed: true, lc: lcFull, rtype: "ecs.c6.large", zone: "internet"},
	{fixed: true, lc: lcFull, rtype: "oss.standard"},
	{fixed: true, lc: lcOpenIn, rtype: "rds.mysql.s2"},
	{fixed: true, lc: lcFull, item: "C01", renovation: "stock"},
	{fixed: true, lc: lcOpenIn, item: "C02", renovation: "new"},
	{fixed: true, lc: lcFull, item: "X02", unapproved: true},
	{fixed: true, lc: lcChangeBefore, item: "S02"},
	{fixed: true, lc: lcTermBefore, item: "C03"},
	{fixed: true, lc: lcFull, item: "N02"},
	{fixed: true, lc: lcFull, item: "X02"}, // full month across X02's price rise
}

// itemWeights is the mix of items ordered (per thousand).
var itemWeights = []struct {
	code string
	w    int
}{
	{"C01", 130}, {"C02", 130}, {"C03", 100}, {"E01", 20}, {"B01", 10},
	{"S01", 80}, {"S02", 100}, {"S03", 30},
	{"N01", 50}, {"N02", 50}, {"N03", 30}, {"N04", 40},
	{"D01", 50}, {"D02", 30}, {"M01", 10},
	{"X01", 20}, {"X02", 50}, {"X03", 10}, {"X04", 5}, {"X05", 5}, {"H01", 10},
}

// lifecycleWeights is the mix of lifecycles of orders past the showcase (per hundred).
var lifecycleWeights = []struct {
	lc lifecycle
	w  int
}{
	{lcFull, 54}, {lcChangeIn, 12}, {lcTermIn, 8}, {lcOpenIn, 10}, {lcOpenInTermIn, 5},
	{lcChangeBefore, 8}, {lcTermBefore, 3},
}

// sizes are sensible quantities of an item, in its unit.
func sizes(code string) []int {
	switch code {
	case "C01", "E01":
		return []int{2, 4, 8, 16, 32, 64}
	case "C02":
		return []int{4, 8, 16, 32, 64, 128, 256, 512}
	case "S01", "S02":
		return []int{50, 100, 200, 500, 1000, 2000}
	case "N02":
		return []int{5, 10, 20, 50, 100, 200}
	case "X01", "X02":
		return []int{1, 2, 4, 8, 10, 16, 20}
	case "H01":
		return []int{2, 4, 8, 10, 20}
	case "M01", "X03":
		return []int{1, 2}
	case "S03", "N04", "X04", "X05":
		return []int{1} // metered items: one bucket or one line; the quantity billed is measured
	}
	return []int{1, 2, 3, 4}
}

func (w *world) makeOrders() {
	w.orders = nil
	for i := 0; i < w.sp.orders; i++ {
		var sc scenario
		if i < len(showcase) {
			sc = showcase[i]
		}
		w.orders = append(w.orders, w.makeOrder(i, sc))
	}
}

func (w *world) pickItem() string {
	if w.rng.IntN(100) < 5 {
		return "" // an adapted resource type
	}
	total := 0
	for _, iw := range itemWeights {
		if _, ok := w.itemIdx[iw.code]; ok {
			total += iw.w
		}
	}
	x := w.rng.IntN(total)
	for _, iw := range itemWeights {
		if _, ok := w.itemIdx[iw.code]; !ok {
			continue
		}
		if x < iw.w {
			return iw.code
		}
		x -= iw.w
	}
	return w.items[0].code
}

// pickProject returns a random project satisfying ok (any project when none does).
func (w *world) pickProject(ok func(project) bool) int {
	var cands []int
	for i, p := range w.projects {
		if ok(p) {
			cands = append(cands, i)
		}
	}
	if len(cands) == 0 {
		return w.rng.IntN(len(w.projects))
	}
	return cands[w.rng.IntN(len(cands))]
}

func (w *world) portion(p int, want string) string {
	if w.projects[p].category != "renovation" {
		return ""
	}
	if want != "" {
		return want
	}
	if w.rng.Float64() < 0.6 {
		return "stock"
	}
	return "new"
}

func (w *world) pickVendor() int {
	total := 0.0
	for _, s := range vendorShare[:len(w.vendors)] {
		total += s
	}
	x := w.rng.Float64() * total
	for i, s := range vendorShare[:len(w.vendors)] {
		if x < s {
			return i
		}
		x -= s
	}
	return len(w.vendors) - 1
}

// randDate is a date in [lo, hi], both inclusive (lo when hi is before lo).
func (w *world) randDate(lo, hi calendar.Date) calendar.Date {
	n := lo.DaysUntil(hi)
	if n <= 0 {
		return lo
	}
	return lo.AddDays(w.rng.IntN(n + 1))
}

func (w *world) makeOrder(i int, sc scenario) *order {
	o := &order{seq: i + 1, id: fmt.Sprintf("WO%d%06d", w.cfg.Period.Year, i+1)}
	// What is ordered.
	code, rtype := sc.item, sc.rtype
	if code == "" && rtype == "" {
		code = w.pickItem()
		if code == "" {
			a := adaptationTable[w.rng.IntN(len(adaptationTable))]
			rtype = a.rtype
		}
	}
	if rtype != "" {
		for _, a := range adaptationTable {
			if a.rtype == rtype {
				code = a.item
			}
		}
	}
	o.rtype = rtype
	it := w.item(code)
	// Where: a zone that offers the item (on every catalog version: versions keep zones).
	o.zone = sc.zone
	if o.zone == "" || !it.offered(o.zone) {
		switch {
		case it.internet && !it.extranet:
			o.zone = "internet"
		case it.extranet && !it.internet:
			o.zone = "extranet"
		case w.rng.Float64() < 0.55:
			o.zone = "extranet"
		default:
			o.zone = "internet"
		}
	}
	// Who pays: the project first, then its department or one of its subordinate units.
	var p int
	switch {
	case sc.renovation != "":
		p = w.pickProject(func(p project) bool { return p.category == "renovation" && p.approved })
	case sc.unapproved:
		p = w.pickProject(func(p project) bool { return !p.approved })
	case i < len(showcase):
		p = w.pickProject(func(p project) bool { return p.approved && p.category != "renovation" })
	default:
		p = w.rng.IntN(len(w.projects))
	}
	o.dept = w.projects[p].dept
	if kids := w.children[o.dept]; len(kids) > 0 && w.rng.Float64() < 0.45 {
		o.dept = kids[w.rng.IntN(len(kids))]
	}
	if i < len(showcase) {
		o.vendor = i % len(w.vendors)
	} else {
		o.vendor = w.pickVendor()
	}
	o.resource = fmt.Sprintf("%s-%s-%06d", resourcePrefix(it), w.vendors[o.vendor].id, o.seq)
	sz := sizes(code)
	q := sz[w.rng.IntN(len(sz))]
	if sc.change == chDown && len(sz) > 1 && q == sz[0] {
		q = sz[1+w.rng.IntN(len(sz)-1)]
	}
	if sc.change == chUp && len(sz) > 1 && q == sz[len(sz)-1] {
		q = sz[w.rng.IntN(len(sz)-1)]
	}
	open := event{kind: "open", project: p, item: code, qty: q, portion: w.portion(p, sc.renovation)}
	o.model = w.usage()

	lc, ch := sc.lc, sc.change
	if !sc.fixed {
		lc = w.pickLifecycle()
		ch = changeKind(w.rng.IntN(3))
	}
	w.schedule(o, open, lc, ch)
	return o
}

func (w *world) pickLifecycle() lifecycle {
	x := w.rng.IntN(100)
	for _, lw := range lifecycleWeights {
		if x < lw.w {
			return lw.lc
		}
		x -= lw.w
	}
	return lcFull
}

// schedule dates the order's events. Without days before the period (a January period)
// "before" becomes the period's first day and cases that need two earlier dates move
// into the period.
func (w *world) schedule(o *order, open event, lc lifecycle, ch changeKind) {
	before := w.yearStart.DaysUntil(w.first) // days of the year before the period
	beforeLast := w.first.AddDays(-1)
	if before < 2 && (lc == lcChangeBefore || lc == lcTermBefore) {
		lc = map[lifecycle]lifecycle{lcChangeBefore: lcChangeIn, lcTermBefore: lcOpenInTermIn}[lc]
	}
	openBefore := func() calendar.Date {
		if before == 0 {
			return w.first
		}
		return w.randDate(w.yearStart, beforeLast)
	}
	second := w.first.AddDays(1)
	add := func(e event) { o.events = append(o.events, e) }
	terminate := func(d calendar.Date) {
		t := o.events[len(o.events)-1]
		t.kind, t.date = "terminate", d
		add(t)
	}
	switch lc {
	case lcFull:
		open.date = openBefore()
		add(open)
	case lcOpenIn:
		open.date = w.randDate(second, w.last)
		add(open)
	case lcOpenInTermIn:
		open.date = w.randDate(w.first, w.last.AddDays(-1))
		add(open)
		terminate(w.randDate(open.date.AddDays(1), w.last))
	case lcSameDay:
		open.date = w.randDate(second, w.last.AddDays(-1))
		add(open)
		terminate(open.date)
	case lcTermIn:
		open.date = openBefore()
		add(open)
		terminate(w.randDate(calendar.MaxDate(w.first, open.date.AddDays(1)), w.last))
	case lcChangeIn:
		open.date = openBefore()
		add(open)
		if c, ok := w.change(o, open, ch); ok {
			c.date = w.randDate(calendar.MaxDate(second, open.date.AddDays(1)), w.last)
			add(c)
		}
	case lcChangeBefore:
		open.date = w.randDate(w.yearStart, w.first.AddDays(-2))
		add(open)
		if c, ok := w.change(o, open, ch); ok {
			c.date = w.randDate(open.date.AddDays(1), beforeLast)
			add(c)
		}
	case lcTermBefore:
		open.date = w.randDate(w.yearStart, w.first.AddDays(-2))
		add(open)
		terminate(w.randDate(open.date.AddDays(1), beforeLast))
	}
}

// change makes a change of the order's configuration; ok is false when the kind makes
// no sense for it (a measured item has no quantity to change and no other project).
func (w *world) change(o *order, cur event, kind changeKind) (event, bool) {
	c := cur
	c.kind = "change"
	sz := sizes(cur.item)
	idx := 0
	for k, s := range sz {
		if s == cur.qty {
			idx = k
		}
	}
	if kind == chDown && strings.HasPrefix(cur.item, "S0") && w.item(cur.item).billing == "allocated" {
		kind = chUp // disks grow, they are not shrunk
	}
	if kind == chConfig {
		switch {
		case cur.item == "S01" && o.rtype == "":
			c.item = "S02" // 高效云盘 → SSD云盘
			return c, true
		default:
			var alts []int
			for _, d := range []int{o.dept, w.depts[o.dept].parent} {
				if d < 0 {
					continue
				}
				for _, p := range w.byDept[d] {
					if p != cur.project {
						alts = append(alts, p)
					}
				}
			}
			if len(alts) > 0 {
				c.project = alts[w.rng.IntN(len(alts))]
				c.portion = w.portion(c.project, "")
				return c, true
			}
			kind = chUp
		}
	}
	switch {
	case kind == chUp && idx+1 < len(sz):
		c.qty = sz[idx+1+w.rng.IntN(min(2, len(sz)-idx-1))]
	case kind == chDown && idx > 0:
		c.qty = sz[idx-1-w.rng.IntN(min(2, idx))]
	case len(sz) > 1 && idx > 0:
		c.qty = sz[idx-1]
	case len(sz) > 1:
		c.qty = sz[idx+1]
	default:
		return event{}, false
	}
	return c, true
}

func resourcePrefix(it item) string {
	switch it.code {
	case "C01", "C02", "C03", "E01":
		return "ecs"
	case "B01":
		return "bms"
	case "S01", "S02":
		return "disk"
	case "S03":
		return "oss"
	case "N01", "N04":
		return "eip"
	case "N02":
		return "bw"
	case "N03":
		return "slb"
	case "D01":
		return "rds"
	case "D02":
		return "redis"
	case "M01":
		return "mq"
	case "H01":
		return "rack"
	}
	return strings.ToLower(it.category)
}

// usage draws a resource's usage curves: a fifth of machines are idle (a few percent CPU:
// what the idle-capacity reminders of §12 look for).
func (w *world) usage() usageModel {
	r := w.rng
	m := usageModel{
		cpuMean: 10 + 55*r.Float64(), cpuAmp: 0.2 + 0.6*r.Float64(),
		memMean: 25 + 60*r.Float64(), memAmp: 0.05 + 0.2*r.Float64(),
		diskFrac: 0.2 + 0.6*r.Float64(), diskDay: 0.005 * r.Float64(),
		trafficDay: math.Exp(math.Log(2) + (math.Log(300)-math.Log(2))*r.Float64()),
		objBase:    math.Exp(math.Log(50) + (math.Log(8000)-math.Log(50))*r.Float64()),
		objDay:     0.0005 + 0.0095*r.Float64(),
	}
	if r.Float64() < 0.2 {
		m.cpuMean = 1 + 5*r.Float64()
		m.memMean = 8 + 12*r.Float64()
	}
	return m
}

// makeAcceptance writes one record per vendor: passed; deferred with a security assessment
// that expired on the 10th; failed; passed but expired the day before the month end (so
// it counts as failed); passed with a low score and availability. Scores and
// availabilities fall in successive deduction tiers.
func (w *world) makeAcceptance() {
	type tier struct {
		result           string
		scoreLo, scoreHi float64
		availLo, availHi float64
		expires          calendar.Date
	}
	valid := calendar.Date{Year: w.cfg.Period.Year + 1, Month: time.June, Day: 30}
	tiers := []tier{
		{"passed", 90, 99, 99.95, 99.99, valid},
		{"deferred", 80, 89.5, 99.90, 99.94, w.first.AddDays(9)},
		{"failed", 60, 69.5, 99.0, 99.89, valid},
		{"passed", 70, 79.5, 95.0, 98.99, w.last.AddDays(-1)},
		{"passed", 50, 59.5, 92.0, 94.99, valid},
	}
	w.accept = nil
	for i, v := range w.vendors {
		t := tiers[i%len(tiers)]
		score := t.scoreLo + math.Round((t.scoreHi-t.scoreLo)*w.rng.Float64()*2)/2
		avail := t.availLo + math.Floor((t.availHi-t.availLo)*w.rng.Float64()*100)/100
		w.accept = append(w.accept, []string{
			v.id, w.cfg.Period.String(), t.result,
			fmt.Sprintf("%.1f", score), fmt.Sprintf("%.2f", avail), t.expires.String(),
		})
	}
}

func (w *world) eventCount() int {
	n := 0
	for _, o := range w.orders {
		n += len(o.events)
	}
	return n
}
