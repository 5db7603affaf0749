package transform

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// maxReasonBytes bounds the reason of every rejection: a reason quotes at most a short prefix of
// the offending text, so a 10 MB message never turns into a 10 MB reason in econ.rejects, a
// dead-letter header or a log line.
const maxReasonBytes = 512

// HostileCase is one message of the hostile-input corpus and the code it must be rejected with.
type hostileCase struct {
	name string
	data []byte
	code Code
}

// loadHostileCorpus reads testdata/hostile: every NAME.json or NAME.bin with its NAME.code.
func loadHostileCorpus(t testing.TB) []hostileCase {
	t.Helper()
	entries, err := os.ReadDir("testdata/hostile")
	if err != nil {
		t.Fatal(err)
	}
	var cases []hostileCase
	codes := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		switch ext := filepath.Ext(name); ext {
		case ".json", ".bin":
			data, err := os.ReadFile(filepath.Join("testdata/hostile", name))
			if err != nil {
				t.Fatal(err)
			}
			base := strings.TrimSuffix(name, ext)
			code, err := os.ReadFile(filepath.Join("testdata/hostile", base+".code"))
			if err != nil {
				t.Fatalf("%s: no .code file: %v", name, err)
			}
			cases = append(cases, hostileCase{name: name, data: data, code: Code(strings.TrimSpace(string(code)))})
		case ".code":
			codes[strings.TrimSuffix(name, ext)] = true
		case ".md":
		default:
			t.Fatalf("testdata/hostile/%s: unexpected file", name)
		}
	}
	if len(codes) != len(cases) {
		t.Fatalf("testdata/hostile: %d .code files for %d cases", len(codes), len(cases))
	}
	return cases
}

// generatedHostileCases are the cases too large to commit: built here, at full size.
func generatedHostileCases() []hostileCase {
	const mb10 = 10 << 20
	fuel := func(field, value string) []byte {
		return []byte(`{"kind":"fuel_price","source":"stat.gov.kz","date":"2022-01-05","country":"KZ","product":"lpg",` +
			`"price":"120.5","currency":"KZT","unit":"litre",` + `"` + field + `":` + value + `}`)
	}
	big := func(n int) string { return strings.Repeat("x", n) }
	return []hostileCase{
		{"gen_10mb_attribute", fuel("attributes", `{"blob":"`+big(mb10)+`"}`), CodeOversize},
		{"gen_10mb_whitespace", bytes.Repeat([]byte{' '}, mb10), CodeOversize},
		{"gen_limit_plus_one_byte", padTo(fuel("status", `"A"`), MaxMessageBytes+1), CodeOversize},
		{"gen_100k_open_brackets", bytes.Repeat([]byte{'['}, 100_000), CodeInvalidJSON},
		{"gen_100k_nested_arrays_closed", []byte(strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000)), CodeInvalidJSON},
		{"gen_100k_open_brackets_in_attributes", fuel("attributes", strings.Repeat("[", 100_000)), CodeInvalidJSON},
		{"gen_50k_nested_objects_in_attributes", fuel("attributes", strings.Repeat(`{"a":`, 50_000)+`"x"`+strings.Repeat("}", 50_000)), CodeInvalidJSON},
		{"gen_900kb_source", []byte(strings.Replace(string(fuel("status", `"A"`)), `"stat.gov.kz"`, `"`+big(900_000)+`"`, 1)), CodeOutOfRange},
		{"gen_900kb_id", fuel("id", `"`+big(900_000)+`"`), CodeOutOfRange},
		{"gen_900kb_product_code", []byte(strings.Replace(string(fuel("status", `"A"`)), `"lpg"`, `"`+big(900_000)+`"`, 1)), CodeInvalidField},
		{"gen_900kb_price_digits", []byte(strings.Replace(string(fuel("status", `"A"`)), `"120.5"`, strings.Repeat("9", 900_000), 1)), CodeOutOfRange},
		{"gen_900kb_unknown_key", fuel(big(900_000), `"v"`), CodeUnknownField},
		{"gen_900kb_attribute_key_escapes", fuel("attributes", `{"`+strings.Repeat(`\u0000`, 150_000)+`":"v"}`), CodeInvalidField},
		{"gen_900kb_unterminated_string", fuel("attributes", `{"blob":"`+big(900_000)), CodeInvalidJSON},
		{"gen_900kb_then_invalid_utf8", fuel("attributes", `{"blob":"`+big(900_000)+"\xff"+`"}`), CodeInvalidUTF8},
		{"gen_900kb_kind", []byte(`{"kind":"` + big(900_000) + `"}`), CodeUnknownKind},
		{"gen_900kb_version", fuel("version", strings.Repeat("1", 900_000)), CodeUnknownVersion},
	}
}

