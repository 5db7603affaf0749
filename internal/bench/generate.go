package bench

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"io"
	"math/big"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Record is one generated fuel_price record: its message and the values the raw table gets.
type Record struct {
	Source, Region, Currency, Date string
	Price                          string // 12 integer digits, '.', 6 fractional digits
	Key                            string // the Kafka key: the series
	Value                          []byte // the JSON message
	series                         int    // the series' number in generation order (EUR series first)
}

// Dataset is what Generate makes: the rate record that lets the KZT prices convert, the price
// records, and their exact sum.
type Dataset struct {
	Seed   uint64
	Rate   Record // the fx_rate record (only Source, Date, Key and Value are set)
	Prices []Record
	KZT    int      // how many prices are in KZT
	Bytes  int64    // total bytes of the price messages' values
	sum    *big.Int // sum of the prices × 10^6
}

// Generation constants. EUR prices are dated across ten years from eurBase; KZT prices only within
// the conversion window of the one rate, dated kztBase (outside the EUR dates, so that the
// reconciler's passes after the rate only look at KZT rows).
const (
	priceScale  = 6
	eurDays     = 3650
	kztDays     = 8 // the rate's date and the 7 days its window (DefaultFXConfig) covers
	kztPercent  = 5
	regionCodes = 36 * 36 * 36 // KZ-000 … KZ-ZZZ
	kztSeries   = 1 << 30      // KZT series are numbered from here, after every EUR series
	benchSource = "bench"
	rateText    = "492.75"
)

var (
	eurBase = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	kztBase = time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)
	latBase = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) // latency-phase records: their own partition
)

const base36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// series returns the source and region of series number i: KZ-000 … KZ-ZZZ, then the same
// regions again under source bench.1, bench.2 …
func series(prefix string, i int) (source, region string) {
	r := i % regionCodes
	source = prefix
	if q := i / regionCodes; q > 0 {
		source += "." + strconv.Itoa(q)
	}
	return source, "KZ-" + string([]byte{base36[r/1296], base36[r/36%36], base36[r%36]})
}

// Generate returns n fuel_price records and one EUR/KZT rate, all determined by seed (math/rand/v2
// PCG). Every price has 12 integer and 6 fractional digits and is written as a JSON string;
// about 5% are in KZT, the rest in EUR; every record has its own identity (source, region,
// currency, date). The records come in generation order, each series in date order with the KZT
// records mixed in; Arrange puts them in the order to publish.
func Generate(n int, seed uint64) *Dataset {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	d := &Dataset{Seed: seed, Prices: make([]Record, 0, n), sum: new(big.Int)}
	rateDate := kztBase.Format(time.DateOnly)
	d.Rate = Record{Source: "nationalbank.kz", Date: rateDate, Key: "EUR/KZT",
		Value: []byte(`{"kind":"fx_rate","source":"nationalbank.kz","base":"EUR","quote":"KZT","rate":"` + rateText + `","date":"` + rateDate + `"}`)}
	var eur, kzt int
	var buf []byte
	scaled := new(big.Int)
	for i := 0; i < n; i++ {
		intPart := 100_000_000_000 + rng.Int64N(900_000_000_000) // 12 digits
		frac := rng.Int64N(1_000_000)
		price := fmt.Sprintf("%d.%06d", intPart, frac)
		var r Record
		if rng.IntN(100) < kztPercent {
			r.Source, r.Region = series(benchSource, kzt/kztDays)
			r.series = kztSeries + kzt/kztDays
			r.Currency, r.Date = "KZT", kztBase.AddDate(0, 0, kzt%kztDays).Format(time.DateOnly)
			kzt++
		} else {
			r.Source, r.Region = series(benchSource, eur/eurDays)
			r.series = eur / eurDays
			r.Currency, r.Date = "EUR", eurBase.AddDate(0, 0, eur%eurDays).Format(time.DateOnly)
			eur++
		}
		r.Price = price
		r.Key = r.Source + "/" + r.Region + "/" + r.Currency
		buf = appendPrice(buf[:0], r.Source, r.Region, r.Price, r.Currency, r.Date)
		r.Value = append([]byte(nil), buf...)
		d.Bytes += int64(len(r.Value))
		d.Prices = append(d.Prices, r)
		scaled.SetInt64(intPart*1_000_000 + frac)
		d.sum.Add(d.sum, scaled)
	}
	d.KZT = kzt
	return d
}

// Order is the order in which the records are published.
type Order string

// The orders of Options.Order.
const (
	// OrderPublishers publishes as publishers do: day after day, every series each day (the
	// records of one date in series order, the dates in order).
	OrderPublishers Order = "publishers"
	// OrderKey publishes in fuel_prices_data's key order: one series after another, each in
	// date order — the one order in which ClickHouse never has to sort a part and merges are
	// cheapest.
	OrderKey Order = "key"
	// OrderRandom publishes in a random order drawn from the seed, as records from many
	// unrelated producers would arrive.
	OrderRandom Order = "random"
)

