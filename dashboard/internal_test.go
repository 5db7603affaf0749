package dashboard

import (
	"crypto/sha256"
	"fmt"
	"math/big"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestDisplayDecimal(t *testing.T) {
	cases := []struct{ in, want string }{
		{"120.000000000000000000", "120.00"},
		{"50", "50.00"},
		{"42500.000000000000000000", "42,500.00"},
		{"0.101235067827495444", "0.1012"},
		{"0.002024701356549909", "0.002025"},
		{"1.1355", "1.1355"},
		{"9.99995", "10.0000"}, // rounds up past 10 at 4 places: the places follow the value, not its rounding
		{"-1234567.125", "-1,234,567.12"},
		{"-1234567.135", "-1,234,567.14"},
		{"0.125", "0.1250"},
		{"0.00012345", "0.0001234"}, // half to even: …45 → …4
		{"0", "0.00"},
		{"0.000000000000000001", "0.000000000000000001000"},
		{"99999999999999999999.999999999999999999", "100,000,000,000,000,000,000.00"},
		{"pending", "pending"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got := displayDecimal(c.in)
			if got != c.want {
				t.Fatalf("displayDecimal(%s) = %s, want %s", c.in, got, c.want)
			}
			if c.in == "pending" {
				return
			}
			// Oracle: the shown value is within half a unit of its last place of the exact one.
			shown, _ := new(big.Rat).SetString(strings.ReplaceAll(got, ",", ""))
			exact, _ := new(big.Rat).SetString(c.in)
			_, frac, _ := strings.Cut(got, ".")
			half := new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Mul(big.NewInt(2), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(len(frac))), nil)))
			diff := new(big.Rat).Sub(shown, exact)
			if diff.Abs(diff).Cmp(half) > 0 {
				t.Fatalf("%s is more than half a unit of its last place from %s", got, c.in)
			}
		})
	}
}

func TestParams(t *testing.T) {
	s := spec{pCountry, pRegion, required(pProduct), pFrom, pTo, pFormat, pTable}
	tables := []string{"observations", "series"}
	cases := []struct {
		name    string
		query   string
		want    values
		badName []string
	}{
		{"all good", "country=KZ&region=KZ-MAN&product=lpg&from=2022-01-01&to=2022-01-31&format=csv&table=series",
			values{"country": "KZ", "region": "KZ-MAN", "product": "lpg", "from": "2022-01-01", "to": "2022-01-31", "format": "csv", "table": "series"}, nil},
		{"empty region is the national series", "region=&product=lpg", values{"region": "", "product": "lpg"}, nil},
		{"required missing", "country=KZ", nil, []string{"product"}},
		{"unknown parameter", "product=lpg&colour=red", nil, []string{"colour"}},
		{"repeated", "product=lpg&country=KZ&country=US", nil, []string{"country"}},
		{"lower-case country", "product=lpg&country=kz", nil, []string{"country"}},
		{"region of another form", "product=lpg&region=Mangystau", nil, []string{"region"}},
		{"region too long", "product=lpg&region=KZ-ABCD", nil, []string{"region"}},
		{"product with a quote", "product=lpg'--", nil, []string{"product"}},
		{"not a date", "product=lpg&from=2022-02-30", nil, []string{"from"}},
		{"before 1900", "product=lpg&from=1899-12-31", nil, []string{"from"}},
		{"to before from", "product=lpg&from=2022-02-01&to=2022-01-01", nil, []string{"to"}},
		{"unknown table", "product=lpg&table=rejects", nil, []string{"table"}},
		{"unknown format", "product=lpg&format=json", nil, []string{"format"}},
		{"every problem at once", "country=kz&colour=red", nil, []string{"colour", "country", "product"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q, err := url.ParseQuery(c.query)
			if err != nil {
				t.Fatal(err)
			}
			got, bad := s.parse(q, tables)
			var names []string
			for _, b := range bad {
				names = append(names, b.Name)
			}
			if strings.Join(names, ",") != strings.Join(c.badName, ",") {
				t.Fatalf("rejected %v, want %v (%+v)", names, c.badName, bad)
			}
			if c.badName == nil && len(got) != len(c.want) {
				t.Fatalf("values %v, want %v", got, c.want)
			}
			for k, v := range c.want {
				if got[k] != v || !got.has(k) {
					t.Fatalf("values %v, want %v", got, c.want)
				}
			}
		})
	}
}

