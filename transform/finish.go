package transform

import (
	"crypto/sha256"
	"encoding/binary"
	"sort"
	"time"
	"unsafe"
)

// Finish applies the defaults that need the transport. If ID is empty it is set to RecordID(r),
// computed BEFORE published_at is defaulted, so that the same message bytes always get the same
// id whatever their Kafka timestamp (and with published_at as given, to the nanosecond). Then, if
// PublishedAt is zero, it is set to kafkaTime; either is truncated to whole seconds, in UTC.
func (r *Record) Finish(kafkaTime time.Time) {
	if r.ID == "" {
		r.ID = RecordID(r)
	}
	r.finishPublished(kafkaTime)
}

// FinishIn is Finish with the record id, when one is made, stored in s (s nil: Finish).
func (r *Record) FinishIn(s *Scratch, kafkaTime time.Time) {
	if s == nil {
		r.Finish(kafkaTime)
		return
	}
	if r.ID == "" {
		recordID(&s.id, r)
		r.ID = unsafe.String(&s.id[0], len(s.id))
	}
	r.finishPublished(kafkaTime)
}

func (r *Record) finishPublished(kafkaTime time.Time) {
	// A vintage is the time the publisher gave, to the nanosecond: storage keeps its seconds
	// (published_at) and their fraction (published_ns). Without one, the Kafka message's
	// timestamp, to the whole second (the contract's rule).
	if r.PublishedAt.IsZero() {
		r.PublishedAt = kafkaTime.Truncate(time.Second)
	}
	r.PublishedAt = r.PublishedAt.UTC()
}

// RecordID returns a deterministic id for r: the first 32 hex digits (128 bits) of the SHA-256 of
// a canonical, length-prefixed encoding of every content field — kind, version, source, all
// kind-specific fields (dimensions, quantity), frequency, date, the value's String() (so "120.5" and
// "120.50" differ, as written), published_at (RFC 3339 with nanoseconds, UTC) if non-zero, status,
// unit_mult and the attributes sorted by key, then, for a withdrawal only, a mark that it is one.
// The ID field itself is not part of it.
func RecordID(r *Record) string {
	var id [32]byte
	recordID(&id, r)
	return string(id[:])
}

// recordID writes RecordID(r) to id.
func recordID(id *[32]byte, r *Record) {
	var stack [512]byte
	b := stack[:0]
	b = appendLP(b, string(r.Kind))
	b = appendVarint(b, int64(r.Version))
	b = appendLP(b, r.Source)
	switch r.Kind { // the dimensions, as dims lists them
	case KindFuelPrice:
		b = appendLP(appendLP(appendLP(b, r.Country), r.Region), r.Product)
		b = appendLP(appendLP(appendLP(b, r.TaxBasis), r.Currency), r.Unit)
	case KindWage:
		b = appendLP(appendLP(appendLP(b, r.Country), r.Region), r.Measure)
		b = appendLP(appendLP(appendLP(b, r.Basis), r.Currency), r.Per)
	case KindFXRate:
		b = appendLP(appendLP(appendLP(b, r.Base), r.Quote), r.RateType)
		b = appendVarint(b, r.Quantity)
	case KindIndicator:
		b = appendLP(appendLP(appendLP(appendLP(b, r.Series), r.Country), r.Region), r.Measure)
		b = appendLP(appendLP(appendLP(appendLP(b, r.Unit), r.Currency), r.BasePeriod), r.Adjustment)
	}
	b = appendLP(b, r.Frequency)
	from := len(b)
	b = appendDate(append(b, 0), r.Date)
	b = prefixLength(b, from)
	from = len(b)
	b = r.Value().appendText(append(b, 0))
	b = prefixLength(b, from)
	from = len(b)
	b = append(b, 0)
	if !r.PublishedAt.IsZero() {
		b = appendRFC3339Nano(b, r.PublishedAt.UTC())
	}
	b = prefixLength(b, from)
	b = appendLP(b, r.Status)
	b = appendVarint(b, int64(r.UnitMult))
	b = appendVarint(b, int64(len(r.Attributes)))
	if len(r.Attributes) > 0 {
		keys := make([]string, 0, len(r.Attributes))
		for k := range r.Attributes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			b = appendLP(b, k)
			b = appendLP(b, r.Attributes[k])
		}
	}
	if r.Withdrawn { // after everything else, so that the ids of other records are unchanged
		b = appendLP(b, "withdrawn")
	}
	sum := sha256.Sum256(b)
	for i, c := range sum[:16] {
		id[2*i], id[2*i+1] = hexDigits[c>>4], hexDigits[c&15]
	}
}

const hexDigits = "0123456789abcdef"

// appendVarint is binary.AppendVarint, with a shortcut for the one-byte values −64…63.
func appendVarint(b []byte, v int64) []byte {
	if -64 <= v && v < 64 {
		return append(b, byte(uint64(v)<<1^uint64(v>>63)))
	}
	return binary.AppendVarint(b, v)
}

// appendLP appends s prefixed with its length as a uvarint.
func appendLP(b []byte, s string) []byte {
	if len(s) < 0x80 {
		b = append(b, byte(len(s)))
	} else {
		b = binary.AppendUvarint(b, uint64(len(s)))
	}
	return append(b, s...)
}

// prefixLength turns b[from] (a placeholder byte) followed by content into the content prefixed
// with its length as a uvarint.
func prefixLength(b []byte, from int) []byte {
	n := len(b) - from - 1
	if n < 0x80 {
		b[from] = byte(n)
		return b
	}
	var pre [binary.MaxVarintLen64]byte
	p := binary.AppendUvarint(pre[:0], uint64(n))
	b = append(b, p[1:]...)
	copy(b[from+len(p):], b[from+1:len(b)-len(p)+1])
	copy(b[from:], p)
	return b
}

// appendRFC3339Nano appends t.AppendFormat(dst, time.RFC3339Nano) for t in UTC: fractional
// seconds without trailing zeros, none when zero, and "Z".
func appendRFC3339Nano(dst []byte, t time.Time) []byte {
	y, mo, d, sod := dateOf(t)
	if y < 0 || y > 9999 || sod < 0 {
		return t.AppendFormat(dst, time.RFC3339Nano)
	}
	h, mi, s := int(sod/3600), int(sod/60%60), int(sod%60)
	dst = append(dst,
		byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+mo/10), byte('0'+mo%10), '-',
		byte('0'+d/10), byte('0'+d%10),
		'T', byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10), ':', byte('0'+s/10), byte('0'+s%10))
	if ns := t.Nanosecond(); ns != 0 {
		var frac [10]byte
		frac[0] = '.'
		for i := 9; i >= 1; i-- {
			frac[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := 10
		for frac[n-1] == '0' {
			n--
		}
		dst = append(dst, frac[:n]...)
	}
	return append(dst, 'Z')
}
