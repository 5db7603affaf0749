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
// approximation. Conversion factors are exact fractions ([math/big.Rat]: rate/quantity, and their
// product through a pivot), and so are unit sizes. Every derived value is the published
// coefficient times a power of ten times these fractions' numerators, divided by their
// denominators once and rounded once, at the end, half to even, to 18 fractional digits
// (scaledQuo in muldiv.go: fixed-width 256-bit integer arithmetic when the operands fit 64 bits,
// math/big otherwise; [Round18] rounds a [math/big.Rat] the same way). The result is an integer
// scaled by 10^18 that maps one-to-one onto ClickHouse Decimal(38, 18). A value that does not fit
// is rejected with [CodeOutOfRange] — nothing is rounded or truncated silently.
//
// # Errors
//
// Every record-level rejection is an [*Error] carrying a machine-readable [Code], the offending
// field and a reason a person can act on; [CodeOf] extracts the code from any wrapped error.
package transform
