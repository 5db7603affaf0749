package transform

import (
	"errors"
	"strconv"
	"unicode/utf8"
)

// Code classifies why a record was rejected. Codes are stable strings that end up in the
// econ.rejects table and in dead-letter headers.
type Code string

// Rejection codes.
const (
	// CodeInvalidJSON: the message is not well-formed JSON (syntax, BOM, trailing data, nesting).
	CodeInvalidJSON Code = "invalid_json"
	// CodeInvalidUTF8: the message or a string in it is not valid UTF-8.
	CodeInvalidUTF8 Code = "invalid_utf8"
	// CodeNotObject: the top-level JSON value is not an object.
	CodeNotObject Code = "not_object"
	// CodeMissingField: a required field is absent, null or empty.
	CodeMissingField Code = "missing_field"
	// CodeInvalidField: a field has a value outside its enumeration or format.
	CodeInvalidField Code = "invalid_field"
	// CodeUnknownField: a field is not part of the record's kind.
	CodeUnknownField Code = "unknown_field"
	// CodeDuplicateField: a field (or attribute key, or CSV column) appears twice.
	CodeDuplicateField Code = "duplicate_field"
	// CodeWrongType: a field has the wrong JSON type (e.g. a number where a string is required).
	CodeWrongType Code = "wrong_type"
	// CodeBadDecimal: a decimal's text is not an accepted decimal notation.
	CodeBadDecimal Code = "bad_decimal"
	// CodeOutOfRange: a value is well-formed but outside its accepted range, or does not fit
	// Decimal(38, 18).
	CodeOutOfRange Code = "out_of_range"
	// CodeUnknownKind: the kind field names no known record kind.
	CodeUnknownKind Code = "unknown_kind"
	// CodeUnknownVersion: the version field names a schema version this code does not know.
	CodeUnknownVersion Code = "unknown_version"
	// CodeOversize: the message is larger than MaxMessageBytes.
	CodeOversize Code = "oversize"
	// CodeEmpty: the message is empty or only white space.
	CodeEmpty Code = "empty_message"
)

// Error is a record-level rejection: a machine code, the offending field (may be "") and a reason
// a person can act on, e.g.
// `field "price": "120,5" is not a decimal: decimal commas are not accepted; write 120.5`.
type Error struct {
	Code   Code
	Field  string
	Reason string
}

// Error returns "<code>: <reason>".
func (e *Error) Error() string { return string(e.Code) + ": " + e.Reason }

// CodeOf returns the Code of the first *Error in err's chain (see errors.As), or "" if there is none.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func newError(code Code, field, reason string) *Error {
	return &Error{Code: code, Field: field, Reason: reason}
}

// fieldError builds an *Error whose reason starts with `field "<name>": `.
func fieldError(code Code, field, reason string) *Error {
	return &Error{Code: code, Field: field, Reason: "field " + quote(field) + ": " + reason}
}

// quote returns s as a Go string literal, shortened to about 64 bytes.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "…"
	}
	return strconv.Quote(s)
}
