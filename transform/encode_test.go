package transform

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestEncodeJSONRoundTrip(t *testing.T) {
	files, err := filepath.Glob("testdata/good/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no good fixtures: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want, err := DecodeJSON(data)
			if err != nil {
				t.Fatalf("fixture does not decode: %v", err)
			}
			enc := EncodeJSON(&want)
			got, err := DecodeJSON(enc)
			if err != nil {
				t.Fatalf("encoded record does not decode: %v\n%s", err, enc)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("round trip changed the record:\n got %+v\nwant %+v\n%s", got, want, enc)
			}
		})
	}
}

// TestAppendJSONStringAsEncodingJSON: a string is written exactly as encoding/json writes it,
// for every single byte, texts around each, and characters encoding/json escapes (HTML, line
// and paragraph separators, invalid UTF-8).
func TestAppendJSONStringAsEncodingJSON(t *testing.T) {
	cases := []string{"", "EUR", "eurofxref-hist.csv", "KZ-MAN", "a|b", "Zürich", "\u2028\u2029", "\xff\xfe", "<a & b>", `"q"`, `back\slash`, "tab\there"}
	for c := range 256 {
		cases = append(cases, string([]byte{byte(c)}), "ab"+string([]byte{byte(c)})+"cd")
	}
	for _, s := range cases {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendJSONString([]byte("x"), s); string(got) != "x"+string(want) {
			t.Errorf("appendJSONString(%q) = %s, encoding/json %s", s, got[1:], want)
		}
	}
}
