-- econ.indicators_change without a join. 0007's view joined econ.indicators to itself (the
-- previous month, the year before); ClickHouse 18.16 pushes a filter into the left side of a
-- JOIN only, so `WHERE country = … AND series = …` read every index row of indicators_data
-- twice more. Here each latest row is read once and repeated by arrayJoin in up to three roles
-- — as itself (0), shifted one month on (1, monthly series only) and shifted one year on (2) —
-- and one GROUP BY per identity and (shifted) date picks the roles apart: the row of the date,
-- the one a month before and the one a year before. A filter on the identity reaches the
-- primary key of indicators_data, on 18.16 (with enable_optimize_predicate_expression) and on
-- current ClickHouse, and the table is read once. Where two observations shift onto one date
-- (the 29th, 30th and 31st of January all shift to the end of February) the earliest is taken,
-- the one exactly a month or a year before. The columns, their types and the exact arithmetic
-- above the grouping are 0007's, unchanged. The aggregates pick single Decimal values (anyIf,
-- argMinIf); the only array holds the UInt8 roles (18.16 crashes on groupArray over a Decimal).
-- The shifted date is named _date, never date: in 18.16 an alias is visible in its whole
-- SELECT, so `date AS _src` beside `addMonths(date, 1) AS date` would read the shifted date.
DROP TABLE IF EXISTS econ.indicators_change;

CREATE VIEW IF NOT EXISTS econ.indicators_change AS
SELECT source, series, country, region, measure, unit, currency, base_period, adjustment, frequency, date, value,
       published_at,
       if(_has_m = 1, prev_month_value, NULL) AS prev_month_value,
       if(_has_m = 1, prev_month_published_at, NULL) AS prev_month_published_at,
       if(_m_ok, _m_value, NULL) AS mom_percent,
       if(_has_y = 1, year_ago_value, NULL) AS year_ago_value,
       if(_has_y = 1, year_ago_published_at, NULL) AS year_ago_published_at,
       if(_y_ok, _y_value, NULL) AS yoy_percent
