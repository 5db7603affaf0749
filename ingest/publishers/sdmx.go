package publishers

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/econflow/econflow/transform"
)

// SDMXCSV reads generic SDMX-CSV (versions 1.0 and 2.0) as exported by the ECB, Eurostat, the IMF,
// the OECD and the BIS:
//
//	DATAFLOW,FREQ,CURRENCY,CURRENCY_DENOM,EXR_TYPE,EXR_SUFFIX,TIME_PERIOD,OBS_VALUE,OBS_STATUS,UNIT_MULT
//	ECB:EXR(1.0),D,USD,EUR,SP00,A,2024-06-28,1.0705,A,0
//
// One row is one observation. TIME_PERIOD gives the date (the first day of the period: 2024-06,
// 2024-Q2, 2024-W26, 2024-M06, 2024) and, unless mapped or given by FREQ, the frequency;
// OBS_VALUE the value; OBS_STATUS the status; UNIT_MULT the unit_mult. Options.Mapping says the
// kind, the other fields (constants or columns, with optional code translation), which rows to
// keep ("filter") and which columns to copy into attributes. A column the mapping names but the
// header lacks, or a header without TIME_PERIOD or OBS_VALUE, is a layout error. An empty or
// "NaN" OBS_VALUE is missing: skipped and counted. Headers and codes written with labels
// ("FREQ: Frequency", "D: Daily") are read by their ids. In a semicolon-separated file a decimal
// comma is accepted; an ACTION D (delete) row becomes a withdrawal of its observation
// ("withdrawn": true, no value, whatever OBS_VALUE holds). A period
// whose first day is outside the mapping's "from"/"to" is skipped and counted in Stats.Skipped,
// after the filter (a row the filter drops is not counted at all). DATAFLOW
// (or STRUCTURE_ID) is kept as attribute "dataflow" and a KEY column (the ECB's series key) as
// "series_id".
type SDMXCSV struct{}

var _ Adapter = SDMXCSV{}

// Name returns "sdmx-csv".
func (SDMXCSV) Name() string { return "sdmx-csv" }

// Describe says what the format reads.
func (SDMXCSV) Describe() string {
	return "generic SDMX-CSV 1.0/2.0 (TIME_PERIOD, OBS_VALUE, OBS_STATUS → status, UNIT_MULT → unit_mult): kind, fields and optional date range from --mapping"
}

// NeedsMapping returns true.
func (SDMXCSV) NeedsMapping() bool { return true }

const sdmxExpect = "an SDMX-CSV file: a header of column ids including TIME_PERIOD and OBS_VALUE, then one observation per row"

