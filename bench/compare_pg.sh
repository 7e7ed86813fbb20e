#!/usr/bin/env bash
# compare_pg.sh: vaultd against PostgreSQL 15 + pgcrypto doing the same jobs,
# in one run on the same machine, with a side-by-side table and ratios.
#
# Jobs (one op = one item; a 100-item batch call counts 100 ops):
#   tokenize            durable single-item tokenize, one item per call
#   tokenize_batch100   durable 100-item tokenize per call / per transaction
#   detokenize          one token per call, with an audit entry (vaultd:
#                       reveal masked, X-Purpose: support; PostgreSQL:
#                       pgp_sym_decrypt by token plus an audit row, one
#                       transaction)
#   subject_put         vaultd alone: PUT .../subjects/{id} with 3 fields
#   subject_read_masked vaultd alone: GET .../subjects/{id}?reveal=masked by a
#                       role whose max_reveal is masked
# Each job runs at every concurrency of CONCURRENCY (wrk connections /
# pgbench clients, kept open for the whole cell). The PostgreSQL peer is a
# throwaway cluster (initdb into a temporary folder, Unix socket only,
# fsync=on, synchronous_commit=on) driven by pgbench -M prepared with
# bench/pg_*.sql; it runs once with pgcrypto defaults and once with
# pgp_sym_encrypt/decrypt options 's2k-mode=1'. vaultd runs in --dev mode with
# its defaults (WAL fsync before answering) and is driven by wrk with
# bench/cmp_*.lua. The load generators run on the same machine as the servers.
#
# Figures per cell: ops/s and calls/s; p50/p99 latency per call (wrk's
# histogram; pgbench per-transaction logs, -l); server CPU seconds per 1,000
# ops (vaultd: utime+stime delta from /proc/PID/stat; PostgreSQL: delta of
# utime+stime+cutime+cstime of the postmaster plus utime+stime+cutime+cstime
# of its live children, read after the cell's backends have exited, so
# exited backends are counted through the postmaster's cutime/cstime); peak
# memory (vaultd: VmHWM, reset before each cell through clear_refs, or,
# when that is refused (non-root: vaultd is not dumpable), the highest VmRSS
# sampled every 0.5 s; PostgreSQL: highest sum of Pss, from smaps_rollup,
# over the postmaster and all its children, sampled every 0.5 s).
#
# Usage: bash bench/compare_pg.sh
#   Environment (all optional):
#     VAULTD=./build/api/vaultd   server binary
#     DURATION=10                 seconds per cell
#     CONCURRENCY="1 16 64"       concurrencies to run
#     READ_SET=10000              tokens issued beforehand for detokenize
#     SUBJECTS=1000               subjects stored beforehand for masked read
#     PG_BIN=/usr/lib/postgresql/15/bin   PostgreSQL 15 binaries
#     PG_PORT=5432                port number of the cluster's Unix socket
#     PG_OS_USER=postgres         OS user for the cluster when run as root
#     KEEP_WORK=1                 keep the temporary folders (for debugging)
#     VAULTD_ARGS=""              more vaultd arguments (e.g. --block-cache-mib 512)
# Requires: a built vaultd, wrk, curl, awk, PostgreSQL 15 server binaries
# with the pgcrypto extension, Linux /proc (children lists, smaps_rollup).
# When run as root, the cluster runs as PG_OS_USER (initdb refuses root),
# through runuser (or su). The shared functions are in bench/cmp_lib.sh;
# bench/compare_all.sh reruns this comparison with the in-process figures,
# ratios and a fixed-rate load.
set -euo pipefail
cd "$(dirname "$0")/.."
CMP_NAME=compare_pg.sh
# shellcheck source=bench/cmp_lib.sh
source bench/cmp_lib.sh
cmp_check
cmp_init ""  # results in the temporary folder

# ============================== vaultd ======================================
cmp_start_vaultd
cmp_vaultd_read_sets
echo "== vaultd cells (${DURATION}s each; concurrency: $CONCURRENCY)"
for c in $CONCURRENCY; do run_wrk_cell tokenize "$c" cmp_tokenize.lua 1 VAULT_KEY="$TOKENIZER"; done
for c in $CONCURRENCY; do run_wrk_cell tokenize_batch100 "$c" cmp_tokenize_batch.lua 100 VAULT_KEY="$TOKENIZER"; done
for c in $CONCURRENCY; do
  run_wrk_cell detokenize "$c" cmp_detokenize.lua 1 VAULT_KEY="$SUPPORT" VAULT_TOKENS="$WORK/tokens"
