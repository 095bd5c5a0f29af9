package chstore

import "testing"

// TestBlockList: the list holds everything added, in order, across block boundaries;
// nothing added is a nil list.
func TestBlockList(t *testing.T) {
	for _, n := range []int{0, 1, blockListLen - 1, blockListLen, blockListLen + 1, 3*blockListLen + 17} {
		var b blockList[int]
		for i := range n {
			b.add(i * 3)
		}
		got := b.list()
		if len(got) != n || (n == 0) != (got == nil) {
			t.Fatalf("n=%d: %d elements (nil %v)", n, len(got), got == nil)
		}
		for i, v := range got {
			if v != i*3 {
				t.Fatalf("n=%d: element %d = %d, want %d", n, i, v, i*3)
			}
		}
	}
}
