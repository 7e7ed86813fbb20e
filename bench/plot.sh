#!/usr/bin/env bash
# plot.sh: PNGs from a bench/compare_all.sh results folder, with gnuplot.
#   throughput_JOB.png  ops/s against connections (wrk connections / pgbench
#                       clients) for vaultd and each PostgreSQL mode run
#   fixed_rate_JOB.png  latency percentiles (p50, p90, p99, p99.9) against
#                       the fixed request rate, with the 5 ms line
# Usage: bash bench/plot.sh RESULTS_DIR [OUTPUT_DIR=docs/benchmarks]
# Requires gnuplot (Debian: gnuplot-nox) and awk.
set -euo pipefail
die() { echo "plot.sh: $*" >&2; exit 1; }
[ $# -ge 1 ] || die "usage: bash bench/plot.sh RESULTS_DIR [OUTPUT_DIR]"
IN=$1
OUT_DIR=${2:-"$(cd "$(dirname "$0")/.." && pwd)/docs/benchmarks"}
command -v gnuplot >/dev/null || die "gnuplot not found (apt-get install gnuplot-nox)"
[ -f "$IN/throughput.tsv" ] || die "no $IN/throughput.tsv (run bench/compare_all.sh first)"
mkdir -p "$OUT_DIR"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/plot-XXXXXX")
trap 'rm -rf "$TMP"' EXIT

name_of() {
  case "$1" in
    vaultd) echo "vaultd" ;;
    pgs) echo "PostgreSQL 15 + pgcrypto s2k-mode=1" ;;
    pgd) echo "PostgreSQL 15 + pgcrypto defaults" ;;
    *) echo "$1" ;;
  esac
}
title_of() {
  case "$1" in
    tokenize) echo "tokenize, 1 item per call (durable)" ;;
    detokenize) echo "detokenize, 1 token per call (durable audit entry)" ;;
    tokenize_batch100) echo "tokenize, 100-item batch per call (durable)" ;;
    *) echo "$1" ;;
  esac
}

plot_throughput() {  # JOB
  local job=$1 sys plots="" n=0
  # shellcheck disable=SC2013  # system names are single words
  for sys in $(awk -F'\t' -v j="$job" 'NR > 1 && $2 == j { print $1 }' "$IN/throughput.tsv" | sort -u); do
    awk -F'\t' -v j="$job" -v s="$sys" 'NR > 1 && $2 == j && $1 == s && $8 == 0 { print $3, $4 }' \
      "$IN/throughput.tsv" | sort -n >"$TMP/$job-$sys.dat"
    [ -s "$TMP/$job-$sys.dat" ] || continue
    plots+="${plots:+, }'$TMP/$job-$sys.dat' using 1:2 with linespoints lw 2 pt 7 title '$(name_of "$sys")'"
    n=$((n + 1))
  done
  [ "$n" -gt 0 ] || return 0
  gnuplot <<EOF
set terminal pngcairo size 900,560 font ",11" noenhanced
set output '$OUT_DIR/throughput_$job.png'
set title "$(title_of "$job"): throughput against connections"
set xlabel 'connections (wrk) / clients (pgbench)'
set ylabel 'items per second'
set logscale x 2
set xtics (1, 2, 4, 8, 16, 32, 64, 128, 256)
set xrange [0.8:*]
set offsets 0, graph 0.05, 0, 0
set yrange [0:*]
set grid
set key top left
plot $plots
EOF
  echo "$OUT_DIR/throughput_$job.png"
}

plot_fixed() {  # JOB
  local job=$1
  local dat="$TMP/fixed-$job.dat"
  awk -F'\t' -v j="$job" 'NR > 1 && $1 == j { print $3, $9 / 1000, $10 / 1000, $11 / 1000, $12 / 1000 }' \
    "$IN/fixed.tsv" 2>/dev/null | sort -n >"$dat" || true
  [ -s "$dat" ] || return 0
  gnuplot <<EOF
set terminal pngcairo size 900,560 font ",11" noenhanced
set output '$OUT_DIR/fixed_rate_$job.png'
set title "vaultd, $(title_of "$job"): latency at fixed request rates (open loop)"
set xlabel 'requests per second (scheduled)'
set ylabel 'latency from scheduled send (ms)'
set logscale y 10
set grid
set key top left
plot '$dat' using 1:2 with linespoints lw 2 pt 7 title 'p50', \
     '$dat' using 1:3 with linespoints lw 2 pt 7 title 'p90', \
     '$dat' using 1:4 with linespoints lw 2 pt 7 title 'p99', \
     '$dat' using 1:5 with linespoints lw 2 pt 7 title 'p99.9', \
     5 with lines dt 2 lc rgb 'red' title '5 ms'
EOF
  echo "$OUT_DIR/fixed_rate_$job.png"
}

# shellcheck disable=SC2013  # job names are single words
for job in $(awk -F'\t' 'NR > 1 { print $2 }' "$IN/throughput.tsv" | sort -u); do plot_throughput "$job"; done
if [ -f "$IN/fixed.tsv" ]; then
  # shellcheck disable=SC2013  # job names are single words
  for job in $(awk -F'\t' 'NR > 1 { print $1 }' "$IN/fixed.tsv" | sort -u); do plot_fixed "$job"; done
fi