done
for c in $CONCURRENCY; do run_wrk_cell subject_put "$c" cmp_subject_put.lua 1 VAULT_KEY="$WRITER"; done
for c in $CONCURRENCY; do
  run_wrk_cell subject_read_masked "$c" cmp_subject_read.lua 1 VAULT_KEY="$READER" VAULT_SUBJECTS="$SUBJECTS"
done
cmp_stop_vaultd

# ============================ PostgreSQL ====================================
cmp_start_pg
for mode in pgd pgs; do
  cmp_pg_prepare "$mode"
  echo "== PostgreSQL cells, $LABEL (${DURATION}s each; concurrency: $CONCURRENCY); stored $READ_SET read-set tokens"
  for c in $CONCURRENCY; do run_pgbench_cell "$mode" "$OPTS" tokenize "$c" pg_tokenize.sql 1; done
  for c in $CONCURRENCY; do run_pgbench_cell "$mode" "$OPTS" tokenize_batch100 "$c" pg_tokenize_batch.sql 100; done
  for c in $CONCURRENCY; do run_pgbench_cell "$mode" "$OPTS" detokenize "$c" pg_detokenize.sql 1; done
done

# ============================== report ======================================
CPU_MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo
echo "## vaultd vs PostgreSQL $PG_VERSION + pgcrypto $PGCRYPTO_VERSION"
echo
echo "- machine: $NCPU cores${CPU_MODEL:+ ($CPU_MODEL)}, $(uname -sr), load average at start $LOAD_AT_START; the load generators (wrk, pgbench) run on the same machine as the server and share its $NCPU cores"
echo "- vaultd ${VAULTD_VERSION:-?} (--dev, defaults: WAL fsync before answering), HTTP/1.1 keep-alive over loopback TCP, wrk -t min(2,c)"
echo "- PostgreSQL: throwaway cluster, Unix socket, $PG_SETTINGS; pgbench -M prepared -j min(2,c), connections kept for the whole cell"
echo "- ${DURATION}s per cell; one op = one item (a 100-item batch call = 100 ops); latency per call (HTTP request / transaction)"
echo "- CPU s/1k ops = server CPU seconds per 1,000 ops; vaultd: utime+stime of its process; PostgreSQL: postmaster utime+stime+cutime+cstime plus its live children's, read after the backends exited (all cluster processes, backends included)"
echo "- peak MiB: vaultd $HWM_NOTE; PostgreSQL highest sum of Pss over the postmaster and its children, sampled every 0.5 s (shared memory counted once)"
echo "- pg default = pgcrypto defaults; pg s2k1 = pgp_sym_encrypt/decrypt options 's2k-mode=1'; ratios are vaultd ops/s over PostgreSQL ops/s"
echo "- errors: HTTP answers other than 200 and socket errors (vaultd); failed transactions and aborted clients (pgbench); a cell with errors is marked ERR"
echo
awk -F'\t' -v clk="$CLK_TCK" -v jobs="tokenize tokenize_batch100 detokenize subject_put subject_read_masked" \
    -v concs="$CONCURRENCY" '
  { k = $1 SUBSEP $2 SUBSEP $3; seen[k] = 1; calls[k] = $4; cps[k] = $5; p50[k] = $6; p99[k] = $7
    err[k] = $8; cpu[k] = $9; mem[k] = $10; items[k] = $11 }
  function has(s, j, c) { return ((s SUBSEP j SUBSEP c) in seen) }
  function ops(s, j, c,   k) { k = s SUBSEP j SUBSEP c; return cps[k] * items[k] }
  function flag(s, j, c) { return err[s SUBSEP j SUBSEP c] > 0 ? " ERR" : "" }
  function opsf(s, j, c) { return has(s, j, c) ? sprintf("%.0f%s", ops(s, j, c), flag(s, j, c)) : "–" }
  function callsf(s, j, c) { return has(s, j, c) ? sprintf("%.1f", cps[s SUBSEP j SUBSEP c]) : "–" }
  function latf(s, j, c,   k) { k = s SUBSEP j SUBSEP c
    return has(s, j, c) ? sprintf("%.2f/%.2f", p50[k] / 1000, p99[k] / 1000) : "–" }
  function cpuf(s, j, c,   k, n) { k = s SUBSEP j SUBSEP c; n = calls[k] * items[k]
    return (has(s, j, c) && n > 0) ? sprintf("%.3f", cpu[k] / clk / n * 1000) : "–" }
  function memf(s, j, c) { return has(s, j, c) ? sprintf("%.0f", mem[s SUBSEP j SUBSEP c] / 1024) : "–" }
  function errf(s, j, c) { return has(s, j, c) ? err[s SUBSEP j SUBSEP c] : "–" }
  function ratio(j, c, s) {
    if (!has("vaultd", j, c) || !has(s, j, c) || ops(s, j, c) <= 0) return -1
    return ops("vaultd", j, c) / ops(s, j, c) }
  function ratiof(r) { return r < 0 ? "–" : sprintf("%.1f×", r) }
  END {
    nj = split(jobs, J, " "); nc = split(concs, C, " ")
    print "| job | conc | vaultd ops/s | pg default ops/s | pg s2k1 ops/s | ratio vs default | ratio vs s2k1 | calls/s v / pg default / pg s2k1 | p50/p99 ms vaultd | p50/p99 ms pg default | p50/p99 ms pg s2k1 | CPU s/1k ops v / pg default / pg s2k1 | peak MiB v / pg default / pg s2k1 | errors v / pg default / pg s2k1 |"
    print "|---|---:|---:|---:|---:|---:|---:|---|---|---|---|---|---|---|"
    for (a = 1; a <= nj; a++) for (b = 1; b <= nc; b++) {
      j = J[a]; c = C[b]
      printf "| %s | %s | %s | %s | %s | %s | %s | %s / %s / %s | %s | %s | %s | %s / %s / %s | %s / %s / %s | %s / %s / %s |\n",
        j, c, opsf("vaultd", j, c), opsf("pgd", j, c), opsf("pgs", j, c),
        ratiof(ratio(j, c, "pgd")), ratiof(ratio(j, c, "pgs")),
        callsf("vaultd", j, c), callsf("pgd", j, c), callsf("pgs", j, c),
        latf("vaultd", j, c), latf("pgd", j, c), latf("pgs", j, c),
        cpuf("vaultd", j, c), cpuf("pgd", j, c), cpuf("pgs", j, c),
        memf("vaultd", j, c), memf("pgd", j, c), memf("pgs", j, c),
        errf("vaultd", j, c), errf("pgd", j, c), errf("pgs", j, c)
    }
    print ""
    print "Targets: vaultd >= 8x PostgreSQL with pgcrypto defaults and >= 3x with s2k-mode=1, at every concurrency:"
    for (a = 1; a <= nj; a++) {
      j = J[a]
      if (!has("pgd", j, C[1]) && !has("pgs", j, C[1])) { printf "- %s: vaultd alone (no PostgreSQL peer)\n", j; continue }
      line = "- " j ":"
      for (t = 1; t <= 2; t++) {
        s = (t == 1) ? "pgd" : "pgs"; want = (t == 1) ? 8 : 3
        name = (t == 1) ? "PG defaults" : "PG s2k-mode=1"
        ok = 1; low = -1; lowc = ""; errs = ""
        for (b = 1; b <= nc; b++) {
          c = C[b]; r = ratio(j, c, s)
          if (r < 0) { ok = 0; continue }
          if (low < 0 || r < low) { low = r; lowc = c }
          if (r < want) ok = 0
          if (err["vaultd" SUBSEP j SUBSEP c] > 0 || err[s SUBSEP j SUBSEP c] > 0) errs = errs " c=" c
        }
        verdict = ok ? "MET" : "NOT MET"
        if (errs != "") verdict = verdict " (UNRELIABLE: errors at" errs ")"
        line = line sprintf(" >= %dx %s: %s (%s);", want, name, verdict,
                             low < 0 ? "no data" : "lowest " ratiof(low) " at c=" lowc)
      }
      print substr(line, 1, length(line) - 1)
    }
  }' "$RESULTS"
