#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The benchmark suite, in one command:
#   testing/bench/run.sh [OUTPUT_DIR]      (default: docs/benchmarks)
# Installs what it needs from Debian (gnuplot-nox; guile-3.0 for the Guile
# corpus row), builds every //testing/bench:*_bench target with -c opt, runs
# each from its runfiles as `bazel run` would, collects their
# `granule-bench:` lines (bench_row.h), prints one table, and writes
# OUTPUT_DIR/loader_vs_references.dat and .png (ratio per line against its
# target). Figures never fail the run; a program that fails to run does.
set -euo pipefail
cd "$(dirname "$0")/../.."
out_dir=${1:-docs/benchmarks}
mkdir -p "$out_dir"

packages=(gnuplot-nox guile-3.0 guile-3.0-libs)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if ((${#missing[@]})); then
  as_root=()
  [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  echo "run.sh: installing ${missing[*]}" >&2
  "${as_root[@]}" apt-get update -qq || true  # See bazelw: check the install.
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq "${missing[@]}" >&2
fi

targets=$(./bazelw query --noshow_progress 'attr(name, "_bench$", //testing/bench:*)' 2>/dev/null)
[ -n "$targets" ] || { echo "run.sh: no //testing/bench:*_bench targets" >&2; exit 1; }
# shellcheck disable=SC2086
./bazelw build -c opt --noshow_progress $targets >&2
bin_dir=$(./bazelw info -c opt bazel-bin 2>/dev/null)

lines=$(mktemp)
trap 'rm -f "$lines"' EXIT
failed=0
for target in $targets; do
  name=${target#//testing/bench:}
  binary="$bin_dir/testing/bench/$name"
  echo "run.sh: running $target" >&2
  if ! (cd "$binary.runfiles/granule" && "$binary") | tee -a /dev/stderr \
      | grep '^granule-bench: ' >>"$lines"; then
    echo "run.sh: $target failed or printed no granule-bench: line" >&2
    failed=1
  fi
done

data="$out_dir/loader_vs_references.dat"
# One record per line: the fields of the row contract, in table order.
awk '{
  delete f
  for (i = 2; i <= NF; i++) {
    split($i, kv, "=")
    key = kv[1]; value = substr($i, length(key) + 2)
    if (key == "note") break
    f[key] = value
  }
  t = f["target"]; sub(/^<=/, "", t); if (t == "none") t = "NaN"
  printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f["row"], f["name"],
    f["granule"], f["reference"], f["unit"], f["ratio"], f["target"],
    f["met"], t, f["reference_is"]
}' "$lines" | sort -t$'\t' -k1,1n -s >"$data"

echo
printf '| row | name | granule | reference | unit | ratio | target | met | reference is |\n'
printf '| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n'
awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
  $1, $2, $3, $4, $5, $6, $7, $8, $10 }' "$data"

png="$out_dir/loader_vs_references.png"
gnuplot <<GNUPLOT
set terminal pngcairo size 1100,600 noenhanced
set output "$png"
set title "granule against its references: ratio per line, target as a bar"
set datafile separator "\t"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel "granule / reference (log scale; lower is better)"
set xtics rotate by -35 font ",9"
set rmargin 12
set key top left
plot "$data" using 6:xticlabels(2) title "ratio", \
     "" using 9 title "target (at most)"
GNUPLOT
echo "run.sh: wrote $data and $png" >&2
exit "$failed"
