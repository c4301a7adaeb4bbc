#!/usr/bin/env bash
# Tries the bad inputs and faults of docs/robustness.md through bin/forward4j and prints one markdown table row per
# case: what was tried, the exit status, and the error or warning line the user sees. Needs a built checkout
# (mvn -B -q install -DskipTests). Cases that need root or a tmpfs (the full disk) are skipped with a note when the
# machine does not allow them.
#
# Usage: docs/robustness-check.sh [WORK_DIR]   (default: a new temporary directory, removed afterwards)
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
f4j="$here/bin/forward4j"
work="${1:-$(mktemp -d)}"
mkdir -p "$work"
cleanup() { [ -z "${1:-}" ] && rm -rf "$work"; }
trap 'cleanup "${1:-}"' EXIT
cd "$work" || exit 2
export FORWARD4J_JAVA_OPTS="-Xmx2g"
# a tiny run; the options a case changes are left out of "base" and given per case
base=(-b 32 --train-limit 64 --test-limit 50)
quick=("${base[@]}" --backend reference --hidden 8 -e 1 -q 4 --estimator lr)

# row CASE COMMAND...: runs the command, prints | case | exit | first error/warning line |
row() {
  local name="$1"; shift
  local out status line
  out=$("$@" 2>&1); status=$?
  line=""
  [ -n "${JOIN:-}" ] && line=$(printf '%s\n' "$out" | grep -v '^$' | sed 's/|/\\|/g' | paste -sd'~' | sed 's/~/<br>/g')
  [ -z "$line" ] && [ -n "${PATTERN:-}" ] && line=$(printf '%s\n' "$out" | grep -m1 -E "$PATTERN" | sed 's/|/\\|/g')
  [ -z "$line" ] && line=$(printf '%s\n' "$out" | grep -m1 -E '^error: ' | sed 's/|/\\|/g')
  [ -z "$line" ] && line=$(printf '%s\n' "$out" | grep -m1 -E '^warning: ' | sed 's/|/\\|/g')
  [ -z "$line" ] && line="(no error: $(printf '%s\n' "$out" | tail -n 1 | cut -c1-120 | sed 's/|/\\|/g'))"
  printf '| %s | %s | %s |\n' "$name" "$status" "$line"
}

echo "| case | exit | what the user sees |"
echo "|---|---|---|"

# --- data files
printf '0,0.1,0.2\n1,0.3\n' > ragged.csv
printf '0,0.1,0.2\n1,NaN,0.3\n' > nan.csv
printf '0,0.1\n1.5,0.2\n' > badlabel.csv
printf '0,0.5,0.5\n' > ok.csv
for i in $(seq 64); do echo "3,$((i % 7)),$((i % 5))"; done > oneclass.csv
for i in $(seq 63); do echo "$((i % 3)),0.$((i % 9)),0.5"; done > gap.csv; echo "65535,0.1,0.1" >> gap.csv
for i in $(seq 64); do echo "$((i % 3)),$((i % 17)),$((i % 13))"; done > raw16.csv
row "CSV: a ragged row" "$f4j" train "${quick[@]}" --dataset "csv:ragged.csv,ok.csv" -o out1
row "CSV: NaN as a feature" "$f4j" train "${quick[@]}" --dataset "csv:nan.csv,ok.csv" -o out2
row "CSV: a label that is not an integer" "$f4j" train "${quick[@]}" --dataset "csv:badlabel.csv,ok.csv" -o out3
row "CSV: a file that does not exist" "$f4j" train "${quick[@]}" --dataset "csv:missing.csv,ok.csv" -o out4
row "CSV: one class only (warned, trains)" "$f4j" train "${quick[@]}" --dataset "csv:oneclass.csv,oneclass.csv" -o out5
row "CSV: labels with a gap up to 65535 (warned)" "$f4j" train "${base[@]}" --backend reference -e 1 -q 4 \
  --estimator lr --dataset "csv:gap.csv,gap.csv" --hidden 4 -o out6
row "CSV: raw features 0..16, scale=none (hint)" "$f4j" train "${quick[@]}" --dataset "csv:raw16.csv,raw16.csv" -o out7
row "CSV: raw features, --scale minmax" "$f4j" train "${quick[@]}" --dataset "csv:raw16.csv,raw16.csv" \
  --scale minmax -o out8
mkdir -p idx
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  printf 'not an idx file' > "idx/$f"
done
row "IDX: a corrupt image file" "$f4j" train "${quick[@]}" --dataset idx:idx -o out9
row "dataset: an unknown spec" "$f4j" train "${quick[@]}" --dataset cifar10 -o out10

