package ingest

import (
	"context"
	"log/slog"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/econflow/econflow/transform"
)

// Reconciler keeps stored conversions true to the rates that exist, without any action from the
// user. It is how pending observations become converted when their rate arrives late, and how
// observations are re-converted when a rate they used is revised.
//
// Mechanism: every consumer owns one. On start it loads every stored rate into the consumer's
// RateBook and re-derives every pending row and the rows every stored rate can affect, however
// long ago the rate was stored, so no downtime leaves a row stale. Then, each time a batch changed the book and on a
// timer (so that rates written by other consumers of the group are learned too), it loads the
// rates stored since its last pass (with a margin for clock skew), adds them to the book, and
// re-derives the stored observations that a changed rate can affect: every pending row, and every
// row dated within the staleness window after a changed rate's date. A row whose derived values
// differ is written again with the same identity and published_at and its version plus one, which
// replaces it in the latest and history views but loses to any delivery stored meanwhile; the
// conversions it had before, as the rates were published, are stored as earlier conversions
// (see rederive). Since each pass reads what is stored, the order in which prices and
// rates arrive, their partitions and restarts do not matter: the next pass after both are stored
// converts the price.
type Reconciler struct {
	store    Store
	proc     *Processor
	log      *slog.Logger
	metrics  *Metrics
	interval time.Duration
	trigger  chan struct{}

	since time.Time // rates ingested at or after this are loaded next pass; zero = all
	// todo holds the date ranges whose stored observations are still to be re-derived, sorted
	// and disjoint; a pass works through them a chunk of ChunkDays at a time and keeps what a
	// failure left for the next pass.
	todo []dateRange
	// handled holds the stored rates (with when they were stored) that a completed pass has
	// already re-derived for; the margin makes later passes load them again, and they need not
	// be handled twice. Entries older than since are dropped.
	handled map[storedRateKey]struct{}

	// learned counts the passes that changed the book with rates other consumers stored (see
	// Learned); windows are the dates those rates can affect, kept until every batch processed
	// before them is written and re-derived after (see Written).
	learned atomic.Uint64
	mu      sync.Mutex
	windows []learnedWindow
	written uint64 // the greatest Learned of a written batch
	// retryFrom and retryTo span the dates of the observations the last pass failed to re-derive.
	retryFrom, retryTo time.Time
}

// learnedWindow is the dates of the rates one pass learned from the store, with that pass's
// Learned count.
type learnedWindow struct {
	learned  uint64
	from, to time.Time
	// passes is how many passes are still to re-derive the window's dates: two after a batch
	// processed before it was written (the second covers a read that did not yet see a row just
	// written, on a cluster replica a moment behind).
	passes int
}

// maxLearnedWindows bounds the windows kept; beyond it the oldest two are merged into one that
// covers both.
const maxLearnedWindows = 32

// dateRange is the dates from through to, inclusive.
type dateRange struct{ from, to time.Time }

// ChunkDays is the most days of observations one read of a pass re-derives; a pass re-deriving
// more reads them a chunk at a time, so its memory stays bounded whatever the dates covered.
const ChunkDays = 92

// storedRateKey identifies one stored rate row.
type storedRateKey struct {
	source, base, quote, rateType, frequency string
	date, publishedAt, ingestedAt            int64
}

func keyOf(rt StoredRate) storedRateKey {
	return storedRateKey{rt.Source, rt.Base, rt.Quote, rt.RateType, rt.Frequency, rt.Date.Unix(), rt.PublishedAt.UnixNano(), rt.IngestedAt.UnixNano()}
}

// ReconcileMargin is how far before its last pass a reconciler looks for newly stored rates, to
// cover clock differences between consumers and ingested_at's one-second resolution.
const ReconcileMargin = 30 * time.Second

// PassTimeout bounds one pass of Run.
const PassTimeout = time.Minute

// NewReconciler returns a reconciler over proc's rate book. interval is the timer period
// (default 5s when zero).
func NewReconciler(store Store, proc *Processor, interval time.Duration, log *slog.Logger, metrics *Metrics) *Reconciler {
	if interval <= 0 {
		interval = 5 * time.Second
	}
	if log == nil {
		log = slog.Default()
	}
	if metrics == nil {
		metrics = NewMetrics(nil)
	}
	return &Reconciler{store: store, proc: proc, log: log, metrics: metrics, interval: interval,
		trigger: make(chan struct{}, 1)}
}

