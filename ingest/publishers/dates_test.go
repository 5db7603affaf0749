package publishers_test

import (
	"encoding/xml"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/econflow/econflow/ingest/publishers"
	"github.com/econflow/econflow/transform"
)

// TestNBKDates: both date forms of the NBK's feeds are read, a two-digit year YY always as 20YY,
// and anything else stops the read naming both forms.
func TestNBKDates(t *testing.T) {
	cases := []struct{ text, want string }{
		{"18.04.2016", "2016-04-18"},
		{"18.04.16", "2016-04-18"},
		{"05.01.05", "2005-01-05"},
		{"01.01.00", "2000-01-01"},
		{"29.02.16", "2016-02-29"},
		{"31.12.69", "2069-12-31"}, // time.Parse alone would say 1969
		{"01.01.99", "2099-01-01"},
		{" 19.07.18 ", "2018-07-19"},
		{"29.02.17", ""},
		{"31.02.16", ""},
		{"8.04.16", ""},
		{"18.4.16", ""},
		{"18.04.016", ""},
		{"18.04.6", ""},
		{"2016-04-18", ""},
		{"18/04/16", ""},
	}
	a, _ := publishers.Lookup("nbk-rss")
	for _, c := range cases {
		t.Run(c.text, func(t *testing.T) {
			feed := `<rss><channel><item><title>USD</title><pubDate>` + c.text + `</pubDate><description>334.41</description><quant>1</quant></item></channel></rss>`
			var got []transform.Record
			_, err := a.Read("rates_all.xml", strings.NewReader(feed), publishers.Options{}, func(r transform.Record) error {
				got = append(got, r)
				return nil
			})
			if c.want == "" {
				if !errors.Is(err, publishers.ErrLayout) || !strings.Contains(err.Error(), "(DD.MM.YYYY or DD.MM.YY)") || len(got) != 0 {
					t.Fatalf("Read = %d records, %v; want a layout error naming both forms", len(got), err)
				}
				return
			}
			if err != nil || len(got) != 1 {
				t.Fatalf("Read = %d records, %v", len(got), err)
			}
			if d := got[0].Date.Format(time.DateOnly); d != c.want {
				t.Fatalf("date %s, want %s", d, c.want)
			}
		})
	}
}

// TestNBKRatesAll2016 reads a rates_all.xml laid out as the bank published it on 18 April 2016
// (one line, two-digit years, discontinued currencies with old dates; illustrative rates) and
// checks every record
// against the file read independently: the date is DD.MM.20YY, the rate the description's exact
// value (math/big.Rat) and the quantity the quant.
func TestNBKRatesAll2016(t *testing.T) {
	data, err := os.ReadFile("testdata/nbk-rss/rates-all-2016/rates_all.xml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Items []struct {
			Title       string `xml:"title"`
			PubDate     string `xml:"pubDate"`
			Description string `xml:"description"`
			Quant       string `xml:"quant"`
		} `xml:"channel>item"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, it := range doc.Items {
		parts := strings.Split(it.PubDate, ".")
		if len(parts) != 3 || len(parts[2]) != 2 {
			t.Fatalf("item %s: pubDate %q is not DD.MM.YY", it.Title, it.PubDate)
		}
		rate, ok := new(big.Rat).SetString(it.Description)
		if !ok {
			t.Fatalf("item %s: description %q", it.Title, it.Description)
		}
		q, err := strconv.Atoi(it.Quant)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, fmt.Sprintf("%s 20%s-%s-%s %s %d", it.Title, parts[2], parts[1], parts[0], rate.RatString(), q))
	}
	if len(want) != 12 {
		t.Fatalf("oracle read %d items, want the file's 12", len(want))
	}
	a, _ := publishers.Lookup("nbk-rss")
	var got []string
	stats, err := a.Read("rates_all.xml", strings.NewReader(string(data)), publishers.Options{}, func(r transform.Record) error {
		rate, ok := new(big.Rat).SetString(r.Rate.String())
		if !ok {
			t.Fatalf("rate %s", r.Rate)
		}
		got = append(got, fmt.Sprintf("%s %s %s %d", r.Base, r.Date.Format(time.DateOnly), rate.RatString(), r.Quantity))
		return nil
	})
	if err != nil || len(stats.Invalid) != 0 {
		t.Fatalf("Read: %v, invalid %v", err, stats.Invalid)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("records differ from the file:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
}
