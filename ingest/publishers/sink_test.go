package publishers

import (
	"math/rand/v2"
	"testing"
)

// TestSeriesReadFindsEveryDuplicate: seriesRead.add, which skips its map while the vintages come
// in order, finds exactly the vintages read before, with the line that had each first, as a map
// of every vintage read finds them: for vintages in increasing and decreasing order, in order and
// then out of it, and at random, with repeats, and vintages that differ only in published_at or
// its nanoseconds.
func TestSeriesReadFindsEveryDuplicate(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	day := int64(86400)
	ascending := func(n int) []vintage {
		vs := make([]vintage, n)
		for i := range vs {
			vs[i] = vintage{date: int64(i) * day}
		}
		return vs
	}
	reverse := func(vs []vintage) []vintage {
		out := make([]vintage, len(vs))
		for i, v := range vs {
			out[len(vs)-1-i] = v
		}
		return out
	}
	random := func(n, dates int) []vintage {
		vs := make([]vintage, n)
		for i := range vs {
			vs[i] = vintage{date: rng.Int64N(int64(dates)) * day, published: rng.Int64N(3), nanos: rng.Int32N(2)}
		}
		return vs
	}
	cases := map[string][]vintage{
		"ascending":                   ascending(50),
		"descending":                  reverse(ascending(50)),
		"ascending then a repeat":     append(ascending(20), vintage{date: 7 * day}),
		"descending then the first":   append(reverse(ascending(20)), vintage{date: 19 * day}),
		"descending then the last":    append(reverse(ascending(20)), vintage{date: 0}),
		"one repeated":                {{date: day}, {date: day}},
		"both ways":                   {{date: 5 * day}, {date: 6 * day}, {date: 4 * day}, {date: 7 * day}, {date: 3 * day}, {date: 5 * day}},
		"out of order then a repeat":  {{date: 1 * day}, {date: 3 * day}, {date: 2 * day}, {date: 4 * day}, {date: 0}, {date: 2 * day}, {date: 3 * day}},
		"published_at only":           {{date: day, published: 2}, {date: day, published: 1}, {date: day, published: 3}, {date: day, published: 1}},
		"nanoseconds only":            {{date: day, published: 1, nanos: 1}, {date: day, published: 1}, {date: day, published: 1, nanos: 1}},
		"random, few dates":           random(300, 20),
		"random, many dates":          random(300, 1000),
		"ascending then random dates": append(ascending(100), random(100, 120)...),
	}
	for name, vs := range cases {
		t.Run(name, func(t *testing.T) {
			var s seriesRead
			oracle := map[vintage]int{}
			for i, v := range vs {
				line := i + 2
				first, dup := s.add(v, line)
				want, wantDup := oracle[v]
				if !wantDup {
					oracle[v] = line
				}
				if dup != wantDup || first != want {
					t.Fatalf("vintage %d %+v: add = line %d, duplicate %t; want line %d, duplicate %t", i, v, first, dup, want, wantDup)
				}
			}
		})
	}
}
