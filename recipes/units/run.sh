#!/usr/bin/env bash
# Discrete speech units from a pretrained (imported) or trained encoder, as unit-based speech LMs (GSLM) and
# unit resynthesis use them: layer L -> k-means (k clusters) -> .km units at the model's frame rate -> the
# deduplicated unit sequences (runs of one unit collapsed to one).
#   bash recipes/units/run.sh --model RUN [--corpus DIR --sample-rate HZ] [--frame-rate HZ] [--layer L] [--k K] [--exp DIR] [--stage N] [--stop-stage M] [--force]
# RUN is a run folder (`speech-ssl import` or `train`); the corpus defaults to the shared FSDD copy.
# Stages: manifest, features of layer L, k-means, units (.km), deduplicated units (.dedup.km) and their statistics.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../lib/stages.sh"
source "$here/../lib/steps.sh"

exp="$repo_root/exp/units"
model=""
corpus="$repo_root/../shared/data/fsdd/recordings"
layer=6
k=100
frame_rate=50   # the model's frames per second: 16000 / its conv stack's total stride (320 for HuBERT, wav2vec 2.0, DistilHuBERT)
rate=8000   # the sample rate of the corpus files (the manifest counts samples at it); FSDD is 8 kHz
set -- "${recipe_args[@]+"${recipe_args[@]}"}"
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model="$2"; shift 2 ;;
    --corpus) corpus="$2"; shift 2 ;;
    --layer) layer="$2"; shift 2 ;;
    --k) k="$2"; shift 2 ;;
    --sample-rate) rate="$2"; shift 2 ;;
    --frame-rate) frame_rate="$2"; shift 2 ;;
    --exp) exp="$2"; shift 2 ;;
    *) echo "run.sh: unknown option $1 (known: --model --corpus --layer --k --sample-rate --frame-rate --exp --stage --stop-stage --force)" >&2; exit 2 ;;
  esac
done
if [ -z "$model" ]; then echo "run.sh: --model RUN is required (a run folder from speech-ssl import or train)" >&2; exit 2; fi
mkdir -p "$exp"
exp="$(cd "$exp" && pwd)"
echo "units recipe: model $model, layer $layer, k $k, corpus $corpus, experiment folder $exp"

if stage 1 "manifest"; then
  ssl manifest "$corpus" --out "$exp/data/train.tsv"
  done_stage 1
fi

if stage 2 "features: layer $layer of the model (16 kHz waveform in, $frame_rate frames/s out)"; then
  ssl extract "$exp/data/train.tsv" --features "$model" --layer "$layer" --concat --split train --out "$exp/feats" --overwrite
  done_stage 2
fi

if stage 3 "k-means (k $k)"; then
  kmeans_train "$exp/feats" "$k" "$exp/km/layer$layer-k$k"
  done_stage 3
fi

if stage 4 "units (.km, $frame_rate per second)"; then
  ssl label "$exp/feats" --split train --centroids "$exp/km/layer$layer-k$k" --out "$exp/units" --manifest "$exp/data/train.tsv" --label-rate "$frame_rate" --sample-rate "$rate"
  done_stage 4
fi

if stage 5 "deduplicated unit sequences"; then
  # One line per utterance, as the .km: each run of one unit written once (fairseq's GSLM "dedup" units).
  awk '{ out = $1; for (i = 2; i <= NF; i++) if ($i != $(i - 1)) out = out " " $i; print out }' "$exp/units/train.km" > "$exp/units/train.dedup.km.tmp"
  mv "$exp/units/train.dedup.km.tmp" "$exp/units/train.dedup.km"
  done_stage 5
fi

echo "== results"
awk 'NR == FNR { frames += NF; next } { units += NF; lines++ } END {
  printf "   %d utterances: %d frames (%d/s) -> %d deduplicated units, %.2f frames per unit, %.1f units per second\n", lines, frames, fr, units, frames / units, fr * units / frames }' fr="$frame_rate" \
  "$exp/units/train.km" "$exp/units/train.dedup.km"
echo "   used clusters: $(tr ' ' '\n' < "$exp/units/train.km" | sort -u | wc -l) of $k; units $exp/units/train.km, deduplicated $exp/units/train.dedup.km"
recipe_summary
