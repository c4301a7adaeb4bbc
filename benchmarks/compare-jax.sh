#!/usr/bin/env bash
# Runs forward4j's `bench` and the JAX peers (benchmarks/peers/peer_jax.py for MLPs, peer_jax_graph.py for the cnn
# and vit presets) alternately, several times, on the same machine, and prints the ratio table forward4j / JAX:
# plain forward rows/s, lr queries/s, shared Gaussian spsa queries/s per MLP shape and per preset graph and
# trainable selection (batch 64, 16 queries per point), with medians and the spread over the repetitions.
# It is a benchmark, not a test: CI does not run it.
#
# usage: benchmarks/compare-jax.sh                    (after mvn -B -q install -DskipTests)
# environment:
#   FORWARD4J_JAX_VENV   the Python virtual environment with JAX (default benchmarks/target/venv; created and
#                        filled with `pip install jax jaxlib numpy` when it has no JAX)
#   COMPARE_SHAPES       MLP shapes (default "784-256-10 784-1024-1024-10")
#   COMPARE_REPS         repetitions of the pair (forward4j, JAX) per shape (default 3)
#   COMPARE_STEPS        forward4j timed steps per row (default 15)
#   COMPARE_CHUNK_ROWS   forward4j's cpu row chunk of the MLP rows (default 512: the 1,024 rows of a step make one
#                        chunk per core, as JAX runs one 1,024-row product on both cores; bench's own default is 256;
#                        bench's graph rows always use 256)
#   COMPARE_MODELS       preset graphs (default "cnn vit"; empty for none)
#   COMPARE_TRAINABLE    their trainable selections (default "all last:2"); a graph row is named model:selection
#   COMPARE_MAX_SECONDS  forward4j's time limit per bench row (default 30)
#   COMPARE_OUT          folder for the raw outputs and the table (default benchmarks/target/compare-jax)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${FORWARD4J_JAX_VENV:-$here/benchmarks/target/venv}"
shapes="${COMPARE_SHAPES:-784-256-10 784-1024-1024-10}"
reps="${COMPARE_REPS:-3}"
steps="${COMPARE_STEPS:-15}"
models="${COMPARE_MODELS-cnn vit}"
trainables="${COMPARE_TRAINABLE:-all last:2}"
max_seconds="${COMPARE_MAX_SECONDS:-30}"
chunk_rows="${COMPARE_CHUNK_ROWS:-512}"
out="${COMPARE_OUT:-$here/benchmarks/target/compare-jax}"
mkdir -p "$out"

if [ ! -f "$here/cli/target/forward4j-cli.jar" ]; then
  echo "compare-jax: forward4j is not built; run: mvn -B -q install -DskipTests" >&2
  exit 1
fi
if ! "$venv/bin/python" -c "import jax" >/dev/null 2>&1; then
  echo "compare-jax: installing JAX into $venv (log: $out/pip.log)" >&2
  if ! { python3 -m venv "$venv" && "$venv/bin/pip" install jax jaxlib numpy; } >"$out/pip.log" 2>&1 \
      || ! "$venv/bin/python" -c "import jax" >/dev/null 2>&1; then
    echo "compare-jax: cannot install JAX into $venv (pip failed, see $out/pip.log); set FORWARD4J_JAX_VENV to a" \
      "virtual environment that has jax" >&2
    exit 2
  fi
fi

