-- fuel_affordability a third time: the columns, types, rows and rounding of 0006's view, whose
-- rules are repeated below, in a shape that ClickHouse 18.16 plans in a fraction of the time and
-- that reads, for one series, that series, the country's few rows of a small table of price
-- series keys and the country's wages.
--
-- econ.fuel_price_keys: the incl_tax price series keys (country, currency, region, product) with
-- their first and last month (min and max states of toStartOfMonth(date)), one row per key once
-- merged. A materialized view adds, with each insert into fuel_prices_data, a row per key of
-- the inserted block; the INSERT below fills it from the rows stored before this migration (the
-- view exists first, so no insert in between is missed; a key counted twice changes neither
-- month). It only grows: a key whose prices are all gone later still pairs its wages, and those
-- rows meet no price and vanish, so answers never depend on it beyond its keys and months being
-- a superset of the prices'. 0006 read these keys from the key columns of all the country's
-- prices for every query (2M rows for one series at 20M stored prices).
--
-- Why 0006 was slow to plan, measured on 18.16 (server CPU time of a query for one series on
-- empty tables: about 300 ms for 0006, 45 ms for this view). 18.16 analyzes a subquery again for
-- each level above it, about four times as much with enable_optimize_predicate_expression; the
-- cost grows with the levels, with the columns each level passes up and with the size of the
-- expressions. 0006 nested 13 levels, and its long division referred to its aliases in chains
-- (each step names the previous one twice), which 18.16 substitutes into one expression tree
-- that doubles with each step. Here:
--   - 6 levels from wages_data to the top (P: 4); each passes up only the columns its parent
--     reads (a column a parent drops makes 18.16 analyze the level once more);
--   - a wage observation travels as one Array(String) [region, measure, basis, source, per,
--     frequency, date, amount] instead of eight columns;
--   - the long division binds each step once, as the argument of a nested arrayMap lambda;
--   - arrays reach a lambda as its arguments, never captured from a subquery: 18.16 drops from
--     a subquery a column that only a lambda reads (`Unknown identifier`, `Not found column`).
--
-- The shape. A UNION ALL grouped on the pairing key, as in 0006, and 18.16 pushes a filter into
-- every branch of it:
--   P  the month's incl_tax prices per litre of each (month, country, region, product,
--      currency): sum and count of the latest vintages, as 0006;
--   W  the wages in force, one row per month, price series key and wage observation. The
--      latest vintage of each wage observation with a monthly_amount and the country's price
--      keys (K: every (region, product) with incl_tax prices, its first and last month, from
--      fuel_price_keys) are grouped on (country, currency); there the
--      observations, sorted by series and date, get the month of their series' next one as
--      end (2100-01 for the newest); ARRAY JOIN of K gives one row per price key with the months
--      each observation in force there covers (its region the key's or '', months within both
--      its validity and the key's first..last), flattened into arrays that one ARRAY JOIN
--      expands.
-- Grouped on (month, country, currency, region, product), the group's price sum and count and
-- its wage observations; per wage measure and basis the observation to use is picked by
-- sorting them (arraySort) and keeping the first of each measure and basis; ARRAY JOIN of the
-- picks gives one row each. A filter on country or currency reaches P, K and the wages; one on
-- region or product reaches P and narrows W after K's ARRAY JOIN (K and the wages are read for
-- the whole country: a national wage applies to every region); one on month reaches P's date
-- range (toStartOfMonth is monotonic) and W after its expansion. Cost of a query for one
-- country: its prices, its rows of fuel_price_keys and its wages; for one series: that series,
-- the country's rows of fuel_price_keys (a few per price key) and its wages.
--
-- The rules (as 0005 and 0006). Litres of fuel one monthly wage buys, in local currency, one row
-- per (month, country, region, product, currency) with incl_tax prices and per wage measure and
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
-- 18.16 crashes on groupArray of a Decimal: price sums and wage amounts travel as text
-- (toString writes every digit) and are parsed back exactly by toDecimal128. Months are counted
-- as year × 12 + month. The ARRAY JOIN clause is used rather than arrayJoin(), so that a filter
-- pushed into a level applies after that level's expansion.
CREATE TABLE IF NOT EXISTS econ.fuel_price_keys (
    country String,
    currency String,
    region String,
    product String,
    first_month AggregateFunction(min, Date),
    last_month AggregateFunction(max, Date)
) ENGINE = AggregatingMergeTree
ORDER BY (country, currency, region, product);

