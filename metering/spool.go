package metering

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// Spool keeps batches on local disk while ClickHouse cannot take them. Each batch is
// one file, written under a temporary name, fsync'd, renamed into place and the directory
// fsync'd: a batch is in the spool whole or not at all, and once Write returns it
// survives a crash of the machine. Files are never modified; Replay order is the order of
// the batches' first versions (file names sort that way). Several processes may share a
// spool directory.
type Spool struct {
	dir string
	seq atomic.Uint64
}

const spoolMagic = "CBSPOOL1"

// OpenSpool opens (creating) the spool directory and removes the temporary files of
// writers that died before finishing (those batches were never acknowledged).
func OpenSpool(dir string) (*Spool, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".tmp") {
			continue
		}
		// name: <anything>.<pid>.tmp
		parts := strings.Split(name, ".")
		if len(parts) >= 3 {
			if pid, err := strconv.Atoi(parts[len(parts)-2]); err == nil && pid != os.Getpid() && syscall.Kill(pid, 0) == syscall.ESRCH {
				_ = os.Remove(filepath.Join(dir, name))
			}
		}
	}
	return &Spool{dir: dir}, nil
}

// Dir is the spool directory.
func (s *Spool) Dir() string { return s.dir }

// Write stores b durably as one spool file.
func (s *Spool) Write(b *Batch) error {
	if b.Len() == 0 {
		return nil
	}
	name := fmt.Sprintf("%020d-%d-%06d.spool", b.Version[0], os.Getpid(), s.seq.Add(1))
	tmp := filepath.Join(s.dir, fmt.Sprintf("%s.%d.tmp", name, os.Getpid()))
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	crc := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	w := bufio.NewWriterSize(io.MultiWriter(f, crc), 1<<20)
	err = encodeBatch(w, b)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		_, err = f.Write(binary.LittleEndian.AppendUint32(nil, crc.Sum32()))
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(s.dir, name))
	}
	if err == nil {
		err = syncDir(s.dir)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("spool: %w", err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Files lists the spooled batches, oldest first.
func (s *Spool) Files() ([]string, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".spool") {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

// Read loads one spooled batch into dst (after Reset).
func (s *Spool) Read(name string, dst *Batch) error {
	data, err := os.ReadFile(filepath.Join(s.dir, name))
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if len(data) < len(spoolMagic)+4 {
		return fmt.Errorf("spool %s: file is cut short", name)
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)) != sum {
		return fmt.Errorf("spool %s: checksum mismatch", name)
	}
	dst.Reset()
	if err := decodeBatch(body, dst); err != nil {
		return fmt.Errorf("spool %s: %w", name, err)
	}
	return nil
}

// Remove deletes a replayed batch. A batch already removed (by another process that
// replayed it too) is not an error.
func (s *Spool) Remove(name string) error {
	if err := os.Remove(filepath.Join(s.dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("spool: %w", err)
	}
	return nil
}

// Quarantine moves a spool file that cannot be read aside (renamed *.bad), so that it
// stops blocking the replay and stays for a person to look at.
func (s *Spool) Quarantine(name string) error {
	return os.Rename(filepath.Join(s.dir, name), filepath.Join(s.dir, name+".bad"))
}

func encodeBatch(w *bufio.Writer, b *Batch) error {
	var buf []byte
	buf = append(buf, spoolMagic...)
	buf = binary.AppendUvarint(buf, uint64(b.Len()))
	if _, err := w.Write(buf); err != nil {
		return err
	}
	for i := 0; i < b.Len(); i++ {
		buf = buf[:0]
		for _, s := range [3]string{b.ResourceID[i], b.Metric[i], b.Source[i]} {
			buf = binary.AppendUvarint(buf, uint64(len(s)))
			buf = append(buf, s...)
		}
		buf = binary.AppendVarint(buf, b.TS[i])
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(b.Value[i]))
		buf = binary.AppendUvarint(buf, b.Version[i])
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return nil
}

func decodeBatch(data []byte, dst *Batch) error {
	if !bytes.HasPrefix(data, []byte(spoolMagic)) {
		return errors.New("not a spool file")
	}
	data = data[len(spoolMagic):]
	n, k := binary.Uvarint(data)
	if k <= 0 {
		return errors.New("bad row count")
	}
	data = data[k:]
	bad := errors.New("malformed row")
	for i := uint64(0); i < n; i++ {
		var strs [3]string
		for j := range strs {
			l, k := binary.Uvarint(data)
			if k <= 0 || uint64(len(data)-k) < l {
				return bad
			}
			strs[j] = string(data[k : k+int(l)])
			data = data[k+int(l):]
		}
		ts, k := binary.Varint(data)
		if k <= 0 || len(data) < k+8 {
			return bad
		}
		v := math.Float64frombits(binary.LittleEndian.Uint64(data[k:]))
		data = data[k+8:]
		ver, k := binary.Uvarint(data)
		if k <= 0 {
			return bad
		}
		data = data[k:]
		dst.add(strs[0], strs[1], ts, v, strs[2])
		dst.Version[dst.Len()-1] = ver
	}
	if len(data) != 0 {
		return errors.New("trailing bytes")
	}
	return nil
}

// Backlog is what waits in a spool directory, read without opening (or cleaning) it.
type Backlog struct {
	Batches int
	Bytes   int64
	// Oldest is the modification time of the oldest batch file (zero when none).
	Oldest time.Time
}

// SpoolBacklog reads the backlog of the spool in dir; a missing directory is empty.
func SpoolBacklog(dir string) (Backlog, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return Backlog{}, nil
	}
	if err != nil {
		return Backlog{}, fmt.Errorf("spool: %w", err)
	}
	var b Backlog
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".spool") {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // replayed meanwhile
		}
		b.Batches++
		b.Bytes += fi.Size()
		if b.Oldest.IsZero() || fi.ModTime().Before(b.Oldest) {
			b.Oldest = fi.ModTime()
		}
	}
	return b, nil
}
