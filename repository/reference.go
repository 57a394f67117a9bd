package repository

import (
	"context"
	"strings"

	"takaffoul/domain"
)

// Regions lists the 12 regions of Morocco.
func (s *Store) Regions(ctx context.Context) (_ []domain.Region, err error) {
	defer wrap(&err, "Regions")
	rs := []domain.Region{}
	const q = `SELECT id, code, name_ar, name_fr, name_en FROM regions ORDER BY id`
	return rs, mapError(s.db.SelectContext(ctx, &rs, q))
}

// CreateProvince adds a province or prefecture.
func (s *Store) CreateProvince(ctx context.Context, p *domain.Province) (err error) {
	defer wrap(&err, "CreateProvince")
	p.Code = strings.ToLower(strings.TrimSpace(p.Code))
	if err := domain.ValidateProvince(p); err != nil {
		return err
	}
	const q = `INSERT INTO provinces (region_id, code, name_ar, name_fr) VALUES ($1, $2, $3, $4) RETURNING id`
	return getOne(ctx, s.db, &p.ID, q, p.RegionID, p.Code, p.NameAr, p.NameFr)
}

// Provinces lists every province, by region then French name.
func (s *Store) Provinces(ctx context.Context) (_ []domain.Province, err error) {
	defer wrap(&err, "Provinces")
	ps := []domain.Province{}
	const q = `SELECT id, region_id, code, name_ar, name_fr FROM provinces ORDER BY region_id, name_fr`
	return ps, mapError(s.db.SelectContext(ctx, &ps, q))
}

// ProvinceByCode finds a province by its code.
func (s *Store) ProvinceByCode(ctx context.Context, code string) (_ *domain.Province, err error) {
	defer wrap(&err, "ProvinceByCode")
	var p domain.Province
	const q = `SELECT id, region_id, code, name_ar, name_fr FROM provinces WHERE code = $1`
	if err := getOne(ctx, s.db, &p, q, strings.ToLower(strings.TrimSpace(code))); err != nil {
		return nil, err
	}
	return &p, nil
}
