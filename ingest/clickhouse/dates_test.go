package clickhouse

import (
	"encoding/binary"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/econflow/econflow/ingest"
	"github.com/econflow/econflow/schemas"
	"github.com/econflow/econflow/transform"
)

// TestDatesOutsideTheDatabase: with a database's Date limits, a price dated 1969 is rejected
// with the limit as its reason, and a rate dated 1969-12-30 is rejected and converts nothing: the
// price of 1970-01-02 it would convert is stored pending, not rejected for its fx_date. With
// Date32's limits both are stored and the price converted at that rate.
func TestDatesOutsideTheDatabase(t *testing.T) {
	lines := []string{
		`{"kind":"fx_rate","source":"nationalbank.kz","base":"EUR","quote":"KZT","rate":"4.8","date":"1969-12-30"}`,
		`{"kind":"fuel_price","source":"s","country":"KZ","product":"lpg","price":"0.06","currency":"KZT","unit":"litre","date":"1970-01-02"}`,
		`{"kind":"fuel_price","source":"s","country":"KZ","product":"lpg","price":"0.06","currency":"KZT","unit":"litre","date":"1969-12-31"}`,
	}
	msgs := make([]ingest.Message, len(lines))
	for i, l := range lines {
		msgs[i] = ingest.Message{Topic: "t", Offset: int64(i), Value: []byte(l), Time: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	}
	wide := &dateLimits{first: dayOf(schemas.Date32First), last: dayOf(schemas.Date32Last), wide: true, why: "Date32"}
	for _, c := range []struct {
		name     string
		limits   *dateLimits
		rejected []int64 // offsets
		prices   []string
		status   []string // fx_status of the prices, in order of arrival
	}{
		{"Date", narrowDates, []int64{0, 2}, []string{"1970-01-02"}, []string{transform.FXPending}},
		{"Date32", wide, nil, []string{"1970-01-02", "1969-12-31"}, []string{transform.FXConverted, transform.FXConverted}},
	} {
		t.Run(c.name, func(t *testing.T) {
			proc := ingest.NewProcessor(transform.DefaultFXConfig())
			proc.NewBuffer = func() ingest.RowBuffer {
				b := newRowBuffer(nil)
				for i := range b.tables {
					b.tables[i].dates = c.limits
				}
				return b
			}
			b, _ := proc.Process(msgs, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), 1)
			var rejected []int64
			for _, r := range b.Rejects {
				rejected = append(rejected, r.Message.Offset)
				if r.Code != transform.CodeOutOfRange || !strings.Contains(r.Reason, "is outside 1970-01-01…2105-12-31, what ClickHouse's Date columns store") {
					t.Errorf("offset %d: %s %q", r.Message.Offset, r.Code, r.Reason)
				}
			}
			if !slices.Equal(rejected, c.rejected) {
				t.Errorf("rejected offsets %v, want %v", rejected, c.rejected)
			}
			fuel, err := b.Encoded.(*rowBuffer).table(transform.KindFuelPrice)
			if err != nil {
				t.Fatal(err)
			}
			date, status := slices.Index(fuelSpec.names, "date"), slices.Index(fuelSpec.names, "fx_status")
			var dates, statuses []string
			for r := range fuel.rows {
				dates = append(dates, dayText(int32(binary.LittleEndian.Uint32(fuel.cols[date].data[4*r:]))))
				statuses = append(statuses, fuel.cols[status].at(r))
			}
			if !slices.Equal(dates, c.prices) || !slices.Equal(statuses, c.status) {
				t.Errorf("prices dated %v with fx_status %v, want %v with %v", dates, statuses, c.prices, c.status)
			}
			rates, _ := b.Encoded.(*rowBuffer).table(transform.KindFXRate)
			if want := 1 - len(c.rejected)/2; rates.rows != want {
				t.Errorf("%d rates stored, want %d", rates.rows, want)
			}
		})
	}
}
