#!/usr/bin/env bash
# Runs FilterScope's bench and the PyTorch reference (bench/torch_ascent.py, our copy of
# ../shared/bench/torch_ascent.py) alternately, ROUNDS times each, and prints the medians and their ratio.
#
# Every case of issue 17 in one run, ending with one table of them all:
#
#   MODELS=DIR bench/side-by-side.sh all
#
#   VGG16 to block5_conv1 at 128 and 224 px, LeNet to conv4 at batch 1 and 64, MobileNetV2 to out_relu and
#   InceptionV3 to mixed10 at 224 px (ms per step against the reference's, THREADS threads); and N = 1, 8, 30
#   runs of fashion-cnn at once through the WebSocket (bench --stream, each of PRESETS: default for the
#   objective's own, or a preset's name; CONCURRENT_THREADS threads, default THREADS) against the reference stepping
#   LeNet's 30 images as one batch on as many threads (images per second). STEPS_VGG, STEPS_VGG224, STEPS_LENET,
#   STEPS_LENET64, STEPS_REAL and STEPS_30 set each case's timed steps; the streamed runs take 200 steps each.
#   Without MODELS the two real networks are skipped, and the table says so.
#
# One case alone:
#
#   bench/side-by-side.sh vgg16 128 1            # VGG16 to block5_conv1, 128 px, batch 1
#   bench/side-by-side.sh lenet 28 64            # LeNet to conv4, batch 64
#   ROUNDS=7 STEPS=30 bench/side-by-side.sh lenet 28 1
#   MODELS=target/realnets/models bench/side-by-side.sh mobilenet_v2 224 1   # to out_relu
#   MODELS=target/realnets/models bench/side-by-side.sh inception_v3 299 1   # to mixed10
#   THREADS=1 bench/side-by-side.sh lenet 28 1   # both on one thread (default 2), for a loaded machine
#   WARM_UP=10 bench/side-by-side.sh lenet 28 64 # both step 10 s before their timed steps (default 0: 3 steps only);
#                                                # the JVM's first seconds run code its JIT compiler has not compiled yet
#   bench/side-by-side.sh concurrent plain       # N = 1, 8, 30 runs only, of the presets named (default: default plain)
#   CONCURRENT_THREADS=1 bench/side-by-side.sh concurrent   # the server on one core (one compute thread), for a loaded machine
#
# mobilenet_v2 and inception_v3 are read by FilterScope from MODELS (a models directory holding
# mobilenet_v2.h5 / inception_v3.h5, e.g. the ones RealNetworksTest converts from nsfwjs into target/realnets)
# and built by PyTorch from torchvision's architectures with random weights: the same layers, so the same work.
# fashion-cnn's conv4 is LeNet's architecture. Needs target/filterscope.jar beside target/lib (mvn package)
# and Debian's python3-torch and python3-torchvision.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${ROUNDS:-5}
threads=${THREADS:-2}
warm_up=${WARM_UP:-0}
reference=${REFERENCE:-bench/torch_ascent.py}
[ -f target/filterscope.jar ] || { echo "build first: mvn -B -q package -DskipTests" >&2; exit 2; }
[ -f "$reference" ] || { echo "no reference at $reference (set REFERENCE)" >&2; exit 2; }

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
median_of_run() { sed -n 's/^# per-step ms: .*median=\([0-9.]*\).*/\1/p'; }
# The value of field $1 on the line starting with $2; fails, saying so, when there is none.
field() {
  local v
  v=$(grep "^$2" | sed -n "s/.* $1=\([0-9.]*\).*/\1/p" || true)
  [ -n "$v" ] || { echo "side-by-side: no $1 on a line starting '$2' in the bench's output" >&2; return 1; }
  echo "$v"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
ours() { OMP_NUM_THREADS=$1 java -XX:ActiveProcessorCount="$1" -jar target/filterscope.jar bench "${@:2}"; }
# The reference's malloc keeps freed pages mapped, as FilterScope's own does (MallocReuse sets the same three values
# through mallopt): with glibc's defaults PyTorch maps and faults in every large activation afresh in some processes,
# and its step took 1-4x as long from process to process (docs/performance.md, "The reference's malloc").
theirs() {
  MALLOC_MMAP_THRESHOLD_=$((32 << 20)) MALLOC_TRIM_THRESHOLD_=$((256 << 20)) MALLOC_TOP_PAD_=$((64 << 20)) \
    /usr/bin/python3 "$reference" --threads "$1" "${@:2}"
}

summary=()

# One network case: ms per step of ours and the reference's, alternating. Arguments: model size batch [layer].
pair() {
  local model=$1 size=$2 batch=$3 layer=${4:-} steps=${STEPS:-20} began=$SECONDS
  local models_flag=() layer_flag=() o t mine=() ref=()
  case "$model" in
    mobilenet_v2) layer=${layer:-out_relu} ;;
    inception_v3) layer=${layer:-mixed10} ;;
  esac
  # Only the real networks are read from MODELS (vgg16 and lenet are built with random weights).
  case "$model" in
    vgg16 | lenet) ;;
    *) [ -n "${MODELS:-}" ] && models_flag=(--models "$MODELS") ;;
  esac
  [ -n "$layer" ] && layer_flag=(--layer "$layer")
  for round in $(seq "$rounds"); do
    o=$(ours "$threads" "${models_flag[@]}" --model "$model" --size "$size" --batch "$batch" --steps "$steps" --warm-up "$warm_up" "${layer_flag[@]}" | median_of_run)
    t=$(theirs "$threads" --model "$model" --size "$size" --batch "$batch" --steps "$steps" --warm-up "$warm_up" "${layer_flag[@]}" | median_of_run)
    echo "round $round: filterscope ${o} ms/step, torch ${t} ms/step"
    mine+=("$o")
    ref+=("$t")
  done
  local mo mt
  mo=$(median "${mine[@]}")
  mt=$(median "${ref[@]}")
  echo "median ms/step: filterscope $mo, torch $mt"
  echo "ratio filterscope/torch = $(ratio "$mo" "$mt") ($model, $size px, batch $batch)"
  summary+=("$(printf '%-34s %14s %14s %7s %6ss' "$model $size px batch $batch" "$mo ms" "$mt ms" "$(ratio "$mo" "$mt")" $((SECONDS - began)))")
}