FROM
(
    SELECT *,
           _has_m = 1 AND _m_in AND _m_qc < toDecimal128('10000000000000000000', 0) AS _m_ok,
           (toDecimal128(if(_m_ok, _m_qc, toDecimal128(0, 0)), 18) + toDecimal128(_m_frac, 18) / toDecimal128('1000000000000000000', 0)) * toDecimal128(if(_m_up, 1, -1), 0) AS _m_value,
           _has_y = 1 AND _y_in AND _y_qc < toDecimal128('10000000000000000000', 0) AS _y_ok,
           (toDecimal128(if(_y_ok, _y_qc, toDecimal128(0, 0)), 18) + toDecimal128(_y_frac, 18) / toDecimal128('1000000000000000000', 0)) * toDecimal128(if(_y_up, 1, -1), 0) AS _y_value
    FROM
    (
        SELECT *,
               _m_q + _m_frac1 / toDecimal128('1000000000000000000', 0) AS _m_qc,
               _m_frac1 - (_m_frac1 / toDecimal128('1000000000000000000', 0)) * toDecimal128('1000000000000000000', 0) AS _m_frac,
               _y_q + _y_frac1 / toDecimal128('1000000000000000000', 0) AS _y_qc,
               _y_frac1 - (_y_frac1 / toDecimal128('1000000000000000000', 0)) * toDecimal128('1000000000000000000', 0) AS _y_frac
        FROM
        (
            SELECT *,
                   _m_frac0 + if(_m_rem * toDecimal128(2, 0) > _m_d OR (_m_rem * toDecimal128(2, 0) = _m_d AND _m_frac0 - (_m_frac0 / toDecimal128(2, 0)) * toDecimal128(2, 0) = toDecimal128(1, 0)), toDecimal128(1, 0), toDecimal128(0, 0)) AS _m_frac1,
                   _y_frac0 + if(_y_rem * toDecimal128(2, 0) > _y_d OR (_y_rem * toDecimal128(2, 0) = _y_d AND _y_frac0 - (_y_frac0 / toDecimal128(2, 0)) * toDecimal128(2, 0) = toDecimal128(1, 0)), toDecimal128(1, 0), toDecimal128(0, 0)) AS _y_frac1
            FROM
            (
                SELECT *,
                       _m_t2 / _m_d AS _m_f2,
                       _m_t2 - _m_f2 * _m_d AS _m_rem,
                       _m_f1 * toDecimal128(1000000, 0) + _m_f2 AS _m_frac0,
                       _y_t2 / _y_d AS _y_f2,
                       _y_t2 - _y_f2 * _y_d AS _y_rem,
                       _y_f1 * toDecimal128(1000000, 0) + _y_f2 AS _y_frac0
                FROM
                (
                    SELECT *,
                           _m_t1 / _m_d AS _m_f1,
                           (_m_t1 - _m_f1 * _m_d) * toDecimal128(1000000, 0) AS _m_t2,
                           _y_t1 / _y_d AS _y_f1,
                           (_y_t1 - _y_f1 * _y_d) * toDecimal128(1000000, 0) AS _y_t2
                    FROM
                    (
                        SELECT *,
                               _m_v >= _m_d AS _m_up,
                               if(_m_up, _m_v - _m_d, _m_d - _m_v) * toDecimal128(100, 0) AS _m_a,
                               _m_a / _m_d AS _m_q,
                               (_m_a - _m_q * _m_d) * toDecimal128(1000000000000, 0) AS _m_t1,
                               _y_v >= _y_d AS _y_up,
                               if(_y_up, _y_v - _y_d, _y_d - _y_v) * toDecimal128(100, 0) AS _y_a,
                               _y_a / _y_d AS _y_q,
                               (_y_a - _y_q * _y_d) * toDecimal128(1000000000000, 0) AS _y_t1
                        FROM
                        (
                            SELECT *,
                                   _m_d0 < toDecimal128('1000000000000000000000000', 0) AND _v_r < toDecimal128('1000000000000000000000000', 0) AS _m_in,
                                   if(_m_in, _m_d0, toDecimal128(1, 0)) AS _m_d,
                                   if(_m_in, _v_r, toDecimal128(1, 0)) AS _m_v,
                                   _y_d0 < toDecimal128('1000000000000000000000000', 0) AND _v_r < toDecimal128('1000000000000000000000000', 0) AS _y_in,
                                   if(_y_in, _y_d0, toDecimal128(1, 0)) AS _y_d,
                                   if(_y_in, _v_r, toDecimal128(1, 0)) AS _y_v
                            FROM
                            (
                                SELECT *,
                                       toDecimal128(value, 0) AS _v_i,
                                       _v_i * toDecimal128('1000000000000000000', 0) + toDecimal128((value - toDecimal128(_v_i, 18)) * toDecimal128('1000000000000000000', 0), 0) AS _v_r,
                                       toDecimal128(if(prev_month_value > toDecimal128(0, 18), prev_month_value, toDecimal128(1, 18)), 0) AS _m_pi,
                                       _m_pi * toDecimal128('1000000000000000000', 0) + toDecimal128((if(prev_month_value > toDecimal128(0, 18), prev_month_value, toDecimal128(1, 18)) - toDecimal128(_m_pi, 18)) * toDecimal128('1000000000000000000', 0), 0) AS _m_d0,
                                       toDecimal128(if(year_ago_value > toDecimal128(0, 18), year_ago_value, toDecimal128(1, 18)), 0) AS _y_pi,
                                       _y_pi * toDecimal128('1000000000000000000', 0) + toDecimal128((if(year_ago_value > toDecimal128(0, 18), year_ago_value, toDecimal128(1, 18)) - toDecimal128(_y_pi, 18)) * toDecimal128('1000000000000000000', 0), 0) AS _y_d0
                                FROM
                                (
                                    SELECT country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, _date AS date,
                                           _value AS value, _published_at AS published_at,
                                           _prev_month_value AS prev_month_value, _prev_month_published_at AS prev_month_published_at, _has_prev_month AS _has_m,
                                           _year_ago_value AS year_ago_value, _year_ago_published_at AS year_ago_published_at, _has_year_ago AS _has_y
                                    FROM
                                    (
                                        SELECT country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, _date,
                                               anyIf(_val, _role = 0) AS _value, anyIf(_pub, _role = 0) AS _published_at,
                                               argMinIf(_val, _src, _role = 1) AS _prev_month_value, argMinIf(_pub, _src, _role = 1) AS _prev_month_published_at,
                                               max(_role = 1) AS _has_prev_month,
                                               argMinIf(_val, _src, _role = 2) AS _year_ago_value, argMinIf(_pub, _src, _role = 2) AS _year_ago_published_at,
                                               max(_role = 2) AS _has_year_ago,
                                               max(_role = 0) AS _has_value
                                        FROM
                                        (
                                            SELECT country, series, region, measure, unit, currency, base_period, adjustment, source, frequency,
                                                   arrayJoin(if(frequency = 'M', [toUInt8(0), toUInt8(1), toUInt8(2)], [toUInt8(0), toUInt8(2)])) AS _role,
                                                   multiIf(_role = 0, date, _role = 1, addMonths(date, 1), addYears(date, 1)) AS _date,
                                                   value AS _val, published_at AS _pub, date AS _src
                                            FROM econ.indicators
                                            WHERE unit = 'index'
                                        )
                                        GROUP BY country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, _date
                                        HAVING _has_value = 1
                                    )
                                )
                            )
                        )
                    )
                )
            )
        )
    )
);

