package clickhouse

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/transform"
)

// onHeap makes the arena's mappings fail for the test, so that its slots fall back to the heap.
func onHeap(t *testing.T) {
	saved := mapMem
	mapMem = func(int) ([]byte, bool) { return nil, false }
	t.Cleanup(func() { mapMem = saved })
}

// grow keeps a slot's elements as it moves them to larger memory, mapped or on the heap.
func TestArenaGrow(t *testing.T) {
	for _, heap := range []bool{false, true} {
		t.Run(fmt.Sprintf("heap=%v", heap), func(t *testing.T) {
			if heap {
				onHeap(t)
			}
			a := newArena(3)
			var b []byte
			var u []uint32
			var k []packedKey
			for i := range 300_000 {
				b = grow(a, 0, b, 1)
				b = append(b, byte(i%251))
				u = grow(a, 1, u, 1)
				u = append(u, uint32(i)*2654435761)
				if i%3 == 0 {
					k = grow(a, 2, k, 1)
					k = append(k, packedKey{hi: uint64(i), lo: ^uint64(i), row: int32(i)})
				}
			}
			for i := range 300_000 {
				if b[i] != byte(i%251) || u[i] != uint32(i)*2654435761 {
					t.Fatalf("element %d: %d, %d", i, b[i], u[i])
				}
			}
			for j, x := range k {
				if i := 3 * j; x != (packedKey{hi: uint64(i), lo: ^uint64(i), row: int32(i)}) {
					t.Fatalf("key %d: %+v", j, x)
				}
			}
			if mapped := a.maps[0] != nil; heap && mapped || !heap && !mapped && mapMemWorks() {
				t.Fatalf("slot 0 mapped: %v, with the heap fallback: %v", mapped, heap)
			}
			// drop keeps the capacity; the scratch is written again before it is read.
			c := cap(k)
			a.drop(2)
			k = grow(a, 2, k[:0], c)
			if cap(k) != c {
				t.Fatalf("capacity %d after drop, had %d", cap(k), c)
			}
			k = append(k, packedKey{row: 1})
			a.free()
			a.free() // twice is harmless
			for _, m := range a.maps {
				if m != nil {
					t.Fatal("a mapping left after free")
				}
			}
		})
	}
}

// mapMemWorks reports whether this system gives the arena mappings.
func mapMemWorks() bool {
	m, ok := mapMem(4096)
	if ok {
		unmapMem(m)
	}
	return ok
}

// A pooled buffer grows through several reservations, is released and filled again with other
// rows: each time fill sends exactly the rows added, in key order, the raw record ids (which
// grow their column's bytes value by value) included. A buffer the full pool turns away gives
// its mappings back.
func TestRowBufferReusedFromPool(t *testing.T) {
	for _, heap := range []bool{false, true} {
		t.Run(fmt.Sprintf("heap=%v", heap), func(t *testing.T) {
			if heap {
				onHeap(t)
			}
			pool := &bufferPool{}
			b := pool.get()
			check := func(n int, idOf func(i int) string) {
				t.Helper()
				day := time.Date(2022, 1, 4, 0, 0, 0, 0, time.UTC)
				for i := range n {
					// Rows come in reverse date order, so order has to reverse them.
					r := ingest.Row{Record: transform.Record{Kind: transform.KindFuelPrice, Country: "KZ",
						Date: day.AddDate(0, 0, n-i), Price: mustDec(t, fmt.Sprintf("%d.25", i)), ID: idOf(i)}, Offset: int64(i)}
					if err := b.Add(&r); err != nil {
						t.Fatal(err)
					}
				}
				tb := &b.tables[1]
				tb.order()
				cols := columnsOf(t, fuelSpec)
				if err := tb.fill(newFiller(), cols, 0, tb.rows); err != nil {
					t.Fatal(err)
				}
				idx := func(name string) int { return slices.Index(fuelSpec.names, name) }
				for r := range n {
					i := n - 1 - r // sent in date order: the last added first
					if got := readBack(t, cols[idx("kafka_offset")], r); got != int64(i) {
						t.Fatalf("%d rows: sent row %d is offset %v, want %d", n, r, got, i)
					}
					if got, want := readBack(t, cols[idx("price")], r), readBackValue(t, fmt.Sprintf("%d.25", i)); got != want {
						t.Fatalf("%d rows: row %d price %v, want %v", n, r, got, want)
					}
					if got := readBack(t, cols[idx("record_id")], r); got != idOf(i) {
						t.Fatalf("%d rows: row %d record_id %q, want %q", n, r, got, idOf(i))
					}
				}
			}
			check(20_000, func(i int) string { return fmt.Sprintf("id-%d-%s", i, strings.Repeat("x", i%97)) })
			b.Release()
			if b2 := pool.get(); b2 != b {
				t.Fatal("the pool did not hand back the released buffer")
			}
			check(5_000, func(i int) string { return fmt.Sprintf("second-%d", i) })

			// A full pool frees the buffer it turns away.
			for range maxFreeBuffers {
				pool.put(newRowBuffer(pool))
			}
			b.Release()
			for _, m := range b.tables[1].mem.maps {
				if m != nil {
					t.Fatal("a buffer the full pool turned away kept its mappings")
				}
			}
		})
	}
}

// The rows of a buffer are not on the Go heap: 50,000 price rows (some 12 MB) leave the heap
// as it was, unless the mappings fail and the heap takes them.
func TestRowBufferRowsOffHeap(t *testing.T) {
	if !mapMemWorks() {
		t.Skip("no anonymous mappings on this system: the rows live on the heap")
	}
	heapAfter := func(heap bool) uint64 {
		if heap {
			onHeap(t)
		}
		b := newRowBuffer(nil)
		day := time.Date(2022, 1, 4, 0, 0, 0, 0, time.UTC)
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for i := range 50_000 {
			r := ingest.Row{Record: transform.Record{Kind: transform.KindFuelPrice, Country: "KZ", Region: "KZ-MAN",
				Date: day.AddDate(0, 0, i%1000), Price: mustDec(t, "120.5"), ID: "0123456789abcdef0123456789abcdef"},
				Derived: transform.Derived{PriceEUR: fixed(t, "0.25"), PricePerLitre: fixed(t, "120.5")}, Offset: int64(i)}
			if err := b.Add(&r); err != nil {
				t.Fatal(err)
			}
		}
		b.tables[1].order()
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(b)
		return after.HeapAlloc - min(after.HeapAlloc, before.HeapAlloc)
	}
	const rows = 50_000 * 240
	grewOff, grewOn := heapAfter(false), heapAfter(true)
	t.Logf("heap growth: %d bytes with the rows mapped, %d on the heap", grewOff, grewOn)
	if grew := grewOff; grew > rows/8 {
		t.Errorf("the heap grew by %d bytes for %d bytes of rows kept outside it", grew, rows)
	}
	if grew := grewOn; grew < rows/2 {
		t.Errorf("the heap grew by only %d bytes for %d bytes of rows kept on it: the measure is off", grew, rows)
	}
}
