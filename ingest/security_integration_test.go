package ingest_test

// No SQL is ever built from record text: records whose free-text fields (source, id, attribute
// keys and values — the fields the validator accepts any printable text in) carry SQL, quotes,
// backslashes and placeholder syntax travel through the embedded broker into ClickHouse, are
// stored verbatim, are read back and re-written by the reconciler verbatim, and every table is
// still there afterwards. A rejected message with the same text lands verbatim in the rejects.
//
// Run: ECONFLOW_REQUIRE_SERVICES=1 go test ./ingest/ -run IntegrationEmbeddedHostileText

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/econflow/econflow/internal/testenv"
)

// tableNames returns the names of the tables and views of the test database.
func tableNames(t testing.TB, e *env) []string {
	t.Helper()
	rows := queryText(t, e.store, "SELECT name AS s_name FROM system.tables WHERE database = ?", e.db())
	names := make([]string, len(rows))
	for i, r := range rows {
		names[i] = r["name"]
	}
	sort.Strings(names)
	return names
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestIntegrationEmbeddedHostileTextStoredVerbatim(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testenv.EmbeddedBroker(t), false)
	before := tableNames(t, e)
	have := map[string]bool{}
	for _, n := range before {
		have[n] = true
	}
	for _, want := range []string{"fuel_prices_data", "wages_data", "fx_rates_data", "rejects_data", "fuel_prices", "rejects"} {
		if !have[want] {
			t.Fatalf("migrated database lacks %s: %v", want, before)
		}
	}

	// Aimed at this test's own database: if any of it were pasted into SQL, the tables would go.
	drop := fmt.Sprintf(`'); DROP TABLE %s.fuel_prices_data; --`, e.db())
	source := drop + ` \' \\' \" "x" ` + "`y`" + ` ? {p:String} $1 @p %s Ω`
	id := `id'); DROP TABLE ` + e.db() + `.wages_data; -- \\N \'`
	attrs := map[string]string{
		"note":                       drop,
		`k'ey"); DROP TABLE x; --\\`: `v\'al\\ue "quoted" 'single' \N \t (literal backslash-t) ; --`,
		"json":                       `{"a":"b'c"} [1,2] \u0027`,
		"ключ":                       "значение ' \" \\",
	}
	if len(source) > 200 || len(id) > 200 {
		t.Fatalf("test data too long for the validator: source %d, id %d bytes", len(source), len(id))
	}
	fuel := map[string]any{"kind": "fuel_price", "id": id, "source": source, "date": "2024-01-03", "country": "KZ",
		"product": "lpg", "price": "120.50", "currency": "KZT", "unit": "litre", "published_at": "2024-01-04T09:00:00Z",
		"attributes": attrs}
	wage := map[string]any{"kind": "wage", "source": source, "date": "2024-01-01", "frequency": "M", "country": "KZ",
		"measure": "minimum", "amount": "85000", "currency": "KZT", "per": "month", "published_at": "2024-01-04T09:00:00Z",
		"attributes": attrs}
	// Rejected (bad decimal), its raw bytes carrying the same text.
	badValue := mustJSON(t, map[string]any{"kind": "fuel_price", "source": source, "date": "2024-01-03", "country": "KZ",
		"product": "lpg", "price": drop, "currency": "KZT", "unit": "litre"})
	badKey := `key'); DROP TABLE ` + e.db() + `.rejects_data; --`

	c := e.startConsumer(t, nil)
	defer c.Stop()
	// The observations first: no rate yet, so they are stored pending.
	e.publish(testenv.Msg{Kind: "fuel_price", Key: source, Value: mustJSON(t, fuel)},
		testenv.Msg{Kind: "wage", Key: source, Value: mustJSON(t, wage)},
		testenv.Msg{Kind: "fuel_price", Key: badKey, Value: badValue})
	waitCount(t, e.store, 1, "fuel_prices_history", "")
	waitCount(t, e.store, 1, "wages_history", "")
	waitCount(t, e.store, 1, "rejects", "")

	// Then a rate from the same hostile source: the reconciler reads the pending rows back and
	// re-writes them converted, the source now also inside fx_path.
	rate := map[string]any{"kind": "fx_rate", "source": source, "date": "2024-01-01", "base": "EUR", "quote": "KZT",
		"rate": "500", "published_at": "2024-01-01T12:00:00Z", "attributes": attrs}
	e.publish(testenv.Msg{Kind: "fx_rate", Key: source, Value: mustJSON(t, rate)})
	wantPath := "KZT>EUR@" + source + ":2024-01-01"
	for _, view := range []string{"fuel_prices", "wages"} {
		testenv.WaitFor(t, waitTimeout, func() (bool, string) {
			rows := queryText(t, e.store, "SELECT "+textCols("fx_status", "fx_path")+" FROM "+e.db()+"."+view)
			if len(rows) != 1 || rows[0]["fx_status"] != "converted" {
				return false, fmt.Sprintf("%s = %v, want one converted row", view, rows)
			}
			return true, ""
		})
	}

	checkAttrs := func(where, text string) {
		t.Helper()
		var got map[string]string
		if err := json.Unmarshal([]byte(text), &got); err != nil {
			t.Fatalf("%s: attributes %q are not JSON: %v", where, text, err)
		}
		if len(got) != len(attrs) {
			t.Fatalf("%s: attributes %v, want %v", where, got, attrs)
		}
		for k, v := range attrs {
			if got[k] != v {
				t.Fatalf("%s: attribute %q = %q, want %q", where, k, got[k], v)
			}
		}
	}
	for _, view := range []string{"fuel_prices", "fuel_prices_history", "wages", "wages_history"} {
		value := "price_eur"
		if strings.HasPrefix(view, "wages") {
			value = "amount_eur"
		}
		rows := queryText(t, e.store, "SELECT "+textCols("source", "record_id", "fx_path", value)+", attributes AS s_attributes FROM "+e.db()+"."+view)
		if len(rows) != 1 {
			t.Fatalf("%s: %d rows, want 1: %v", view, len(rows), rows)
		}
		r := rows[0]
		if r["source"] != source {
			t.Errorf("%s.source = %q, want %q", view, r["source"], source)
		}
		if r["fx_path"] != wantPath {
			t.Errorf("%s.fx_path = %q, want %q", view, r["fx_path"], wantPath)
		}
		if strings.HasPrefix(view, "fuel") {
			if r["record_id"] != id {
				t.Errorf("%s.record_id = %q, want %q", view, r["record_id"], id)
			}
			// 120.50 KZT at 500 KZT per EUR: exactly 0.241 EUR.
			if r["price_eur"] != "0.241000000000000000" {
				t.Errorf("%s.price_eur = %q, want 0.241000000000000000", view, r["price_eur"])
			}
		} else if r["amount_eur"] != "170.000000000000000000" {
			t.Errorf("%s.amount_eur = %q, want 170.000000000000000000", view, r["amount_eur"])
		}
		checkAttrs(view, r["attributes"])
	}
	rates := queryText(t, e.store, "SELECT "+textCols("source")+", attributes AS s_attributes FROM "+e.db()+".fx_rates")
	if len(rates) != 1 || rates[0]["source"] != source {
		t.Fatalf("fx_rates = %v, want one row from source %q", rates, source)
	}
	checkAttrs("fx_rates", rates[0]["attributes"])

	rejects := queryText(t, e.store, "SELECT key AS s_key, value AS s_value, error_code AS s_error_code FROM "+e.db()+".rejects")
	if len(rejects) != 1 {
		t.Fatalf("rejects = %v, want 1 row", rejects)
	}
	if rejects[0]["key"] != badKey || rejects[0]["value"] != string(badValue) {
		t.Errorf("rejects row %v, want key %q and value %q verbatim", rejects[0], badKey, badValue)
	}
	if rejects[0]["error_code"] == "" {
		t.Errorf("reject without an error code: %v", rejects[0])
	}

	if after := tableNames(t, e); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Fatalf("tables changed: before %v, after %v", before, after)
	}
}