// Describe names the order in a sentence.
func (o Order) Describe() string {
	switch o {
	case OrderPublishers:
		return "publishers' order (days in order, every series each day)"
	case OrderKey:
		return "key order (each series whole, in date order)"
	}
	return string(o) + " order"
}

// Orders lists the orders Arrange knows, the default first.
var Orders = []Order{OrderPublishers, OrderKey, OrderRandom}

// ParseOrder returns the Order named s.
func ParseOrder(s string) (Order, error) {
	for _, o := range Orders {
		if string(o) == s {
			return o, nil
		}
	}
	return "", fmt.Errorf("unknown order %q: want publishers, key or random", s)
}

// Arrange puts the records in order o; the random order is drawn from seed. The records
// themselves, their rate and their sum do not change.
func (d *Dataset) Arrange(o Order, seed uint64) error {
	switch o {
	case OrderPublishers:
		slices.SortStableFunc(d.Prices, func(a, b Record) int {
			return cmp.Or(strings.Compare(a.Date, b.Date), cmp.Compare(a.series, b.series))
		})
	case OrderKey:
		// fuel_prices_data's key is (country, region, product, tax_basis, currency, unit,
		// source, frequency, date, published_at); the generated records differ in region,
		// currency, source and date only.
		slices.SortStableFunc(d.Prices, func(a, b Record) int {
			return cmp.Or(strings.Compare(a.Region, b.Region), strings.Compare(a.Currency, b.Currency),
				strings.Compare(a.Source, b.Source), strings.Compare(a.Date, b.Date))
		})
	case OrderRandom:
		d.Shuffle(seed)
	default:
		return fmt.Errorf("unknown order %q", o)
	}
	return nil
}

// Shuffle puts the records in a random order drawn from seed (Fisher–Yates).
func (d *Dataset) Shuffle(seed uint64) {
	rng := rand.New(rand.NewPCG(seed^0x5851f42d4c957f2d, seed))
	rng.Shuffle(len(d.Prices), func(i, j int) { d.Prices[i], d.Prices[j] = d.Prices[j], d.Prices[i] })
}

func appendPrice(b []byte, source, region, price, currency, date string) []byte {
	b = append(b, `{"kind":"fuel_price","source":"`...)
	b = append(b, source...)
	b = append(b, `","country":"KZ","region":"`...)
	b = append(b, region...)
	b = append(b, `","product":"lpg","price":"`...)
	b = append(b, price...)
	b = append(b, `","currency":"`...)
	b = append(b, currency...)
	b = append(b, `","unit":"litre","date":"`...)
	b = append(b, date...)
	return append(b, `"}`...)
}

// pricePrefix begins the price member of a generated message.
var pricePrefix = []byte(`"price":"`)

// appendNumberPrice appends the message value with its price written as a JSON number instead of
// a JSON string: the line ClickHouse 18.16's JSONEachRow can read the price of exactly (it cannot
// read a Decimal from a JSON string).
func appendNumberPrice(b, value []byte) []byte {
	i := bytes.Index(value, pricePrefix)
	if i < 0 {
		return append(b, value...)
	}
	j := i + len(pricePrefix)
	k := j + bytes.IndexByte(value[j:], '"')
	b = append(b, value[:j-1]...)
	b = append(b, value[j:k]...)
	return append(b, value[k+1:]...)
}

// Sum returns the exact sum of the prices as ClickHouse's toString of a Decimal(38, 18) writes
// it: 18 fractional digits.
func (d *Dataset) Sum() string { return formatScaled(d.sum, priceScale, 18) }

// formatScaled writes v × 10^-scale with digits fractional digits (digits ≥ scale).
func formatScaled(v *big.Int, scale, digits int) string {
	s := new(big.Int).Abs(v).String()
	if len(s) <= scale {
		s = strings.Repeat("0", scale-len(s)+1) + s
	}
	out := s[:len(s)-scale] + "." + s[len(s)-scale:] + strings.Repeat("0", digits-scale)
	if v.Sign() < 0 {
		out = "-" + out
	}
	return out
}

// AvgBytes is the average size of a price message's value.
func (d *Dataset) AvgBytes() float64 {
	if len(d.Prices) == 0 {
		return 0
	}
	return float64(d.Bytes) / float64(len(d.Prices))
}

// WriteLines writes the price records of Generate(n, seed), arranged in order o, to w: each
// record's JSON message on a line of its own, preceded by its Kafka key and a tab if keys.
func WriteLines(w io.Writer, n int, seed uint64, o Order, keys bool) error {
	d := Generate(n, seed)
	if err := d.Arrange(o, seed); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	for i := range d.Prices {
		r := &d.Prices[i]
		if keys {
			bw.WriteString(r.Key)
			bw.WriteByte('\t')
		}
		bw.Write(r.Value)
		if err := bw.WriteByte('\n'); err != nil {
			return fmt.Errorf("write lines: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write lines: %w", err)
	}
	return nil
}
