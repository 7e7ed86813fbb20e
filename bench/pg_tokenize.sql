-- pgbench script (bench/compare_pg.sh): one durable single-item tokenize per
-- transaction: a random token and the pgcrypto-encrypted value.
-- Variables (-D): key; with_opts (0: pgcrypto defaults, the two-argument
-- call; 1: pass opts as the options argument); opts.
\set n random(0, 89999999)
\if :with_opts
INSERT INTO tokens (token, type, value)
VALUES (encode(gen_random_bytes(16), 'hex'), 'phone',
        pgp_sym_encrypt('+86139' || lpad(:n::text, 8, '0'), :key::text, :opts::text))
RETURNING token;
\else
INSERT INTO tokens (token, type, value)
VALUES (encode(gen_random_bytes(16), 'hex'), 'phone',
        pgp_sym_encrypt('+86139' || lpad(:n::text, 8, '0'), :key::text))
RETURNING token;
\endif
