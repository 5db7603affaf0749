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
