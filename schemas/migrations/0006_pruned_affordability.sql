-- fuel_affordability again, in a shape whose filters reach both tables' primary keys on
-- ClickHouse 18.16 too. Same columns, types, rows and rounding as 0005's view; only the plan
-- differs.
--
-- 0005 joined the month's prices (left) with the wages in force (right). 18.16 pushes an outer
-- filter into the left side of a JOIN only, so every query read and grouped the whole wages
-- table (at 2M prices with 286,000 weekly wages, one country took 3.7 times its primary-key
-- read). No JOIN is left here; rows are paired by grouping a UNION ALL on the pairing key and
-- ARRAY JOIN over the group's arrays, and 18.16 pushes a filter into every branch of a UNION ALL:
--
--   P  the month's incl_tax prices per litre of each (month, country, region, product,
--      currency): sum and count of the latest vintages, as 0005;
--   W  the wages in force, one row per month, price series key (country, region, product,
--      currency) and wage series whose region is the key's or '' (national). W pairs the
--      country's price keys (K: every (region, product) with incl_tax prices and its first and
--      last month, from the key columns of fuel_prices_data) with the wage observations (each
--      in force from its month until the month of the series' next one) by grouping both on
--      (country, currency); months outside a key's first..last have no prices and are skipped.
--
-- P and W share the columns month, country, currency, region and product, grouped on them; the
-- group's price row and its wages then give one row per wage measure and basis. A filter on
-- country or currency reaches P, K and the wages; one on region or product reaches P and
-- narrows W after K's arrays (K and the wages are read for the whole country: a national wage
-- applies to every region); one on month reaches P's date range (toStartOfMonth is monotonic)
-- and W after its expansion. Cost of a query for one country: its prices twice (once whole for
-- P, once only the key columns for K) and its wages; for one series: that series, the country's
-- price key columns and its wages.
--
-- The rules (as 0005). Litres of fuel one monthly wage buys, in local currency, one row per
-- (month, country, region, product, currency) with incl_tax prices and per wage measure and
-- basis with a wage in force.
--
-- The wage in force in a month: a wage observation applies from its month until the month of
-- the next observation of the same series (source, country, region, measure, basis, per,
-- currency, frequency), so the month's wage of a series is its latest observation dated on or
-- before the month's last day; the newest one applies until 2099-12. Only wages with a
-- monthly_amount (per month or year) count. Of the series in force, a regional wage is taken
-- where one exists, else the national one (region ''); among several, the most recently dated,
-- then the smallest (source, per, frequency). wage_region names the wage's region.
--
-- avg_price_per_litre = S / n, with S the sum and n the count of the month's incl_tax
-- price_per_litre values, truncated to 18 fractional digits.
-- litres_per_monthly_wage = monthly_wage × n / S exactly, truncated (toward zero) to 18
-- fractional digits, by long division on the unscaled integers in Decimal(38, 0): w =
-- monthly_wage × 10^18 and d = S × 10^18 as integers; q0 = w div d; then n·(w mod d) div d
-- completes the integer part and three more steps (8, 8 and 2 digits) give the 18 fractional
-- digits. No intermediate exceeds 10^38. Exact for every monthly wage below 10^20, every
-- monthly price sum S with 0 < S < 10^12 and n < 10^8; NULL, never a wrong number, when the
-- ratio reaches 10^20 (it does not fit Decimal(38, 18)), S is 0 (free fuel) or outside that
-- range.
--
-- 18.16 crashes on groupArray of a Decimal: price sums and wage amounts travel through the
-- arrays as text (toString writes every digit) and are parsed back exactly by toDecimal128.
-- Months are counted as year × 12 + month. The ARRAY JOIN clause is used rather than
-- arrayJoin(), so that a filter pushed into a level applies after that level's expansion.
DROP TABLE IF EXISTS econ.fuel_affordability;

CREATE VIEW IF NOT EXISTS econ.fuel_affordability AS
SELECT month, country, region, product, wage_measure, wage_basis, currency, wage_region, monthly_wage,
       _p_sum / toDecimal128(_p_count, 0) AS avg_price_per_litre,
       if(_ok, toDecimal128(_int_ok, 18) + toDecimal128(_frac, 18) / toDecimal128('1000000000000000000', 0), NULL)
           AS litres_per_monthly_wage
