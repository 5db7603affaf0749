-- Aggregates for dashboards, computed from the latest vintages only.
-- Monthly fuel prices in EUR per litre. Rows whose conversion is pending count as observations
-- but do not enter the averages (their price_per_litre_eur is NULL).
CREATE VIEW IF NOT EXISTS econ.fuel_prices_monthly AS
SELECT toStartOfMonth(date) AS month, country, region, product, tax_basis,
       count() AS observations,
       avg(price_per_litre_eur) AS avg_price_per_litre_eur,
       min(price_per_litre_eur) AS min_price_per_litre_eur,
       max(price_per_litre_eur) AS max_price_per_litre_eur
FROM econ.fuel_prices
GROUP BY month, country, region, product, tax_basis;

-- Litres of fuel one monthly wage buys, in local currency: the month's average monthly wage
-- divided by the month's average incl_tax price per litre in the same currency. A regional wage
-- is used where one exists, else the national one. The divisor is cast to Decimal(38, 12), which
-- keeps the ratio exact to well past 6 fractional digits and avoids ClickHouse's Decimal
-- overflow on Decimal(38,18) / Decimal(38,18); the division truncates.
CREATE VIEW IF NOT EXISTS econ.fuel_affordability AS
SELECT month, country, region, product, wage_measure, wage_basis, currency,
       argMax(w_region, w_region = region) AS wage_region,
       argMax(w_amount, w_region = region) AS monthly_wage,
       any(p_avg) AS avg_price_per_litre,
       argMax(w_amount, w_region = region) / toDecimal128(any(p_avg), 12) AS litres_per_monthly_wage
FROM
(
    SELECT month, country, region, product, currency, p_avg,
           w_region, wage_measure, wage_basis, w_amount
    FROM
    (
        SELECT toStartOfMonth(date) AS month, country, region, product, currency,
               avg(assumeNotNull(price_per_litre)) AS p_avg
        FROM econ.fuel_prices
        WHERE tax_basis = 'incl_tax' AND price_per_litre IS NOT NULL
        GROUP BY month, country, region, product, currency
    ) AS p
    ALL INNER JOIN
    (
        SELECT toStartOfMonth(date) AS month, country, currency, region AS w_region,
               measure AS wage_measure, basis AS wage_basis,
               avg(assumeNotNull(monthly_amount)) AS w_amount
        FROM econ.wages
        WHERE monthly_amount IS NOT NULL
        GROUP BY month, country, currency, w_region, wage_measure, wage_basis
    ) AS w USING (month, country, currency)
    WHERE w_region = region OR w_region = ''
)
GROUP BY month, country, region, product, wage_measure, wage_basis, currency;
