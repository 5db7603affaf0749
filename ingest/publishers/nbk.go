package publishers

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/econflow/econflow/transform"
)

// National Bank of Kazakhstan official rates: source, rate type and quote of every record.
const (
	NBKSource   = "nationalbank.kz"
	NBKRateType = "official"
	NBKQuote    = "KZT"
)

// NBKRSS reads the National Bank of Kazakhstan's daily official rates: the dated feed
// rss/get_rates.cfm?fdate=DD.MM.YYYY
//
//	<rates><date>05.01.2022</date>
//	  <item><fullname>…</fullname><title>KRW</title><description>36.45</description>
//	        <quant>100</quant><index>DOWN</index><change>-0.11</change></item>…</rates>
//
// and the RSS feed rss/rates_all.xml (<rss><channel><item> with a <pubDate> per item). Dates are
// DD.MM.YYYY or, as saved copies of rates_all.xml from 2016 and 2018 show, DD.MM.YY ("18.04.16").
// Century rule: a two-digit year YY is always 20YY (2000–2099), since the bank's RSS feeds began
// in the 2000s; the oldest date such a feed is known to carry is a discontinued currency's last
// rate ("05.01.05", the old Turkish lira, in the 2016 file).
//
// Each item becomes an fx_rate: base the foreign currency (title), quote KZT, rate the
// description, quantity the quant ("100 KRW cost 36.45 KZT"), rate_type official, source
// nationalbank.kz, frequency D, dated the date the rate is set for. The rate is kept as published
// for its quantity, never divided. index and change are the bank's own comparison with the
// previous day and are not carried. Quirks handled: white space around the texts; a decimal comma
// ("36,45", as the bank's Russian-language pages write it) is read as the decimal point when the
// text has no '.'. A day without items (a holiday) gives no records and no error.
type NBKRSS struct{}

var _ Adapter = NBKRSS{}

// Name returns "nbk-rss".
func (NBKRSS) Name() string { return "nbk-rss" }

// Describe says what the format reads.
func (NBKRSS) Describe() string {
	return "National Bank of Kazakhstan rates (rss/get_rates.cfm?fdate=DD.MM.YYYY, rss/rates_all.xml; dates DD.MM.YYYY or DD.MM.YY, YY read as 20YY): fx_rate currency→KZT per quant, official"
}

// NeedsMapping returns false.
func (NBKRSS) NeedsMapping() bool { return false }

const nbkExpect = "a National Bank of Kazakhstan rates feed: <rates><date>DD.MM.YYYY</date><item><title>USD</title><description>…</description><quant>1</quant></item>… or <rss><channel><item>…<pubDate>DD.MM.YYYY</pubDate>"

// The NBK's date layouts: DD.MM.YYYY, and DD.MM.YY whose year is 20YY (see NBKRSS).
const (
	nbkDateLayout      = "02.01.2006"
	nbkShortDateLayout = "02.01.06"
)

// nbkDate reads an NBK date, DD.MM.YYYY or DD.MM.YY; a two-digit year YY is 20YY.
func nbkDate(text string) (time.Time, error) {
	d, err := parseDate(text, nbkDateLayout, nbkShortDateLayout)
	if err != nil || len(text) != len(nbkShortDateLayout) {
		return d, err
	}
	// time.Parse reads YY ≥ 69 as 19YY. 19YY and 20YY agree on 29 February for YY 69–99, so the
	// day stays valid.
	return time.Date(2000+d.Year()%100, d.Month(), d.Day(), 0, 0, 0, 0, time.UTC), nil
}

type nbkItem struct {
	Title       *string `xml:"title"`
	PubDate     *string `xml:"pubDate"`
	Description *string `xml:"description"`
	Quant       *string `xml:"quant"`
}

