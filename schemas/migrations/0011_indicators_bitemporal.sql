-- What was known when, for indicators (docs/contract.md §5.4), as 0008 made it for fuel prices
-- and wages: every conversion of a currency-unit indicator is kept, with the time from which it
-- was the current knowledge, and econ.indicators_bitemporal gives each row's interval.
--
-- Storage. indicators_data keeps one row per (identity, published_at), the conversion known now,
-- and gets
--   known_from: the greatest of the observation's published_at and the published_at of the rates
--               its conversion used (published_at itself while pending, for an indicator in a
--               unit other than currency, which is not converted, and for rows stored before
--               this migration, whose rates were not recorded).
-- The conversions a currency-unit indicator had before (a pending row later converted, a
-- conversion with a rate since revised or bettered) go, when the reconciler replaces the row, to
-- indicators_known: the columns of indicators_data, one row per (identity, published_at,
-- known_from). A row there whose latest write has fx_status 'void' is not knowledge: a
-- conversion made before a rate that was published earlier had arrived, which the rates as
-- published never gave.
ALTER TABLE econ.indicators_data ADD COLUMN known_from DateTime('UTC') DEFAULT published_at AFTER _version;

CREATE TABLE IF NOT EXISTS econ.indicators_known (
    source String,
    series String,
    country String,
    region String,
    measure String,
    unit String,
    currency String,
    base_period String,
    adjustment String,
    frequency String,
    date Date,
    published_at DateTime('UTC'),
    value Decimal(38, 18),
    unit_mult Int8,
    value_eur Nullable(Decimal(38, 18)),
    fx_rate Nullable(Decimal(38, 18)),
    fx_date Nullable(Date),
    fx_path String,
    fx_status String,
    fx_basis String,
    status String,
    attributes String,
    record_id String,
    kafka_topic String,
    kafka_partition Int32,
    kafka_offset Int64,
    ingested_at DateTime('UTC'),
    _version UInt64,
    known_from DateTime('UTC')
) ENGINE = ReplacingMergeTree(_version)
ORDER BY (country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date, published_at, known_from);

