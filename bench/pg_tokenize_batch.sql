-- pgbench script (bench/compare_pg.sh): one durable 100-item tokenize per
-- transaction (a single INSERT ... SELECT of 100 rows, autocommit).
-- Variables (-D): key; with_opts (0: pgcrypto defaults, the two-argument
-- call; 1: pass opts as the options argument); opts.
\set n random(0, 89999899)
\if :with_opts
INSERT INTO tokens (token, type, value)
SELECT encode(gen_random_bytes(16), 'hex'), 'phone',
       pgp_sym_encrypt('+86137' || lpad((:n + i)::text, 8, '0'), :key::text, :opts::text)
FROM generate_series(1, 100) AS i
RETURNING token;
\else
INSERT INTO tokens (token, type, value)
SELECT encode(gen_random_bytes(16), 'hex'), 'phone',
       pgp_sym_encrypt('+86137' || lpad((:n + i)::text, 8, '0'), :key::text)
FROM generate_series(1, 100) AS i
RETURNING token;
\endif