// Read reads one NBK feed.
func (NBKRSS) Read(name string, r io.Reader, opts Options, emit func(transform.Record) error) (Stats, error) {
	s := newSink(name, opts, emit)
	dec := xml.NewDecoder(r)
	dec.CharsetReader = utf8Only
	var (
		root      string
		depth     int
		day       time.Time
		dayLine   int
		itemDepth int // depth of <item> elements: 2 under <rates>, 3 under <rss><channel>
		prolog    xmlProlog
	)
	for {
		prolog.at(dec)
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		line, _ := dec.InputPos()
		if err != nil {
			return s.stats, xmlError(name, err, dec, nbkExpect)
		}
		switch t := tok.(type) {
		case xml.CharData:
			if root == "" {
				if err := prolog.text(name, t, nbkExpect); err != nil {
					return s.stats, err
				}
			}
		case xml.ProcInst, xml.Directive, xml.Comment:
			prolog.tokens++
		case xml.EndElement:
			depth--
		case xml.StartElement:
			depth++
			local := t.Name.Local
			if depth == 1 {
				root = local
				switch local {
				case "rates":
					itemDepth = 2
				case "rss":
					itemDepth = 3
				default:
					return s.stats, layoutError(name, line, "root element "+local, "expected "+nbkExpect)
				}
				continue
			}
			switch {
			case root == "rss" && depth == 2 && local == "channel":
				continue
			case root == "rates" && depth == 2 && local == "date":
				var text string
				if err := dec.DecodeElement(&text, &t); err != nil {
					return s.stats, xmlError(name, err, dec, nbkExpect)
				}
				depth--
				d, err := nbkDate(strings.TrimSpace(text))
				if err != nil {
					return s.stats, layoutError(name, line, "element date", err.Error())
				}
				day, dayLine = d, line
				continue
			case depth == itemDepth && local == "item":
				var it nbkItem
				if err := dec.DecodeElement(&it, &t); err != nil {
					return s.stats, xmlError(name, err, dec, nbkExpect)
				}
				depth--
				if err := nbkItemRecord(s, name, line, it, day, dayLine); err != nil {
					return s.stats, err
				}
				continue
			}
			// Anything else (generator, title, link, copyright, …) is skipped whole.
			if err := dec.Skip(); err != nil {
				return s.stats, xmlError(name, err, dec, nbkExpect)
			}
			depth--
		}
	}
	if root == "" {
		return s.stats, layoutError(name, 0, "", "empty file: expected "+nbkExpect)
	}
	return s.stats, nil
}

// nbkItemRecord checks one item's layout and emits its record. Only a layout problem or an emit
// error is returned.
func nbkItemRecord(s *sink, name string, line int, it nbkItem, day time.Time, dayLine int) error {
	for _, c := range []struct {
		v    *string
		name string
	}{{it.Title, "title"}, {it.Description, "description"}, {it.Quant, "quant"}} {
		if c.v == nil {
			return layoutError(name, line, "element item", "child <"+c.name+"> missing: expected <title>, <description> and <quant>")
		}
	}
	cur := strings.TrimSpace(*it.Title)
	el := fmt.Sprintf("element item %q", cur)
	if it.PubDate != nil {
		d, err := nbkDate(strings.TrimSpace(*it.PubDate))
		if err != nil {
			return layoutError(name, line, el, "child <pubDate>: "+err.Error())
		}
		day = d
	} else if dayLine == 0 {
		return layoutError(name, line, el, "no date: expected <date>DD.MM.YYYY</date> before the items, or <pubDate> in each item")
	}
	text := strings.TrimSpace(*it.Description)
	if text == "" {
		s.missing()
		return nil
	}
	style := pointDecimal
	if strings.Contains(text, ",") && !strings.Contains(text, ".") {
		style = commaDecimal
	}
	rate, err := parseNumber(text, style)
	if err != nil {
		s.invalid(line, el, fmt.Errorf("description (the rate): %w", err))
		return nil
	}
	qty, err := parseQuantity(strings.TrimSpace(*it.Quant))
	if err != nil {
		s.invalid(line, el, err)
		return nil
	}
	rec := transform.Record{Kind: transform.KindFXRate, Source: NBKSource, Date: day, Frequency: "D",
		Base: cur, Quote: NBKQuote, Rate: rate, Quantity: qty, RateType: NBKRateType}
	return s.put(line, el, rec, nil)
}
