package transform

import (
	"math/big"
	"time"
)

// ConvCache memoizes RateBook.Convert for one FXConfig. The observations of a batch share few
// (currency, date) pairs; the cache finds each pair's conversion once, and prepares what Normalize
// derives from its factor alone (the fx_rate column and the factor's parts), while the book is
// unchanged. Any change to the book (an Add that returns true, from any goroutine) empties it at
// the next lookup, so a cached result is always the one Convert would return.
//
// A ConvCache is not safe for concurrent use; its book may be changed concurrently. The Factor
// of a cached Conversion is shared by every lookup of its pair and must not be modified.
type ConvCache struct {
	book    *RateBook
	cfg     FXConfig
	version uint64
	m       map[uint64]Conversion
	// same is the conversion of the reporting currency itself, which needs no rate.
	same Conversion
}

// convCacheMax bounds the pairs a ConvCache holds; it is emptied when full.
const convCacheMax = 4096

// NewConvCache returns an empty cache of book's conversions under cfg.
func NewConvCache(book *RateBook, cfg FXConfig) *ConvCache {
	c := &ConvCache{book: book, cfg: cfg, m: make(map[uint64]Conversion)}
	reporting := cfg.Reporting
	if reporting == "" {
		reporting = "EUR"
	}
	c.same = book.Convert(cfg, reporting, time.Time{})
	c.same.prepare()
	return c
}

// Book returns the RateBook the cache converts with.
func (c *ConvCache) Book() *RateBook { return c.book }

// Convert returns c's book's Convert(cfg, currency, date).
func (c *ConvCache) Convert(currency string, date time.Time) Conversion {
	if currency == c.same.Path {
		return c.same
	}
	k, ok := convKey(currency, date)
	if !ok {
		return c.book.Convert(c.cfg, currency, date)
	}
	// The version is read before converting: a result computed while the book changes is
	// filed under the older version, and dropped at the next lookup.
	v := c.book.version.Load()
	if v == c.version {
		if conv, ok := c.m[k]; ok {
			return conv
		}
	} else {
		clear(c.m)
		c.version = v
	}
	if len(c.m) >= convCacheMax {
		clear(c.m)
	}
	conv := c.book.Convert(c.cfg, currency, date)
	conv.prepare()
	c.m[k] = conv
	return conv
}

// convKey packs a three-letter currency code and a day number into a map key.
func convKey(currency string, date time.Time) (uint64, bool) {
	if len(currency) != 3 {
		return 0, false
	}
	day := dayNumber(date)
	if day < -1<<39 || day >= 1<<39 {
		return 0, false
	}
	code := uint64(currency[0])<<16 | uint64(currency[1])<<8 | uint64(currency[2])
	return code<<40 | uint64(day)&(1<<40-1), true
}

// convPrep is what Normalize derives from a conversion factor alone.
type convPrep struct {
	fn, fd factor   // the factor's numerator and denominator
	fx     *big.Int // the fx_rate column: the factor × 10^18, rounded; shared, read-only
	err    error    // when the fx_rate column does not fit
}

// prepare sets c.prep for a converted c.
func (c *Conversion) prepare() {
	if c.Status != FXConverted || c.Factor == nil {
		return
	}
	p := &convPrep{fn: smallFactorOf(c.Factor.Num()), fd: smallFactorOf(c.Factor.Denom())}
	p.fx, p.err = oneE18.quo(nil, p.fn, factorOne, p.fd, factorOne)
	c.prep = p
}