// padTo pads a JSON object with white space before its closing brace to exactly n bytes.
func padTo(obj []byte, n int) []byte {
	out := make([]byte, 0, n)
	out = append(out, obj[:len(obj)-1]...)
	out = append(out, bytes.Repeat([]byte{' '}, n-len(obj))...)
	return append(out, '}')
}

// TestHostileCorpus runs every hostile case, committed and generated, through DecodeJSON: it
// must be rejected with exactly its code and a reason that is non-empty, valid UTF-8 and short.
func TestHostileCorpus(t *testing.T) {
	cases := loadHostileCorpus(t)
	if len(cases) < 45 {
		t.Fatalf("only %d committed hostile cases", len(cases))
	}
	assertNotInBadCorpus(t, cases)
	cases = append(cases, generatedHostileCases()...)
	seen := map[Code]int{}
	for _, tc := range cases {
		seen[tc.code]++
		t.Run(tc.name, func(t *testing.T) {
			r, err := DecodeJSON(tc.data)
			if err == nil {
				t.Fatalf("accepted: %+v", r)
			}
			var e *Error
			if got := CodeOf(err); got != tc.code {
				t.Fatalf("code %q, want %q (reason: %.300s)", got, tc.code, err)
			}
			e = err.(*Error)
			checkReason(t, e, tc.data)
			if r.Kind != "" || r.Source != "" || r.Price.Coef != nil {
				t.Errorf("a rejected message returned a partial record: %+v", r)
			}
		})
	}
	for _, c := range []Code{CodeInvalidJSON, CodeInvalidUTF8, CodeNotObject, CodeMissingField, CodeInvalidField,
		CodeUnknownField, CodeDuplicateField, CodeWrongType, CodeBadDecimal, CodeOutOfRange, CodeUnknownKind,
		CodeUnknownVersion, CodeOversize, CodeEmpty} {
		if seen[c] == 0 {
			t.Errorf("no hostile case for code %s", c)
		}
	}
	t.Logf("%d hostile cases", len(cases))
}

// checkReason asserts that a rejection's reason is usable: non-empty, valid UTF-8 (it goes into
// a Kafka header, a ClickHouse String and a log line), at most maxReasonBytes, and not an echo
// of a long stretch of the input.
func checkReason(t *testing.T, e *Error, input []byte) {
	t.Helper()
	switch {
	case strings.TrimSpace(e.Reason) == "":
		t.Fatalf("empty reason")
	case !utf8.ValidString(e.Reason):
		t.Errorf("reason is not valid UTF-8: %q", e.Reason)
	case len(e.Reason) > maxReasonBytes:
		t.Errorf("reason is %d bytes, more than %d: %.200q…", len(e.Reason), maxReasonBytes, e.Reason)
	case len(e.Error()) > maxReasonBytes+len(e.Code)+2:
		t.Errorf("Error() is %d bytes", len(e.Error()))
	}
	// No 100-byte run of the input in the reason (a reason may quote up to 64 bytes of a value).
	const run = 100
	if len(input) >= run && len(e.Reason) >= run {
		for i := 0; i+run <= len(e.Reason); i++ {
			if bytes.Contains(input, []byte(e.Reason[i:i+run])) {
				t.Errorf("reason echoes %d+ bytes of the input: %q", run, e.Reason)
				break
			}
		}
	}
}

// assertNotInBadCorpus fails if a hostile case repeats a message of testdata/bad.
func assertNotInBadCorpus(t *testing.T, cases []hostileCase) {
	t.Helper()
	bad, err := filepath.Glob("testdata/bad/*.json")
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]string{}
	for _, f := range bad {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		known[string(data)] = f
		known[strings.TrimSuffix(filepath.Base(f), ".json")] = f
	}
	for _, c := range cases {
		if f, ok := known[string(c.data)]; ok {
			t.Errorf("hostile %s repeats %s", c.name, f)
		}
		if f, ok := known[strings.TrimSuffix(c.name, filepath.Ext(c.name))]; ok {
			t.Errorf("hostile %s has the name of %s", c.name, f)
		}
	}
}

