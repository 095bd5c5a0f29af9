package chstore

// blockList collects a long query result in blocks of fixed size and copies it into
// one list of the exact length at the end: a list grown by appending is copied about
// five times over (Go grows a large slice by a quarter), and each copy lands on fresh
// pages; on this project's machines growing a list of 300,000 metered days that way took
// 0.34 s of a rating's CPU.
type blockList[T any] struct {
	full [][]T
	cur  []T
	n    int
}

// blockListLen is the length of a block.
const blockListLen = 8192

func (b *blockList[T]) add(v T) {
	if len(b.cur) == cap(b.cur) {
		if b.cur != nil {
			b.full = append(b.full, b.cur)
		}
		b.cur = make([]T, 0, blockListLen)
	}
	b.cur = append(b.cur, v)
	b.n++
}

// list is everything added, in order (nil when nothing was).
func (b *blockList[T]) list() []T {
	if b.n == 0 {
		return nil
	}
	out := make([]T, 0, b.n)
	for _, blk := range b.full {
		out = append(out, blk...)
	}
	return append(out, b.cur...)
}
