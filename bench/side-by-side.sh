#!/usr/bin/env bash
# Runs FilterScope's bench and the PyTorch reference (bench/torch_ascent.py, our copy of
# ../shared/bench/torch_ascent.py) alternately, ROUNDS times each, on the same case, and prints both medians of
# the per-step median and their ratio.
#
#   bench/side-by-side.sh vgg16 128 1            # VGG16 to block5_conv1, 128 px, batch 1
#   bench/side-by-side.sh vgg16 224 1
#   bench/side-by-side.sh lenet 28 64            # LeNet to conv4, batch 64
#   ROUNDS=7 STEPS=30 bench/side-by-side.sh lenet 28 1
#   MODELS=target/realnets/models bench/side-by-side.sh mobilenet_v2 224 1   # to out_relu
#   MODELS=target/realnets/models bench/side-by-side.sh inception_v3 299 1   # to mixed10
#   THREADS=1 bench/side-by-side.sh lenet 28 1   # both on one thread (default 2), for a loaded machine
#
# mobilenet_v2 and inception_v3 are read by FilterScope from MODELS (a models directory holding
# mobilenet_v2.h5 / inception_v3.h5, e.g. the ones RealNetworksTest converts from nsfwjs into target/realnets)
# and built by PyTorch from torchvision's architectures with random weights: the same layers, so the same work.
# Needs target/filterscope.jar (mvn package) and Debian's python3-torch and python3-torchvision.
set -euo pipefail
cd "$(dirname "$0")/.."

model=${1:-vgg16}
size=${2:-128}
batch=${3:-1}
layer=${4:-}
rounds=${ROUNDS:-5}
steps=${STEPS:-20}
reference=${REFERENCE:-bench/torch_ascent.py}
[ -f target/filterscope.jar ] || { echo "build first: mvn -B -q package -DskipTests" >&2; exit 2; }
[ -f "$reference" ] || { echo "no reference at $reference (set REFERENCE)" >&2; exit 2; }

case "$model" in
  mobilenet_v2) layer=${layer:-out_relu} ;;
  inception_v3) layer=${layer:-mixed10} ;;
esac
threads=${THREADS:-2}
models_flag=()
[ -n "${MODELS:-}" ] && models_flag=(--models "$MODELS")
layer_flag=()
[ -n "$layer" ] && layer_flag=(--layer "$layer")
median_of_run() { sed -n 's/^# per-step ms: .*median=\([0-9.]*\).*/\1/p'; }

ours=()
theirs=()
for round in $(seq "$rounds"); do
  o=$(OMP_NUM_THREADS=$threads java -XX:ActiveProcessorCount="$threads" -jar target/filterscope.jar bench "${models_flag[@]}" --model "$model" --size "$size" --batch "$batch" --steps "$steps" "${layer_flag[@]}" | median_of_run)
  t=$(/usr/bin/python3 "$reference" --model "$model" --size "$size" --batch "$batch" --steps "$steps" --threads "$threads" "${layer_flag[@]}" | median_of_run)
  echo "round $round: filterscope ${o} ms/step, torch ${t} ms/step"
  ours+=("$o")
  theirs+=("$t")
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mo=$(median "${ours[@]}")
mt=$(median "${theirs[@]}")
echo "median ms/step: filterscope $mo, torch $mt"
awk -v o="$mo" -v t="$mt" -v m="$model" -v s="$size" -v b="$batch" \
  'BEGIN {printf "ratio filterscope/torch = %.2f (%s, %s px, batch %s)\n", o / t, m, s, b}'