CREATE MATERIALIZED VIEW IF NOT EXISTS econ.fuel_price_keys_mv TO econ.fuel_price_keys AS
SELECT country, currency, region, product,
       minState(toStartOfMonth(date)) AS first_month, maxState(toStartOfMonth(date)) AS last_month
FROM econ.fuel_prices_data
WHERE tax_basis = 'incl_tax'
GROUP BY country, currency, region, product;

INSERT INTO econ.fuel_price_keys
SELECT country, currency, region, product,
       minState(toStartOfMonth(date)) AS first_month, maxState(toStartOfMonth(date)) AS last_month
FROM econ.fuel_prices_data
WHERE tax_basis = 'incl_tax'
GROUP BY country, currency, region, product;

DROP TABLE IF EXISTS econ.fuel_affordability;

CREATE VIEW IF NOT EXISTS econ.fuel_affordability AS
SELECT month, country, region, product, _w_all[_w_i][2] AS wage_measure, _w_all[_w_i][3] AS wage_basis, currency,
       _w_all[_w_i][1] AS wage_region, toDecimal128(_w_all[_w_i][8], 18) AS monthly_wage,
       _p_sum / toDecimal128(_p_count, 0) AS avg_price_per_litre,
       arrayMap((w, s, c) ->
           arrayMap((n, s_ok) ->
               arrayMap(d ->
                   arrayMap(q0 ->
                       arrayMap(t1 ->
                           arrayMap(q1 ->
                               arrayMap(t2 ->
                                   arrayMap(t3 ->
                                       arrayMap(t4 ->
                                           arrayMap(i ->
                                               arrayMap(ok ->
                                                   if(ok, toDecimal128(if(ok, i, toDecimal128(0, 0)), 18)
                                                          + toDecimal128((t2 / d) * toDecimal128(10000000000, 0) + (t3 / d) * toDecimal128(100, 0) + t4 / d, 18)
                                                            / toDecimal128('1000000000000000000', 0), NULL),
                                               [s_ok AND c < 100000000 AND i < toDecimal128('100000000000000000000', 0)])[1],
                                           [n * if(q0 < toDecimal128('100000000000000000000', 0), q0, toDecimal128('100000000000000000000', 0)) + q1])[1],
                                       [(t3 - (t3 / d) * d) * toDecimal128(100, 0)])[1],
                                   [(t2 - (t2 / d) * d) * toDecimal128(100000000, 0)])[1],
                               [(t1 - q1 * d) * toDecimal128(100000000, 0)])[1],
                           [t1 / d])[1],
                       [(w - q0 * d) * n])[1],
                   [w / d])[1],
               [if(s_ok, s, toDecimal128(1, 0))])[1],
           [toDecimal128(if(c < 100000000, c, 1), 0)], [s > toDecimal128(0, 0) AND s < toDecimal128('1000000000000000000000000000000', 0)])[1],
       [toDecimal128(monthly_wage, 0) * toDecimal128('1000000000000000000', 0)
            + toDecimal128((monthly_wage - toDecimal128(toDecimal128(monthly_wage, 0), 18)) * toDecimal128('1000000000000000000', 0), 0)],
       [toDecimal128(_p_sum, 0) * toDecimal128('1000000000000000000', 0)
            + toDecimal128((_p_sum - toDecimal128(toDecimal128(_p_sum, 0), 18)) * toDecimal128('1000000000000000000', 0), 0)],
       [_p_count])[1] AS litres_per_monthly_wage