// TestHostileLookalikesAccepted pins the decisions on inputs that look hostile but are valid
// under docs/contract.md §1, so that tightening the decoder against the corpus cannot reject them.
func TestHostileLookalikesAccepted(t *testing.T) {
	fuel := func(field, value string) string {
		return `{"kind":"fuel_price","source":"stat.gov.kz","date":"2022-01-05","country":"KZ","product":"lpg",` +
			`"currency":"KZT","unit":"litre",` + `"` + field + `":` + value + `}`
	}
	withPrice := func(price, field, value string) string {
		return strings.TrimSuffix(fuel("price", price), "}") + `,"` + field + `":` + value + `}`
	}
	tests := []struct {
		name, in, price string
		check           func(r Record) bool
	}{
		{"negative zero price", fuel("price", "-0"), "0", nil},
		{"negative zero string price", fuel("price", `"-0.00"`), "0.00", nil},
		{"leading zeros in a string decimal", fuel("price", `"000120.5"`), "120.5", nil},
		{"1000 trailing fractional zeros", fuel("price", "1."+strings.Repeat("0", 1000)), "1.000000000000000000", nil},
		{"1000 leading zeros in a string decimal", fuel("price", `"`+strings.Repeat("0", 1000)+`1"`), "1", nil},
		{"exponent applied exactly", fuel("price", "1205E-1"), "120.5", nil},
		{"38 significant digits", fuel("price", `"99999999999999999999.999999999999999999"`), "99999999999999999999.999999999999999999", nil},
		{"escaped key", fuel("pr\\u0069ce", `"120.5"`), "120.5", nil},
		{"null optional field is absent", withPrice(`"1"`, "frequency", "null"), "1", func(r Record) bool { return r.Frequency == "D" }},
		{"empty optional field is absent", withPrice(`"1"`, "tax_basis", `""`), "1", func(r Record) bool { return r.TaxBasis == "incl_tax" }},
		{"version as a string", withPrice(`"1"`, "version", `"1"`), "1", nil},
		{"unit_mult negative zero", withPrice(`"1"`, "unit_mult", "-0"), "1", func(r Record) bool { return r.UnitMult == 0 }},
		{"published_at with an offset", withPrice(`"1"`, "published_at", `"2022-01-05T16:00:00+06:00"`), "1",
			func(r Record) bool {
				return r.PublishedAt.Format("2006-01-02T15:04:05Z07:00") == "2022-01-05T10:00:00Z"
			}},
		{"leap day of a leap year", strings.Replace(fuel("price", "1"), "2022-01-05", "2024-02-29", 1), "1", nil},
		{"non-ASCII text in attributes", withPrice(`"1"`, "attributes", `{"примечание":"цена с НДС ₸","emoji":"\ud83d\udee2"}`), "1",
			func(r Record) bool { return r.Attributes["emoji"] == "\U0001F6E2" }},
		{"JSON white space everywhere", " \r\n\t" + strings.ReplaceAll(fuel("price", "1"), ",", " ,\n\t") + "\n", "1", nil},
		{"exactly MaxMessageBytes", string(padTo([]byte(fuel("price", "1")), MaxMessageBytes)), "1", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := DecodeJSON([]byte(tc.in))
			if err != nil {
				t.Fatalf("rejected: %v", err)
			}
			if got := r.Price.String(); got != tc.price {
				t.Errorf("price %s, want %s", got, tc.price)
			}
			if tc.check != nil && !tc.check(r) {
				t.Errorf("record %+v", r)
			}
		})
	}
}

// TestDecodeJSONTrailingDataAfterNonObject: a top-level value that is not an object is
// not_object only when it is the whole message; with anything after it the message is not JSON.
func TestDecodeJSONTrailingDataAfterNonObject(t *testing.T) {
	for in, want := range map[string]Code{
		`[1] x`: CodeInvalidJSON, `"a" "b"`: CodeInvalidJSON, `null null`: CodeInvalidJSON, `1 2`: CodeInvalidJSON,
		"[1] \n": CodeNotObject, ` "a"`: CodeNotObject, `[]`: CodeNotObject,
	} {
		if _, err := DecodeJSON([]byte(in)); CodeOf(err) != want {
			t.Errorf("DecodeJSON(%q) = %v, want code %s", in, err, want)
		}
	}
}
