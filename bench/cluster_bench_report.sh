# shellcheck shell=bash
# shellcheck disable=SC2016  # awk programs in single quotes
# cluster_bench_report.sh: the report of bench/cluster_bench.sh (sourced, not
# run): cb_report prints the run's settings and Markdown tables of the
# cells in $CELLS. Uses the variables cluster_bench.sh and bench/cmp_lib.sh set.

CB_JOBNAME='
    function jobname(j) {
      if (j == "tokenize_batch100") return "batch of 100"
      if (j == "detokenize") return "detokenize + audit"
      return j }'

cb_meta() {  # the run's machine, versions and settings, one "- " line each
  local model cores mem commit
  model=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)
  cores=$(getconf _NPROCESSORS_ONLN)
  mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
  commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
  git diff --quiet HEAD 2>/dev/null || commit="$commit (with uncommitted changes)"
  echo "- machine: ${model:-unknown CPU}, $cores cores, $mem RAM, $(uname -sr); load average at start $LOAD_AT_START"
  echo "- run: $START_UTC to $(date -u '+%H:%M:%S UTC'), commit $commit, vaultd ${VAULTD_VERSION:-?}"
  echo "- PostgreSQL $PG_VERSION (throwaway cluster, Unix socket), pgcrypto $PGCRYPTO_VERSION: $PG_SETTINGS"
  echo "- ${DURATION}s per cell; connections (total over the nodes): $CONCURRENCY; node counts: $NODES; one wrk per node (-t2 with one node, -t1 each with several)"
  echo "- the load generators run on the same $cores cores as vaultd and PostgreSQL: adding nodes adds processes, not cores"
}

cb_table() {  # the cells of $CELLS as one Markdown table
  awk -F'\t' -v clk="$CLK_TCK" 'NR == 1 { next }
    function name(s) {
      if (s == "rocksdb") return "vaultd, RocksDB"
      if (s == "postgres") return "vaultd, PostgreSQL"
      if (s == "pgs") return "PG + pgcrypto s2k-mode=1"
      if (s == "pgd") return "PG + pgcrypto defaults"
      return s }
    function per(x) { return ($5 > 0) ? sprintf("%.3f", x / clk / $5 * 1000) : "–" }
    BEGIN {
      print "| system | nodes | job | conn | req/s | items/s | p99 ms | vaultd CPU ms/req | postgres CPU ms/req | machine busy % | errors |"
      print "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|" }
    { printf "| %s | %s | %s | %s | %.0f | %.0f | %.2f | %s | %s | %s | %s |\n",
        name($1), ($2 == "-" ? "–" : $2), jobname($3), $4, $6, $6 * $11, $7 / 1000,
        ($1 ~ /^pg/ ? "–" : per($9)), per($10), ($12 == "-" ? "–" : $12), $8 }
    '"$CB_JOBNAME" "$CELLS"
}

cb_sql_table() {  # vaultd on PostgreSQL: what each call costs the database
  awk -F'\t' 'NR == 1 || $1 != "postgres" { next }
    function ratio(x) { return ($5 > 0 && x != "-") ? sprintf("%.2f", x / $5) : "–" }
    function ms(x) { return ($5 > 0 && x != "-") ? sprintf("%.3f", x / $5) : "–" }
    BEGIN {
      print "| nodes | job | conn | generation reads/req (SQL) | vaultd_cluster_sync_reads/req | cache drops | group commits/req | transactions/req | SQL statements/req | wait for the audit head lock, ms/req |"
      print "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|" }
    { printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $2, jobname($3), $4, ratio($13),
        ($15 == "-" ? "not exposed" : ratio($15)), ($18 == "-" ? "not exposed" : $18),
        ($19 == "-" ? "not exposed" : ratio($19)), ratio($16), ratio($14), ms($17) }
    '"$CB_JOBNAME" "$CELLS"
}

cb_report() {
  echo "## vaultd nodes on one PostgreSQL, RocksDB and PostgreSQL + pgcrypto"
  echo
  cb_meta
  echo
  cb_table
  echo
  echo "CPU ms/req: CPU time of all vaultd processes (utime+stime) and of the whole PostgreSQL cluster"
  echo "(postmaster and all its processes) during the cell, over the calls answered (a batch call = 100"
  echo "items). Machine busy: all cores, all processes (wrk and pgbench included)."
  echo
  cb_sql_table
  echo
  echo "Per call, from pg_stat_statements in the vault's database$([ "$PGSS" = 1 ] || echo ' (NOT MEASURED: pg_stat_statements is not installed)'):"
  echo "generation reads (SELECT gen FROM vault_generation), all statements (BEGIN/COMMIT counted),"
  echo "transactions (COMMITs, read-only ones included) and the time spent in pg_advisory_xact_lock"
  echo "(the audit chain head's lock, held by each group commit to its COMMIT). From the nodes' /metrics,"
  echo "summed over them: vaultd_cluster_sync_reads per call, vaultd_cluster_cache_drops during the cell"
  echo "(times a node dropped its caches because the generation moved) and vaultd_commit_groups per call."
}
