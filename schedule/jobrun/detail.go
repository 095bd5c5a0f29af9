package jobrun

import (
	"net/url"

	"cloudbill/internal/coded"
)

// DetailCode names what a job run's Detail says, as data: a code and its values
// ("code?key=value&…", package coded), never words. `cloudbill status` prints it in
// English (DetailEnglish), the portal in Chinese (glossary.JobDetail). A detail recorded
// before details were data prints as it was stored.
type DetailCode string

const (
	// DetailRated: the month rated.
	DetailRated DetailCode = "rated"
	// DetailRateClosed: the month is closed, not rated again.
	DetailRateClosed DetailCode = "rate_closed"
	// DetailAlreadyClosed: the month was closed before: nothing done.
	DetailAlreadyClosed DetailCode = "already_closed"
	// DetailNothingDue: no month closed yet and the last month has no rated lines.
	// Values: period.
	DetailNothingDue DetailCode = "nothing_due"
	// DetailClosed: the month closed. Values: lines, total, hash, issued=1 (statements
	// issued).
	DetailClosed DetailCode = "closed"
	// DetailIdleAnalysis: an idle analysis. Values: date, over (departments), saving,
	// opened (cases), excluded (samples).
	DetailIdleAnalysis DetailCode = "idle_analysis"
	// DetailIdleFollow: an idle follow-up. Values: date, resolved, overdue.
	DetailIdleFollow DetailCode = "idle_follow"
	// DetailBackup: a scheduled backup. Values: dir, tables, rows, bytes, took, removed.
	DetailBackup DetailCode = "backup"
	// DetailCollect: a collector's pass. Values: windows, collected, partial, failed,
	// samples, duplicates.
	DetailCollect DetailCode = "collect"
)

// DetailCodes is every code.
func DetailCodes() []DetailCode {
	return []DetailCode{DetailRated, DetailRateClosed, DetailAlreadyClosed, DetailNothingDue, DetailClosed,
		DetailIdleAnalysis, DetailIdleFollow, DetailBackup, DetailCollect}
}

// Detail is the stored form of a job run's detail: code and values from key, value pairs
// (keys with an empty value left out).
func Detail(code DetailCode, kv ...string) string { return coded.Text(string(code), kv...) }

// ParseDetail reads a stored detail back: ok is false for free text (recorded before details
// were data).
func ParseDetail(s string) (code DetailCode, v url.Values, ok bool) {
	c, v, ok := coded.Parse(s)
	return DetailCode(c), v, ok
}

// DetailEnglish is a job run's detail in English, as `cloudbill status` prints it (and as it
// was stored before details were data); free text as stored.
func DetailEnglish(d string) string {
	code, v, ok := ParseDetail(d)
	if !ok {
		return d
	}
	get := v.Get
	switch code {
	case DetailRated:
		return "rated"
	case DetailRateClosed:
		return "closed; not re-rated"
	case DetailAlreadyClosed:
		return "already closed"
	case DetailNothingDue:
		p := get("period")
		return "nothing closed: no month has been closed yet and " + p + " has no rated lines (close it by hand: cloudbill close --period " + p + ")"
	case DetailClosed:
		s := "closed: " + get("lines") + " lines, total " + get("total") + ", hash " + get("hash")
		if get("issued") == "1" {
			s += "; statements issued"
		}
		return s
	case DetailIdleAnalysis:
		return "analysis of " + get("date") + ": " + get("over") + " departments over, monthly saving " + get("saving") + ", " +
			get("opened") + " cases opened, " + get("excluded") + " samples excluded"
	case DetailIdleFollow:
		return "follow-up of " + get("date") + ": " + get("resolved") + " resolved, " + get("overdue") + " overdue"
	case DetailBackup:
		return get("dir") + ": " + get("tables") + " tables, " + get("rows") + " rows, " + get("bytes") + " bytes in " + get("took") + "; " +
			get("removed") + " old backups removed"
	case DetailCollect:
		return get("windows") + " windows: " + get("collected") + " collected, " + get("partial") + " partial, " + get("failed") + " failed; " +
			get("samples") + " samples (" + get("duplicates") + " already stored with the same value)"
	}
	return d
}