FROM
(
    SELECT month, country, currency, region, product,
           toDecimal128(anyIf(_text, _kind = 0), 18) AS _p_sum, sumIf(_count, _kind = 0) AS _p_count,
           groupArrayIf(_w, _kind = 1) AS _w_all,
           arrayFilter((j, k) -> k = 1 OR _w_all[j][2] != _w_all[_w_order[k - 1]][2] OR _w_all[j][3] != _w_all[_w_order[k - 1]][3],
                       arraySort((j, w) -> (w[2], w[3], w[1] != region, 0 - toInt64(toRelativeDayNum(toDate(w[7]))), w[4], w[5], w[6]),
                                 arrayEnumerate(_w_all), _w_all) AS _w_order,
                       arrayEnumerate(_w_order)) AS _w_picks
    FROM
    (
        SELECT toUInt8(0) AS _kind, month, country, currency, region, product,
               toString(sum(assumeNotNull(_p_litre))) AS _text, count() AS _count, emptyArrayString() AS _w
        FROM
        (
            SELECT toStartOfMonth(date) AS month, country, region, product, currency,
                   argMax(price_per_litre, (published_at, _version)) AS _p_litre
            FROM econ.fuel_prices_data
            WHERE tax_basis = 'incl_tax'
            GROUP BY country, region, product, tax_basis, currency, unit, source, frequency, date
        )
        WHERE _p_litre IS NOT NULL
        GROUP BY month, country, region, product, currency
        UNION ALL
        SELECT toUInt8(1) AS _kind, addMonths(toDate('1970-01-01'), _w_m - 23641) AS month, country, currency, region, product,
               '' AS _text, toUInt64(0) AS _count, _w
        FROM
        (
            SELECT country, currency, region, product,
                   arrayReduce('groupArrayArray',
                               arrayMap((lo, n) -> arrayMap(x -> lo + x, range(n)), arrayMap(f -> greatest(f, _k_from), _w_froms),
                                        arrayMap((w, f, u) -> toUInt64(if(w[1] = region OR w[1] = '', greatest(least(u, _k_until) - greatest(f, _k_from), 0), 0)),
                                                 _w_obs, _w_froms, _w_untils) AS _w_ns)) AS _f_months,
                   arrayReduce('groupArrayArray', arrayMap((w, n) -> arrayResize([w], n, w), _w_obs, _w_ns)) AS _f_obs
            FROM
            (
                SELECT country, currency,
                       groupArrayIf(_a, _kind = 0) AS _k_regions,
                       groupArrayIf(_b, _kind = 0) AS _k_products,
                       groupArrayIf(_from, _kind = 0) AS _k_froms,
                       groupArrayIf(_until, _kind = 0) AS _k_untils,
                       arraySort(w -> (w[1], w[2], w[3], w[4], w[5], w[6], w[7]), groupArrayIf(_w, _kind = 1)) AS _w_obs,
                       arrayMap(w -> toInt64(toYear(toDate(w[7])) * 12 + toMonth(toDate(w[7]))), _w_obs) AS _w_froms,
                       arrayMap((w, x) -> if(x[1] = w[1] AND x[2] = w[2] AND x[3] = w[3] AND x[4] = w[4] AND x[5] = w[5] AND x[6] = w[6],
                                             toInt64(toYear(toDate(x[7])) * 12 + toMonth(toDate(x[7]))), toInt64(2100 * 12 + 1)),
                                _w_obs, arrayResize(arrayPushBack(arrayPopFront(_w_obs), ['', '', '', '', '', '', '2100-01-01', '']), length(_w_obs))) AS _w_untils
                FROM
                (
                    SELECT toUInt8(0) AS _kind, country, currency, region AS _a, product AS _b, emptyArrayString() AS _w,
                           toInt64(toYear(minMerge(first_month)) * 12 + toMonth(minMerge(first_month))) AS _from,
                           toInt64(toYear(maxMerge(last_month)) * 12 + toMonth(maxMerge(last_month))) + 1 AS _until
                    FROM econ.fuel_price_keys
                    GROUP BY country, currency, region, product
                    UNION ALL
                    SELECT toUInt8(1) AS _kind, country, currency, '' AS _a, '' AS _b,
                           [region, measure, basis, source, per, frequency, toString(date),
                            toString(assumeNotNull(argMax(monthly_amount, (published_at, _version))))] AS _w,
                           toInt64(0) AS _from, toInt64(0) AS _until
                    FROM econ.wages_data
                    GROUP BY country, region, measure, basis, per, currency, source, frequency, date
                    HAVING argMax(monthly_amount, (published_at, _version)) IS NOT NULL
                )
                GROUP BY country, currency
            )
            ARRAY JOIN _k_regions AS region, _k_products AS product, _k_froms AS _k_from, _k_untils AS _k_until
        )
        ARRAY JOIN _f_months AS _w_m, _f_obs AS _w
    )
    GROUP BY month, country, currency, region, product
)
ARRAY JOIN _w_picks AS _w_i
WHERE _p_count > 0;