FROM
(
    SELECT month, country, region, product, wage_measure, wage_basis, currency, wage_region, monthly_wage,
           _p_sum, _p_count,
           toDecimal128(monthly_wage, 0) AS _w_int,
           _w_int * toDecimal128('1000000000000000000', 0)
               + toDecimal128((monthly_wage - toDecimal128(_w_int, 18)) * toDecimal128('1000000000000000000', 0), 0) AS _w_raw,
           toDecimal128(_p_sum, 0) AS _s_int,
           _s_int * toDecimal128('1000000000000000000', 0)
               + toDecimal128((_p_sum - toDecimal128(_s_int, 18)) * toDecimal128('1000000000000000000', 0), 0) AS _s_raw,
           _s_raw > toDecimal128(0, 0) AND _s_raw < toDecimal128('1000000000000000000000000000000', 0) AS _s_ok,
           if(_s_ok, _s_raw, toDecimal128(1, 0)) AS _d,
           toDecimal128(if(_p_count < 100000000, _p_count, 1), 0) AS _n,
           _w_raw / _d AS _q0,
           if(_q0 < toDecimal128('100000000000000000000', 0), _q0, toDecimal128('100000000000000000000', 0)) AS _q0_capped,
           (_w_raw - _q0 * _d) * _n AS _t1,
           _t1 / _d AS _q1,
           _n * _q0_capped + _q1 AS _int,
           (_t1 - _q1 * _d) * toDecimal128(100000000, 0) AS _t2,
           _t2 / _d AS _f1,
           (_t2 - _f1 * _d) * toDecimal128(100000000, 0) AS _t3,
           _t3 / _d AS _f2,
           (_t3 - _f2 * _d) * toDecimal128(100, 0) AS _t4,
           _t4 / _d AS _f3,
           _f1 * toDecimal128(10000000000, 0) + _f2 * toDecimal128(100, 0) + _f3 AS _frac,
           _s_ok AND _p_count < 100000000 AND _int < toDecimal128('100000000000000000000', 0) AS _ok,
           if(_ok, _int, toDecimal128(0, 0)) AS _int_ok
    FROM
    (
        SELECT month, country, region, product, currency, wage_measure, wage_basis,
               toDecimal128(any(_p_sum_text), 18) AS _p_sum, any(_p_count) AS _p_count,
               argMin(_w_region, (_w_region != region, 0 - toInt64(toRelativeDayNum(_w_date)), _w_source, _w_per, _w_frequency)) AS wage_region,
               toDecimal128(argMin(_w_amount_text, (_w_region != region, 0 - toInt64(toRelativeDayNum(_w_date)), _w_source, _w_per, _w_frequency)), 18) AS monthly_wage
        FROM
        (
            SELECT month, country, currency, region, product, _p_sum_text, _p_count,
                   _w_region, wage_measure, wage_basis, _w_source, _w_per, _w_frequency, _w_date, _w_amount_text
            FROM
            (
                SELECT month, country, currency, region, product,
                       anyIf(_text, _kind = 0) AS _p_sum_text, sumIf(_count, _kind = 0) AS _p_count,
                       groupArrayIf(_w_region, _kind = 1) AS _w_regions,
                       groupArrayIf(_w_measure, _kind = 1) AS _w_measures,
                       groupArrayIf(_w_basis, _kind = 1) AS _w_bases,
                       groupArrayIf(_w_source, _kind = 1) AS _w_sources,
                       groupArrayIf(_w_per, _kind = 1) AS _w_pers,
                       groupArrayIf(_w_frequency, _kind = 1) AS _w_frequencies,
                       groupArrayIf(_w_date, _kind = 1) AS _w_dates,
                       groupArrayIf(_text, _kind = 1) AS _w_amount_texts
                FROM
                (
                    SELECT toUInt8(0) AS _kind, month, country, currency, region, product,
                           toString(sum(assumeNotNull(_p_litre))) AS _text, count() AS _count,
                           '' AS _w_region, '' AS _w_measure, '' AS _w_basis, '' AS _w_source, '' AS _w_per, '' AS _w_frequency,
                           toDate('1970-01-01') AS _w_date
                    FROM
                    (
                        SELECT country, region, product, tax_basis, currency, unit, source, frequency, date,
                               toStartOfMonth(date) AS month,
                               argMax(price_per_litre, (published_at, _version)) AS _p_litre
                        FROM econ.fuel_prices_data
                        WHERE tax_basis = 'incl_tax'
                        GROUP BY country, region, product, tax_basis, currency, unit, source, frequency, date
                    )
                    WHERE _p_litre IS NOT NULL
                    GROUP BY month, country, region, product, currency
                    UNION ALL
                    SELECT toUInt8(1) AS _kind, addMonths(toStartOfMonth(_w_date), _w_skip + _w_k) AS month, country, currency, region, product,
                           _w_amount_text AS _text, toUInt64(0) AS _count,
                           _w_region, _w_measure, _w_basis, _w_source, _w_per, _w_frequency, _w_date
                    FROM
                    (
                        SELECT country, currency, region, product,
                               _w_region, _w_measure, _w_basis, _w_source, _w_per, _w_frequency, _w_date, _w_amount_text,
                               greatest(_w_from, _k_from) - _w_from AS _w_skip,
                               toUInt64(greatest(least(_w_until, _k_until) - greatest(_w_from, _k_from), 0)) AS _w_months
                        FROM
                        (
                            SELECT country, currency, region, product, _k_from, _k_until,
                                   _w_regions, _w_measures, _w_bases, _w_sources, _w_pers, _w_frequencies, _w_dates, _w_amount_texts, _w_froms, _w_untils
                            FROM
                            (
                                SELECT country, currency,
                                       groupArrayIf(_a, _kind = 0) AS _k_regions,
                                       groupArrayIf(_b, _kind = 0) AS _k_products,
                                       groupArrayIf(_from, _kind = 0) AS _k_froms,
                                       groupArrayIf(_until, _kind = 0) AS _k_untils,
                                       groupArrayIf(_a, _kind = 1) AS _w_regions,
                                       groupArrayIf(_b, _kind = 1) AS _w_measures,
                                       groupArrayIf(_c, _kind = 1) AS _w_bases,
                                       groupArrayIf(_d, _kind = 1) AS _w_sources,
                                       groupArrayIf(_e, _kind = 1) AS _w_pers,
                                       groupArrayIf(_f, _kind = 1) AS _w_frequencies,
                                       groupArrayIf(_date, _kind = 1) AS _w_dates,
                                       groupArrayIf(_text, _kind = 1) AS _w_amount_texts,
                                       groupArrayIf(_from, _kind = 1) AS _w_froms,
                                       groupArrayIf(_until, _kind = 1) AS _w_untils
                                FROM
                                (
                                    SELECT toUInt8(0) AS _kind, country, currency, region AS _a, product AS _b, '' AS _c, '' AS _d, '' AS _e, '' AS _f,
                                           toDate('1970-01-01') AS _date, '' AS _text,
                                           min(toInt64(toYear(date) * 12 + toMonth(date))) AS _from,
                                           max(toInt64(toYear(date) * 12 + toMonth(date))) + 1 AS _until
                                    FROM econ.fuel_prices_data
                                    WHERE tax_basis = 'incl_tax'
                                    GROUP BY country, currency, region, product
                                    UNION ALL
                                    SELECT toUInt8(1) AS _kind, country, currency, _w_region AS _a, _w_measure AS _b, _w_basis AS _c, _w_source AS _d,
                                           _w_per AS _e, _w_frequency AS _f, _w_date AS _date, _w_amount_text AS _text,
                                           toInt64(toYear(_w_date) * 12 + toMonth(_w_date)) AS _from,
                                           toInt64(toYear(_w_next) * 12 + toMonth(_w_next)) AS _until
                                    FROM
                                    (
                                        SELECT country, currency, _w_region, _w_measure, _w_basis, _w_source, _w_per, _w_frequency,
                                               _w_date, _w_amount_text,
                                               if(_w_i < length(_w_all_dates), _w_all_dates[_w_i + 1], toDate('2100-01-01')) AS _w_next
                                        FROM
                                        (
                                            SELECT country, currency, region AS _w_region, measure AS _w_measure, basis AS _w_basis,
                                                   source AS _w_source, per AS _w_per, frequency AS _w_frequency,
                                                   arraySort(groupArray(date)) AS _w_all_dates,
                                                   arraySort((a, d) -> d, groupArray(toString(assumeNotNull(_w_monthly))), groupArray(date)) AS _w_all_amounts
                                            FROM
                                            (
                                                SELECT country, region, measure, basis, per, currency, source, frequency, date,
                                                       argMax(monthly_amount, (published_at, _version)) AS _w_monthly
                                                FROM econ.wages_data
                                                GROUP BY country, region, measure, basis, per, currency, source, frequency, date
                                            )
                                            WHERE _w_monthly IS NOT NULL
                                            GROUP BY country, currency, _w_region, _w_measure, _w_basis, _w_source, _w_per, _w_frequency
                                        )
                                        ARRAY JOIN _w_all_dates AS _w_date, _w_all_amounts AS _w_amount_text, arrayEnumerate(_w_all_dates) AS _w_i
                                    )
                                    WHERE _until > _from
                                )
                                GROUP BY country, currency
                            )
                            ARRAY JOIN _k_regions AS region, _k_products AS product, _k_froms AS _k_from, _k_untils AS _k_until
                        )
                        ARRAY JOIN _w_regions AS _w_region, _w_measures AS _w_measure, _w_bases AS _w_basis, _w_sources AS _w_source,
                                   _w_pers AS _w_per, _w_frequencies AS _w_frequency, _w_dates AS _w_date, _w_amount_texts AS _w_amount_text,
                                   _w_froms AS _w_from, _w_untils AS _w_until
                        WHERE (_w_region = region OR _w_region = '') AND _w_from < _k_until AND _k_from < _w_until
                    )
                    ARRAY JOIN range(_w_months) AS _w_k
                )
                GROUP BY month, country, currency, region, product
            )
            ARRAY JOIN _w_regions AS _w_region, _w_measures AS wage_measure, _w_bases AS wage_basis, _w_sources AS _w_source,
                       _w_pers AS _w_per, _w_frequencies AS _w_frequency, _w_dates AS _w_date, _w_amount_texts AS _w_amount_text
            WHERE _p_count > 0
        )
        GROUP BY month, country, region, product, currency, wage_measure, wage_basis
    )
);