// Trigger asks for a pass soon; it never blocks.
func (r *Reconciler) Trigger() {
	select {
	case r.trigger <- struct{}{}:
	default:
	}
}

// Run makes passes until ctx is done. A pass under way when ctx is done is finished (within
// PassTimeout), not cut short. A failed pass is logged and retried at the next tick.
func (r *Reconciler) Run(ctx context.Context) {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), PassTimeout)
		err := r.Pass(pctx)
		cancel()
		if err != nil {
			r.log.Warn("re-conversion pass failed; retrying later", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-r.trigger:
		}
	}
}

// Learned counts the passes that changed the rate book with rates stored by other consumers.
// The consume loop notes it when it begins processing a batch and hands it to Written once the
// batch is stored.
func (r *Reconciler) Learned() uint64 { return r.learned.Load() }

// Written tells the reconciler that a batch whose processing began at Learned() == learned is
// stored. Its rows were converted with the book as it was then: if a pass has since learned
// rates from the store, that pass may have re-derived the stored rows before these were
// written, so the dates those rates affect are re-derived again at the next pass, which
// Written asks for. Likewise the dates of the batch's observations converted with a rate
// published after them (b.ChainFrom…b.ChainTo), whose earlier conversions a pass records only
// once it can read them: they are noted here, after the write, never while the batch is
// processed. Batches are written in the order they were processed. b may be nil.
func (r *Reconciler) Written(learned uint64, b *Batch) {
	r.mu.Lock()
	r.written = max(r.written, learned)
	again := false
	for i := range r.windows {
		if w := &r.windows[i]; w.learned > learned {
			w.passes, again = 2, true
		}
	}
	if b != nil && !b.ChainFrom.IsZero() {
		// Kept for two passes like a learned window; learned 0, as no batch is to wait for.
		r.addWindow(learnedWindow{from: b.ChainFrom, to: b.ChainTo, passes: 2})
		again = true
	}
	r.mu.Unlock()
	if again {
		r.Trigger()
	}
}

// recheck returns the dates that batches written since earlier passes ask this pass to
// re-derive (zero times: none), and forgets the windows no batch can ask for any more: learned
// before the last written batch began processing, and re-derived as often as asked.
func (r *Reconciler) recheck() (from, to time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	kept := r.windows[:0]
	for _, w := range r.windows {
		if w.passes > 0 {
			w.passes--
			if from.IsZero() || w.from.Before(from) {
				from = w.from
			}
			if to.IsZero() || w.to.After(to) {
				to = w.to
			}
		}
		if w.passes > 0 || w.learned > r.written {
			kept = append(kept, w)
		}
	}
	r.windows = kept
	return from, to
}

// noteLearned records that this pass changed the book with stored rates dated from … to.
func (r *Reconciler) noteLearned(from, to time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.addWindow(learnedWindow{learned: r.learned.Add(1), from: from, to: to})
}

// addWindow appends w to the windows; beyond maxLearnedWindows, the oldest two are merged into
// one that covers both. r.mu must be held.
func (r *Reconciler) addWindow(w learnedWindow) {
	if len(r.windows) >= maxLearnedWindows {
		a, b := r.windows[0], r.windows[1]
		if b.from.After(a.from) {
			b.from = a.from
		}
		if b.to.Before(a.to) {
			b.to = a.to
		}
		b.learned = max(a.learned, b.learned)
		b.passes = max(a.passes, b.passes)
		r.windows = append(r.windows[:0], r.windows[1:]...)
		r.windows[0] = b
	}
	r.windows = append(r.windows, w)
}