# --- configuration
row "seed=1.5" "$f4j" train "${quick[@]}" -D seed=1.5 -o out11
row "seed beyond 64 bits" "$f4j" train "${quick[@]}" -D seed=18446744073709551616 -o out12
row "a misspelt allocator" "$f4j" train "${quick[@]}" --allocator optimall -o out13
JOIN=1 row "bad training, plugin and backend keys at once" "$f4j" train "${quick[@]}" -D epochz=2 \
  -D estimator.sigmaa=0.1 -D backend.threadz=2 -o out14
row "a budget the estimator cannot spend exactly (rge, 1 query per point)" "$f4j" train "${base[@]}" \
  --backend reference --hidden 8 -e 1 --estimator rge -q 1 -o out15
row "--config FILE that does not exist" "$f4j" train "${quick[@]}" --config nope.properties -o out16
mkdir -p adir
row "--config FILE that is a directory" "$f4j" train "${quick[@]}" --config adir -o out17
row "FORWARD4J_PLUGINS naming a missing jar" env FORWARD4J_PLUGINS=missing.jar "$f4j" plugins
PATTERN='^final test' row "FORWARD4J_JAVA_OPTS set (not a setting)" env FORWARD4J_JAVA_OPTS=-Xmx1g "$f4j" train "${quick[@]}" -o out18
row "backend=opencl with no GPU device" "$f4j" train "${base[@]}" --hidden 8 -e 1 -q 4 --estimator lr \
  --backend opencl -D backend.device-type=gpu -o out19

# --- output directories
echo x > afile
row "-o is an existing file" "$f4j" train "${quick[@]}" -o afile
row "-o on a read-only file system (/sys)" "$f4j" train "${quick[@]}" -o /sys/fs/forward4j-check
"$f4j" train "${quick[@]}" -o run >/dev/null 2>&1
row "-o holding another run" "$f4j" train "${quick[@]}" -o run
PATTERN='^final test' row "-o holding another run, --overwrite" "$f4j" train "${quick[@]}" -o run --overwrite
echo "left by a kill" > run/checkpoints/checkpoint-99.tmp
PATTERN='resuming' row "--resume with a stale checkpoint-*.tmp (removed)" "$f4j" train "${base[@]}" --backend reference --hidden 8 \
  -q 4 --estimator lr -o run --resume -e 2
[ -e run/checkpoints/checkpoint-99.tmp ] && echo "| (the stale file was NOT removed) | | |"
printf 'garbage' > run/checkpoints/checkpoint-latest.bin
PATTERN='^warning: Checkpoint' row "--resume with a corrupt latest checkpoint (falls back)" "$f4j" train "${base[@]}" --backend reference \
  --hidden 8 -q 4 --estimator lr -o run --resume -e 3
(FORWARD4J_JAVA_OPTS=-Xmx1g "$f4j" train --backend reference --hidden 256 -b 32 -e 50 -q 16 --estimator spsa \
  -o busy >/dev/null 2>&1 &)
for _ in $(seq 40); do [ -s busy/.forward4j.lock ] && break; sleep 0.25; done
row "a second run on a directory in use" "$f4j" train "${quick[@]}" -o busy
pkill -f "busy" >/dev/null 2>&1
if mount -t tmpfs -o size=300k tmpfs "$work/small" 2>/dev/null || { mkdir -p "$work/small" &&
    mount -t tmpfs -o size=300k tmpfs "$work/small" 2>/dev/null; }; then
  row "a full disk while checkpointing (300 kB tmpfs)" "$f4j" train --backend reference --hidden 64 -b 32 \
    --train-limit 64 --test-limit 50 -e 1 -q 4 --estimator lr -o "$work/small/run"
  umount "$work/small"
else
  echo "| a full disk while checkpointing | skipped | (mounting a tmpfs needs root) |"
fi

# --- plugins and faults
for i in $(seq 64); do echo "$((i % 2)),3e38,3e38,3e38,3e38,3e38,3e38"; done > huge.csv
row "non-finite losses (overflowing features)" "$f4j" train "${quick[@]}" --dataset "csv:huge.csv,huge.csv" -o out20
row "non-finite losses with non-finite=skip" "$f4j" train "${quick[@]}" --dataset "csv:huge.csv,huge.csv" \
  -D non-finite=skip -o out21
row "out of memory (-Xmx48m, hidden 200000)" env FORWARD4J_JAVA_OPTS=-Xmx48m "$f4j" train "${base[@]}" \
  --backend reference -e 1 -q 4 --estimator lr --hidden 200000 -o out22
row "evaluate a file that is not a model" "$f4j" evaluate --model afile