// Read reads one SDMX-CSV file.
func (SDMXCSV) Read(name string, r io.Reader, opts Options, emit func(transform.Record) error) (Stats, error) {
	s := newSink(name, opts, emit)
	m := opts.Mapping
	if m == nil || m.Kind == "" {
		return s.stats, &Error{File: name, Err: fmt.Errorf(`a mapping file with "kind" and "fields" is required: it says which record an SDMX-CSV row becomes (--mapping)`)}
	}
	tmpl, err := newTemplate(m.Source, m.Kind, m.Fields, true)
	if err != nil {
		return s.stats, &Error{File: name, Err: fmt.Errorf("mapping: %w", err)}
	}
	if err := s.useDateRange(m); err != nil {
		return s.stats, err
	}
	f, err := openCSV(name, r, sdmxExpect)
	if err != nil {
		return s.stats, err
	}
	header, hline, err := f.read()
	if err == io.EOF {
		return s.stats, layoutError(name, 0, "", "empty file: expected "+sdmxExpect)
	}
	if err != nil {
		return s.stats, err
	}
	col := map[string]int{}
	labels := false
	for i, h := range header {
		if id, _, ok := strings.Cut(h, ":"); ok {
			h, labels = strings.TrimSpace(id), true
			header[i] = h
		}
		if h == "" {
			return s.stats, layoutError(name, hline, "column "+strconv.Itoa(i+1), "empty header cell: expected a column id")
		}
		if _, dup := col[h]; dup {
			return s.stats, layoutError(name, hline, "column "+strconv.Itoa(i+1), fmt.Sprintf("column %s appears twice in the header", h))
		}
		col[h] = i
	}
	for _, need := range []string{"TIME_PERIOD", "OBS_VALUE"} {
		if _, ok := col[need]; !ok {
			return s.stats, layoutError(name, hline, "", fmt.Sprintf("no %s column (header: %s): expected %s", need, strings.Join(header, ","), sdmxExpect))
		}
	}
	missingCol := func(what, c string) error {
		return layoutError(name, hline, "", fmt.Sprintf("the mapping's %s refers to column %s, which the header lacks (header: %s)", what, c, strings.Join(header, ",")))
	}
	for i, fname := range tmpl.names {
		if c := tmpl.fields[i].Column; c != "" {
			if _, ok := col[c]; !ok {
				return s.stats, missingCol("field "+fname, c)
			}
		}
	}
	for _, c := range sortedKeys(m.Filter) {
		if _, ok := col[c]; !ok {
			return s.stats, missingCol("filter", c)
		}
	}
	for _, c := range m.Attributes {
		if _, ok := col[c]; !ok {
			return s.stats, missingCol("attributes", c)
		}
	}
	style := pointDecimal
	if f.comma != ',' {
		style = commaDecimal
	}
	cell := func(row []string, c string) string {
		i, ok := col[c]
		if !ok || i >= len(row) {
			return ""
		}
		v := row[i]
		if labels && c != "OBS_VALUE" {
			if id, _, ok := strings.Cut(v, ": "); ok {
				v = strings.TrimSpace(id)
			}
		}
		return v
	}
	mapped := map[string]bool{}
	for _, n := range tmpl.names {
		mapped[n] = true
	}
rows:
	for {
		row, line, err := f.read()
		if err == io.EOF {
			return s.stats, nil
		}
		if err != nil {
			return s.stats, err
		}
		if blank(row) {
			continue
		}
		if len(row) != len(header) {
			s.invalid(line, "", fmt.Errorf("row has %d cells but the header has %d; not read", len(row), len(header)))
			continue
		}
		for _, c := range sortedKeys(m.Filter) {
			if !contains(m.Filter[c], cell(row, c)) {
				continue rows
			}
		}
		withdraw := false
		switch a := cell(row, "ACTION"); a {
		case "", "I", "A", "R":
		case "D":
			// A deletion is a withdrawal of the observation (docs/contract.md §1.9): whatever
			// OBS_VALUE holds, the record carries no value.
			withdraw = true
		default:
			s.invalid(line, "column ACTION", fmt.Errorf("ACTION %q is not an SDMX action (I, A, R, D)", a))
			continue
		}
		valueText := cell(row, "OBS_VALUE")
		if !withdraw && (valueText == "" || strings.EqualFold(valueText, "NaN")) {
			s.missing()
			continue
		}
		period := cell(row, "TIME_PERIOD")
		day, periodFreq, err := sdmxPeriod(period)
		if err != nil {
			s.invalid(line, "column TIME_PERIOD", err)
			continue
		}
		if s.outsideRange(day) {
			continue
		}
		var value transform.Decimal
		if !withdraw {
			if value, err = parseNumber(valueText, style); err != nil {
				s.invalid(line, "column OBS_VALUE", err)
				continue
			}
		}
		fields := map[string]string{}
		bad := false
		for i, fname := range tmpl.names {
			fv := tmpl.fields[i]
			if fv.Column == "" {
				fields[fname] = fv.Value
				continue
			}
			v := cell(row, fv.Column)
			if fv.Codes != nil && v != "" {
				t, ok := fv.Codes[v]
				if !ok {
					s.invalid(line, "column "+fv.Column, fmt.Errorf("code %q is not in the mapping's codes for field %s (%s)", v, fname, strings.Join(sortedKeys(fv.Codes), ", ")))
					bad = true
					break
				}
				v = t
			}
			fields[fname] = v
		}
		if bad {
			continue
		}
		if !mapped["frequency"] {
			if fq := cell(row, "FREQ"); fq != "" {
				if !strings.Contains("DWMQA", fq) || len(fq) != 1 {
					s.invalid(line, "column FREQ", fmt.Errorf("FREQ %q has no contract frequency (D, W, M, Q, A); map it in \"fields\": {\"frequency\": {\"column\": \"FREQ\", \"codes\": {…}}}", fq))
					continue
				}
				fields["frequency"] = fq
			} else {
				fields["frequency"] = periodFreq
			}
		}
		if periodFreq != "D" && fields["frequency"] != "" && fields["frequency"] != periodFreq {
			s.invalid(line, "column TIME_PERIOD", fmt.Errorf("period %q is %s but the frequency is %s", period, freqName(periodFreq), fields["frequency"]))
			continue
		}
		if !mapped["status"] {
			fields["status"] = cell(row, "OBS_STATUS")
		}
		if !mapped["unit_mult"] {
			fields["unit_mult"] = cell(row, "UNIT_MULT")
		}
		valueField := value.String()
		if withdraw {
			// A withdrawal names the observation and its vintage, nothing of its value.
			valueField, fields["withdrawn"], fields["unit_mult"], fields["quantity"] = "", "true", "", ""
		}
		rec, err := tmpl.build(day.Format(time.DateOnly), valueField, fields)
		if err != nil {
			s.rejected(line, "", day, err)
			continue
		}
		extra := map[string]string{}
		for _, c := range m.Attributes {
			if i := col[c]; row[i] != "" {
				extra[c] = row[i]
			}
		}
		for _, c := range []string{"DATAFLOW", "STRUCTURE_ID"} {
			if v := cell(row, c); v != "" {
				extra[AttrDataflow] = v
			}
		}
		if v := cell(row, "KEY"); v != "" {
			extra[AttrSeriesID] = v
		}
		if err := s.put(line, "", rec, extra); err != nil {
			return s.stats, err
		}
	}
}

