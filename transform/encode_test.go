package transform

import (
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