// Pass loads newly stored rates and re-derives the observations they can affect.
func (r *Reconciler) Pass(ctx context.Context) (err error) {
	started := time.Now()
	againFrom, againTo := r.recheck()
	defer func() {
		if err != nil && !againFrom.IsZero() { // to be re-derived by a later pass
			r.mu.Lock()
			r.windows = append(r.windows, learnedWindow{learned: r.learned.Load(), from: againFrom, to: againTo, passes: 2})
			r.mu.Unlock()
		}
	}()
	rates, err := r.store.Rates(ctx, r.since)
	if err != nil {
		return err
	}
	first := r.since.IsZero()
	fresh := 0
	var learnedFrom, learnedTo time.Time
	for _, rt := range rates {
		// A rate this consumer stored itself is already in the book, so it counts as changed
		// whenever it was stored since the last pass: the observations stored before it by
		// other consumers may still use an older rate. On the first pass every stored rate
		// counts, however long ago it was stored: a row converted before a revision that no
		// consumer ran a pass for (the only consumer stopped first, or was down when it was
		// stored) is found whatever the downtime. A rate loaded again only because of the
		// margin was handled by an earlier pass: the consumers that stored observations with
		// an older rate since then learn this one in their own next pass (or, if they
		// stopped, their successor's first pass does).
		if r.proc.Book.Add(rt.Rate) {
			if learnedFrom.IsZero() || rt.Date.Before(learnedFrom) {
				learnedFrom = rt.Date
			}
			if learnedTo.IsZero() || rt.Date.After(learnedTo) {
				learnedTo = rt.Date
			}
		}
		if _, done := r.handled[keyOf(rt)]; done {
			continue
		}
		fresh++
		// A period average converts the wages of its whole period (see FXConfig.PeriodAverage).
		switch rt.Frequency {
		case "M":
			r.widen(rt.Date, rt.Date.AddDate(0, 1, -1))
		case "Q":
			r.widen(rt.Date, rt.Date.AddDate(0, 3, -1))
		case "A":
			r.widen(rt.Date, rt.Date.AddDate(1, 0, -1))
		default:
			r.widen(rt.Date, rt.Date)
		}
	}
	if !learnedFrom.IsZero() {
		r.noteLearned(learnedFrom, learnedTo)
	}
	if !againFrom.IsZero() {
		r.widen(againFrom, againTo)
	}
	// Observations whose conversion became known after they were published (in batches written
	// since, see Written) may have earlier conversions to record, among againFrom…againTo; so
	// may those a pass failed to re-derive.
	if !r.retryFrom.IsZero() {
		r.widen(r.retryFrom, r.retryTo)
		r.retryFrom, r.retryTo = time.Time{}, time.Time{}
		fresh++
	}
	if !first && fresh == 0 && againFrom.IsZero() && len(r.todo) == 0 {
		// No rate was stored since the last pass: no stored conversion can have changed.
		r.since = started.Add(-ReconcileMargin)
		return nil
	}
	// The rates loaded are in the book and their dates in todo, which outlives a failed pass:
	// the next pass loads only what is stored since this one began, and carries on with todo.
	r.since = started.Add(-ReconcileMargin)
	// The first read takes the pending rows and the first chunk; each further chunk is a read
	// of its own, written before the next is read.
	pending := true
	for {
		q := ObservationQuery{Pending: pending}
		pending = false
		var chunk dateRange
		if len(r.todo) > 0 {
			chunk = r.todo[0]
			if last := chunk.from.AddDate(0, 0, ChunkDays-1); last.Before(chunk.to) {
				chunk.to = last
			}
			q.From, q.To = chunk.from, chunk.to
		}
		if err := r.reconvert(ctx, q); err != nil {
			return err
		}
		if len(r.todo) == 0 {
			break
		}
		if chunk.to.Equal(r.todo[0].to) {
			r.todo = r.todo[1:]
		} else {
			r.todo[0].from = chunk.to.AddDate(0, 0, 1)
		}
		if len(r.todo) == 0 {
			break
		}
	}
	r.todo = nil
	if r.handled == nil {
		r.handled = map[storedRateKey]struct{}{}
	}
	for k := range r.handled {
		if k.ingestedAt < r.since.UnixNano() {
			delete(r.handled, k)
		}
	}
	for _, rt := range rates {
		if !rt.IngestedAt.Before(r.since) {
			r.handled[keyOf(rt)] = struct{}{}
		}
	}
	return nil
}

