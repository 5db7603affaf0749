//go:build !linux

package clickhouse

// Elsewhere than on Linux the arena's slots live on the Go heap.

var mapMem = func(n int) ([]byte, bool) { return nil, false }

func unmapMem([]byte) {}

func dropMem([]byte) {}
