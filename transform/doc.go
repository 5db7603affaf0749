// Package transform turns producer messages into validated econflow records and computes their
// normalized (derived) columns, exactly as docs/contract.md §1–§3 specify.
//
// The package is pure: it performs no I/O, does no logging, never reads the clock and keeps no
// global mutable state. Every function is deterministic in its arguments, which is what lets it be
// table-tested and fuzzed exhaustively.
//
// # Exactness
//
// Decimals are read from their text (a JSON string or the text of a JSON number) by [ParseDecimal]
// into a [Decimal] (an integer coefficient and a decimal scale); they never pass through a binary
// approximation. Every derived value is computed with exact [math/big.Rat] arithmetic and rounded
// once, at the end, half to even, to 18 fractional digits by [Round18]; the result is an integer
// scaled by 10^18 that maps one-to-one onto ClickHouse Decimal(38, 18). A value that does not fit is
// rejected with [CodeOutOfRange] — nothing is rounded or truncated silently.
//
// # Errors
//
// Every record-level rejection is an [*Error] carrying a machine-readable [Code], the offending
// field and a reason a person can act on; [CodeOf] extracts the code from any wrapped error.
package transform