// reconvert re-derives the stored observations q selects and writes those that changed.
func (r *Reconciler) reconvert(ctx context.Context, q ObservationQuery) error {
	rows, err := r.store.Observations(ctx, q)
	if err != nil {
		return err
	}
	b, err := r.rederive(ctx, rows)
	if err != nil {
		return err
	}
	if b.Len() > 0 || len(b.Known) > 0 || len(b.Converted) > 0 || len(b.Failures) > 0 {
		if err := r.store.WriteBatch(ctx, &b); err != nil {
			return err
		}
		r.metrics.Reconverted.Add(float64(b.Len()))
		r.log.Info("re-converted stored observations", "rows", b.Len(), "earlier_conversions", len(b.Known),
			"further_conversions", len(b.Converted), "failures", len(b.Failures), "examined", len(rows))
	}
	return nil
}

// rederive makes stored observations agree with the rate book: for each row, the conversions it
// had as the rates were published (RateBook.Chain). The last one is the row itself: written
// again with its version plus one if it differs. The earlier ones are the row's stored earlier
// conversions: each missing or different one is written, and a stored one that is not among
// them is written again as void (an observation converted before a rate published earlier had
// arrived); an earlier one whose values do not fit Decimal(38, 18) is left out. A row whose
// conversion known now cannot be derived is counted, logged, recorded as a Failure and tried
// again next pass; a recorded failure is resolved by the pass that derives it. The same holds
// for the row's conversions into the further reporting currencies, each written when missing
// or different.
func (r *Reconciler) rederive(ctx context.Context, rows []Row) (Batch, error) {
	var b Batch
	if len(rows) == 0 {
		return b, nil
	}
	lo, hi := rows[0].Record.Date, rows[0].Record.Date
	for i := range rows {
		if d := rows[i].Record.Date; d.Before(lo) {
			lo = d
		} else if d.After(hi) {
			hi = d
		}
	}
	stored, err := r.store.Known(ctx, lo, hi)
	if err != nil {
		return b, err
	}
	earlier := map[string][]*Row{}
	for i := range stored {
		k := observationKey(&stored[i].Record)
		earlier[k] = append(earlier[k], &stored[i])
	}
	further := furtherConfigs(r.proc.FX)
	converted := map[string]*Row{} // by reporting currency and observation
	if len(further) > 0 {
		conv, err := r.store.Converted(ctx, lo, hi)
		if err != nil {
			return b, err
		}
		for i := range conv {
			converted[conv[i].Reporting+"|"+observationKey(&conv[i].Record)] = &conv[i]
		}
	}
	fails, err := r.store.Failures(ctx, lo, hi)
	if err != nil {
		return b, err
	}
	failures := failureBook{open: map[string]*Failure{}}
	for i := range fails {
		failures.open[fails[i].Reporting+"|"+observationKey(&fails[i].Record)] = &fails[i]
	}
	now := time.Now().UTC().Truncate(time.Second)
	version := uint64(now.UnixNano())
	failures.now, failures.version = now, version
	for i := range rows {
		row := rows[i]
		rec := &row.Record
		if rec.Withdrawn {
			continue // a withdrawal has nothing to convert (Observations leaves it out too)
		}
		if len(further) > 0 && convertsFurther(rec) {
			r.rederiveFurther(&b, further, row, converted, &failures)
		}
		chain := r.proc.Book.Chain(r.proc.FX, rec)
		ds := make([]transform.Derived, 0, len(chain))
		var err error
		for j := range chain {
			d, e := transform.Normalize(rec, chain[j].Conversion)
			if e != nil {
				// The conversion known now does not fit: the row cannot be re-derived. An earlier
				// one that does not fit was never stored (its re-derivation failed then): the
				// conversion before it stays the one known until the next.
				if j == len(chain)-1 {
					err = e
				}
				continue
			}
			ds = append(ds, d)
		}
		if err != nil {
			r.failed(&b, &failures, rec, ReportingEUR, err)
			continue
		}
		failures.resolve(&b, rec, ReportingEUR)
		if last := ds[len(ds)-1]; !sameDerived(last, row.Derived) {
			// One more than the version read: it replaces the row it re-derives, but never a
			// delivery stored after that read, whose version (its write time in nanoseconds) is
			// far greater.
			w := row
			w.Derived, w.IngestedAt, w.Version = last, now, row.Version+1
			switch rec.Kind {
			case transform.KindFuelPrice:
				b.FuelPrices = append(b.FuelPrices, w)
			case transform.KindIndicator:
				b.Indicators = append(b.Indicators, w)
			default:
				b.Wages = append(b.Wages, w)
			}
		}
		have := map[int64]*Row{}
		for _, k := range earlier[observationKey(rec)] {
			have[k.Derived.KnownFrom.Unix()] = k
		}
		for _, d := range ds[:len(ds)-1] {
			k := d.KnownFrom.Unix()
			h := have[k]
			delete(have, k)
			if h != nil && h.Derived.FXStatus != FXVoid && sameDerived(d, h.Derived) {
				continue
			}
			w := row
			w.Derived, w.IngestedAt, w.Version = d, now, version
			if h != nil && h.Version >= version {
				w.Version = h.Version + 1
			}
			b.Known = append(b.Known, w)
		}
		for _, h := range have {
			if h.Derived.FXStatus == FXVoid {
				continue
			}
			w := *h
			w.Derived.FXStatus, w.IngestedAt, w.Version = FXVoid, now, max(version, h.Version+1)
			b.Known = append(b.Known, w)
		}
	}
	return b, nil
}