-- The real-terms views of 0007, unchanged but for the CPI they look up: only the series some
-- country's deflator names ((country, series) IN econ.deflators, which reaches the primary key
-- of indicators_data), not every index. ClickHouse 18.16 does not push a query's filter into
-- the right side of a JOIN, so 0007's views read every index row of indicators_data twice,
-- whatever the price or wage asked for; now they read the deflator series, a few hundred rows
-- per country. Current ClickHouse, which pushes the country, reads the deflator series of that
-- country only.
DROP TABLE IF EXISTS econ.fuel_prices_real;
DROP TABLE IF EXISTS econ.wages_real;

CREATE VIEW IF NOT EXISTS econ.fuel_prices_real AS
SELECT source, country, region, product, tax_basis, frequency, date, price, currency, unit, unit_mult, price_per_litre, price_per_kg, status, published_at, record_id,
       if(_has_cpi = 1, cpi_source, '') AS cpi_source, if(_has_cpi = 1, cpi_series, '') AS cpi_series,
       if(_has_cpi = 1, base_month, NULL) AS cpi_base_month,
       if(_has_cpi = 1, month, NULL) AS cpi_month, if(_has_cpi = 1, cpi_value, NULL) AS cpi_value,
       if(_has_cpi = 1, cpi_published_at, NULL) AS cpi_published_at,
       if(_has_cpi = 1 AND _has_base = 1, base_cpi_value, NULL) AS base_cpi_value,
       if(_has_cpi = 1 AND _has_base = 1, base_cpi_published_at, NULL) AS base_cpi_published_at,
       if(_ok, 'deflated', 'pending') AS real_status,
       if(_ok AND price IS NOT NULL AND _real_price_fits, toDecimal128(_real_price_ip, 18) + toDecimal128(_real_price_rounded - _real_price_ip * toDecimal128('1000000000000000000', 0), 18) / toDecimal128('1000000000000000000', 0), NULL) AS real_price,
       if(_ok AND price_per_litre IS NOT NULL AND _real_price_per_litre_fits, toDecimal128(_real_price_per_litre_ip, 18) + toDecimal128(_real_price_per_litre_rounded - _real_price_per_litre_ip * toDecimal128('1000000000000000000', 0), 18) / toDecimal128('1000000000000000000', 0), NULL) AS real_price_per_litre,
       if(_ok AND price_per_kg IS NOT NULL AND _real_price_per_kg_fits, toDecimal128(_real_price_per_kg_ip, 18) + toDecimal128(_real_price_per_kg_rounded - _real_price_per_kg_ip * toDecimal128('1000000000000000000', 0), 18) / toDecimal128('1000000000000000000', 0), NULL) AS real_price_per_kg