raw="$out/raw.txt"
: >"$raw"
for rep in $(seq 1 "$reps"); do
  for shape in $shapes; do
    # alternate which side goes first, so a slow spell of the machine does not always hit the same side
    for side in $([ $((rep % 2)) -eq 1 ] && echo "forward4j jax" || echo "jax forward4j"); do
      if [ "$side" = jax ]; then
        echo "compare-jax: rep $rep, $shape, JAX" >&2
        "$venv/bin/python" "$here/benchmarks/peers/peer_jax.py" "${shape//-/,}" 64 16 20 \
          | sed "s/^peer jax [^ ]* /jax $rep /" >>"$raw"
      else
        echo "compare-jax: rep $rep, $shape, forward4j" >&2
        "$here/bin/forward4j" bench --shapes "$shape" --estimators lr,spsa --models none --no-sweep --steps "$steps" --warmup 40 \
          --chunk-rows "$chunk_rows" \
          --max-seconds "$max_seconds" -b 64 -q 16 -o "$out/bench-$rep-$shape" >"$out/bench-$rep-$shape.log" 2>&1
        # bench.csv: shape (1), estimator (2), queries_per_step (4), plain_rows_per_s (12), plain_cpu_ms_median
        # (15), warm_queries_per_s (22), warm_queries_per_cpu_s (23): the steps' rate over a back-to-back window, as
        # the peers time theirs; CPU rates are per second of CPU time, all threads
        awk -F, -v rep="$rep" 'NR > 1 { print "forward4j", rep, $1, $2, $22, $23;
          print "forward4j", rep, $1, "plain", $12, 1000 * $4 / $15 }' \
          "$out/bench-$rep-$shape/bench.csv" >>"$raw"
      fi
    done
  done
  for model in $models; do
    for selection in $trainables; do
      name="$model:$selection"
      dir="$out/bench-$rep-$model-${selection//:/}"
      for side in $([ $((rep % 2)) -eq 1 ] && echo "forward4j jax" || echo "jax forward4j"); do
        if [ "$side" = jax ]; then
          echo "compare-jax: rep $rep, $name, JAX" >&2
          # at least 5 calls and 0.5 s per window, 3 windows: a graph step is 10-100 times an MLP step
          "$venv/bin/python" "$here/benchmarks/peers/peer_jax_graph.py" "$model" "$selection" 64 16 5 3 \
            | sed "s/^peer jax [^ ]* /jax $rep /" >>"$raw"
          if [ "$model" = vit ]; then
            # the same ViT with its last block pruned to the class token by hand, as forward4j's backend does
            "$venv/bin/python" "$here/benchmarks/peers/peer_jax_graph.py" vit-pruned "$selection" 64 16 5 3 \
              | sed "s/^peer jax [^ ]* vit-pruned/jaxpruned $rep vit/" >>"$raw"
          fi
        else
          echo "compare-jax: rep $rep, $name, forward4j" >&2
          # bench always measures an MLP first (--shapes cannot be empty): the smallest one, lr only, skipped below
          "$here/bin/forward4j" bench --shapes 784-16-10 --estimators lr --models "$model" --trainable "$selection" \
            --model-estimators lr,spsa --no-sweep --steps "$steps" --warmup 5 --max-seconds "$max_seconds" \
            -b 64 -q 16 -o "$dir" >"$dir.log" 2>&1
          # graph rows have the shape "cnn trainable=all": written cnn:all, so that a raw line keeps 6 fields
          awk -F, -v rep="$rep" 'NR > 1 && $1 ~ / trainable=/ { shape = $1; sub(/ trainable=/, ":", shape);
            print "forward4j", rep, shape, $2, $22, $23;
            print "forward4j", rep, shape, "plain", $12, 1000 * $4 / $15 }' "$dir/bench.csv" >>"$raw"
        fi
      done
    done
  done
done

jax_version="$("$venv/bin/python" -c 'import jax; print(jax.__version__)')"
java_version="$(java -version 2>&1 | head -1)"
cpu="$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
cores="$(nproc)"
"$venv/bin/python" - "$raw" "$cpu" "$cores" "$java_version" "$jax_version" "$reps" "$chunk_rows" <<'PY' | tee "$out/table.md"
import statistics
import sys

raw, cpu, cores, java, jax_version, reps, chunk = sys.argv[1:]
values = {}
for line in open(raw):
    side, rep, shape, what, rate, cpu_rate = line.split()
    entry = values.setdefault((shape, what, side), {}).setdefault(int(rep), [])
    entry.append((float(rate), float(cpu_rate)))
print(f"Machine: {cpu}, {cores} cores; {java}; JAX {jax_version} (XLA, CPU); batch 64, 16 queries per point; "
      f"{reps} alternating runs of each side; medians over the runs (min-max); forward4j: cpu backend, "
      f"{chunk} rows per chunk (graphs: 256)")