// rederiveFurther makes the stored conversions of row into the further reporting currencies
// agree with the rate book: each missing or different one is written, with a version greater
// than the stored one's (and at least the observation's).
func (r *Reconciler) rederiveFurther(b *Batch, further []furtherConfig, row Row, stored map[string]*Row, failures *failureBook) {
	rec := &row.Record
	key := observationKey(rec)
	for _, f := range further {
		d, err := transform.Normalize(rec, r.proc.Book.ConvertRecord(f.fx, rec, time.Time{}))
		if err != nil {
			r.failed(b, failures, rec, f.currency, err)
			continue
		}
		failures.resolve(b, rec, f.currency)
		h := stored[f.currency+"|"+key]
		if h != nil && sameConversion(d, h.Derived) {
			continue
		}
		w := row
		w.Derived, w.IngestedAt, w.Reporting = d, failures.now, f.currency
		w.Record.Attributes = nil
		if h != nil {
			w.Version = max(w.Version, h.Version+1)
		}
		b.Converted = append(b.Converted, w)
	}
}

// failed counts, logs and records a failed re-derivation of rec into reporting, and has the
// next pass try its date again.
func (r *Reconciler) failed(b *Batch, failures *failureBook, rec *transform.Record, reporting string, err error) {
	r.metrics.ReconvertFailed.Inc()
	r.log.Warn("cannot re-convert a stored observation; retrying next pass", "record_id", rec.ID, "date", rec.Date.Format("2006-01-02"),
		"reporting_currency", reporting, "err", err)
	r.retry(rec.Date)
	failures.fail(b, rec, reporting, err.Error())
}

// failureBook is the unresolved failures stored for the observations a pass re-derives, by
// reporting currency and observation, and the time and version of the pass's writes.
type failureBook struct {
	open    map[string]*Failure
	now     time.Time
	version uint64
}

// fail records that rec failed into reporting for reason, unless that is stored already.
func (f *failureBook) fail(b *Batch, rec *transform.Record, reporting, reason string) {
	k := reporting + "|" + observationKey(rec)
	old := f.open[k]
	if old != nil && old.Reason == reason {
		return
	}
	n := Failure{Record: *rec, Reporting: reporting, Reason: reason, FailedAt: f.now, Version: f.version}
	n.Record.Attributes = nil
	if old != nil {
		n.Version = max(n.Version, old.Version+1)
	}
	b.Failures = append(b.Failures, n)
	f.open[k] = &n
}

// resolve marks a stored failure of rec into reporting as resolved, if there is one.
func (f *failureBook) resolve(b *Batch, rec *transform.Record, reporting string) {
	k := reporting + "|" + observationKey(rec)
	old := f.open[k]
	if old == nil {
		return
	}
	delete(f.open, k)
	n := *old
	n.ResolvedAt, n.Version = f.now, max(f.version, old.Version+1)
	b.Failures = append(b.Failures, n)
}

