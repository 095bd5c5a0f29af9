// Package drop takes the sample files of a drop folder (serve --drop-dir DIR): vendors
// (or their SFTP landing) put sample files in DIR/<vendor id>/. A file is taken once complete: renamed into place (names starting
// with '.' or ending in .part, .tmp, .filepart, .partial are files being written and are
// left alone), or — with --drop-marker — only once a marker FILE.done exists beside it.
//
// Taking a file is restart-safe:
//  1. it is claimed: renamed into DIR/.work/<vendor>/ (atomic), its marker removed;
//  2. ingested through the one batcher, as the vendor's lines (source = the vendor; a line
//     of another vendor's resource or source is rejected), until its samples are durable;
//  3. its report is written (fsync'd) and the file renamed to DIR/done/<vendor>/ (every
//     line taken) or DIR/rejected/<vendor>/ (refused, or some lines rejected), the report
//     and the rejected lines beside it.
//
// A restart finds claimed files in .work and ingests them again: samples are identified
// by (resource_id, metric, ts), so a file ingested twice counts once. Nothing is lost
// (the file moves only after its samples are durable) and nothing is counted twice.
package drop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"cloudbill/internal/csvin"
	"cloudbill/metering"
)

// tempName are names of files still being written.
var tempName = regexp.MustCompile(`(^\.|\.(part|tmp|filepart|partial|done)$)`)

// Config is a drop folder and where its samples go.
type Config struct {
	// Dir is the drop folder; Marker takes a file only once FILE.done exists beside it.
	Dir    string
	Marker bool
	// Batcher stores the samples (the one batcher of serve); BatchRows is the lines read
	// at a time; Ranges are the ceilings of the metrics' values (nil: the defaults).
	Batcher   *metering.Batcher
	BatchRows int
	Ranges    *metering.Ranges
	// Owners tells which vendor's work orders name a resource; VendorOK whether a
	// sub-folder's name is a known vendor.
	Owners   metering.OwnerSource
	VendorOK func(ctx context.Context, id string) (bool, error)
	// Now is the clock of the reports' names and times.
	Now func() time.Time
	// Logf receives what the folder does; nil: discarded.
	Logf func(string, ...any)
	// Observe, when set, is told the lines of every file taken (for /metrics).
	Observe func(vendor string, accepted, duplicates, rejected int)
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Dir == "":
		return errors.New("drop folder: no directory")
	case c.Batcher == nil:
		return errors.New("drop folder: no batcher")
	case c.Owners == nil || c.VendorOK == nil:
		return errors.New("drop folder: no owners or vendors")
	case c.Now == nil:
		return errors.New("drop folder: no clock")
	}
	return nil
}

// Folder takes the files of a drop folder. Create it with New.
type Folder struct {
	cfg Config
}

// New checks cfg and returns the folder; nothing is read before Scan or Run.
func New(cfg Config) (*Folder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	return &Folder{cfg: cfg}, nil
}

// Result is what became of one file.
type Result struct {
	Vendor, File string
	// Dest is where the file went (done/… or rejected/…), Report its report.
	Dest, Report string
	Rejected     bool
}

// reserved names of DIR that are not vendors.
var reserved = map[string]bool{"done": true, "rejected": true, ".work": true}

