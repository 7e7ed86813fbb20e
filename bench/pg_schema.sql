-- PostgreSQL side of bench/compare_pg.sh: schema (run once with psql).
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE TABLE tokens (
  token      text PRIMARY KEY,
  type       text NOT NULL,
  value      bytea NOT NULL,          -- pgp_sym_encrypt(value, key, options)
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE audit (
  seq        bigserial PRIMARY KEY,
  at         timestamptz NOT NULL DEFAULT now(),
  principal  text NOT NULL,
  action     text NOT NULL,
  token      text NOT NULL,
  purpose    text,
  outcome    text NOT NULL
);