FROM
(
    SELECT *,
           _real_price_rounded / toDecimal128('1000000000000000000', 0) AS _real_price_ip,
           _real_price_per_litre_rounded / toDecimal128('1000000000000000000', 0) AS _real_price_per_litre_ip,
           _real_price_per_kg_rounded / toDecimal128('1000000000000000000', 0) AS _real_price_per_kg_ip
    FROM
    (
        SELECT *,
               _real_price_trunc + if(_real_price_rem * toDecimal128(2, 0) > _c OR (_real_price_rem * toDecimal128(2, 0) = _c AND _real_price_trunc - (_real_price_trunc / toDecimal128(2, 0)) * toDecimal128(2, 0) = toDecimal128(1, 0)), toDecimal128(1, 0), toDecimal128(0, 0)) AS _real_price_rounded,
               _real_price_per_litre_trunc + if(_real_price_per_litre_rem * toDecimal128(2, 0) > _c OR (_real_price_per_litre_rem * toDecimal128(2, 0) = _c AND _real_price_per_litre_trunc - (_real_price_per_litre_trunc / toDecimal128(2, 0)) * toDecimal128(2, 0) = toDecimal128(1, 0)), toDecimal128(1, 0), toDecimal128(0, 0)) AS _real_price_per_litre_rounded,
               _real_price_per_kg_trunc + if(_real_price_per_kg_rem * toDecimal128(2, 0) > _c OR (_real_price_per_kg_rem * toDecimal128(2, 0) = _c AND _real_price_per_kg_trunc - (_real_price_per_kg_trunc / toDecimal128(2, 0)) * toDecimal128(2, 0) = toDecimal128(1, 0)), toDecimal128(1, 0), toDecimal128(0, 0)) AS _real_price_per_kg_rounded
        FROM
        (
            SELECT *,
                   _real_price_t2 - _real_price_u2 * _c AS _real_price_rem,
                   _real_price_q1s * _b + _real_price_u1 * toDecimal128(1000000000000, 0) + _real_price_u2 AS _real_price_trunc,
                   _real_price_per_litre_t2 - _real_price_per_litre_u2 * _c AS _real_price_per_litre_rem,
                   _real_price_per_litre_q1s * _b + _real_price_per_litre_u1 * toDecimal128(1000000000000, 0) + _real_price_per_litre_u2 AS _real_price_per_litre_trunc,
                   _real_price_per_kg_t2 - _real_price_per_kg_u2 * _c AS _real_price_per_kg_rem,
                   _real_price_per_kg_q1s * _b + _real_price_per_kg_u1 * toDecimal128(1000000000000, 0) + _real_price_per_kg_u2 AS _real_price_per_kg_trunc
            FROM
            (
                SELECT *,
                       _real_price_t2 / _c AS _real_price_u2,
                       _real_price_per_litre_t2 / _c AS _real_price_per_litre_u2,
                       _real_price_per_kg_t2 / _c AS _real_price_per_kg_u2
                FROM
                (
                    SELECT *,
                           (_real_price_t1 - _real_price_u1 * _c) * toDecimal128(1000000000000, 0) + _real_price_r1 * _bl AS _real_price_t2,
                           (_real_price_per_litre_t1 - _real_price_per_litre_u1 * _c) * toDecimal128(1000000000000, 0) + _real_price_per_litre_r1 * _bl AS _real_price_per_litre_t2,
                           (_real_price_per_kg_t1 - _real_price_per_kg_u1 * _c) * toDecimal128(1000000000000, 0) + _real_price_per_kg_r1 * _bl AS _real_price_per_kg_t2
                    FROM
                    (
                        SELECT *,
                               _real_price_t1 / _c AS _real_price_u1,
                               _real_price_per_litre_t1 / _c AS _real_price_per_litre_u1,
                               _real_price_per_kg_t1 / _c AS _real_price_per_kg_u1
                        FROM
                        (
                            SELECT *,
                                   if(_real_price_fits, _real_price_q1, toDecimal128(0, 0)) AS _real_price_q1s,
                                   _real_price_r1 * _bh AS _real_price_t1,
                                   if(_real_price_per_litre_fits, _real_price_per_litre_q1, toDecimal128(0, 0)) AS _real_price_per_litre_q1s,
                                   _real_price_per_litre_r1 * _bh AS _real_price_per_litre_t1,
                                   if(_real_price_per_kg_fits, _real_price_per_kg_q1, toDecimal128(0, 0)) AS _real_price_per_kg_q1s,
                                   _real_price_per_kg_r1 * _bh AS _real_price_per_kg_t1
                            FROM
                            (
                                SELECT *,
                                       _b - _bh * toDecimal128(1000000000000, 0) AS _bl,
                                       _real_pricen_r - _real_price_q1 * _c AS _real_price_r1,
                                       _real_price_q1 < _lim AS _real_price_fits,
                                       _real_price_per_litren_r - _real_price_per_litre_q1 * _c AS _real_price_per_litre_r1,
                                       _real_price_per_litre_q1 < _lim AS _real_price_per_litre_fits,
                                       _real_price_per_kgn_r - _real_price_per_kg_q1 * _c AS _real_price_per_kg_r1,
                                       _real_price_per_kg_q1 < _lim AS _real_price_per_kg_fits
                                FROM
                                (
                                    SELECT *,
                                           _b / toDecimal128(1000000000000, 0) AS _bh,
                                           toDecimal128('10000000000000000000000000000000000000', 0) / _b AS _lim,
                                           _real_pricen_r / _c AS _real_price_q1,
                                           _real_price_per_litren_r / _c AS _real_price_per_litre_q1,
                                           _real_price_per_kgn_r / _c AS _real_price_per_kg_q1
                                    FROM
                                    (
                                        SELECT *,
                                               if(_in_range, _bv_r, toDecimal128(1, 0)) AS _b,
                                               if(_in_range, _cv_r, toDecimal128(1, 0)) AS _c,
                                               _has_cpi = 1 AND _has_base = 1 AND _in_range AS _ok
                                        FROM
                                        (
                                            SELECT *,
                                                   _bv_r > toDecimal128(0, 0) AND _bv_r < toDecimal128('1000000000000000000000000', 0) AND _cv_r > toDecimal128(0, 0) AND _cv_r < toDecimal128('1000000000000000000000000', 0) AS _in_range
                                            FROM
                                            (
                                                SELECT *,
                                                       toDecimal128(base_cpi_value, 0) AS _bv_i,
                                                       _bv_i * toDecimal128('1000000000000000000', 0) + toDecimal128((base_cpi_value - toDecimal128(_bv_i, 18)) * toDecimal128('1000000000000000000', 0), 0) AS _bv_r,
                                                       toDecimal128(cpi_value, 0) AS _cv_i,
                                                       _cv_i * toDecimal128('1000000000000000000', 0) + toDecimal128((cpi_value - toDecimal128(_cv_i, 18)) * toDecimal128('1000000000000000000', 0), 0) AS _cv_r,
                                                       toDecimal128(ifNull(price, toDecimal128(0, 18)), 0) AS _real_pricen_i,
                                                       _real_pricen_i * toDecimal128('1000000000000000000', 0) + toDecimal128((ifNull(price, toDecimal128(0, 18)) - toDecimal128(_real_pricen_i, 18)) * toDecimal128('1000000000000000000', 0), 0) AS _real_pricen_r,
                                                       toDecimal128(ifNull(price_per_litre, toDecimal128(0, 18)), 0) AS _real_price_per_litren_i,
                                                       _real_price_per_litren_i * toDecimal128('1000000000000000000', 0) + toDecimal128((ifNull(price_per_litre, toDecimal128(0, 18)) - toDecimal128(_real_price_per_litren_i, 18)) * toDecimal128('1000000000000000000', 0), 0) AS _real_price_per_litren_r,
                                                       toDecimal128(ifNull(price_per_kg, toDecimal128(0, 18)), 0) AS _real_price_per_kgn_i,
                                                       _real_price_per_kgn_i * toDecimal128('1000000000000000000', 0) + toDecimal128((ifNull(price_per_kg, toDecimal128(0, 18)) - toDecimal128(_real_price_per_kgn_i, 18)) * toDecimal128('1000000000000000000', 0), 0) AS _real_price_per_kgn_r
                                                FROM
                                                (
                                                    SELECT *
                                                    FROM
                                                    (
                                                        SELECT source, country, region, product, tax_basis, frequency, date, price, currency, unit, unit_mult, price_per_litre, price_per_kg, status, published_at, record_id, toStartOfMonth(date) AS month
                                                        FROM econ.fuel_prices
                                                    ) AS _s1
                                                    ANY LEFT JOIN
                                                        (
                                                        SELECT country, month, cpi_source, cpi_series, base_month, cpi_value, cpi_published_at,
                                                               base_cpi_value, base_cpi_published_at, _has_base, toUInt8(1) AS _has_cpi
                                                        FROM
                                                        (
                                                            SELECT country, cpi_source, cpi_series, base_month, month, cpi_value, cpi_published_at
                                                            FROM
                                                            (
                                                                SELECT country, argMax(source, _version) AS cpi_source, argMax(series, _version) AS cpi_series,
                                                                       argMax(base_month, _version) AS base_month, argMax(active, _version) AS _active
                                                                FROM econ.deflators
                                                                GROUP BY country
                                                            ) AS _s2
                                                            ALL INNER JOIN
                                                            (
                                                                SELECT country, source AS cpi_source, series AS cpi_series, toStartOfMonth(date) AS month,
                                                                       argMax(value, (published_at, _version)) AS cpi_value, max(published_at) AS cpi_published_at
                                                                FROM econ.indicators_data
                                                                WHERE unit = 'index' AND region = '' AND (country, series) IN (SELECT country, series FROM econ.deflators)
                                                                GROUP BY country, source, series, month
                                                            ) AS _s3 USING (country, cpi_source, cpi_series)
                                                            WHERE _active = 1
                                                        ) AS _s4
                                                        ANY LEFT JOIN
                                                        (
                                                            SELECT country, source AS cpi_source, series AS cpi_series, toStartOfMonth(date) AS base_month,
                                                                   argMax(value, (published_at, _version)) AS base_cpi_value, max(published_at) AS base_cpi_published_at,
                                                                   toUInt8(1) AS _has_base
                                                            FROM econ.indicators_data
                                                            WHERE unit = 'index' AND region = '' AND (country, series) IN (SELECT country, series FROM econ.deflators)
                                                            GROUP BY country, source, series, base_month
                                                        ) AS _s5 USING (country, cpi_source, cpi_series, base_month)
                                                    ) AS _s6 USING (country, month)
                                                )
                                            )
                                        )
                                    )
                                )
                            )
                        )
                    )
                )
            )
        )
    )
);