// Scan takes every complete file of the drop folder once: first what a previous run
// claimed and did not finish, then the new ones.
func (d *Folder) Scan(ctx context.Context) ([]Result, error) {
	var out []Result
	vendors, err := os.ReadDir(d.cfg.Dir)
	if err != nil {
		return nil, err
	}
	// claimed before a restart
	if work, err := os.ReadDir(filepath.Join(d.cfg.Dir, ".work")); err == nil {
		for _, v := range work {
			files, _ := os.ReadDir(filepath.Join(d.cfg.Dir, ".work", v.Name()))
			for _, f := range files {
				r, err := d.take(ctx, v.Name(), f.Name())
				if err != nil {
					return out, err
				}
				out = append(out, r)
			}
		}
	}
	for _, v := range vendors {
		if !v.IsDir() || reserved[v.Name()] || strings.HasPrefix(v.Name(), ".") {
			continue
		}
		vdir := filepath.Join(d.cfg.Dir, v.Name())
		files, err := os.ReadDir(vdir)
		if err != nil {
			return out, err
		}
		names := map[string]bool{}
		for _, f := range files {
			names[f.Name()] = true
		}
		sort.Slice(files, func(i, j int) bool { return files[i].Name() < files[j].Name() })
		for _, f := range files {
			name := f.Name()
			if !f.Type().IsRegular() || tempName.MatchString(name) {
				continue
			}
			if d.cfg.Marker && !names[name+".done"] {
				continue
			}
			if err := d.claim(v.Name(), name); err != nil {
				return out, err
			}
			r, err := d.take(ctx, v.Name(), name)
			if err != nil {
				return out, err
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// claim moves DIR/<vendor>/<name> into DIR/.work/<vendor>/ and drops its marker.
func (d *Folder) claim(vendor, name string) error {
	work := filepath.Join(d.cfg.Dir, ".work", vendor)
	if err := os.MkdirAll(work, 0o700); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(d.cfg.Dir, vendor, name), filepath.Join(work, name)); err != nil {
		return fmt.Errorf("drop folder: claim %s/%s: %w", vendor, name, err)
	}
	if err := syncDir(work); err != nil {
		return err
	}
	_ = os.Remove(filepath.Join(d.cfg.Dir, vendor, name+".done"))
	return nil
}

// take ingests a claimed file and moves it to done/ or rejected/ with its report.
func (d *Folder) take(ctx context.Context, vendor, name string) (Result, error) {
	src := filepath.Join(d.cfg.Dir, ".work", vendor, name)
	stamp := d.cfg.Now().UTC().Format("20060102T150405Z")
	res := Result{Vendor: vendor, File: name}
	var text strings.Builder
	fmt.Fprintf(&text, "drop folder %s, vendor %s, file %s, taken %s\n", d.cfg.Dir, vendor, name, d.cfg.Now().Format(time.RFC3339))
	ok, err := d.cfg.VendorOK(ctx, vendor)
	if err != nil {
		return res, err
	}
	var rep *metering.FileReport
	var scope *metering.Scope
	rejectsTmp := src + ".rejected"
	f, refusal := d.openClaimed(vendor, name)
	if f != nil {
		defer f.Close()
	}
	switch {
	case refusal != "":
		// never read: the report says why in our words, nothing of what the name points to
		res.Rejected = true
		fmt.Fprintf(&text, "refused unread: %s\n", refusal)
	case !ok:
		res.Rejected = true
		fmt.Fprintf(&text, "refused: vendor %q is not known (cloudbill org import --vendors FILE); the sub-folder must be a vendor id\n", vendor)
	default:
		owners, err := d.cfg.Owners(ctx)
		if err != nil {
			return res, err
		}
		scope = &metering.Scope{Vendor: vendor, Owners: owners}
		rep, err = metering.IngestFile(ctx, d.cfg.Batcher, metering.FileParams{Name: src, File: f, Rejects: rejectsTmp, Chunk: d.cfg.BatchRows,
			Encoding: csvin.Auto, Ranges: d.cfg.Ranges, Scope: scope})
		if err != nil {
			return res, fmt.Errorf("drop folder: %s/%s: %w", vendor, name, err)
		}
		if rep.Refused != "" {
			res.Rejected = true
			fmt.Fprintf(&text, "refused: %s\n", reportRefusal(rep, src, vendor+"/"+name))
		} else {
			res.Rejected = rep.Rejected > 0
			if d.cfg.Observe != nil {
				d.cfg.Observe(vendor, rep.Accepted, rep.Duplicates, rep.Rejected)
			}
			fmt.Fprintf(&text, "%s, %s: accepted %d (unassigned %d: no work order names their resource yet), duplicates %d, rejected %d, spooled %d\n",
				rep.Format, rep.Encoding, rep.Accepted, scope.Unassigned, rep.Duplicates, rep.Rejected, rep.Spooled)
			for _, e := range rep.Errors {
				fmt.Fprintf(&text, "  %s\n", strings.Replace(e, src, vendor+"/"+name, 1))
			}
			if rep.Rejected > len(rep.Errors) {
				fmt.Fprintf(&text, "  … and %d more\n", rep.Rejected-len(rep.Errors))
			}
		}
	}
	kind := "done"
	if res.Rejected {
		kind = "rejected"
	}
	destDir := filepath.Join(d.cfg.Dir, kind, vendor)
	if err := os.MkdirAll(destDir, 0o755); err != nil {
		return res, err
	}
	base := stamp + "-" + name
	res.Dest = filepath.Join(destDir, base)
	res.Report = res.Dest + ".report.txt"
	if refusal != "" {
		// a link, a FIFO, a device, another name of a file, a file of another user: its
		// name is removed (never what it points to), so no name of a foreign file is left
		// in done/ or rejected/
		if err := os.Remove(src); err != nil && !os.IsNotExist(err) {
			return res, fmt.Errorf("drop folder: remove %s: %w", src, err)
		}
		fmt.Fprintf(&text, "the entry was removed from the drop folder\n")
		res.Dest = ""
		if err := writeSynced(res.Report, []byte(text.String())); err != nil {
			return res, err
		}
		d.cfg.Logf("drop folder: %s/%s refused unread: %s", vendor, name, refusal)
		return res, syncDir(destDir)
	}
	if rep != nil && rep.RejectFile != "" {
		lines := res.Dest + ".rejected"
		if err := os.Rename(rejectsTmp, lines); err != nil {
			return res, err
		}
		fmt.Fprintf(&text, "rejected lines: %s\n", lines)
	}
	fmt.Fprintf(&text, "file: %s\n", res.Dest)
	if err := writeSynced(res.Report, []byte(text.String())); err != nil {
		return res, err
	}
	if err := os.Rename(src, res.Dest); err != nil {
		return res, fmt.Errorf("drop folder: move %s: %w", src, err)
	}
	if err := syncDir(destDir); err != nil {
		return res, err
	}
	d.cfg.Logf("drop folder: %s/%s → %s", vendor, name, res.Dest)
	return res, nil
}

// Run scans the folder every interval until ctx ends.
func (d *Folder) Run(ctx context.Context, every time.Duration) {
	for {
		if _, err := d.Scan(ctx); err != nil && ctx.Err() == nil {
			d.cfg.Logf("drop folder %s: %v", d.cfg.Dir, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// reportRefusal is a refused file's reason as its report says it: cloudbill's words and
// the file's own name, with no text of the file beyond the sample columns' names — a
// header cell that is not one of them is named by its position, not quoted (a file
// holding a secret line would otherwise have it echoed as an "unknown column").
func reportRefusal(rep *metering.FileReport, src, shown string) string {
	var list csvin.Errors
	var one *csvin.Error
	switch {
	case errors.As(rep.RefusedErr, &list):
	case errors.As(rep.RefusedErr, &one):
		list = csvin.Errors{one}
	default:
		return strings.ReplaceAll(rep.Refused, src, shown)
	}
	spec := metering.SampleColumns()
	known := append(spec.Required, spec.Optional...)
	out := make(csvin.Errors, len(list))
	for i, e := range list {
		c := *e
		c.File = shown
		if c.Column != "" && !slices.Contains(known, c.Column) {
			c.Column, c.Code = "", "" // the message is rewritten: its text, not its code
			if e.Field > 0 {
				c.Msg = fmt.Sprintf("column %d of the header: %s", e.Field, c.Msg)
			} else {
				c.Msg = "a column of the header: " + c.Msg
			}
		}
		out[i] = &c
	}
	if len(out) == 1 {
		return out[0].Error()
	}
	return out.Error()
}

// openClaimed opens DIR/.work/<vendor>/<name> once, safely: the folder and the file are
// opened without following a symbolic link (and the file without waiting on a FIFO), then
// the open handle is checked: a regular file, with no other name (a hard link to another
// file is refused), owned by the service's user or by the owner of the vendor's folder.
// Everything after reads that handle, never the name again. On refusal, f is nil and
// refusal says why in our words.
func (d *Folder) openClaimed(vendor, name string) (f *os.File, refusal string) {
	dir := filepath.Join(d.cfg.Dir, ".work", vendor)
	dfd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Sprintf("the claimed file's folder cannot be opened (%v)", err)
	}
	defer syscall.Close(dfd)
	fd, err := syscall.Openat(dfd, name, syscall.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err == syscall.ELOOP {
		return nil, "it is a symbolic link, not a file: only regular files are taken"
	}
	if err != nil {
		if fi, lerr := os.Lstat(filepath.Join(dir, name)); lerr == nil && !fi.Mode().IsRegular() {
			return nil, "it is not a regular file: only regular files are taken"
		}
		return nil, fmt.Sprintf("it cannot be opened (%v)", err)
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		syscall.Close(fd)
		return nil, fmt.Sprintf("it cannot be examined (%v)", err)
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		syscall.Close(fd)
		return nil, "it is not a regular file (a FIFO, device or socket): only regular files are taken"
	}
	if st.Nlink != 1 {
		syscall.Close(fd)
		return nil, fmt.Sprintf("it has %d names (hard links): a file dropped here must have no other name", st.Nlink)
	}
	owners := []uint32{uint32(os.Geteuid())}
	var vst syscall.Stat_t
	if syscall.Lstat(filepath.Join(d.cfg.Dir, vendor), &vst) == nil && vst.Mode&syscall.S_IFMT == syscall.S_IFDIR {
		owners = append(owners, vst.Uid)
	}
	if !slices.Contains(owners, st.Uid) {
		syscall.Close(fd)
		return nil, fmt.Sprintf("it is owned by user %d, not by the vendor folder's owner or the service (%v)", st.Uid, owners)
	}
	f = os.NewFile(uintptr(fd), filepath.Join(dir, name))
	// what is kept under done/ or rejected/ is readable by the service only (best effort:
	// a file of the vendor's user cannot be changed by another user)
	_ = f.Chmod(0o600)
	return f, ""
}

// writeSynced writes name through a temporary file, readable by the service only (0600),
// never through a link put in its place.
func writeSynced(name string, data []byte) error {
	tmp := name + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, name)
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
