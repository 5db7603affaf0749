package transform

import (
	"math/big"
	"math/bits"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Conversion statuses (the fx_status column).
const (
	FXConverted = "converted"
	FXPending   = "pending"
)

// Conversion bases (the fx_basis column): which rate converts an observation.
const (
	// FXBasisPoint is a rate dated on or before the observation's date, within the window.
	FXBasisPoint = "point"
	// FXBasisPeriodAverage is the publisher's average rate over the observation's period.
	FXBasisPeriodAverage = "period_average"
)

// Rate is one fx_rate observation as the RateBook keeps it: Quantity units of Base cost Rate units
// of Quote on Date (UTC midnight), published at PublishedAt (the vintage).
type Rate struct {
	Source, Base, Quote, RateType string
	// Frequency is the rate's frequency (D for a daily rate, M for a monthly average, …): part of
	// its identity, so a monthly average and a daily rate of one date are two rates.
	Frequency   string
	Date        time.Time
	Rate        Decimal
	Quantity    int64
	PublishedAt time.Time
	// Withdrawn marks the withdrawal of the rate (docs/contract.md §1.9): from PublishedAt until
	// a newer vintage, the identity has no rate (Rate and Quantity are not read).
	Withdrawn bool
}

// RateFromRecord returns the Rate of an fx_rate record.
// The rate is the published number with unit_mult applied (rate × 10^unit_mult). Its value is a
// copy: a RateBook keeps it, while r's may live in a Scratch.
func RateFromRecord(r *Record) Rate {
	rate := r.Rate
	if rate.Coef != nil {
		coef, scale := new(big.Int).Set(rate.Coef), int64(rate.Scale)-int64(r.UnitMult)
		if scale < 0 {
			coef.Mul(coef, new(big.Int).Exp(big.NewInt(10), big.NewInt(-scale), nil))
			scale = 0
		}
		rate = Decimal{Coef: coef, Scale: int32(scale)}
	}
	return Rate{
		Source: r.Source, Base: r.Base, Quote: r.Quote, RateType: r.RateType, Frequency: r.Frequency,
		Date: r.Date, Rate: rate, Quantity: r.Quantity, PublishedAt: r.PublishedAt, Withdrawn: r.Withdrawn,
	}
}

// FXConfig configures currency conversion (docs/contract.md §2.2).
type FXConfig struct {
	// Reporting is the ISO 4217 currency everything is converted to. Default (and when empty): "EUR".
	Reporting string
	// WindowDays is how many days before the observation date a rate may be dated and still be used:
	// a rate dated in [D − WindowDays, D] is usable, so with 7 a rate exactly 7 days old is inside.
	// Default 7; 0 means same-day rates only; negative is treated as 0.
	WindowDays int
	// Pivots are the currencies tried, in order, for triangulation when no direct rate exists.
	// Default ["USD"]; empty means no triangulation.
	Pivots []string
	// SourcePreference breaks ties between rates of the same date: listed sources first, earlier
	// entries preferred, then unlisted sources in lexicographic order. Default none.
	SourcePreference []string
	// PeriodAverage lists the frequencies of wages (flows) converted at the period-average rate:
	// a rate of the same frequency dated the first day of the wage's period (month, quarter or
	// year), directly or through a pivot, when one exists; otherwise at the point rate. Default
	// ["M", "A"]; empty converts every wage at the point rate.
	PeriodAverage []string
	// Further are more reporting currencies (ISO 4217, none equal to Reporting) into which fuel
	// prices, wages and indicators in a currency are converted as well, each by the rules above with that currency in
	// place of Reporting (see For). Default none.
	Further []string
}

// For returns cfg converting to the further reporting currency currency: the same window,
// source preference and period averages, the pivots followed by cfg's own reporting currency
// (EUR, the currency most rates are quoted against; a pivot equal to currency is skipped), and
// no further currencies.
func (cfg FXConfig) For(currency string) FXConfig {
	reporting := cfg.Reporting
	if reporting == "" {
		reporting = "EUR"
	}
	out := cfg
	out.Reporting, out.Further = currency, nil
	out.Pivots = slices.Clone(cfg.Pivots)
	if !slices.Contains(out.Pivots, reporting) {
		out.Pivots = append(out.Pivots, reporting)
	}
	return out
}

// periodOf returns the frequency whose period-average rate converts r under cfg, and the first
// day of r's period; "" when r is converted at the point rate.
func periodOf(cfg FXConfig, r *Record) (string, time.Time) {
	if r.Kind != KindWage || !slices.Contains(cfg.PeriodAverage, r.Frequency) {
		return "", time.Time{}
	}
	y, m, _ := r.Date.Date()
	switch r.Frequency {
	case "M":
	case "Q":
		m = (m-1)/3*3 + 1
	case "A":
		m = 1
	default:
		return "", time.Time{}
	}
	return r.Frequency, time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
}

// DefaultFXConfig returns the defaults of docs/contract.md §2.2: EUR, a 7-day window, pivot
// USD, no source preference, monthly and yearly wages at the period-average rate.
func DefaultFXConfig() FXConfig {
	return FXConfig{Reporting: "EUR", WindowDays: 7, Pivots: []string{"USD"}, PeriodAverage: []string{"M", "A"}}
}

// pairKey is an unordered currency pair (a < b).
type pairKey struct{ a, b string }

func pairOf(x, y string) pairKey {
	if x < y {
		return pairKey{x, y}
	}
	return pairKey{y, x}
}

// bookEntry is a stored rate with its day number, its exact factors in both directions and its
// fx_path in both directions, all computed once by Add. Read-only once stored.
type bookEntry struct {
	Rate
	day     int64
	factor  *big.Rat // rate / quantity (Quote per one Base)
	inverse *big.Rat // quantity / rate (Base per one Quote)
	// pathFwd is "Base>Quote@source:date", pathInv "Quote>Base@source:date".
	pathFwd, pathInv string
	// until is the PublishedAt of the next vintage of the same identity; zero while this is the
	// latest. Written under the book's write lock.
	until time.Time
}

// sameIdentity reports whether e is a vintage of r's identity (the day compared by the caller).
func (e *bookEntry) sameIdentity(r *Rate) bool {
	return e.Source == r.Source && e.Base == r.Base && e.Quote == r.Quote && e.RateType == r.RateType && e.Frequency == r.Frequency
}

// current reports whether e is the vintage of its identity known at asOf (the zero asOf: now):
// published by then and not yet replaced by a newer vintage published by then. A withdrawal is
// never current: while it is the latest vintage known, its identity has no rate.
func (e *bookEntry) current(asOf time.Time) bool {
	if e.Withdrawn {
		return false
	}
	if asOf.IsZero() {
		return e.until.IsZero()
	}
	return !e.PublishedAt.After(asOf) && (e.until.IsZero() || e.until.After(asOf))
}

// withdrawnAt reports whether e is a withdrawal that is the vintage of its identity known at
// asOf (the zero asOf: now).
func (e *bookEntry) withdrawnAt(asOf time.Time) bool {
	if !e.Withdrawn {
		return false
	}
	if asOf.IsZero() {
		return e.until.IsZero()
	}
	return !e.PublishedAt.After(asOf) && (e.until.IsZero() || e.until.After(asOf))
}

// endsRate reports whether the withdrawal w, an entry of list, ends a rate: the vintage of its
// identity before it is a rate, not another withdrawal (or nothing). The caller holds a lock.
func endsRate(list []*bookEntry, w *bookEntry) bool {
	i := sort.Search(len(list), func(i int) bool { return list[i].day >= w.day })
	for ; i < len(list) && list[i].day == w.day; i++ {
		if e := list[i]; !e.Withdrawn && e.sameIdentity(&w.Rate) && e.until.Equal(w.PublishedAt) {
			return true
		}
	}
	return false
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// RateBook holds every vintage of every rate identity (source, base, quote, rate_type, frequency,
// date); of vintages with equal PublishedAt the one added last is kept. Convert uses the vintage
// with the greatest PublishedAt; ConvertAsOf the greatest published by a given time. It is safe
// for concurrent use: Add takes a write lock, Len and the conversions a read lock.
type RateBook struct {
	mu    sync.RWMutex
	pairs map[pairKey][]*bookEntry // sorted by day, ascending
	// codes holds the same lists as pairs for the pairs of two three-byte codes (all of them once
	// validated), keyed by packPair, which is quicker to hash than two strings.
	codes map[uint64][]*bookEntry
	n     int
	// version counts the changes (Add returning true), for ConvCache.
	version atomic.Uint64
}

// NewRateBook returns an empty RateBook.
func NewRateBook() *RateBook {
	return &RateBook{pairs: make(map[pairKey][]*bookEntry), codes: make(map[uint64][]*bookEntry)}
}

// packPair returns the unordered pair of two three-byte codes as a number.
func packPair(x, y string) (uint64, bool) {
	if len(x) != 3 || len(y) != 3 {
		return 0, false
	}
	if x > y {
		x, y = y, x
	}
	return uint64(x[0])<<40 | uint64(x[1])<<32 | uint64(x[2])<<24 | uint64(y[0])<<16 | uint64(y[1])<<8 | uint64(y[2]), true
}

// list returns the rates of the pair from, to, sorted by day. The caller holds a lock.
func (b *RateBook) list(from, to string) []*bookEntry {
	if k, ok := packPair(from, to); ok {
		return b.codes[k]
	}
	return b.pairs[pairOf(from, to)]
}

// dayNumber returns the days since 1970-01-01 of t's UTC calendar date.
func dayNumber(t time.Time) int64 {
	s := t.Unix()
	d := s / 86400
	if s%86400 < 0 {
		d--
	}
	return d
}

// Add stores r as a vintage of its identity. It returns true if the book changed: a new
// identity, a new vintage (newer or older than those held: conversions as known at earlier
// times may change), or a vintage replaced by one of equal PublishedAt that differs from it.
// Rates with a non-positive value or quantity are ignored (Validate rejects them) and Add
// returns false. A withdrawal (r.Withdrawn) is a vintage like any other, without a value: while
// it is the latest vintage of its identity, no conversion uses that identity.
func (b *RateBook) Add(r Rate) bool {
	if r.Withdrawn {
		r.Rate, r.Quantity = Decimal{}, 1
	} else if r.Rate.Sign() <= 0 || r.Quantity < 1 {
		return false
	}
	e := &bookEntry{Rate: r, day: dayNumber(r.Date)}
	if !r.Withdrawn {
		e.factor = new(big.Rat).SetFrac(new(big.Int).Set(r.Rate.coef()), new(big.Int).Mul(pow10(int(r.Rate.Scale)), big.NewInt(r.Quantity)))
		e.inverse = new(big.Rat).Inv(e.factor)
	}
	var buf [96]byte
	e.pathFwd = string(leg{e: e, from: r.Base, to: r.Quote}.appendPath(buf[:0]))
	e.pathInv = string(leg{e: e, from: r.Quote, to: r.Base}.appendPath(buf[:0]))
	k := pairOf(r.Base, r.Quote)
	b.mu.Lock()
	defer b.mu.Unlock()
	list := b.pairs[k]
	i := sort.Search(len(list), func(i int) bool { return list[i].day >= e.day })
	var vintages []*bookEntry // of r's identity, in list order
	for j := i; j < len(list) && list[j].day == e.day; j++ {
		old := list[j]
		if !old.sameIdentity(&r) {
			continue
		}
		if old.PublishedAt.Equal(r.PublishedAt) {
			if r.Withdrawn == old.Withdrawn && (r.Withdrawn || r.Quantity == old.Quantity && r.Rate.Equal(old.Rate.Rate)) {
				return false
			}
			e.until = old.until
			list[j] = e
			b.version.Add(1)
			return true
		}
		vintages = append(vintages, old)
	}
	if len(vintages) == 0 {
		b.n++
	}
	list = append(list, nil)
	copy(list[i+1:], list[i:])
	list[i] = e
	b.pairs[k] = list
	if pk, ok := packPair(r.Base, r.Quote); ok {
		b.codes[pk] = list
	}
	// Each vintage lasts until the next one's PublishedAt.
	vintages = append(vintages, e)
	sort.Slice(vintages, func(x, y int) bool { return vintages[x].PublishedAt.Before(vintages[y].PublishedAt) })
	for j, v := range vintages {
		v.until = time.Time{}
		if j+1 < len(vintages) {
			v.until = vintages[j+1].PublishedAt
		}
	}
	b.version.Add(1)
	return true
}

// Len returns the number of rate identities held.
func (b *RateBook) Len() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.n
}

// Conversion is the result of converting currency C on date D to the reporting currency.
type Conversion struct {
	// Status is FXConverted or FXPending.
	Status string
	// Factor is the exact amount of reporting currency per 1 unit of C; nil when pending.
	Factor *big.Rat
	// Date is fx_date: the rate date used (the older of two legs when triangulated); zero when C is
	// the reporting currency or the conversion is pending.
	Date time.Time
	// Path is fx_path: the reporting code when C is the reporting currency, e.g. "EUR"; one leg
	// "KZT>EUR@nationalbank.kz:2022-01-05"; two legs joined by ';'
	// "KZT>USD@nationalbank.kz:2022-01-05;USD>EUR@ecb:2022-01-04"; "" when pending.
	Path string
	// KnownFrom is the greatest PublishedAt of the rates used; zero when no rate is used (the
	// reporting currency itself, or pending).
	KnownFrom time.Time
	// Basis is FXBasisPoint or FXBasisPeriodAverage; empty means FXBasisPoint.
	Basis string

	// prep, when set (by ConvCache), holds what Normalize derives from Factor alone.
	prep *convPrep
}

// leg is one chosen rate used in direction from→to.
type leg struct {
	e        *bookEntry
	from, to string
}

// factor returns the exact to-per-from factor: rate/quantity for base→quote, quantity/rate for
// quote→base. It is shared and read-only.
func (l leg) factor() *big.Rat {
	if l.e.Base == l.from {
		return l.e.factor
	}
	return l.e.inverse
}

// path returns the leg's fx_path, from>to@source:date.
func (l leg) path() string {
	if l.e.Base == l.from {
		return l.e.pathFwd
	}
	return l.e.pathInv
}

func (l leg) appendPath(dst []byte) []byte {
	dst = append(dst, l.from...)
	dst = append(dst, '>')
	dst = append(dst, l.to...)
	dst = append(dst, '@')
	dst = append(dst, l.e.Source...)
	dst = append(dst, ':')
	return appendDate(dst, l.e.Date)
}

// Convert converts currency on date to cfg.Reporting per docs/contract.md §2.2:
//
//  1. currency == Reporting: factor 1, Path = the reporting code, no Date.
//  2. Direct: a rate between currency and Reporting, in either orientation, dated within
//     [date − WindowDays, date]. The latest rate date wins; among rates of that date, the source
//     earliest in SourcePreference wins (listed sources before unlisted), then the lexicographically
//     smaller source, then rate_type official before reference before market (other types last,
//     lexicographically), then the orientation whose base is currency. The leg factor is
//     rate/quantity for base→quote and quantity/rate for quote→base.
//  3. Otherwise triangulation through each pivot P of cfg.Pivots in order, skipping P == currency
//     and P == Reporting: legs currency→P and P→Reporting, each chosen by rule 2 for the same date;
//     the first pivot with both legs wins; Date is the older of the two leg dates.
//  4. Otherwise pending (nil Factor, zero Date, empty Path).
//
// The returned Factor is owned by the caller.
func (b *RateBook) Convert(cfg FXConfig, currency string, date time.Time) Conversion {
	return b.ConvertAsOf(cfg, currency, date, time.Time{})
}

// ConvertAsOf is Convert with the book as it was known at asOf: of each rate identity, the
// vintage with the greatest PublishedAt not after asOf (identities with none are left out).
// The zero asOf means every vintage, as Convert.
func (b *RateBook) ConvertAsOf(cfg FXConfig, currency string, date, asOf time.Time) Conversion {
	reporting := cfg.Reporting
	if reporting == "" {
		reporting = "EUR"
	}
	if currency == reporting {
		return Conversion{Status: FXConverted, Factor: newRat(1, 1), Path: reporting}
	}
	window := int64(cfg.WindowDays)
	if window < 0 {
		window = 0
	}
	day := dayNumber(date)
	b.mu.RLock()
	defer b.mu.RUnlock()
	// gone is the latest withdrawal of a rate that would have been chosen before the one that
	// is: the conversion is known from then too (docs/contract.md §1.9).
	l, ok, gone := b.best(cfg, currency, reporting, day, window, asOf)
	if ok {
		return Conversion{
			Status:    FXConverted,
			Factor:    cloneRat(l.factor()),
			Date:      l.e.Date,
			Path:      l.path(),
			KnownFrom: later(l.e.PublishedAt, gone),
		}
	}
	for _, p := range cfg.Pivots {
		if p == currency || p == reporting {
			continue
		}
		l1, ok, g := b.best(cfg, currency, p, day, window, asOf)
		gone = later(gone, g)
		if !ok {
			continue
		}
		l2, ok, g := b.best(cfg, p, reporting, day, window, asOf)
		gone = later(gone, g)
		if !ok {
			continue
		}
		f := mulRat(l1.factor(), l2.factor())
		d := l1.e.Date
		if l2.e.day < l1.e.day {
			d = l2.e.Date
		}
		known := later(later(l1.e.PublishedAt, l2.e.PublishedAt), gone)
		return Conversion{Status: FXConverted, Factor: f, Date: d, Path: l1.path() + ";" + l2.path(), KnownFrom: known}
	}
	return Conversion{Status: FXPending, KnownFrom: gone}
}

// ConvertRecord converts the observation r (fuel_price or wage) as known at asOf (zero: now):
// at the period-average rate when cfg.PeriodAverage names its frequency and that rate exists
// (Basis FXBasisPeriodAverage), else as ConvertAsOf (Basis FXBasisPoint).
func (b *RateBook) ConvertRecord(cfg FXConfig, r *Record, asOf time.Time) Conversion {
	var gone time.Time // a withdrawn period-average rate, which makes the point rate convert it
	if freq, start := periodOf(cfg, r); freq != "" {
		c := b.convertPeriod(cfg, r.Currency, freq, start, asOf)
		if c.Status == FXConverted {
			return c
		}
		gone = c.KnownFrom
	}
	c := b.ConvertAsOf(cfg, r.Currency, r.Date, asOf)
	c.Basis = FXBasisPoint
	c.KnownFrom = later(c.KnownFrom, gone)
	return c
}

// convertPeriod converts currency at the average rates of frequency freq of the period that
// starts on start: rates of that frequency dated start, chosen among themselves as rule 2 does
// (directly, else through a pivot); pending when there are none.
func (b *RateBook) convertPeriod(cfg FXConfig, currency, freq string, start, asOf time.Time) Conversion {
	reporting := cfg.Reporting
	if reporting == "" {
		reporting = "EUR"
	}
	if currency == reporting {
		return Conversion{Status: FXPending}
	}
	day := dayNumber(start)
	b.mu.RLock()
	defer b.mu.RUnlock()
	var gone time.Time // the latest withdrawal of a rate that would have been chosen
	pick := func(from, to string) (leg, bool) {
		var chosen *bookEntry
		var withdrawn []*bookEntry
		list := b.list(from, to)
		i := sort.Search(len(list), func(i int) bool { return list[i].day >= day })
		for ; i < len(list) && list[i].day == day; i++ {
			e := list[i]
			if e.Frequency != freq {
				continue
			}
			if e.withdrawnAt(asOf) {
				withdrawn = append(withdrawn, e)
			}
			if e.current(asOf) && (chosen == nil || better(cfg, from, e, chosen)) {
				chosen = e
			}
		}
		for _, w := range withdrawn {
			if (chosen == nil || better(cfg, from, w, chosen)) && endsRate(list, w) {
				gone = later(gone, w.PublishedAt)
			}
		}
		return leg{e: chosen, from: from, to: to}, chosen != nil
	}
	if l, ok := pick(currency, reporting); ok {
		return Conversion{Status: FXConverted, Factor: cloneRat(l.factor()), Date: l.e.Date, Path: l.path(),
			KnownFrom: later(l.e.PublishedAt, gone), Basis: FXBasisPeriodAverage}
	}
	for _, p := range cfg.Pivots {
		if p == currency || p == reporting {
			continue
		}
		l1, ok1 := pick(currency, p)
		l2, ok2 := pick(p, reporting)
		if !ok1 || !ok2 {
			continue
		}
		known := later(later(l1.e.PublishedAt, l2.e.PublishedAt), gone)
		return Conversion{Status: FXConverted, Factor: mulRat(l1.factor(), l2.factor()), Date: l1.e.Date,
			Path: l1.path() + ";" + l2.path(), KnownFrom: known, Basis: FXBasisPeriodAverage}
	}
	return Conversion{Status: FXPending, KnownFrom: gone}
}

// A Known is one conversion of an observation as it was known from a time on.
type Known struct {
	Conversion
	// From is when it became known: the greatest of the observation's published_at and the
	// PublishedAt of the rates it uses (Conversion.KnownFrom).
	From time.Time
}

// Chain returns the conversions of the observation r (fuel_price or wage) as they were known
// over time, oldest first: the conversion known at r's published_at, then each different one
// that the publication of a later rate vintage made known, each with the time it became known
// (docs/contract.md §5.4). The last one is ConvertRecord's now. Every element's From is
// greater than the previous one's; the result depends only on the rates held, not on the order
// in which they were added.
func (b *RateBook) Chain(cfg FXConfig, r *Record) []Known {
	published := r.PublishedAt.UTC()
	times := b.publications(cfg, r, published)
	out := make([]Known, 0, 1+len(times))
	add := func(c Conversion) {
		from := published
		if c.KnownFrom.After(from) {
			from = c.KnownFrom
		}
		if n := len(out); n > 0 && !from.After(out[n-1].From) {
			// Known at the same time as the previous one: the same rates, the same conversion.
			return
		}
		out = append(out, Known{Conversion: c, From: from})
	}
	add(b.ConvertRecord(cfg, r, published))
	for _, t := range times {
		add(b.ConvertRecord(cfg, r, t))
	}
	return out
}

// publications returns, sorted and without repeats, the PublishedAt values after published of
// the vintages of every rate the conversion of r could use: the times at which what is known of
// that conversion can change.
func (b *RateBook) publications(cfg FXConfig, r *Record, published time.Time) []time.Time {
	reporting := cfg.Reporting
	if reporting == "" {
		reporting = "EUR"
	}
	currency := r.Currency
	if currency == reporting {
		return nil
	}
	window := int64(cfg.WindowDays)
	if window < 0 {
		window = 0
	}
	day := dayNumber(r.Date)
	days := [][2]int64{{day - window, day}}
	if freq, start := periodOf(cfg, r); freq != "" {
		days = append(days, [2]int64{dayNumber(start), dayNumber(start)})
	}
	pairs := [][2]string{{currency, reporting}}
	for _, p := range cfg.Pivots {
		if p != currency && p != reporting {
			pairs = append(pairs, [2]string{currency, p}, [2]string{p, reporting})
		}
	}
	var times []time.Time
	b.mu.RLock()
	for _, pr := range pairs {
		list := b.list(pr[0], pr[1])
		for _, span := range days {
			i := sort.Search(len(list), func(i int) bool { return list[i].day >= span[0] })
			for ; i < len(list) && list[i].day <= span[1]; i++ {
				if t := list[i].PublishedAt; t.After(published) {
					times = append(times, t.UTC())
				}
			}
		}
	}
	b.mu.RUnlock()
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	return slices.CompactFunc(times, func(a, b time.Time) bool { return a.Equal(b) })
}

// best chooses the rate for from→to on day per rule 2, among the vintages known at asOf and not
// period averages. gone is the latest PublishedAt of the withdrawals (known at asOf) of rates
// that rule 2 would have chosen before the one chosen (zero when none): the choice is known
// only from then on. The caller holds the read lock.
func (b *RateBook) best(cfg FXConfig, from, to string, day, window int64, asOf time.Time) (l leg, ok bool, gone time.Time) {
	list := b.list(from, to)
	// Last entry with e.day <= day.
	i := sort.Search(len(list), func(i int) bool { return list[i].day > day }) - 1
	var chosen *bookEntry
	var withdrawn []*bookEntry
	latest := int64(0)
	for ; i >= 0 && list[i].day >= day-window; i-- {
		e := list[i]
		if chosen != nil && e.day < latest {
			break
		}
		if periodAverageRate(e.Frequency) {
			continue
		}
		if e.withdrawnAt(asOf) {
			withdrawn = append(withdrawn, e)
			continue
		}
		if !e.current(asOf) {
			continue
		}
		if chosen == nil || better(cfg, from, e, chosen) {
			chosen, latest = e, e.day
		}
	}
	for _, w := range withdrawn {
		if (chosen == nil || w.day > chosen.day || w.day == chosen.day && better(cfg, from, w, chosen)) && endsRate(list, w) {
			gone = later(gone, w.PublishedAt)
		}
	}
	if chosen == nil {
		return leg{}, false, gone
	}
	return leg{e: chosen, from: from, to: to}, true, gone
}

// periodAverageRate reports whether a rate of frequency freq is a period average (monthly,
// quarterly, yearly): it converts at the period-average basis only, never as a point rate.
func periodAverageRate(freq string) bool {
	return freq == "M" || freq == "Q" || freq == "A"
}

// better reports whether a beats b among same-day rates for conversion out of from.
func better(cfg FXConfig, from string, a, b *bookEntry) bool {
	if pa, pb := sourceRank(cfg, a.Source), sourceRank(cfg, b.Source); pa != pb {
		return pa < pb
	}
	if a.Source != b.Source {
		return a.Source < b.Source
	}
	if ta, tb := rateTypeRank(a.RateType), rateTypeRank(b.RateType); ta != tb {
		return ta < tb
	}
	if a.RateType != b.RateType {
		return a.RateType < b.RateType
	}
	// Then a daily rate before one of another frequency (lexicographically).
	if (a.Frequency == "D") != (b.Frequency == "D") {
		return a.Frequency == "D"
	}
	if a.Frequency != b.Frequency {
		return a.Frequency < b.Frequency
	}
	return a.Base == from && b.Base != from
}

func sourceRank(cfg FXConfig, source string) int {
	for i, s := range cfg.SourcePreference {
		if s == source {
			return i
		}
	}
	return len(cfg.SourcePreference)
}

func rateTypeRank(t string) int {
	switch t {
	case "official":
		return 0
	case "reference":
		return 1
	case "market":
		return 2
	}
	return 3
}

// ratBox2 and ratBox4 are a big.Rat with room for a numerator and a denominator of two or four
// words together, so that a small factor costs one allocation (80 or 96 bytes).
type ratBox2 struct {
	r big.Rat
	w [2]big.Word
}

type ratBox4 struct {
	r big.Rat
	w [4]big.Word
}

// newRatWords returns num/den (a fraction in lowest terms, den > 0) as a new big.Rat the caller
// owns, using one allocation when the words fit a ratBox4. neg negates it.
func newRatWords(num, den []big.Word, neg bool) *big.Rat {
	n, m := len(num), len(den)
	var r *big.Rat
	var w []big.Word
	switch {
	case n == 0 || m == 0 || n+m > len(ratBox4{}.w):
		x := new(big.Rat).SetFrac(new(big.Int).SetBits(append([]big.Word(nil), num...)), new(big.Int).SetBits(append([]big.Word(nil), den...)))
		if neg {
			x.Neg(x)
		}
		return x
	case n+m <= len(ratBox2{}.w):
		b := new(ratBox2)
		r, w = &b.r, b.w[:]
	default:
		b := new(ratBox4)
		r, w = &b.r, b.w[:]
	}
	copy(w[:n], num)
	copy(w[n:n+m], den)
	// A Rat's denominator is reachable (Denom) only once it is set, and setting it through the
	// API normalizes the fraction again; so start from a shallow copy of a Rat with a denominator
	// and immediately point both numerator and denominator at the box's own words. Nothing is
	// written to ratTemplate's words. The slices are capped so that arithmetic on the result
	// never writes across from the numerator into the denominator.
	*r = *ratTemplate
	r.Num().SetBits(w[0:n:n])
	r.Denom().SetBits(w[n : n+m : n+m])
	if neg {
		r.Num().Neg(r.Num())
	}
	return r
}

// ratTemplate is a Rat whose denominator is set; see newRatWords. Read-only.
var ratTemplate = big.NewRat(1, 2)

// newRat returns the fraction num/den in lowest terms (den > 0) as a new big.Rat.
func newRat(num, den uint64) *big.Rat {
	return newRatWords([]big.Word{big.Word(num)}, []big.Word{big.Word(den)}, false)
}

// cloneRat returns a copy of x that shares nothing with it.
func cloneRat(x *big.Rat) *big.Rat {
	return newRatWords(x.Num().Bits(), x.Denom().Bits(), x.Sign() < 0)
}

// mulRat returns x·y as a new big.Rat: exactly big.Rat's Mul, without math/big when the positive
// factors have 64-bit numerators and denominators whose products fit 64 bits.
func mulRat(x, y *big.Rat) *big.Rat {
	if bits.UintSize == 64 && x.Sign() > 0 && y.Sign() > 0 {
		if xn, xd, yn, yd, ok := ratWords(x, y); ok {
			nh, n := bits.Mul64(xn, yn)
			dh, d := bits.Mul64(xd, yd)
			if nh == 0 && dh == 0 {
				g := gcd64(n, d)
				return newRatWords([]big.Word{big.Word(n / g)}, []big.Word{big.Word(d / g)}, false)
			}
		}
	}
	return new(big.Rat).Mul(x, y)
}

// ratWords returns the numerators and denominators of x and y when each is one word.
func ratWords(x, y *big.Rat) (xn, xd, yn, yd uint64, ok bool) {
	a, b, c, d := x.Num().Bits(), x.Denom().Bits(), y.Num().Bits(), y.Denom().Bits()
	if len(a) != 1 || len(b) != 1 || len(c) != 1 || len(d) != 1 {
		return 0, 0, 0, 0, false
	}
	return uint64(a[0]), uint64(b[0]), uint64(c[0]), uint64(d[0]), true
}

// gcd64 returns the greatest common divisor of a and b, not both zero.
func gcd64(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
