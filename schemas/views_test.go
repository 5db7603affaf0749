package schemas_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/econflow/econflow/schemas"
)

// TestSurfaceViewsReadByKey: the definition of every view of the surface that a fresh database
// ends up with (the last CREATE VIEW of it, after a DROP of it in the same or a later migration)
// has none of the shapes that keep a filter from the primary key or put a float in the surface.
func TestSurfaceViewsReadByKey(t *testing.T) {
	migs, err := schemas.Migrations(schemas.DefaultDatabase)
	if err != nil {
		t.Fatal(err)
	}
	create := regexp.MustCompile(`^CREATE VIEW IF NOT EXISTS econ\.(\w+) AS`)
	final := map[string]string{}
	for _, m := range migs {
		for _, st := range m.Statements {
			if name, ok := strings.CutPrefix(st, "DROP TABLE IF EXISTS econ."); ok {
				delete(final, name)
			}
			if c := create.FindStringSubmatch(st); c != nil {
				if _, exists := final[c[1]]; !exists { // IF NOT EXISTS: the first one stays
					final[c[1]] = st
				}
			}
		}
	}
	for _, v := range surfaceViews {
		def, ok := final[v]
		if !ok {
			t.Errorf("no view %s after the migrations", v)
			continue
		}
		for _, bad := range []string{" FINAL", "LIMIT 1 BY", "avg(", "Float", "ORDER BY"} {
			if strings.Contains(def, bad) {
				t.Errorf("view %s contains %q", v, bad)
			}
		}
	}
}
