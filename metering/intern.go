package metering

import (
	"hash/maphash"
	"sync"
)

// Strings is a table of strings shared by parsers running at once (the requests of
// the HTTP handler): resource ids, metrics and sources repeat from request to request,
// so each is allocated once, and equal strings are the same string, which makes the
// batcher's grouping by series cheap. It is safe for concurrent use; it forgets
// everything when it grows past its bound.
type Strings struct {
	seed   maphash.Seed
	shards [16]stringShard
}

type stringShard struct {
	mu sync.RWMutex
	m  map[string]string
}

// NewStrings makes an empty table.
func NewStrings() *Strings {
	s := &Strings{seed: maphash.MakeSeed()}
	for i := range s.shards {
		s.shards[i].m = map[string]string{}
	}
	return s
}

const maxShardStrings = 1 << 14

func (s *Strings) get(b []byte) string {
	sh := &s.shards[maphash.Bytes(s.seed, b)%uint64(len(s.shards))]
	sh.mu.RLock()
	v, ok := sh.m[string(b)]
	sh.mu.RUnlock()
	if ok {
		return v
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if v, ok := sh.m[string(b)]; ok {
		return v
	}
	if len(sh.m) >= maxShardStrings {
		sh.m = map[string]string{}
	}
	v = string(b)
	sh.m[v] = v
	return v
}