print()
pruned = any(k[2] == "jaxpruned" for k in values)
if pruned:
    print("| shape | what | forward4j | JAX | forward4j / JAX | per CPU-second: forward4j / JAX | "
          "JAX, pruned by hand | forward4j / pruned JAX |")
    print("|---|---|--:|--:|--:|--:|--:|--:|")
else:
    print("| shape | what | forward4j | JAX | forward4j / JAX | per CPU-second: forward4j / JAX |")
    print("|---|---|--:|--:|--:|--:|")
names = {"plain": "plain forward, rows/s", "lr": "lr, queries/s", "spsa": "spsa, shared Gaussian, queries/s"}


def shape_order(shape):
    """MLP shapes (784-256-10) by their widths, first; then graphs (cnn:all, vit:last:2) by name."""
    parts = shape.split("-")
    if all(p.isdigit() for p in parts):
        return (0, [int(p) for p in parts], "")
    return (1, [], shape)


shapes = sorted({k[0] for k in values}, key=shape_order)


def spread(xs, fmt):
    xs = list(xs)
    return f"{fmt(statistics.median(xs))} ({fmt(min(xs))}-{fmt(max(xs))})"


for shape in shapes:
    for what in ("plain", "lr", "spsa"):
        f = values.get((shape, what, "forward4j"), {})
        j = values.get((shape, what, "jax"), {})
        if not f or not j:
            continue
        # the bench measures plain rows/s beside each estimator row: one value per run is their median
        fw = {r: statistics.median(x[0] for x in v) for r, v in f.items()}
        fc = {r: statistics.median(x[1] for x in v) for r, v in f.items()}
        jw = {r: statistics.median(x[0] for x in v) for r, v in j.items()}
        jc = {r: statistics.median(x[1] for x in v) for r, v in j.items()}
        runs = [r for r in fw if r in jw]
        count = lambda x: f"{x:,.0f}"
        ratio = lambda x: f"{x:.2f}"
        line = (f"| {shape} | {names[what]} | {spread(fw.values(), count)} | {spread(jw.values(), count)} | "
                f"**{spread((fw[r] / jw[r] for r in runs), ratio)}** | {spread((fc[r] / jc[r] for r in runs), ratio)} |")
        if pruned:
            p = values.get((shape, what, "jaxpruned"), {})
            pw = {r: statistics.median(x[0] for x in v) for r, v in p.items()}
            both = [r for r in fw if r in pw]
            if both:
                line += f" {spread(pw.values(), count)} | **{spread((fw[r] / pw[r] for r in both), ratio)}** |"
            else:
                line += " — | — |"
        print(line)
print()
print("forward4j / JAX: the ratio of the two sides' rates in the same run (median and range over the runs). Per "
      "CPU-second: the same with each side's rate per second of its process's CPU time (all threads), which other "
      "jobs on the machine disturb less than wall time. Both sides time back-to-back calls: the peers in windows of "
      "at least 20 calls and 0.5 s, forward4j's bench its plain passes in a window after each step and its steps in "
      "the median of 3 windows of at least 3 steps and 0.15 s per row (its 'queries/s, warm'; a step longer than "
      "that counts cold, as bench's own table times every step, after a full collection).")
if pruned:
    print()
    print("Pruned JAX: forward4j's cpu backend computes the last block's query, attention output and MLP of a "
          "class-pooled ViT for the class token alone, the only token the head reads (and puts lr's noise only on "
          "values that can reach the loss); peer_jax_graph.py's vit-pruned does the same by hand. Against it the "
          "ratio compares the engines on equal work; the plain JAX column is the ViT as usually written.")
if any(":" in s for s in shapes):
    print()
    print("Graphs (model:selection): plain is the whole model on the 1,024 rows on both sides. With a frozen prefix "
          "(last:2) JAX computes the prefix once per step on the 64 distinct rows and tiles it; forward4j's cpu "
          "backend computes it once per data row and caches it across steps (bench repeats one batch), so its "
          "prefix is paid once in total.")
PY