// sdmxPeriod reads an SDMX TIME_PERIOD as the first day of the period and its frequency; a full
// date gives "D", which any frequency accepts.
func sdmxPeriod(p string) (time.Time, string, error) {
	bad := func(why string) (time.Time, string, error) {
		return time.Time{}, "", fmt.Errorf("TIME_PERIOD %q %s; accepted: YYYY-MM-DD, YYYY-MM, YYYY-Qn, YYYY-Wnn, YYYY-Mnn, YYYY", p, why)
	}
	if len(p) < 4 || !allDigits(p[:4]) {
		return bad("is not a period")
	}
	year, _ := strconv.Atoi(p[:4])
	rest := p[4:]
	num := func(s string, lo, hi int) (int, bool) {
		if !allDigits(s) {
			return 0, false
		}
		n, _ := strconv.Atoi(s)
		return n, n >= lo && n <= hi
	}
	date := func(m, d int) time.Time { return time.Date(year, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	switch {
	case rest == "" || rest == "-A1":
		return date(1, 1), "A", nil
	case len(rest) == 6 && rest[0] == '-' && rest[3] == '-':
		t, err := time.Parse(time.DateOnly, p)
		if err != nil {
			return bad("is not a calendar date")
		}
		return t, "D", nil
	case len(rest) == 3 && rest[0] == '-' && allDigits(rest[1:]):
		if m, ok := num(rest[1:], 1, 12); ok {
			return date(m, 1), "M", nil
		}
	case len(rest) == 4 && rest[:2] == "-M":
		if m, ok := num(rest[2:], 1, 12); ok {
			return date(m, 1), "M", nil
		}
	case len(rest) == 3 && rest[:2] == "-Q":
		if q, ok := num(rest[2:], 1, 4); ok {
			return date(3*q-2, 1), "Q", nil
		}
	case len(rest) == 4 && rest[:2] == "-W":
		if w, ok := num(rest[2:], 1, 53); ok {
			jan4 := date(1, 4)
			monday := jan4.AddDate(0, 0, -((int(jan4.Weekday())+6)%7)+7*(w-1))
			if y, wk := monday.ISOWeek(); y == year && wk == w {
				return monday, "W", nil
			}
			return bad("names a week the year does not have")
		}
	case strings.HasPrefix(rest, "-S") || strings.HasPrefix(rest, "-H"):
		return bad("is a half-year; the contract's frequencies are D, W, M, Q and A")
	case strings.Contains(rest, "T"):
		return bad("has a time of day; dates only")
	}
	return bad("is not a period")
}

func freqName(f string) string {
	switch f {
	case "A":
		return "annual (A)"
	case "Q":
		return "quarterly (Q)"
	case "M":
		return "monthly (M)"
	case "W":
		return "weekly (W)"
	}
	return f
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
