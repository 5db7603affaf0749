package bench

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/econflow/econflow/ingest"
)

// The query benchmark's data: fuel prices of queryCountries × regions × queryProducts series,
// every series every day, in publishers' order; the monthly minimum wages of every country (and
// a regional one for each country's first region); the daily EUR rates of every non-EUR
// currency. Everything is determined by the seed.

// queryCountry is a country of the query data, with its currency and, in that currency, its
// typical price per litre (in thousandths), its monthly minimum wage (in hundredths) in January
// 2000 and its EUR rate (units per EUR, in ten-thousandths; 0 for EUR).
type queryCountry struct {
	code, currency string
	priceMilli     int64
	wageCents      int64
	rateBasis      int64
}

var queryCountries = []queryCountry{
	{"AT", "EUR", 1_650, 2_000_00, 0},
	{"DE", "EUR", 1_750, 2_100_00, 0},
	{"FR", "EUR", 1_800, 1_800_00, 0},
	{"IT", "EUR", 1_850, 1_700_00, 0},
	{"ES", "EUR", 1_600, 1_300_00, 0},
	{"PL", "PLN", 6_200, 4_300_00, 4_3000},
	{"CZ", "CZK", 38_000, 18_900_00, 25_0000},
	{"HU", "HUF", 600_000, 266_800_00, 390_0000},
	{"SE", "SEK", 19_000, 25_000_00, 11_0000},
	{"KZ", "KZT", 250_000, 85_000_00, 500_0000},
}

var queryProducts = []string{"diesel", "gasoline_ai95", "gasoline_ai92", "lpg"}

// Revisions and re-deliveries of the query data, per first vintage: a second vintage published
// revise2Days later for revise2Percent of the observations, a third revise3Days later for
// revise3Percent; a re-delivery of the first vintage (the same message again, the next day) for
// one in redeliverEvery.
const (
	revise2Days, revise2Percent = 7, 10
	revise3Days, revise3Percent = 30, 2
	redeliverEvery              = 200
	// queryDays is about how many days each series spans: the regions per country grow with the
	// rows asked for so that it stays near this (a series then answers about as many rows at
	// 2M rows as at 20M, and only the table grows).
	queryDays = 10000
	// rowsPerObservation is the expected fuel rows per first vintage.
	rowsPerObservation = 1 + revise2Percent/100.0 + revise3Percent/100.0 + 1.0/redeliverEvery
)

var queryBase = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// queryGen generates the query data's messages day by day, in publishers' order.
type queryGen struct {
	seed     uint64
	want     int // fuel rows to generate
	regions  int // per country
	series   int
	day      int // the next publication day, from queryBase
	lastDate time.Time
	offsets  [3]int64 // per topic: fuel, wages, rates

	// Counts of what was generated.
	FuelRows, Observations, Vintages, WageRows, RateRows int
}

// Topics of the query data's messages (their kafka_topic column).
const (
	queryFuelTopic  = "econ.fuel_prices"
	queryWageTopic  = "econ.wages"
	queryRatesTopic = "econ.fx_rates"
)

func newQueryGen(rows int, seed uint64) *queryGen {
	perDay := float64(len(queryCountries)*len(queryProducts)) * rowsPerObservation
	regions := max(1, int(float64(rows)/(perDay*queryDays)+0.999999))
	return &queryGen{seed: seed, want: rows, regions: regions, series: regions * len(queryCountries) * len(queryProducts)}
}

// mix is SplitMix64's finalizer: a well-spread hash of x.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// hash draws the value of one thing (salt) about series s on day d.
func (g *queryGen) hash(salt uint64, s, d int) uint64 {
	return mix(g.seed ^ mix(salt<<56^uint64(s)<<24^uint64(d)))
}

// seriesOf returns the country, region and product of series s.
func (g *queryGen) seriesOf(s int) (queryCountry, string, string) {
	c := queryCountries[s/(g.regions*len(queryProducts))]
	return c, regionCode(c.code, s/len(queryProducts)%g.regions), queryProducts[s%len(queryProducts)]
}

// regionCode is region i of country: CC-001, CC-002 … (base 36, up to 46656 regions).
func regionCode(country string, i int) string {
	i++
	return country + "-" + string([]byte{base36[i/1296%36], base36[i/36%36], base36[i%36]})
}

// vintages returns how many vintages the observation of series s dated day d has (1 to 3).
func (g *queryGen) vintages(s, d int) int {
	h := g.hash(1, s, d) % 100
	switch {
	case h < revise3Percent:
		return 3
	case h < revise2Percent:
		return 2
	}
	return 1
}

func (g *queryGen) redelivered(s, d int) bool { return g.hash(2, s, d)%redeliverEvery == 0 }

// price is the price of vintage v (1…3) of series s on day d, in thousandths of its currency.
func (g *queryGen) price(c queryCountry, s, d, v int) int64 {
	return c.priceMilli * int64(850+g.hash(3+uint64(v), s, d)%300) / 1000
}

