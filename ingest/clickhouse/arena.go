package clickhouse

import "unsafe"

// An arena holds a table buffer's column data outside the Go heap, one mapping per slot (a
// column's values, null map, string ends or dictionary ids; the order's permutation and
// scratch). The data holds no pointers, so the garbage collector has nothing to find in it;
// kept on the heap, it would still count toward the heap size that paces collections, and a
// batch of 250,000 rows would cost half its size again in garbage allowed to pile up before the
// next collection. Outside the heap a batch costs its own size in memory and no more.
//
// Where the system gives no mapping (see mapMem), slots fall back to the heap.
type arena struct {
	maps [][]byte // the mapping behind each slot, nil when none
}

func newArena(slots int) *arena { return &arena{maps: make([][]byte, slots)} }

// minArenaBytes is the smallest mapping made for a slot.
const minArenaBytes = 64 << 10

// grow returns s with room for at least need more elements: s itself, or s's elements copied
// into a new mapping of at least twice s's capacity, slot's old mapping released. The caller
// must replace s with the result and keep no other reference into the old mapping. T must
// hold no pointers.
func grow[T any](a *arena, slot int, s []T, need int) []T {
	if cap(s)-len(s) >= need {
		return s
	}
	size := int(unsafe.Sizeof(*new(T)))
	n := max(2*cap(s), len(s)+need, minArenaBytes/size)
	var out []T
	mem, ok := mapMem(n * size)
	if ok {
		out = unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(mem))), n)
	} else {
		out = make([]T, n)
		mem = nil
	}
	copy(out, s)
	if old := a.maps[slot]; old != nil {
		unmapMem(old)
	}
	a.maps[slot] = mem
	return out[:len(s)]
}

// drop gives the memory of slot's mapping back to the system while keeping the mapping: the
// slot's contents are lost (they read as zeros), its capacity is not. For scratch that is
// written before it is read.
func (a *arena) drop(slot int) {
	if m := a.maps[slot]; m != nil {
		dropMem(m)
	}
}

// free releases every mapping. Nothing may use the arena's slices afterwards.
func (a *arena) free() {
	for i, m := range a.maps {
		if m != nil {
			unmapMem(m)
			a.maps[i] = nil
		}
	}
}
