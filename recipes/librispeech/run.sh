#!/usr/bin/env bash
# HuBERT on LibriSpeech, fairseq's two iterations (examples/hubert):
#   iteration 1 learns to predict k-means (100) clusters of MFCC-39 at 100 Hz,
#   iteration 2 predicts k-means (500) clusters of layer 6 of the iteration-1 model at 50 Hz.
#
#   recipes/librispeech/run.sh <librispeech-root> [--splits train-clean-100,dev-clean] [--exp DIR]
#       [--nshard N] [--percent P] [--k1 100] [--k2 500] [--layer 6] [--jobs N]
#       [--iter1-steps N] [--iter2-steps N] [--iter1-config FILE] [--iter2-config FILE]
#       [--train-set PATH=VALUE ...] [--backend auto]
#       [--stage N] [--stop-stage M] [--force]
#
# Stages (see README.md): 0 manifests, 1 MFCC shards, 2 k-means on MFCC, 3 labels (100 Hz),
# 4 HuBERT iteration 1, 5 layer features of iteration 1, 6 k-means on them, 7 labels (50 Hz),
# 8 HuBERT iteration 2. A finished stage is skipped on a rerun (its marker is in EXP/.done).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../lib/stages.sh"
source "$here/../lib/steps.sh"

root="" splits="train-clean-100,dev-clean" exp="$here/exp" nshard=2 percent=0.1 k1=100 k2=500 layer=6 jobs=1
iter1_steps="" iter2_steps="" backend=auto train_sets=()
iter1_config="$here/conf/hubert_iter1.yaml" iter2_config="$here/conf/hubert_iter2.yaml"
set -- "${recipe_args[@]+"${recipe_args[@]}"}"
while [ $# -gt 0 ]; do
  case "$1" in
    --splits) need_value "$@"; splits="$2"; shift 2 ;;
    --exp) need_value "$@"; exp="$2"; shift 2 ;;
    --nshard) need_value "$@"; nshard="$2"; shift 2 ;;
    --percent) need_value "$@"; percent="$2"; shift 2 ;;
    --k1) need_value "$@"; k1="$2"; shift 2 ;;
    --k2) need_value "$@"; k2="$2"; shift 2 ;;
    --layer) need_value "$@"; layer="$2"; shift 2 ;;
    --jobs) need_value "$@"; jobs="$2"; shift 2 ;;
    --iter1-steps) need_value "$@"; iter1_steps="$2"; shift 2 ;;
    --iter2-steps) need_value "$@"; iter2_steps="$2"; shift 2 ;;
    --iter1-config) need_value "$@"; iter1_config="$2"; shift 2 ;;
    --iter2-config) need_value "$@"; iter2_config="$2"; shift 2 ;;
    --train-set) need_value "$@"; train_sets+=(--set "$2"); shift 2 ;;
    --backend) need_value "$@"; backend="$2"; shift 2 ;;
    -*) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
    *) if [ -n "$root" ]; then echo "one corpus root only (got $root and $1)" >&2; exit 2; fi; root="$1"; shift ;;
  esac
done
[ -n "$root" ] || { echo "usage: $0 <librispeech-root> [options] (see the header)" >&2; exit 2; }
iter1_config="$(recipe_file "$iter1_config")"
iter2_config="$(recipe_file "$iter2_config")"
mkdir -p "$exp"
exp="$(cd "$exp" && pwd)"
data="$exp/data"
mfcc="$exp/feats/mfcc"
feats1="$exp/feats/hubert_iter1_l${layer}"
splits_of_data() { local s; for s in train valid; do [ -f "$data/$s.tsv" ] && echo "$s"; done; return 0; }
# data_args LABELS: the --set options giving a HuBERT run its manifests and the .km files in LABELS
# (a validation set only when valid.tsv exists), in the array `data_opts`.
data_args() {
  data_opts=(--set "data.train.manifest=$data/train.tsv" --set "data.train.labels=[\"$1/train.km\"]")
  if [ -f "$data/valid.tsv" ]; then data_opts+=(--set "data.valid.manifest=$data/valid.tsv" --set "data.valid.labels=[\"$1/valid.km\"]"); fi
}

if stage 0 "manifests of $splits (train-* -> train.tsv, the others -> valid.tsv) with .wrd/.ltr transcripts"; then
  tolerate ssl prepare librispeech "$root" --splits "$splits" --out "$data"
  done_stage 0
fi

if stage 1 "MFCC-39 shards ($nshard ranks per split)"; then
  for s in $(splits_of_data); do
    ALSO="$data/$s.wrd $data/$s.ltr" extract_shards "$data/$s.tsv" "$s" "$mfcc" "$nshard" --features mfcc --deltas --jobs "$jobs"
  done
  done_stage 1
fi

if stage 2 "k-means, $k1 clusters, on a $percent sample of the MFCC frames"; then
  ssl kmeans "$mfcc" --split train --k "$k1" --percent "$percent" --out "$exp/km/mfcc_k$k1" --quiet
  done_stage 2
fi

if stage 3 "MFCC cluster labels (.km at 100 Hz, dict.km.txt)"; then
  for s in $(splits_of_data); do
    ssl label "$mfcc" --split "$s" --centroids "$exp/km/mfcc_k$k1" --out "$exp/labels/iter1" --manifest "$data/$s.tsv" --label-rate 100
  done
  done_stage 3
fi

if stage 4 "HuBERT iteration 1 ($(basename "$iter1_config"))"; then
  data_args "$exp/labels/iter1"
  train_run "$iter1_config" "$exp/hubert_iter1" --backend "$backend" "${data_opts[@]}" \
    ${iter1_steps:+--max-steps "$iter1_steps"} "${train_sets[@]+"${train_sets[@]}"}"
  done_stage 4
fi

if stage 5 "layer-$layer features of the iteration-1 model ($nshard ranks per split)"; then
  for s in $(splits_of_data); do
    extract_shards "$data/$s.tsv" "$s" "$feats1" "$nshard" --features "$exp/hubert_iter1" --layer "$layer"
  done
  done_stage 5
fi

if stage 6 "k-means, $k2 clusters, on a $percent sample of the layer-$layer features"; then
  ssl kmeans "$feats1" --split train --k "$k2" --percent "$percent" --out "$exp/km/hubert_iter1_l${layer}_k$k2" --quiet
  done_stage 6
fi

if stage 7 "layer-$layer cluster labels (.km at 50 Hz)"; then
  for s in $(splits_of_data); do
    ssl label "$feats1" --split "$s" --centroids "$exp/km/hubert_iter1_l${layer}_k$k2" --out "$exp/labels/iter2" --manifest "$data/$s.tsv" --label-rate 50
  done
  done_stage 7
fi

if stage 8 "HuBERT iteration 2 ($(basename "$iter2_config"))"; then
  data_args "$exp/labels/iter2"
  train_run "$iter2_config" "$exp/hubert_iter2" --backend "$backend" "${data_opts[@]}" \
    ${iter2_steps:+--max-steps "$iter2_steps"} "${train_sets[@]+"${train_sets[@]}"}"
  done_stage 8
fi

recipe_summary
