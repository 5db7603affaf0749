package schemas

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/econflow/econflow/transform"
)

func compileSchemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	out := map[string]*jsonschema.Schema{}
	for _, kind := range []string{"fuel_price", "wage", "fx_rate", "indicator"} {
		raw, err := JSONSchema(kind)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s schema: %v", kind, err)
		}
		url := "https://econflow.dev/schemas/" + kind + ".schema.json"
		if err := c.AddResource(url, doc); err != nil {
			t.Fatal(err)
		}
		s, err := c.Compile(url)
		if err != nil {
			t.Fatalf("%s schema: %v", kind, err)
		}
		out[kind] = s
	}
	return out
}

func validateLine(t *testing.T, schemas map[string]*jsonschema.Schema, line []byte) {
	t.Helper()
	var probe struct{ Kind string }
	if err := json.Unmarshal(line, &probe); err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	s, ok := schemas[probe.Kind]
	if !ok {
		t.Fatalf("unknown kind %q in %s", probe.Kind, line)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(line))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(doc); err != nil {
		t.Fatalf("%s does not match its JSON Schema: %v", line, err)
	}
	if _, err := transform.DecodeJSON(line); err != nil {
		t.Fatalf("%s is rejected by the decoder: %v", line, err)
	}
}

// The sample dataset and the decoder's good fixtures satisfy both the JSON Schemas and the decoder.
func TestSamplesMatchJSONSchemas(t *testing.T) {
	s := compileSchemas(t)
	sample, err := Sample("kz_2022.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(sample))
	n := 0
	for sc.Scan() {
		validateLine(t, s, sc.Bytes())
		n++
	}
	if n < 40 {
		t.Fatalf("sample has %d records, want the full demo dataset", n)
	}
	files, _ := filepath.Glob("../transform/testdata/good/*.json")
	if len(files) == 0 {
		t.Fatal("no good fixtures found")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		validateLine(t, s, bytes.TrimSpace(b))
	}
}

// Withdrawals of every kind satisfy both the JSON Schemas and the decoder.
func TestWithdrawalsMatchJSONSchemas(t *testing.T) {
	s := compileSchemas(t)
	for _, line := range []string{
		`{"kind":"fuel_price","source":"s","date":"2022-01-01","country":"KZ","product":"lpg","currency":"KZT","unit":"litre","published_at":"2022-01-05T00:00:00Z","withdrawn":true}`,
		`{"kind":"wage","source":"s","date":"2022-01-01","country":"KZ","measure":"minimum","currency":"KZT","per":"month","withdrawn":"true"}`,
		`{"kind":"fx_rate","source":"s","date":"2022-01-01","base":"EUR","quote":"KZT","withdrawn":true}`,
		`{"kind":"fx_rate","source":"s","date":"2022-01-01","base":"EUR","quote":"KZT","rate":"480","withdrawn":false}`,
		`{"kind":"indicator","source":"s","date":"2022-01-01","series":"CPI","country":"KZ","measure":"cpi","unit":"index","base_period":"2015=100","withdrawn":true}`,
	} {
		validateLine(t, s, []byte(line))
	}
}

// Records the schemas must refuse.
func TestJSONSchemasRejectInvalidRecords(t *testing.T) {
	s := compileSchemas(t)
	for _, bad := range []string{
		`{"kind":"fuel_price","source":"s","date":"2022-01-01","country":"KZ","product":"lpg","price":"120,5","currency":"KZT","unit":"litre"}`,
		`{"kind":"fuel_price","source":"s","date":"2022-01-01","country":"KZ","product":"lpg","price":"1","currency":"KZT","unit":"pint"}`,
		`{"kind":"wage","source":"s","date":"2022-01-01","country":"KZ","measure":"minimum","amount":"1","currency":"KZT"}`,
		`{"kind":"fx_rate","source":"s","date":"2022-01-01","base":"EUR","quote":"KZT","rate":"1","extra":1}`,
		`{"kind":"indicator","source":"s","date":"2022-01-01","series":"CPI","country":"KZ","measure":"cpi","unit":"index","value":"108.5"}`,
		`{"kind":"indicator","source":"s","date":"2022-01-01","series":"U","country":"US","measure":"unemployment_rate","unit":"percent","currency":"USD","value":"4"}`,
		`{"kind":"indicator","source":"s","date":"2022-01-01","series":"G","country":"KZ","measure":"gdp","unit":"currency","value":"4"}`,
		`{"kind":"indicator","source":"s","date":"2022-01-01","series":"CPI","country":"KZ","measure":"cpi","unit":"index","base_period":"2015=100","adjustment":"seasonal","value":"108.5"}`,
		`{"kind":"indicator","source":"s","date":"2022-01-01","series":"CPI","country":"KZ","measure":"cpi","unit":"index","base_period":"2015","value":"108.5"}`,
		`{"kind":"indicator","source":"s","date":"2022-01-01","series":"CPI","country":"KZ","measure":"cpi","unit":"points","value":"108.5"}`,
		// A withdrawal carries no value; a record that is not one needs it.
		`{"kind":"fuel_price","source":"s","date":"2022-01-01","country":"KZ","product":"lpg","price":"120","currency":"KZT","unit":"litre","withdrawn":true}`,
		`{"kind":"wage","source":"s","date":"2022-01-01","country":"KZ","measure":"minimum","currency":"KZT","per":"month","unit_mult":3,"withdrawn":true}`,
		`{"kind":"fx_rate","source":"s","date":"2022-01-01","base":"KRW","quote":"KZT","quantity":100,"withdrawn":true}`,
		`{"kind":"fx_rate","source":"s","date":"2022-01-01","base":"EUR","quote":"KZT","withdrawn":false}`,
		`{"kind":"fx_rate","source":"s","date":"2022-01-01","base":"EUR","quote":"KZT","withdrawn":"yes"}`,
		`{"kind":"indicator","source":"s","date":"2022-01-01","series":"CPI","country":"KZ","measure":"cpi","unit":"index","base_period":"2015=100","value":"108.5","withdrawn":true}`,
	} {
		var probe struct{ Kind string }
		_ = json.Unmarshal([]byte(bad), &probe)
		doc, _ := jsonschema.UnmarshalJSON(strings.NewReader(bad))
		if err := s[probe.Kind].Validate(doc); err == nil {
			t.Errorf("schema accepted %s", bad)
		}
	}
}

// addColumn is an ALTER TABLE that adds one column.
var (
	addColumn     = regexp.MustCompile(`^ALTER TABLE \w+\.\w+ ADD COLUMN \w+ `)
	createTableAs = regexp.MustCompile(`^CREATE TABLE IF NOT EXISTS (\w+\.\w+) `)
	insertSelect  = regexp.MustCompile(`^INSERT INTO (\w+\.\w+)\s+SELECT\s`)
	aggregateType = regexp.MustCompile(`AggregateFunction\((\w+),`)
)

// minMaxStates reports whether create makes an AggregatingMergeTree whose aggregate columns are
// all min or max states: inserting the same rows into it twice changes no merged value.
func minMaxStates(create string) bool {
	if !strings.Contains(create, "ENGINE = AggregatingMergeTree") {
		return false
	}
	aggs := aggregateType.FindAllStringSubmatch(create, -1)
	for _, a := range aggs {
		if a[1] != "min" && a[1] != "max" {
			return false
		}
	}
	return len(aggs) > 0
}

func TestMigrationsOrderedAndRenamed(t *testing.T) {
	migs, err := Migrations("econ_other")
	if err != nil {
		t.Fatal(err)
	}
	if len(migs) < 3 {
		t.Fatalf("%d migrations, want at least 3", len(migs))
	}
	// Versions run 1, 2, 3, … without a gap (Migrations refuses a repeated one).
	created := map[string]string{} // table → its CREATE statement
	for i, m := range migs {
		if m.Version != i+1 {
			t.Errorf("migration %d has version %d", i, m.Version)
		}
		for _, st := range m.Statements {
			if strings.Contains(st, " econ.") || strings.Contains(st, "(econ.") {
				t.Errorf("statement still names database econ: %s", st)
			}
			if c := createTableAs.FindStringSubmatch(st); c != nil {
				created[c[1]] = st
			}
			drop, isDrop := strings.CutPrefix(st, "DROP TABLE IF EXISTS ")
			switch {
			case insertSelect.MatchString(st):
				// A backfill may run twice (a migration interrupted, two runs at once) only into
				// min and max states, which the second run leaves as they are.
				if target := insertSelect.FindStringSubmatch(st)[1]; !minMaxStates(created[target]) {
					t.Errorf("statement is not idempotent: an INSERT into %s, not an AggregatingMergeTree of min and max states: %s", target, st)
				}
			case isDrop && (strings.HasSuffix(drop, "_data") || strings.HasSuffix(drop, "schema_migrations")):
				t.Errorf("a migration drops stored data: %s", st)
			case !isDrop && !addColumn.MatchString(st) && !strings.Contains(st, "IF NOT EXISTS"):
				// (Store.Migrate takes "column already exists" as an applied ADD COLUMN.)
				t.Errorf("statement is not idempotent: %s", st)
			}
		}
	}
	if _, err := Migrations("econ; DROP"); err == nil {
		t.Fatal("accepted a database name with SQL in it")
	}
}