// retry has the next pass look at observations dated d again.
func (r *Reconciler) retry(d time.Time) {
	if r.retryFrom.IsZero() || d.Before(r.retryFrom) {
		r.retryFrom = d
	}
	if r.retryTo.IsZero() || d.After(r.retryTo) {
		r.retryTo = d
	}
}

// observationKey is an observation's identity and published_at (to the nanosecond, as stored).
func observationKey(rec *transform.Record) string {
	parts := []string{string(rec.Kind), rec.Source, rec.Country, rec.Region, rec.Currency, rec.Frequency,
		rec.Product, rec.TaxBasis, rec.Unit, rec.Measure, rec.Basis, rec.Per, rec.Series, rec.BasePeriod, rec.Adjustment,
		rec.Date.Format("2006-01-02"), strconv.FormatInt(rec.PublishedAt.UnixNano(), 10)}
	for i, p := range parts {
		parts[i] = strconv.Quote(p)
	}
	return strings.Join(parts, "|")
}

// widen adds to todo the observations that rates dated from through to can convert: those
// dated from through the staleness window after to.
func (r *Reconciler) widen(from, to time.Time) {
	r.todo = addRange(r.todo, dateRange{from, to.AddDate(0, 0, r.proc.FX.WindowDays)})
}

// addRange returns the sorted, disjoint ranges rs with n added: ranges that overlap or touch
// are merged.
func addRange(rs []dateRange, n dateRange) []dateRange {
	if n.to.Before(n.from) {
		n.from, n.to = n.to, n.from
	}
	i := sort.Search(len(rs), func(i int) bool { return !rs[i].to.AddDate(0, 0, 1).Before(n.from) })
	j := i
	for j < len(rs) && !rs[j].from.After(n.to.AddDate(0, 0, 1)) {
		if rs[j].from.Before(n.from) {
			n.from = rs[j].from
		}
		if rs[j].to.After(n.to) {
			n.to = rs[j].to
		}
		j++
	}
	out := append(rs[:i:i], n)
	return append(out, rs[j:]...)
}

func sameDerived(a, b transform.Derived) bool {
	return a.FXStatus == b.FXStatus && a.FXPath == b.FXPath && a.FXDate.Equal(b.FXDate) &&
		a.FXBasis == b.FXBasis && a.KnownFrom.Unix() == b.KnownFrom.Unix() &&
		eqInt(a.FXRate, b.FXRate) && eqInt(a.PricePerLitre, b.PricePerLitre) && eqInt(a.PricePerKg, b.PricePerKg) &&
		eqInt(a.PriceEUR, b.PriceEUR) && eqInt(a.PricePerLitreEUR, b.PricePerLitreEUR) &&
		eqInt(a.PricePerKgEUR, b.PricePerKgEUR) && eqInt(a.AmountEUR, b.AmountEUR) &&
		eqInt(a.MonthlyAmount, b.MonthlyAmount) && eqInt(a.MonthlyAmountEUR, b.MonthlyAmountEUR) &&
		eqInt(a.ValueEUR, b.ValueEUR)
}

// sameConversion reports whether two conversions into a further reporting currency agree in
// every column the conversion tables hold.
func sameConversion(a, b transform.Derived) bool {
	return a.FXStatus == b.FXStatus && a.FXPath == b.FXPath && a.FXDate.Equal(b.FXDate) &&
		a.FXBasis == b.FXBasis && a.KnownFrom.Unix() == b.KnownFrom.Unix() && eqInt(a.FXRate, b.FXRate) &&
		eqInt(a.PriceEUR, b.PriceEUR) && eqInt(a.PricePerLitreEUR, b.PricePerLitreEUR) && eqInt(a.PricePerKgEUR, b.PricePerKgEUR) &&
		eqInt(a.AmountEUR, b.AmountEUR) && eqInt(a.MonthlyAmountEUR, b.MonthlyAmountEUR) && eqInt(a.ValueEUR, b.ValueEUR)
}

func eqInt(a, b *big.Int) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Cmp(b) == 0
}
