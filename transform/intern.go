package transform

import "sync/atomic"

// Decoded records repeat the same short strings — field names, kinds, sources, countries,
// regions, currencies, units — millions of times. intern returns a string equal to b, shared with
// earlier calls for the same bytes when the cache still holds it, so that a batch of records
// holds one copy of each such value instead of one per record.
//
// The cache is a fixed, direct-mapped table of internSlots entries, safe for concurrent use
// without locks; a collision simply replaces the entry. Strings longer than internMaxLen are not
// cached (ids and free text rarely repeat).
const (
	internSlots  = 1 << 14
	internMaxLen = 24
)

var internTable [internSlots]atomic.Pointer[string]

func intern(b []byte) string {
	if len(b) > internMaxLen || len(b) == 0 {
		return string(b)
	}
	h := uint32(2166136261) // FNV-1a
	for _, c := range b {
		h = (h ^ uint32(c)) * 16777619
	}
	slot := &internTable[h&(internSlots-1)]
	if p := slot.Load(); p != nil && *p == string(b) {
		return *p
	}
	s := string(b)
	slot.Store(&s)
	return s
}
