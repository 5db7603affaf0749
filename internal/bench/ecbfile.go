package bench

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// ecbCurrencies are the columns of the ECB's eurofxref-hist.csv, in its order.
var ecbCurrencies = strings.Split("USD,JPY,BGN,CYP,CZK,DKK,EEK,GBP,HUF,LTL,LVL,MTL,PLN,ROL,RON,SEK,SIT,SKK,CHF,ISK,NOK,HRK,RUB,TRL,TRY,AUD,BRL,CAD,CNY,HKD,IDR,ILS,INR,KRW,MXN,MYR,NZD,PHP,SGD,THB,ZAR", ",")

// ecbQuoted gives, for the currencies the ECB did not quote throughout, the first and last day
// it quoted them (YYYY-MM-DD; empty: no bound), roughly as in its history.
var ecbQuoted = map[string][2]string{
	"BGN": {"2000-07-19", ""}, "BRL": {"2008-01-02", ""}, "CNY": {"2005-04-01", ""}, "ILS": {"2008-01-02", ""},
	"INR": {"2008-01-02", ""}, "MXN": {"2008-01-02", ""}, "RON": {"2005-07-01", ""}, "TRY": {"2005-01-03", ""},
	"CYP": {"", "2007-12-31"}, "EEK": {"", "2010-12-31"}, "LTL": {"", "2014-12-31"}, "LVL": {"", "2013-12-31"},
	"MTL": {"", "2007-12-31"}, "ROL": {"", "2005-06-30"}, "SIT": {"", "2006-12-29"}, "SKK": {"", "2008-12-31"},
	"TRL": {"", "2004-12-31"}, "RUB": {"", "2022-03-01"}, "HRK": {"", "2022-12-30"},
}

// WriteECBHistory writes a synthetic full history of the ECB's euro reference rates in the layout
// of its eurofxref-hist.csv (a header of 41 currencies, one row per weekday from 1999-01-04 to
// last, newest first, N/A where a currency was not quoted), for timing `econflow produce
// --format ecb-csv` on a publisher file of the real one's size (some 240,000 rates). The rates
// are a random walk drawn from seed, with 4 decimals under 10 and 2 above, in integers.
func WriteECBHistory(w io.Writer, seed uint64, last time.Time) error {
	rng := rand.New(rand.NewPCG(seed, seed^0x2545f4914f6cdd1d))
	type walk struct {
		units  int64 // the rate × 10^digits
		digits int
	}
	walks := make([]walk, len(ecbCurrencies))
	for i := range walks {
		if rng.IntN(2) == 0 {
			walks[i] = walk{units: 5000 + rng.Int64N(95000), digits: 4} // 0.5 … 10
		} else {
			walks[i] = walk{units: 1000 + rng.Int64N(200000), digits: 2} // 10 … 2,000
		}
	}
	var rows [][]byte
	for d := time.Date(1999, 1, 4, 0, 0, 0, 0, time.UTC); !d.After(last); d = d.AddDate(0, 0, 1) {
		if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		day := d.Format(time.DateOnly)
		row := append(make([]byte, 0, 400), day...)
		for i, c := range ecbCurrencies {
			w := &walks[i]
			w.units = max(1, w.units+rng.Int64N(w.units/50+1)-w.units/100) // about ±1% a day
			row = append(row, ',')
			if q, ok := ecbQuoted[c]; ok && (q[0] != "" && day < q[0] || q[1] != "" && day > q[1]) {
				row = append(row, "N/A"...)
				continue
			}
			row = appendScaled(row, w.units, w.digits)
		}
		rows = append(rows, append(row, ','))
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.WriteString("Date," + strings.Join(ecbCurrencies, ",") + ",\n")
	for i := len(rows) - 1; i >= 0; i-- {
		bw.Write(rows[i])
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write the ECB history: %w", err)
	}
	return nil
}

// appendScaled appends units × 10^-digits in decimal.
func appendScaled(b []byte, units int64, digits int) []byte {
	s := strconv.FormatInt(units, 10)
	for len(s) <= digits {
		s = "0" + s
	}
	b = append(b, s[:len(s)-digits]...)
	return append(append(b, '.'), s[len(s)-digits:]...)
}
