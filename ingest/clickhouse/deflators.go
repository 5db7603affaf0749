package clickhouse

import (
	"context"
	"fmt"
	"time"
)

// Deflator is a country's consumer price index for the real-terms views (econ.deflators): the
// series of econ.indicators (Source, Series) and the month whose prices real values are in.
type Deflator struct {
	Country   string
	Source    string
	Series    string
	BaseMonth time.Time // first day of the month
	UpdatedAt time.Time
}

// SetDeflator makes d the deflator of d.Country from now on (a row with a greater _version).
func (s *Store) SetDeflator(ctx context.Context, d Deflator) error {
	return s.writeDeflator(ctx, d, 1)
}

// UnsetDeflator leaves country without a deflator: its real values become pending.
func (s *Store) UnsetDeflator(ctx context.Context, country string) error {
	return s.writeDeflator(ctx, Deflator{Country: country, BaseMonth: time.Unix(0, 0).UTC()}, 0)
}

func (s *Store) writeDeflator(ctx context.Context, d Deflator, active uint8) error {
	now := time.Now().UTC()
	b, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+s.db+".deflators (country, source, series, base_month, active, updated_at, _version)")
	if err != nil {
		return fmt.Errorf("deflator %s: %w", d.Country, err)
	}
	if err := b.Append(d.Country, d.Source, d.Series, d.BaseMonth, active, now.Truncate(time.Second), uint64(now.UnixNano())); err != nil {
		return fmt.Errorf("deflator %s: %w", d.Country, err)
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("deflator %s: %w", d.Country, err)
	}
	return nil
}

// Deflators returns the deflators in force, by country.
func (s *Store) Deflators(ctx context.Context) ([]Deflator, error) {
	rows, err := s.conn.Query(ctx, "SELECT country, source, series, base_month, updated_at FROM (SELECT country, "+
		"argMax(source, _version) AS source, argMax(series, _version) AS series, argMax(base_month, _version) AS base_month, "+
		"argMax(updated_at, _version) AS updated_at, argMax(active, _version) AS active FROM "+s.db+".deflators GROUP BY country) "+
		"WHERE active = 1 ORDER BY country")
	if err != nil {
		return nil, fmt.Errorf("read deflators: %w", err)
	}
	defer rows.Close()
	var out []Deflator
	for rows.Next() {
		var d Deflator
		if err := rows.Scan(&d.Country, &d.Source, &d.Series, &d.BaseMonth, &d.UpdatedAt); err != nil {
			return nil, fmt.Errorf("read deflators: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
