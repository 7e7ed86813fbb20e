-- PostgreSQL side of bench/compare_pg.sh: reset the tables and store the
-- read set for detokenize, encrypted like the run's tokenize cells. psql
-- variables: key; with_opts (0: pgcrypto defaults, 1: pass opts as the
-- options argument); opts; readset (number of tokens).
-- Read-set tokens are md5('r' || n): 32 hex characters like the random
-- tokens, so the pgbench script can name one without a client-side list.
TRUNCATE tokens, audit;
\if :with_opts
INSERT INTO tokens (token, type, value)
SELECT md5('r' || n::text), 'phone',
       pgp_sym_encrypt('+86138' || lpad(n::text, 8, '0'), :'key', :'opts')
FROM generate_series(1, :readset) AS n;
\else
INSERT INTO tokens (token, type, value)
SELECT md5('r' || n::text), 'phone',
       pgp_sym_encrypt('+86138' || lpad(n::text, 8, '0'), :'key')
FROM generate_series(1, :readset) AS n;
\endif
VACUUM ANALYZE tokens;
VACUUM ANALYZE audit;
CHECKPOINT;
