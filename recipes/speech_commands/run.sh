#!/usr/bin/env bash
# Speech Commands v2: HuBERT iteration 1 on MFCC k-means labels, then a keyword probe (35 words) on
# mean-pooled features of the trained model, against the same probe on MFCC-39.
#
#   recipes/speech_commands/run.sh <speech-commands-root> [--exp DIR] [--nshard N] [--percent P]
#       [--k 100] [--layer 6] [--probe-per-word 200] [--jobs N] [--steps N] [--config FILE] [--model RUN-DIR]
#       [--train-set PATH=VALUE ...] [--backend auto] [--stage N] [--stop-stage M] [--force]
#
# Stages (see README.md): 0 manifests and probe lists, 1 MFCC shards, 2 k-means, 3 labels,
# 4 HuBERT iteration 1, 5 probe on MFCC, 6 layer features of the model, 7 probe on them.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../lib/stages.sh"
source "$here/../lib/steps.sh"

root="" exp="$here/exp" nshard=2 percent=0.1 k=100 layer=6 probe_per_word=200 jobs=1 steps="" backend=auto train_sets=() config="$here/conf/hubert_iter1.yaml" model=""
set -- "${recipe_args[@]+"${recipe_args[@]}"}"
while [ $# -gt 0 ]; do
  case "$1" in
    --exp) need_value "$@"; exp="$2"; shift 2 ;;
    --nshard) need_value "$@"; nshard="$2"; shift 2 ;;
    --percent) need_value "$@"; percent="$2"; shift 2 ;;
    --k) need_value "$@"; k="$2"; shift 2 ;;
    --layer) need_value "$@"; layer="$2"; shift 2 ;;
    --probe-per-word) need_value "$@"; probe_per_word="$2"; shift 2 ;;
    --jobs) need_value "$@"; jobs="$2"; shift 2 ;;
    --steps) need_value "$@"; steps="$2"; shift 2 ;;
    --config) need_value "$@"; config="$2"; shift 2 ;;
    --model) need_value "$@"; model="$2"; shift 2 ;;
    --train-set) need_value "$@"; train_sets+=(--set "$2"); shift 2 ;;
    --backend) need_value "$@"; backend="$2"; shift 2 ;;
    -*) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
    *) if [ -n "$root" ]; then echo "one corpus root only (got $root and $1)" >&2; exit 2; fi; root="$1"; shift ;;
  esac
done
[ -n "$root" ] || { echo "usage: $0 <speech-commands-root> [options] (see the header)" >&2; exit 2; }
config="$(recipe_file "$config")"
if [ -n "$model" ]; then model="$(cd "$model" && pwd)"; fi
mkdir -p "$exp"
exp="$(cd "$exp" && pwd)"
model_dir="${model:-$exp/hubert_iter1}"   # --model: a run trained elsewhere (e.g. recipes/librispeech) instead of stage 4
model_name="$(basename "$model_dir")"
feats="$exp/feats/${model_name}_l${layer}"
data="$exp/data"
mfcc="$exp/feats/mfcc"
word_of_path='^([^/]+)/'   # the keyword is the folder: yes/0a7c2a8d_nohash_0.wav
probe_opts=(--manifest "$data/probe.tsv" --train-list "$data/probe_train.lst" --test-list "$data/probe_test.lst" --label-field "$word_of_path")

if stage 0 "manifests (validation_list/testing_list; train = the rest) and the probe's lists"; then
  tolerate ssl prepare speech-commands "$root" --out "$data" --probe-per-word "$probe_per_word"
  done_stage 0
fi

if stage 1 "MFCC-39 shards of train, valid and the probe set ($nshard ranks each)"; then
  for s in train valid; do
    extract_shards "$data/$s.tsv" "$s" "$mfcc" "$nshard" --features mfcc --deltas --jobs "$jobs"
  done
  NAMES="$data/probe_train.lst $data/probe_test.lst" extract_shards "$data/probe.tsv" probe "$mfcc" "$nshard" --features mfcc --deltas --jobs "$jobs"
  done_stage 1
fi

if stage 2 "k-means, $k clusters, on a $percent sample of the training MFCC frames"; then
  ssl kmeans "$mfcc" --split train --k "$k" --percent "$percent" --out "$exp/km/mfcc_k$k" --quiet
  done_stage 2
fi

if stage 3 "MFCC cluster labels (.km at 100 Hz)"; then
  for s in train valid; do
    ssl label "$mfcc" --split "$s" --centroids "$exp/km/mfcc_k$k" --out "$exp/labels/iter1" --manifest "$data/$s.tsv" --label-rate 100
  done
  done_stage 3
fi

if stage 4 "HuBERT iteration 1 ($(basename "$config"))"; then
  labels="$exp/labels/iter1"
  if [ -n "$model" ]; then echo "   --model $model given: features come from it, nothing is trained"; else
  train_run "$config" "$exp/hubert_iter1" --backend "$backend" \
    --set "data.train.manifest=$data/train.tsv" --set "data.train.labels=[\"$labels/train.km\"]" \
    --set "data.valid.manifest=$data/valid.tsv" --set "data.valid.labels=[\"$labels/valid.km\"]" \
    ${steps:+--max-steps "$steps"} "${train_sets[@]+"${train_sets[@]}"}"
  fi
  done_stage 4
fi

if stage 5 "keyword probe on mean-pooled MFCC-39 (the baseline)"; then
  mkdir -p "$exp/eval"
  ssl eval probe "$mfcc" --split probe "${probe_opts[@]}" --out "$exp/eval/probe_mfcc.json"
  done_stage 5
fi

if stage 6 "layer-$layer features of the model for the probe set"; then
  NAMES="$data/probe_train.lst $data/probe_test.lst" extract_shards "$data/probe.tsv" probe "$feats" "$nshard" --features "$model_dir" --layer "$layer"
  done_stage 6
fi

if stage 7 "keyword probe on mean-pooled layer-$layer features"; then
  ssl eval probe "$feats" --split probe "${probe_opts[@]}" --out "$exp/eval/probe_${model_name}_l$layer.json"
  done_stage 7
fi

recipe_summary
