-- pgbench script (bench/compare_pg.sh): one audited single-token detokenize
-- per transaction: decrypt the value of a token of the read set and insert an
-- audit row, in one transaction.
-- Variables (-D): key; with_opts (0: pgcrypto defaults, the two-argument
-- call; 1: pass opts as the options argument); opts; readset.
\set id random(1, :readset)
BEGIN;
\if :with_opts
SELECT token, type, pgp_sym_decrypt(value, :key::text, :opts::text) AS value
FROM tokens WHERE token = md5('r' || :id::text);
\else
SELECT token, type, pgp_sym_decrypt(value, :key::text) AS value
FROM tokens WHERE token = md5('r' || :id::text);
\endif
INSERT INTO audit (principal, action, token, purpose, outcome)
VALUES ('support', 'detokenize', md5('r' || :id::text), 'support', 'allowed');
END;
