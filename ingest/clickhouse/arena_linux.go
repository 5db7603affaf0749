package clickhouse

import "syscall"

// mapMem returns n bytes of zeroed memory in an anonymous private mapping, outside the Go heap;
// false if the system refuses (the caller then uses the heap). A variable for tests.
var mapMem = func(n int) ([]byte, bool) {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return nil, false
	}
	return b, true
}

// unmapMem releases a mapping made by mapMem.
func unmapMem(b []byte) { _ = syscall.Munmap(b) }

// dropMem returns the pages of a mapping made by mapMem to the system; they read as zeros
// when next touched.
func dropMem(b []byte) { _ = syscall.Madvise(b, syscall.MADV_DONTNEED) }
