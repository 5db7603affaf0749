package transform

// Scratch is storage that a consumer reuses from one record to the next, so that making a row
// allocates nothing of its own: Decoder.DecodeIn keeps the record's value there, Record.FinishIn
// its id and NormalizeIn its derived values. All of them are valid only until the Scratch is used
// for the next record, so a caller copies what it keeps (the consumer encodes each row at once);
// a record or Derived that must outlive that is made with a nil *Scratch, which allocates.
type Scratch struct {
	arena fixedArena
	coef  coefBox
	id    [32]byte
}
