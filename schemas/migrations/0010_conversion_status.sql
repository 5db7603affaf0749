-- Staleness of the conversions in SQL (docs/contract.md §5): per kind and country, how many
-- stored vintages wait for a rate (fx_status 'pending') and when a conversion was last written.
--
-- One row per kind and country with stored observations that need a rate (fuel prices, wages,
-- and indicators in a currency):
--   vintages         the stored vintages (one per identity and published_at, as *_history);
--   pending          those whose conversion waits for a rate;
--   converted        those converted;
--   last_conversion  when the latest conversion of a converted vintage was written (its
--                    ingested_at: the consumer's or the reconciler's write), 1970-01-01 00:00:00
--                    when none is converted;
--   last_write       when any of these vintages was last written.
-- Like the views of 0005, each branch groups a *_data table by its sorting key and takes the
-- latest write's values with argMax, so a filter on country reaches the primary key.
CREATE VIEW IF NOT EXISTS econ.conversion_status AS
SELECT kind, country, count() AS vintages, countIf(_fx_status = 'pending') AS pending,
       countIf(_fx_status = 'converted') AS converted,
       maxIf(_ingested_at, _fx_status = 'converted') AS last_conversion, max(_ingested_at) AS last_write
FROM
(
    SELECT 'fuel_price' AS kind, country,
           argMax(fx_status, _version) AS _fx_status, argMax(ingested_at, _version) AS _ingested_at
    FROM econ.fuel_prices_data
    GROUP BY country, region, product, tax_basis, currency, unit, source, frequency, date, published_at
    UNION ALL
    SELECT 'wage' AS kind, country,
           argMax(fx_status, _version) AS _fx_status, argMax(ingested_at, _version) AS _ingested_at
    FROM econ.wages_data
    GROUP BY country, region, measure, basis, per, currency, source, frequency, date, published_at
    UNION ALL
    SELECT 'indicator' AS kind, country,
           argMax(fx_status, _version) AS _fx_status, argMax(ingested_at, _version) AS _ingested_at
    FROM econ.indicators_data
    WHERE unit = 'currency'
    GROUP BY country, series, region, measure, unit, currency, base_period, adjustment, source, frequency, date, published_at
)
GROUP BY kind, country;