-- The as-of view: econ.indicators' columns (and fx_basis after fx_status) plus known_from and
-- known_until, one row per interval of knowledge, of the same shape and meaning as
-- fuel_prices_bitemporal (0008). Per identity (econ.indicators' group), the rows are the current
-- conversion of every vintage (indicators_data, by its latest write) and the earlier ones
-- (indicators_known, by the latest write of each (published_at, known_from), without 'void'). As
-- known at T, the identity's value is the row with the greatest (published_at, known_from) among
-- those with known_from <= T: so a row's known_until is the least known_from of the rows greater
-- than it in that order, and a row whose known_until is not after its known_from was never the
-- current knowledge and is left out. (A row in both tables counts once.) An indicator in a unit
-- other than currency has one row per vintage, known from its published_at until the next
-- vintage's.
--
-- The shape is 0008's: the rows' values travel through arrays sorted by (published_at,
-- known_from) and come back one per row with ARRAY JOIN (18.16 has no window functions, and its
-- groupArray of a Decimal crashes the server, so decimals and the nullable fx_date travel as
-- text, '' for NULL, and are parsed back exactly). The grouping is by indicators_data's sorting
-- key, without FINAL, so a filter on identity columns (country, series, …) or the date reaches
-- the primary key.
CREATE VIEW IF NOT EXISTS econ.indicators_bitemporal AS
SELECT source,
       series,
       country,
       region,
       measure,
       unit,
       currency,
       base_period,
       adjustment,
       frequency,
       date,
       toDecimal128(_values[_i], 18) AS value,
       _unit_mults[_i] AS unit_mult,
       if(_value_eurs[_i] = '', NULL, toDecimal128(if(_value_eurs[_i] = '', '0', _value_eurs[_i]), 18)) AS value_eur,
       if(_fx_rates[_i] = '', NULL, toDecimal128(if(_fx_rates[_i] = '', '0', _fx_rates[_i]), 18)) AS fx_rate,
       if(_fx_dates[_i] = '', NULL, toDate(if(_fx_dates[_i] = '', '1970-01-01', _fx_dates[_i]))) AS fx_date,
       _fx_paths[_i] AS fx_path,
       _fx_statuss[_i] AS fx_status,
       _fx_basiss[_i] AS fx_basis,
       _statuss[_i] AS status,
       _ps[_i] AS published_at,
       _record_ids[_i] AS record_id,
       _attributess[_i] AS attributes,
       _ks[_i] AS known_from,
       if(_next_exists, _next, NULL) AS known_until
FROM
(
    SELECT country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date, _perm, _ps, _ks, _values, _unit_mults, _value_eurs, _fx_rates, _fx_dates, _fx_paths, _fx_statuss, _fx_basiss, _statuss, _record_ids, _attributess,
           _n, _i, _perm[_n - 1] AS _prev,
           arrayFilter(j -> _ps[j] > _ps[_i] OR (_ps[j] = _ps[_i] AND _ks[j] > _ks[_i]), _perm) AS _later,
           length(_later) > 0 AS _next_exists,
           arrayReduce('min', arrayMap(j -> _ks[j], _later)) AS _next
    FROM
    (
        SELECT country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date,
               groupArray(published_at) AS _ps, groupArray(_known_from) AS _ks, groupArray(_src) AS _srcs,
               arrayMap(t -> tupleElement(t, 4), arraySort(arrayMap((p, k, s, j) -> (p, k, s, j), _ps, _ks, _srcs, arrayEnumerate(_ps)))) AS _perm,
               groupArray(_value) AS _values,
               groupArray(_unit_mult) AS _unit_mults,
               groupArray(_value_eur) AS _value_eurs,
               groupArray(_fx_rate) AS _fx_rates,
               groupArray(_fx_date) AS _fx_dates,
               groupArray(_fx_path) AS _fx_paths,
               groupArray(_fx_status) AS _fx_statuss,
               groupArray(_fx_basis) AS _fx_basiss,
               groupArray(_status) AS _statuss,
               groupArray(_record_id) AS _record_ids,
               groupArray(_attributes) AS _attributess
        FROM
        (
        SELECT country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date, published_at, argMax(known_from, _version) AS _known_from, materialize(toUInt8(0)) AS _src,
               toString(argMax(value, _version)) AS _value,
               argMax(unit_mult, _version) AS _unit_mult,
               ifNull(toString(argMax(value_eur, _version)), '') AS _value_eur,
               ifNull(toString(argMax(fx_rate, _version)), '') AS _fx_rate,
               ifNull(toString(argMax(fx_date, _version)), '') AS _fx_date,
               argMax(fx_path, _version) AS _fx_path,
               argMax(fx_status, _version) AS _fx_status,
               argMax(fx_basis, _version) AS _fx_basis,
               argMax(status, _version) AS _status,
               argMax(record_id, _version) AS _record_id,
               argMax(attributes, _version) AS _attributes
        FROM econ.indicators_data
        GROUP BY country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date, published_at
        UNION ALL
        SELECT country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date, published_at, known_from AS _known_from, materialize(toUInt8(1)) AS _src,
               toString(argMax(value, _version)) AS _value,
               argMax(unit_mult, _version) AS _unit_mult,
               ifNull(toString(argMax(value_eur, _version)), '') AS _value_eur,
               ifNull(toString(argMax(fx_rate, _version)), '') AS _fx_rate,
               ifNull(toString(argMax(fx_date, _version)), '') AS _fx_date,
               argMax(fx_path, _version) AS _fx_path,
               argMax(fx_status, _version) AS _fx_status,
               argMax(fx_basis, _version) AS _fx_basis,
               argMax(status, _version) AS _status,
               argMax(record_id, _version) AS _record_id,
               argMax(attributes, _version) AS _attributes
        FROM econ.indicators_known
        GROUP BY country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date, published_at, known_from
        HAVING argMax(fx_status, _version) != 'void'
        )
        GROUP BY country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date
    )
    ARRAY JOIN arrayEnumerate(_perm) AS _n, _perm AS _i
)
WHERE (_n = 1 OR _ps[_prev] != _ps[_i] OR _ks[_prev] != _ks[_i])
  AND (NOT _next_exists OR _next > _ks[_i]);
