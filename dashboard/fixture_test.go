package dashboard_test

import (
	"context"
	"fmt"
	"math/big"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/econflow/econflow/dashboard"
	"github.com/econflow/econflow/internal/testenv"
)

// Extra records the tests add to the demo sample.
var (
	// A diesel price in lari, for which no rate is stored: its conversion stays pending.
	pendingLine = []byte(`{"kind":"fuel_price","source":"econflow.test","country":"GE","product":"diesel","price":"3.15","currency":"GEL","unit":"litre","date":"2022-01-05","published_at":"2022-01-05T12:00:00Z"}`)
	// A price with a decimal comma: rejected with code bad_decimal.
	rejectLine = []byte(`{"kind":"fuel_price","source":"econflow.test","country":"KZ","region":"KZ-MAN","product":"lpg","price":"12,5","currency":"KZT","unit":"litre","date":"2022-01-05"}`)
)

// Fifty years of daily diesel prices in euros (DE, national): 18,263 observations.
const (
	longCountry = "DE"
	longProduct = "diesel"
	longFrom    = "1975-01-01"
	longTo      = "2024-12-31"
)

func longSeriesLines() [][]byte {
	start, _ := time.Parse(time.DateOnly, longFrom)
	end, _ := time.Parse(time.DateOnly, longTo)
	var out [][]byte
	for i, d := 0, start; !d.After(end); i, d = i+1, d.AddDate(0, 0, 1) {
		cents := 30 + i/100 + (i*7919)%97 // a rising, jagged line; exact to the cent
		out = append(out, fmt.Appendf(nil, `{"kind":"fuel_price","source":"econflow.test","country":"%s","product":"%s","price":"%d.%02d","currency":"EUR","unit":"litre","date":"%s","published_at":"%sT12:00:00Z"}`,
			longCountry, longProduct, cents/100, cents%100, d.Format(time.DateOnly), d.Format(time.DateOnly)))
	}
	return out
}

// fixture is a dashboard over a fresh database holding the demo sample and the extra records.
type fixture struct {
	srv  *httptest.Server
	conn driver.Conn
	db   string
	dsn  string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dsn := testenv.ClickHouseDSN(t)
	lines := testenv.SampleLines(t, testenv.DemoSample)
	lines = append(lines, pendingLine, rejectLine)
	lines = append(lines, longSeriesLines()...)
	testenv.LoadRecords(t, dsn, lines)
	store := testenv.OpenStore(t, dsn)
	d, err := dashboard.New(dashboard.Options{Conn: store.Conn(), Database: store.Database(), Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(d)
	t.Cleanup(srv.Close)
	return &fixture{srv: srv, conn: store.Conn(), db: store.Database(), dsn: dsn}
}

// rows runs a query of the test itself (not the dashboard's) and returns every value as text.
func (f *fixture) rows(t *testing.T, sql string, args ...any) [][]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := f.conn.Query(ctx, strings.ReplaceAll(sql, "econ.", f.db+"."), args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		n := len(rows.Columns())
		vals := make([]*string, n)
		ptrs := make([]any, n)
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("%s: scan (select toString(…) columns): %v", sql, err)
		}
		rec := make([]string, n)
		for i, v := range vals {
			if v != nil {
				rec[i] = *v
			}
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// unreachableDashboard is a dashboard whose ClickHouse does not answer: nothing listens on its
// address (a port that was free a moment ago).
func unreachableDashboard(t *testing.T) *httptest.Server {
	t.Helper()
	conn, err := ch.Open(&ch.Options{Addr: []string{testenv.FreeAddr(t)}, DialTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	d, err := dashboard.New(dashboard.Options{Conn: conn, Database: "econ", Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(d)
	t.Cleanup(srv.Close)
	return srv
}

// closeTo reports whether shown (a display string with thousands commas) is exact rounded to its
// own number of fractional digits: |shown − exact| ≤ ½·10^−places, by exact rational arithmetic.
func closeTo(shown, exact string) bool {
	s := strings.ReplaceAll(shown, ",", "")
	a, ok1 := new(big.Rat).SetString(s)
	b, ok2 := new(big.Rat).SetString(exact)
	if !ok1 || !ok2 {
		return false
	}
	places := 0
	if _, frac, ok := strings.Cut(s, "."); ok {
		places = len(frac)
	}
	half := new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Mul(big.NewInt(2), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)))
	diff := new(big.Rat).Sub(a, b)
	return diff.Abs(diff).Cmp(half) <= 0
}
