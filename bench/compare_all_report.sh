# shellcheck shell=bash
# compare_all_report.sh: the tables of bench/compare_all.sh (sourced by it
# after the run). Reads $RESULTS (cells.tsv), $OUT/inprocess.tsv and
# $OUT/fixed.tsv; write_tables writes throughput.tsv, ratios.tsv and
# meta.txt, report prints the Markdown summary.
set -euo pipefail

write_tables() {
  {
    printf 'system\tjob\tconc\tops_per_s\tcalls_per_s\tp50_us\tp99_us\terrors\n'
    awk -F'\t' '{ printf "%s\t%s\t%s\t%.1f\t%.1f\t%s\t%s\t%s\n", $1, $2, $3, $5 * $11, $5, $6, $7, $8 }' "$RESULTS"
  } >"$OUT/throughput.tsv"
  awk -F'\t' -v modes="$PG_MODES" '
    FILENAME == ARGV[1] { if ($3 > best[$1]) best[$1] = $3; next }
    { k = $1 SUBSEP $2 SUBSEP $3; ops[k] = $5 * $11; calls[k] = $5; seen[$2 SUBSEP $3] = 1 }
    END {
      print "job\tconc\tvaultd_ops\tpg_mode\tpg_ops\tratio_pg\thttp_calls\tinprocess_best\tratio_inprocess"
      inproc["tokenize"] = best["BM_TokenizeSingle"]; inproc["detokenize"] = best["BM_DetokenizeAuditedSingle"]
      n = split(modes, M, " ")
      for (jc in seen) {
        split(jc, p, SUBSEP); j = p[1]; c = p[2]; v = ops["vaultd" SUBSEP j SUBSEP c]
        ip = (j in inproc) ? inproc[j] : 0
        for (m = 1; m <= n; m++) {
          pg = ops[M[m] SUBSEP j SUBSEP c]
          printf "%s\t%s\t%.1f\t%s\t%.1f\t%s\t%.1f\t%.0f\t%s\n", j, c, v, M[m], pg,
            (pg > 0 ? sprintf("%.3f", v / pg) : ""), calls["vaultd" SUBSEP j SUBSEP c], ip,
            (ip > 0 ? sprintf("%.3f", calls["vaultd" SUBSEP j SUBSEP c] / ip) : "")
        }
      }
    }' "$OUT/inprocess.tsv" "$RESULTS" | { IFS= read -r h; echo "$h"; sort -t$'\t' -k1,1 -k2,2n; } >"$OUT/ratios.tsv"
  {
    echo "date: $(date -u +%FT%TZ)"
    echo "machine: $NCPU cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(uname -sr)"
    echo "load average at start: $LOAD_AT_START; at end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "vaultd: ${VAULTD_VERSION:-?} ($VAULTD --dev $VAULTD_ARGS)"
    echo "postgresql: ${PG_VERSION:-not run}, pgcrypto ${PGCRYPTO_VERSION:-?}; ${PG_SETTINGS:-}"
    echo "settings: DURATION=$DURATION CONCURRENCY=\"$CONCURRENCY\" PG_MODES=\"$PG_MODES\" READ_SET=$READ_SET"
    echo "fixed: FIXED_SECONDS=$FIXED_SECONDS FIXED_CONNECTIONS=$FIXED_CONNECTIONS FIXED_FRACTIONS=\"$FIXED_FRACTIONS\""
    echo "in process: $VAULT_BENCH --benchmark_min_time=$INPROCESS_MIN_TIME"
  } >"$OUT/meta.txt"
}

report_throughput() {  # vaultd against PostgreSQL, per job and concurrency
  echo "### Throughput (ops/s; one op = one item), vaultd / PostgreSQL"
  echo
  echo "| job | conc | vaultd ops/s | vaultd p50/p99 ms | PostgreSQL mode | PostgreSQL ops/s | PostgreSQL p50/p99 ms | ratio | errors v/pg |"
  echo "|---|---:|---:|---|---|---:|---|---:|---|"
  awk -F'\t' -v modes="$PG_MODES" -v jobs="$JOBS" -v concs="$CONCURRENCY" '
    { k = $1 SUBSEP $2 SUBSEP $3; seen[k] = 1; ops[k] = $5 * $11; p50[k] = $6; p99[k] = $7; err[k] = $8 }
    function lat(k) { return (k in seen) ? sprintf("%.2f/%.2f", p50[k] / 1000, p99[k] / 1000) : "–" }
    END {
      nj = split(jobs, J, " "); nc = split(concs, C, " "); nm = split(modes, M, " ")
      if (nm == 0) { nm = 1; M[1] = "–" }
      for (a = 1; a <= nj; a++) for (b = 1; b <= nc; b++) for (m = 1; m <= nm; m++) {
        v = "vaultd" SUBSEP J[a] SUBSEP C[b]; g = M[m] SUBSEP J[a] SUBSEP C[b]
        r = ((v in seen) && (g in seen) && ops[g] > 0) ? sprintf("%.2f×", ops[v] / ops[g]) : "–"
        printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s/%s |\n", J[a], C[b],
          (v in seen) ? sprintf("%.0f", ops[v]) : "–", lat(v), M[m],
          (g in seen) ? sprintf("%.0f", ops[g]) : "–", lat(g), r,
          (v in seen) ? err[v] : "–", (g in seen) ? err[g] : "–"
      }
    }' "$RESULTS"
}