CREATE VIEW IF NOT EXISTS econ.wages_real AS
SELECT source, country, region, measure, basis, per, frequency, date, amount, currency, unit_mult, monthly_amount, status, published_at, record_id,
       if(_has_cpi = 1, cpi_source, '') AS cpi_source, if(_has_cpi = 1, cpi_series, '') AS cpi_series,
       if(_has_cpi = 1, base_month, NULL) AS cpi_base_month,
       if(_has_cpi = 1, month, NULL) AS cpi_month, if(_has_cpi = 1, cpi_value, NULL) AS cpi_value,
       if(_has_cpi = 1, cpi_published_at, NULL) AS cpi_published_at,
       if(_has_cpi = 1 AND _has_base = 1, base_cpi_value, NULL) AS base_cpi_value,
       if(_has_cpi = 1 AND _has_base = 1, base_cpi_published_at, NULL) AS base_cpi_published_at,
       if(_ok, 'deflated', 'pending') AS real_status,
       if(_ok AND amount IS NOT NULL AND _real_amount_fits, toDecimal128(_real_amount_ip, 18) + toDecimal128(_real_amount_rounded - _real_amount_ip * toDecimal128('1000000000000000000', 0), 18) / toDecimal128('1000000000000000000', 0), NULL) AS real_amount,
       if(_ok AND monthly_amount IS NOT NULL AND _real_monthly_amount_fits, toDecimal128(_real_monthly_amount_ip, 18) + toDecimal128(_real_monthly_amount_rounded - _real_monthly_amount_ip * toDecimal128('1000000000000000000', 0), 18) / toDecimal128('1000000000000000000', 0), NULL) AS real_monthly_amount
