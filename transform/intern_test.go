package transform

import (
	"strings"
	"sync"
	"testing"
	"unsafe"
)

func TestInternReturnsEqualSharedStrings(t *testing.T) {
	a := intern([]byte("KZ-MAN"))
	b := intern([]byte("KZ-MAN"))
	if a != "KZ-MAN" || b != "KZ-MAN" {
		t.Fatalf("intern returned %q and %q", a, b)
	}
	if unsafe.StringData(a) != unsafe.StringData(b) {
		t.Errorf("two interns of the same short string do not share storage")
	}
	long := strings.Repeat("x", internMaxLen+1)
	if got := intern([]byte(long)); got != long {
		t.Errorf("long string: %q", got)
	}
	if got := intern(nil); got != "" {
		t.Errorf("empty: %q", got)
	}
	// The returned string must not alias the caller's bytes.
	buf := []byte("EUR")
	s := intern(buf)
	buf[0] = 'X'
	if s != "EUR" {
		t.Errorf("interned string changed with its source bytes: %q", s)
	}
}

// TestInternConcurrent hammers colliding slots from several goroutines (run with -race).
func TestInternConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 20000; i++ {
				want := "v" + string(rune('a'+(i+g)%26)) + strings.Repeat("z", i%7)
				if got := intern([]byte(want)); got != want {
					t.Errorf("intern(%q) = %q", want, got)
					return
				}
			}
		}(g)
	}
	wg.Wait()
}