# N = 1, 8, 30 runs of fashion-cnn at once through the WebSocket with preset $1 (default: the objective's own), each
# count four times in one process, alternating, the median of the last three counted (bench leaves a repeated count's
# first round out): a class's server is warm, and the second of four rounds of 30 (plain) ran at 0.74x the rate of the
# fourth, 1,231 against 1,653 steps/s (the JIT still compiling the batched paths). Alternating with the reference's
# batch of 30 (LeNet to conv4 at 28 px): total steps per second of ours against its images per second.
concurrent() {
  local preset=$1 threads=${CONCURRENT_THREADS:-$threads} began=$SECONDS out one=() eight=() thirty=() ref=() preset_flag=()
  [ "$preset" = default ] || preset_flag=(--preset "$preset")
  for round in $(seq "$rounds"); do
    out=$(ours "$threads" --stream --model fashion-cnn --layer conv4 "${preset_flag[@]}" --concurrent 1,8,30,1,8,30,1,8,30,1,8,30)
    one+=("$(field steps_per_s 'filterscope stream_concurrent runs=1 ' <<<"$out")")
    eight+=("$(field steps_per_s 'filterscope stream_concurrent runs=8 ' <<<"$out")")
    thirty+=("$(field steps_per_s 'filterscope stream_concurrent runs=30 ' <<<"$out")")
    ref+=("$(theirs "$threads" --model lenet --layer conv4 --size 28 --batch 30 --steps "${STEPS_30:-50}" | field filters_per_s 'torch ')")
    echo "round $round ($preset): filterscope ${one[-1]}, ${eight[-1]}, ${thirty[-1]} steps/s in all for 1, 8, 30 runs; torch batch 30 ${ref[-1]} images/s"
  done
  local m1 m8 m30 mt
  m1=$(median "${one[@]}")
  m8=$(median "${eight[@]}")
  m30=$(median "${thirty[@]}")
  mt=$(median "${ref[@]}")
  echo "median steps/s ($preset): filterscope 1 run $m1, 8 runs $m8, 30 runs $m30; torch batch 30 $mt images/s"
  summary+=("$(printf '%-34s %14s %14s %7s %6ss' "$preset: 8 runs / 1 run" "$m8 / $m1" "" "$(ratio "$m8" "$m1")" $((SECONDS - began)))")
  summary+=("$(printf '%-34s %14s %14s %7s' "$preset: 30 runs / 1 run" "$m30 / $m1" "" "$(ratio "$m30" "$m1")")")
  summary+=("$(printf '%-34s %14s %14s %7s' "$preset: 30 runs / torch batch 30" "$m30 /s" "$mt /s" "$(ratio "$m30" "$mt")")")
}

if [ "${1:-}" = concurrent ]; then
  shift
  for preset in ${*:-default plain}; do
    concurrent "$preset"
  done
  printf '%s\n' "${summary[@]}"
  exit 0
fi
if [ "${1:-}" != all ]; then
  pair "${1:-vgg16}" "${2:-128}" "${3:-1}" "${4:-}"
  exit 0
fi

began=$SECONDS
echo "# $(date -u '+%F %T') UTC, load $(cut -d' ' -f1-3 /proc/loadavg), ROUNDS=$rounds THREADS=$threads"
STEPS=${STEPS_VGG:-20} pair vgg16 128 1
STEPS=${STEPS_VGG224:-10} pair vgg16 224 1
STEPS=${STEPS_LENET:-50} pair lenet 28 1
STEPS=${STEPS_LENET64:-20} pair lenet 28 64
for model in mobilenet_v2 inception_v3; do
  if [ -n "${MODELS:-}" ] && [ -f "$MODELS/$model.h5" ]; then
    STEPS=${STEPS_REAL:-5} pair "$model" 224 1
  else
    summary+=("$(printf '%-34s skipped: no %s.h5 in MODELS' "$model 224 px batch 1" "$model")")
  fi
done
for preset in ${PRESETS:-default plain}; do
  concurrent "$preset"
done
echo
echo "# every case, medians of $rounds rounds, each network case after ${warm_up} s of warm-up steps and 3 more on both sides (ratios: ours / torch ms per step; N runs / 1 run and ours / torch in images per second)"
printf '%-34s %14s %14s %7s %7s\n' case filterscope torch ratio time
printf '%s\n' "${summary[@]}"
echo "# $(date -u '+%F %T') UTC, load $(cut -d' ' -f1-3 /proc/loadavg), $((SECONDS - began)) s in all"