FROM
(
    SELECT *,
           _real_amount_rounded / toDecimal128('1000000000000000000', 0) AS _real_amount_ip,
           _real_monthly_amount_rounded / toDecimal128('1000000000000000000', 0) AS _real_monthly_amount_ip
    FROM
    (
        SELECT *,
               _real_amount_trunc + if(_real_amount_rem * toDecimal128(2, 0) > _c OR (_real_amount_rem * toDecimal128(2, 0) = _c AND _real_amount_trunc - (_real_amount_trunc / toDecimal128(2, 0)) * toDecimal128(2, 0) = toDecimal128(1, 0)), toDecimal128(1, 0), toDecimal128(0, 0)) AS _real_amount_rounded,
               _real_monthly_amount_trunc + if(_real_monthly_amount_rem * toDecimal128(2, 0) > _c OR (_real_monthly_amount_rem * toDecimal128(2, 0) = _c AND _real_monthly_amount_trunc - (_real_monthly_amount_trunc / toDecimal128(2, 0)) * toDecimal128(2, 0) = toDecimal128(1, 0)), toDecimal128(1, 0), toDecimal128(0, 0)) AS _real_monthly_amount_rounded
        FROM
        (
            SELECT *,
                   _real_amount_t2 - _real_amount_u2 * _c AS _real_amount_rem,
                   _real_amount_q1s * _b + _real_amount_u1 * toDecimal128(1000000000000, 0) + _real_amount_u2 AS _real_amount_trunc,
                   _real_monthly_amount_t2 - _real_monthly_amount_u2 * _c AS _real_monthly_amount_rem,
                   _real_monthly_amount_q1s * _b + _real_monthly_amount_u1 * toDecimal128(1000000000000, 0) + _real_monthly_amount_u2 AS _real_monthly_amount_trunc
            FROM
            (
                SELECT *,
                       _real_amount_t2 / _c AS _real_amount_u2,
                       _real_monthly_amount_t2 / _c AS _real_monthly_amount_u2
                FROM
                (
                    SELECT *,
                           (_real_amount_t1 - _real_amount_u1 * _c) * toDecimal128(1000000000000, 0) + _real_amount_r1 * _bl AS _real_amount_t2,
                           (_real_monthly_amount_t1 - _real_monthly_amount_u1 * _c) * toDecimal128(1000000000000, 0) + _real_monthly_amount_r1 * _bl AS _real_monthly_amount_t2
                    FROM
                    (
                        SELECT *,
                               _real_amount_t1 / _c AS _real_amount_u1,
                               _real_monthly_amount_t1 / _c AS _real_monthly_amount_u1
                        FROM
                        (
                            SELECT *,
                                   if(_real_amount_fits, _real_amount_q1, toDecimal128(0, 0)) AS _real_amount_q1s,
                                   _real_amount_r1 * _bh AS _real_amount_t1,
                                   if(_real_monthly_amount_fits, _real_monthly_amount_q1, toDecimal128(0, 0)) AS _real_monthly_amount_q1s,
                                   _real_monthly_amount_r1 * _bh AS _real_monthly_amount_t1
                            FROM
                            (
                                SELECT *,
                                       _b - _bh * toDecimal128(1000000000000, 0) AS _bl,
                                       _real_amountn_r - _real_amount_q1 * _c AS _real_amount_r1,
                                       _real_amount_q1 < _lim AS _real_amount_fits,
                                       _real_monthly_amountn_r - _real_monthly_amount_q1 * _c AS _real_monthly_amount_r1,
                                       _real_monthly_amount_q1 < _lim AS _real_monthly_amount_fits
                                FROM
                                (
                                    SELECT *,
                                           _b / toDecimal128(1000000000000, 0) AS _bh,
                                           toDecimal128('10000000000000000000000000000000000000', 0) / _b AS _lim,
                                           _real_amountn_r / _c AS _real_amount_q1,
                                           _real_monthly_amountn_r / _c AS _real_monthly_amount_q1
                                    FROM
                                    (
                                        SELECT *,
                                               if(_in_range, _bv_r, toDecimal128(1, 0)) AS _b,
                                               if(_in_range, _cv_r, toDecimal128(1, 0)) AS _c,
                                               _has_cpi = 1 AND _has_base = 1 AND _in_range AS _ok
                                        FROM
                                        (
                                            SELECT *,
                                                   _bv_r > toDecimal128(0, 0) AND _bv_r < toDecimal128('1000000000000000000000000', 0) AND _cv_r > toDecimal128(0, 0) AND _cv_r < toDecimal128('1000000000000000000000000', 0) AS _in_range
                                            FROM
                                            (
                                                SELECT *,
                                                       toDecimal128(base_cpi_value, 0) AS _bv_i,
                                                       _bv_i * toDecimal128('1000000000000000000', 0) + toDecimal128((base_cpi_value - toDecimal128(_bv_i, 18)) * toDecimal128('1000000000000000000', 0), 0) AS _bv_r,
                                                       toDecimal128(cpi_value, 0) AS _cv_i,
                                                       _cv_i * toDecimal128('1000000000000000000', 0) + toDecimal128((cpi_value - toDecimal128(_cv_i, 18)) * toDecimal128('1000000000000000000', 0), 0) AS _cv_r,
                                                       toDecimal128(ifNull(amount, toDecimal128(0, 18)), 0) AS _real_amountn_i,
                                                       _real_amountn_i * toDecimal128('1000000000000000000', 0) + toDecimal128((ifNull(amount, toDecimal128(0, 18)) - toDecimal128(_real_amountn_i, 18)) * toDecimal128('1000000000000000000', 0), 0) AS _real_amountn_r,
                                                       toDecimal128(ifNull(monthly_amount, toDecimal128(0, 18)), 0) AS _real_monthly_amountn_i,
                                                       _real_monthly_amountn_i * toDecimal128('1000000000000000000', 0) + toDecimal128((ifNull(monthly_amount, toDecimal128(0, 18)) - toDecimal128(_real_monthly_amountn_i, 18)) * toDecimal128('1000000000000000000', 0), 0) AS _real_monthly_amountn_r
                                                FROM
                                                (
                                                    SELECT *
                                                    FROM
                                                    (
                                                        SELECT source, country, region, measure, basis, per, frequency, date, amount, currency, unit_mult, monthly_amount, status, published_at, record_id, toStartOfMonth(date) AS month
                                                        FROM econ.wages
                                                    ) AS _s7
                                                    ANY LEFT JOIN
                                                        (
                                                        SELECT country, month, cpi_source, cpi_series, base_month, cpi_value, cpi_published_at,
                                                               base_cpi_value, base_cpi_published_at, _has_base, toUInt8(1) AS _has_cpi
                                                        FROM
                                                        (
                                                            SELECT country, cpi_source, cpi_series, base_month, month, cpi_value, cpi_published_at
                                                            FROM
                                                            (
                                                                SELECT country, argMax(source, _version) AS cpi_source, argMax(series, _version) AS cpi_series,
                                                                       argMax(base_month, _version) AS base_month, argMax(active, _version) AS _active
                                                                FROM econ.deflators
                                                                GROUP BY country
                                                            ) AS _s8
                                                            ALL INNER JOIN
                                                            (
                                                                SELECT country, source AS cpi_source, series AS cpi_series, toStartOfMonth(date) AS month,
                                                                       argMax(value, (published_at, _version)) AS cpi_value, max(published_at) AS cpi_published_at
                                                                FROM econ.indicators_data
                                                                WHERE unit = 'index' AND region = '' AND (country, series) IN (SELECT country, series FROM econ.deflators)
                                                                GROUP BY country, source, series, month
                                                            ) AS _s9 USING (country, cpi_source, cpi_series)
                                                            WHERE _active = 1
                                                        ) AS _s10
                                                        ANY LEFT JOIN
                                                        (
                                                            SELECT country, source AS cpi_source, series AS cpi_series, toStartOfMonth(date) AS base_month,
                                                                   argMax(value, (published_at, _version)) AS base_cpi_value, max(published_at) AS base_cpi_published_at,
                                                                   toUInt8(1) AS _has_base
                                                            FROM econ.indicators_data
                                                            WHERE unit = 'index' AND region = '' AND (country, series) IN (SELECT country, series FROM econ.deflators)
                                                            GROUP BY country, source, series, base_month
                                                        ) AS _s11 USING (country, cpi_source, cpi_series, base_month)
                                                    ) AS _s12 USING (country, month)
                                                )
                                            )
                                        )
                                    )
                                )
                            )
                        )
                    )
                )
            )
        )
    )
);