report_inprocess() {  # HTTP calls/s against the best in-process figure
  echo "### HTTP against in process (same run)"
  echo
  echo "| benchmark | threads | items/s |"
  echo "|---|---:|---:|"
  awk -F'\t' '{ printf "| %s | %s | %.0f |\n", $1, $2, $3 }' "$OUT/inprocess.tsv"
  echo
  echo "| job | conc | HTTP calls/s | in process (best) | HTTP / in process |"
  echo "|---|---:|---:|---:|---:|"
  awk -F'\t' 'NR > 1 && $8 > 0 && !seen[$1 SUBSEP $2]++ {
    printf "| %s | %s | %.0f | %.0f | %.2f |\n", $1, $2, $7, $8, $9 }' "$OUT/ratios.tsv"
}

report_fixed() {
  echo "### Fixed rate (open loop, $FIXED_CONNECTIONS connections, latency from the scheduled send time)"
  echo
  echo "| job | fraction of wrk best | rate/s | answered/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | errors | unfinished |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  awk -F'\t' 'NR > 1 { printf "| %s | %s | %s | %.0f | %.2f | %.2f | %.2f | %.2f | %.2f | %s | %s |\n",
    $1, $2, $3, $8, $9 / 1000, $10 / 1000, $11 / 1000, $12 / 1000, $13 / 1000, $6, $7 }' "$OUT/fixed.tsv"
}

report_targets() {  # issue 14's targets, MET / NOT MET from this run's figures
  echo "### Targets (issue 14)"
  echo
  awk -F'\t' 'NR > 1 && $4 == "pgs" && ($2 == 16 || $2 == 64) {
      ok = ($6 != "" && $6 >= 3); printf "- %s c=%s: vaultd / PostgreSQL s2k-mode=1 = %s (>= 3x): %s\n",
        $1, $2, ($6 == "" ? "–" : sprintf("%.2f", $6)), (ok ? "MET" : "NOT MET") }' "$OUT/ratios.tsv"
  awk -F'\t' 'NR > 1 && $9 != "" { if ($9 > best[$1]) best[$1] = $9 }
    END { for (j in best) printf "- %s: best HTTP / in process = %.2f (>= 0.5): %s\n", j, best[j],
            (best[j] >= 0.5 ? "MET" : "NOT MET") }' "$OUT/ratios.tsv"
  awk -F'\t' 'NR > 1 && $2 == 0.5 { printf "- %s at half of wrk best (%s/s): p99 %.2f ms (< 5 ms): %s\n",
    $1, $3, $11 / 1000, ($11 < 5000 && $6 == 0 && $7 == 0) ? "MET" : "NOT MET" }' "$OUT/fixed.tsv"
  awk -F'\t' '{ if ($3 > b[$1]) b[$1] = $3 }
    END { if (b["BM_DetokenizeSingle"] > 0) printf "- audited / unaudited detokenize in process = %.2f (>= 0.5): %s\n",
            b["BM_DetokenizeAuditedSingle"] / b["BM_DetokenizeSingle"],
            (b["BM_DetokenizeAuditedSingle"] >= 0.5 * b["BM_DetokenizeSingle"] ? "MET" : "NOT MET") }' "$OUT/inprocess.tsv"
}

report() {
  echo
  echo "## compare_all.sh, $(date -u +%F)"
  echo
  sed 's/^/- /' "$OUT/meta.txt"
  echo
  report_throughput
  echo
  [ -s "$OUT/inprocess.tsv" ] && { report_inprocess; echo; }
  [ "$(wc -l <"$OUT/fixed.tsv")" -gt 1 ] && { report_fixed; echo; }
  report_targets
}
