package rating

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
)

// RemarkCode names a remark of a rated line's note.
type RemarkCode string

const (
	// RemarkAdapted: the order's resource was not in the catalog and was adapted to the
	// line's item. Values: resource_type.
	RemarkAdapted RemarkCode = "adapted"
	// RemarkWindow: a metered line's quantity is the aggregation of a metric's samples
	// over a window of days. Values: agg, metric, from, to (YYYY-MM-DD).
	RemarkWindow RemarkCode = "window"
	// RemarkUnfunded: the order's project is not on the year's approved list. Values:
	// kind (the line's billing: charge or metered), project, year, why (not_listed: not
	// on the list; not_approved: listed, not approved).
	RemarkUnfunded RemarkCode = "unfunded"
	// RemarkAdjusts: an adjustment line's difference. Values: period (the closed month),
	// kind (the kind corrected), order ("" for a deduction), booked, rerated (amounts with
	// two decimals), and when the days changed days_booked, days_now.
	RemarkAdjusts RemarkCode = "adjusts"
	// RemarkText: free text (a note stored before remarks were data, or written by hand).
	// Values: text.
	RemarkText RemarkCode = "text"
)

// Why an unfunded line is unfunded (RemarkUnfunded's "why").
const (
	UnfundedNotListed   = "not_listed"
	UnfundedNotApproved = "not_approved"
)

// Remark is one remark of a rated line: a stable code and its values. Rating writes no
// words: a line's Note holds its remarks (EncodeNote) and package glossary renders them.
type Remark struct {
	Code   RemarkCode
	Values url.Values
}

// Get is the remark's value of key ("" when absent).
func (r Remark) Get(key string) string { return r.Values.Get(key) }

// remark builds a remark from key, value pairs.
func remark(code RemarkCode, kv ...string) Remark {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return Remark{Code: code, Values: v}
}

// AdaptedRemark, WindowRemark, UnfundedRemark and AdjustsRemark are the remarks rating
// writes.
func AdaptedRemark(resourceType string) Remark {
	return remark(RemarkAdapted, "resource_type", resourceType)
}

func WindowRemark(w UsageWindow) Remark {
	return remark(RemarkWindow, "agg", string(w.Agg), "metric", w.Metric, "from", w.From.String(), "to", w.To.String())
}

func UnfundedRemark(kind Kind, project catalog.ProjectID, year int, why string) Remark {
	return remark(RemarkUnfunded, "kind", string(kind), "project", string(project), "year", strconv.Itoa(year), "why", why)
}

func AdjustsRemark(corrects calendar.Period, kind Kind, order catalog.OrderID, booked, rerated string, daysBooked, daysNow int) Remark {
	r := remark(RemarkAdjusts, "period", corrects.String(), "kind", string(kind), "order", string(order), "booked", booked, "rerated", rerated)
	if daysBooked != daysNow {
		r.Values.Set("days_booked", strconv.Itoa(daysBooked))
		r.Values.Set("days_now", strconv.Itoa(daysNow))
	}
	return r
}

// noteSep separates the remarks of a note; a remark is "code?key=value&key=value", the
// values query-escaped (so the separator never occurs inside one).
const noteSep = "; "

var remarkRE = regexp.MustCompile(`^(adapted|window|unfunded|adjusts|text)\?[^ ]*$`)

// EncodeNote is the stored form of remarks (rated_lines.note): each "code?values" (keys in
// order, values query-escaped), joined by "; "; no remarks: "".
func EncodeNote(rs []Remark) string {
	parts := make([]string, 0, len(rs))
	for _, r := range rs {
		parts = append(parts, string(r.Code)+"?"+r.Values.Encode())
	}
	return strings.Join(parts, noteSep)
}

// ParseNote reads a stored note back into remarks. A note that is not wholly remarks
// (written before remarks were data, or by hand) is one RemarkText holding it as it is;
// "" is none.
func ParseNote(note string) []Remark {
	if note == "" {
		return nil
	}
	var out []Remark
	for _, part := range strings.Split(note, noteSep) {
		if !remarkRE.MatchString(part) {
			return []Remark{remark(RemarkText, "text", note)}
		}
		code, query, _ := strings.Cut(part, "?")
		v, err := url.ParseQuery(query)
		if err != nil {
			return []Remark{remark(RemarkText, "text", note)}
		}
		out = append(out, Remark{Code: RemarkCode(code), Values: v})
	}
	return out
}

// Remarks are the line's remarks (ParseNote of its Note).
func (l Line) Remarks() []Remark { return ParseNote(l.Note) }