func day(d int) time.Time { return queryBase.AddDate(0, 0, d) }

// fixed appends v × 10^-digits.
func fixed(b []byte, v int64, digits int) []byte {
	s := strconv.FormatInt(v, 10)
	for len(s) <= digits {
		s = "0" + s
	}
	b = append(b, s[:len(s)-digits]...)
	b = append(b, '.')
	return append(b, s[len(s)-digits:]...)
}

func appendDate(b []byte, t time.Time) []byte { return t.AppendFormat(b, time.DateOnly) }

func appendTime(b []byte, t time.Time) []byte { return t.AppendFormat(b, time.RFC3339) }

// fuelMessage appends vintage v of series s's observation dated day d.
func (g *queryGen) fuelMessage(b []byte, s, d, v int) []byte {
	c, region, product := g.seriesOf(s)
	published := day(d).Add(18 * time.Hour)
	switch v {
	case 2:
		published = published.AddDate(0, 0, revise2Days)
	case 3:
		published = published.AddDate(0, 0, revise3Days)
	}
	b = append(b, `{"kind":"fuel_price","source":"bench.fuel","country":"`...)
	b = append(b, c.code...)
	b = append(b, `","region":"`...)
	b = append(b, region...)
	b = append(b, `","product":"`...)
	b = append(b, product...)
	b = append(b, `","price":"`...)
	b = fixed(b, g.price(c, s, d, v), 3)
	b = append(b, `","currency":"`...)
	b = append(b, c.currency...)
	b = append(b, `","unit":"litre","date":"`...)
	b = appendDate(b, day(d))
	b = append(b, `","published_at":"`...)
	b = appendTime(b, published)
	return append(b, `"}`...)
}

// wageMessage appends the monthly minimum wage of country c (its first region's when regional)
// dated day d, the first of a month.
func wageMessage(b []byte, c queryCountry, d int, regional bool) []byte {
	t := day(d)
	months := int64((t.Year()-queryBase.Year())*12 + int(t.Month()) - 1)
	cents := c.wageCents + c.wageCents*months/300
	region := ""
	if regional {
		cents = cents * 11 / 10
		region = regionCode(c.code, 0)
	}
	b = append(b, `{"kind":"wage","source":"bench.wages","country":"`...)
	b = append(b, c.code...)
	b = append(b, `","region":"`...)
	b = append(b, region...)
	b = append(b, `","measure":"minimum","amount":"`...)
	b = fixed(b, cents, 2)
	b = append(b, `","currency":"`...)
	b = append(b, c.currency...)
	b = append(b, `","per":"month","date":"`...)
	b = appendDate(b, t)
	b = append(b, `","published_at":"`...)
	b = appendTime(b, t.Add(6*time.Hour))
	return append(b, `"}`...)
}

// rateMessage appends the EUR rate of country c's currency dated day d.
func (g *queryGen) rateMessage(b []byte, c queryCountry, ci, d int) []byte {
	rate := c.rateBasis * int64(950+g.hash(6, ci, d)%100) / 1000
	b = append(b, `{"kind":"fx_rate","source":"bench.fx","base":"EUR","quote":"`...)
	b = append(b, c.currency...)
	b = append(b, `","rate":"`...)
	b = fixed(b, rate, 4)
	b = append(b, `","date":"`...)
	b = appendDate(b, day(d))
	b = append(b, `","published_at":"`...)
	b = appendTime(b, day(d).Add(16*time.Hour))
	return append(b, `"}`...)
}

// nextDay appends the messages published on the next day, in the order a publisher sends them:
// the day's rates, the month's wages on its first day, then every series' price of the day, the
// revisions of earlier days and the re-deliveries of yesterday's. It returns msgs unchanged once
// the fuel rows asked for are generated; the last day may stop partway through its prices.
func (g *queryGen) nextDay(msgs []ingest.Message) []ingest.Message {
	if g.FuelRows >= g.want {
		return msgs
	}
	d := g.day
	g.day++
	published := day(d)
	// The day's values share one buffer: a message keeps its slice of it.
	buf := make([]byte, 0, 256*(g.series*5/4+len(queryCountries)*3))
	add := func(topic int, key string, build func([]byte) []byte) {
		start := len(buf)
		buf = build(buf)
		names := [3]string{queryFuelTopic, queryWageTopic, queryRatesTopic}
		msgs = append(msgs, ingest.Message{Topic: names[topic], Offset: g.offsets[topic], Key: []byte(key),
			Value: buf[start:len(buf):len(buf)], Time: published})
		g.offsets[topic]++
	}
	for ci, c := range queryCountries {
		if c.rateBasis != 0 {
			add(2, "EUR/"+c.currency, func(b []byte) []byte { return g.rateMessage(b, c, ci, d) })
			g.RateRows++
		}
	}
	if published.Day() == 1 {
		for _, c := range queryCountries {
			for _, regional := range []bool{false, true} {
				add(1, c.code, func(b []byte) []byte { return wageMessage(b, c, d, regional) })
				g.WageRows++
			}
		}
	}
	fuel := func(s, od, v int) bool {
		if g.FuelRows >= g.want {
			return false
		}
		add(0, strconv.Itoa(s), func(b []byte) []byte { return g.fuelMessage(b, s, od, v) })
		g.FuelRows++
		return true
	}
	for s := 0; s < g.series; s++ {
		if !fuel(s, d, 1) {
			return msgs
		}
		g.Observations++
		g.Vintages++
		g.lastDate = day(d)
	}
	for s := 0; s < g.series; s++ {
		if od := d - revise2Days; od >= 0 && g.vintages(s, od) >= 2 {
			if !fuel(s, od, 2) {
				return msgs
			}
			g.Vintages++
		}
		if od := d - revise3Days; od >= 0 && g.vintages(s, od) == 3 {
			if !fuel(s, od, 3) {
				return msgs
			}
			g.Vintages++
		}
		if od := d - 1; od >= 0 && g.redelivered(s, od) {
			if !fuel(s, od, 1) {
				return msgs
			}
		}
	}
	return msgs
}