func TestSourceAcceptsWhatTheConsumerAccepts(t *testing.T) {
	for v, want := range map[string]bool{"stat.gov.kz": true, "ecb": true, "Статистика": true, "x' OR '1'='1": true,
		"": false, "a\nb": false, "\xff": false, strings.Repeat("a", 201): false, strings.Repeat("a", 200): true} {
		if got := isSource(v); got != want {
			t.Errorf("isSource(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestCompareScrapes(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	prev := &scrape{at: t0, written: map[string]float64{"fuel_prices": 1000, "fx_rates": 10}, batches: 4, batchSeconds: 1}
	cur := &scrape{at: t0.Add(10 * time.Second), written: map[string]float64{"fuel_prices": 51000, "fx_rates": 10, "wages": 20}, batches: 9, batchSeconds: 2.5}
	c := compare(prev, cur)
	if c.perTable["fuel_prices"] != 5000 || c.perTable["fx_rates"] != 0 || c.perTable["wages"] != 2 {
		t.Errorf("per table %v, want fuel_prices 5000, fx_rates 0, wages 2 rows/s", c.perTable)
	}
	if c.rows != "5002.0 over the last 10s" {
		t.Errorf("rows %q", c.rows)
	}
	if c.batches != "5 in the last 10s, 0.300 s each on average" {
		t.Errorf("batches %q", c.batches)
	}
	if c := compare(nil, cur); !strings.HasPrefix(c.rows, "measuring") || len(c.perTable) != 0 {
		t.Errorf("first scrape: %+v, want measuring", c)
	}
	restarted := &scrape{at: t0.Add(20 * time.Second), written: map[string]float64{}, batches: 1}
	if c := compare(cur, restarted); !strings.Contains(c.batches, "restarted") {
		t.Errorf("counters went back: %q, want a restart noted", c.batches)
	}
	h := &healthState{}
	if p := h.exchange(prev); p != nil {
		t.Errorf("first exchange returned %v", p)
	}
	if p := h.exchange(&scrape{at: t0.Add(500 * time.Millisecond)}); p != nil {
		t.Error("a scrape half a second after the last one is compared; want at least a second")
	}
	if p := h.exchange(cur); p != prev {
		t.Error("the previous scrape is not returned")
	}
}

func TestReadyzURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:9464/metrics":         "http://127.0.0.1:9464/readyz",
		"http://host:9464/econflow/metrics?x=1": "http://host:9464/econflow/readyz",
		"https://host/metrics":                  "https://host/readyz",
	} {
		if got := readyzURL(in); got != want {
			t.Errorf("readyzURL(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestCSVIsExactAndDefusesFormulas(t *testing.T) {
	tb := &table{Columns: []column{{Name: "key"}, {Name: "price", Num: true}, {Name: "note"}}}
	tb.add(text("=HYPERLINK(\"http://x\")"), dec("-1.500000000000000000"), text("a, \"quoted\" note"))
	tb.add(text("@SUM(A1)"), dec("120.000000000000000000"), cell{Null: true, Show: "pending"})
	tb.add(text("KZ-MAN"), dec("0.101235067827495444"), text("-"))
	var b strings.Builder
	if err := tb.writeCSV(&b); err != nil {
		t.Fatal(err)
	}
	want := "key,price,note\n" +
		"\"'=HYPERLINK(\"\"http://x\"\")\",-1.500000000000000000,\"a, \"\"quoted\"\" note\"\n" +
		"'@SUM(A1),120.000000000000000000,\n" +
		"KZ-MAN,0.101235067827495444,'-\n"
	if b.String() != want {
		t.Fatalf("CSV:\n%s\nwant:\n%s", b.String(), want)
	}
}

// TestVendoredUPlot checks that the vendored chart library is the pinned release: the files'
// SHA-256 are those assets/uplot/README.md records for uplot@1.6.32 from npm, and the license is
// there.
func TestVendoredUPlot(t *testing.T) {
	readme, err := assetFiles.ReadFile("assets/uplot/README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "uPlot 1.6.32") || !strings.Contains(string(readme), "License: MIT") {
		t.Error("assets/uplot/README.md does not name the version and license")
	}
	for name, sum := range map[string]string{
		"uPlot.iife.min.js": "19c8d4c6ad88929a79f4ae49d6f7161566dfd0ba3d15cc495e974f787eb78f1f",
		"uPlot.min.css":     "df630c6a8d6f8eeaff264b50f73ce5b114f646ffd9a0bb74f049b0a00135fa04",
	} {
		b, err := assetFiles.ReadFile("assets/uplot/" + name)
		if err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprintf("%x", sha256.Sum256(b))
		if got != sum || !strings.Contains(string(readme), sum) {
			t.Errorf("%s: sha256 %s, want %s as the README records", name, got, sum)
		}
	}
	lic, err := assetFiles.ReadFile("assets/uplot/LICENSE")
	if err != nil || !strings.Contains(string(lic), "MIT License") || !strings.Contains(string(lic), "Leon Sorokin") {
		t.Errorf("LICENSE: %v", err)
	}
	layout, err := templateFiles.ReadFile("templates/layout.html")
	if err != nil || !strings.Contains(string(layout), "uPlot 1.6.32") {
		t.Errorf("the page footer does not name uPlot 1.6.32: %v", err)
	}
}