// days is the number of days with prices so far.
func (g *queryGen) days() int { return int(g.lastDate.Sub(queryBase).Hours()/24) + 1 }

// load generates the query data and writes it with the consumer's own processing and the store's
// insert path: messages are processed (decoded, validated, converted, encoded for ClickHouse) in
// chunks of 10,000 as the consumer does, and written in batches of batchRows rows, one insert per
// table and batch, while the next batch is being made.
func (q *queryRun) load(ctx context.Context) error {
	g := q.gen
	proc := ingest.NewProcessor(*q.o.FX)
	proc.NewBuffer = q.store.NewRowBuffer
	work := make(chan *ingest.Batch, 1)
	written := make(chan error, 1)
	var rowsWritten int64
	go func() {
		var err error
		for b := range work {
			if err == nil {
				err = q.store.WriteBatch(ctx, b)
				rowsWritten += int64(b.Len())
			}
			b.Encoded.Release()
		}
		written <- err
	}()
	send := func(b *ingest.Batch) error {
		select {
		case work <- b:
			return nil
		case err := <-written:
			written <- err
			return fmt.Errorf("write: %w", err)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	const chunk = 10000
	version := uint64(time.Now().UnixNano())
	var batch *ingest.Batch
	msgs := make([]ingest.Message, 0, chunk+g.series*2)
	t0, last := time.Now(), time.Now()
	var genErr error
	for genErr == nil {
		n := len(msgs)
		msgs = g.nextDay(msgs)
		done := len(msgs) == n
		if len(msgs) < chunk && !done {
			continue
		}
		if len(msgs) > 0 {
			if batch == nil {
				batch = &ingest.Batch{}
			}
			proc.ProcessInto(batch, msgs, time.Now().UTC().Truncate(time.Second), version)
			version += uint64(len(msgs))
			if len(batch.Rejects) > 0 {
				r := batch.Rejects[0]
				genErr = fmt.Errorf("generated message rejected (%s): %s\n%s", r.Code, r.Reason, r.Message.Value)
				break
			}
			clear(msgs)
			msgs = msgs[:0]
		}
		if batch != nil && (done || batch.Len() >= q.o.BatchRows) {
			if genErr = send(batch); genErr != nil {
				break
			}
			batch = nil
		}
		if time.Since(last) > 2*time.Second {
			q.progress("load: %d of %d fuel rows generated (%.0f rows/s of all kinds)", g.FuelRows, g.want,
				float64(g.FuelRows+g.WageRows+g.RateRows)/time.Since(t0).Seconds())
			last = time.Now()
		}
		if done {
			break
		}
	}
	if batch != nil && batch.Encoded != nil {
		batch.Encoded.Release()
	}
	close(work)
	if err := <-written; err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if genErr != nil {
		return genErr
	}
	d := time.Since(t0)
	res := q.res
	res.FuelRows, res.Observations, res.Vintages = g.FuelRows, g.Observations, g.Vintages
	res.WageRows, res.RateRows, res.Days, res.Series, res.RegionsPerCountry = g.WageRows, g.RateRows, g.days(), g.series, g.regions
	res.LoadSeconds = d.Seconds()
	res.LoadRate = float64(rowsWritten) / d.Seconds()
	q.progress("load: %d rows (%d fuel prices: %d observations of %d series over %d days, %d vintages; %d wages; %d rates) in %.1fs = %.0f rows/s",
		rowsWritten, g.FuelRows, g.Observations, g.series, res.Days, g.Vintages, g.WageRows, g.RateRows, d.Seconds(), res.LoadRate)
	return nil
}
