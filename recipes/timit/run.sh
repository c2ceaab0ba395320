#!/usr/bin/env bash
# TIMIT: how well k-means clusters of features line up with phones (PNMI, phone purity, cluster purity,
# as in the HuBERT paper), for MFCC-39 and for a layer of a HuBERT model trained here on TIMIT TRAIN.
# The reference is the .PHN alignments turned into one phone per frame (39 folded phones by default).
#
#   recipes/timit/run.sh <timit-root> [--exp DIR] [--phones 39|61] [--with-sa] [--nshard N] [--percent P]
#       [--k 100] [--layer 6] [--jobs N] [--steps N] [--config FILE] [--model RUN-DIR] [--train-set PATH=VALUE ...] [--backend auto]
#       [--stage N] [--stop-stage M] [--force]
#
# Stages (see README.md): 0 manifests (SPHERE -> WAV), 1 MFCC shards, 2 phone reference at 100 Hz,
# 3 k-means on TRAIN MFCC and labels, 4 PNMI of MFCC clusters on TEST, 5 HuBERT iteration 1,
# 6 layer features of the model, 7 phone reference at 50 Hz, 8 k-means on them and labels, 9 PNMI.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../lib/stages.sh"
source "$here/../lib/steps.sh"

root="" exp="$here/exp" phones=39 with_sa="" nshard=1 percent=-1 k=100 layer=6 jobs=1 steps="" backend=auto train_sets=() config="$here/conf/hubert_iter1.yaml" model=""
set -- "${recipe_args[@]+"${recipe_args[@]}"}"
while [ $# -gt 0 ]; do
  case "$1" in
    --exp) need_value "$@"; exp="$2"; shift 2 ;;
    --phones) need_value "$@"; phones="$2"; shift 2 ;;
    --with-sa) with_sa=--with-sa; shift ;;
    --nshard) need_value "$@"; nshard="$2"; shift 2 ;;
    --percent) need_value "$@"; percent="$2"; shift 2 ;;
    --k) need_value "$@"; k="$2"; shift 2 ;;
    --layer) need_value "$@"; layer="$2"; shift 2 ;;
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
[ -n "$root" ] || { echo "usage: $0 <timit-root> [options] (see the header)" >&2; exit 2; }
case "$phones" in 39|61) ;; *) echo "--phones: 39 or 61, got $phones" >&2; exit 2 ;; esac
config="$(recipe_file "$config")"
if [ -n "$model" ]; then model="$(cd "$model" && pwd)"; fi
mkdir -p "$exp"
exp="$(cd "$exp" && pwd)"
model_dir="${model:-$exp/hubert_iter1}"   # --model: a run trained elsewhere (e.g. recipes/librispeech) instead of stage 5
model_name="$(basename "$model_dir")"
feats="$exp/feats/${model_name}_l${layer}"
data="$exp/data"
mfcc="$exp/feats/mfcc"
ref="$exp/ref"

# pnmi FEATURES KM-DIR REF-SUFFIX OUT: PNMI / purities of the TEST cluster labels against the phone reference.
pnmi() {
  mkdir -p "$exp/eval"
  ssl eval pnmi "$1" --split test --manifest "$data/test.tsv" --km "$2/test.km" --ref "$ref/test.$3" --out "$4"
}

if stage 0 "manifests of TRAIN and TEST${with_sa:+ (with SA sentences)}, SPHERE rewritten as WAV"; then
  tolerate ssl prepare timit "$root" --out "$data" $with_sa
  done_stage 0
fi

if stage 1 "MFCC-39 shards ($nshard ranks per split)"; then
  for s in train test; do
    ALSO="$data/$s.phn" extract_shards "$data/$s.tsv" "$s" "$mfcc" "$nshard" --features mfcc --deltas --jobs "$jobs"
  done
  done_stage 1
fi

if stage 2 "frame-level phone reference at 100 Hz ($phones phones)"; then
  for s in train test; do
    ssl prepare phone-frames "$data/$s.tsv" --phn "$data/$s.phn" --rate 100 --phones "$phones" \
      --lengths-from "$mfcc" --split "$s" --out "$ref/$s.phn$phones.100hz" --phones-out "$ref/phones$phones.txt"
  done
  done_stage 2
fi

if stage 3 "k-means, $k clusters, on TRAIN MFCC; labels of TRAIN and TEST"; then
  ssl kmeans "$mfcc" --split train --k "$k" --percent "$percent" --out "$exp/km/mfcc_k$k" --quiet
  for s in train test; do
    ssl label "$mfcc" --split "$s" --centroids "$exp/km/mfcc_k$k" --out "$exp/labels/mfcc" --manifest "$data/$s.tsv" --label-rate 100
  done
  done_stage 3
fi

if stage 4 "PNMI, phone and cluster purity of the MFCC clusters on TEST"; then
  pnmi "$mfcc" "$exp/labels/mfcc" "phn$phones.100hz" "$exp/eval/pnmi_mfcc_k$k.json"
  done_stage 4
fi

if stage 5 "HuBERT iteration 1 on TRAIN ($(basename "$config"))"; then
  if [ -n "$model" ]; then echo "   --model $model given: features come from it, nothing is trained"; else
  train_run "$config" "$exp/hubert_iter1" --backend "$backend" \
    --set "data.train.manifest=$data/train.tsv" --set "data.train.labels=[\"$exp/labels/mfcc/train.km\"]" \
    ${steps:+--max-steps "$steps"} "${train_sets[@]+"${train_sets[@]}"}"
  fi
  done_stage 5
fi

if stage 6 "layer-$layer features of the model ($nshard ranks per split)"; then
  for s in train test; do
    ALSO="$data/$s.phn" extract_shards "$data/$s.tsv" "$s" "$feats" "$nshard" --features "$model_dir" --layer "$layer"
  done
  done_stage 6
fi

if stage 7 "frame-level phone reference at 50 Hz, on the model's frames"; then
  for s in train test; do
    ssl prepare phone-frames "$data/$s.tsv" --phn "$data/$s.phn" --rate 50 --phones "$phones" \
      --lengths-from "$feats" --split "$s" --out "$ref/$s.phn$phones.50hz"
  done
  done_stage 7
fi

if stage 8 "k-means, $k clusters, on TRAIN layer-$layer features; labels of TRAIN and TEST"; then
  ssl kmeans "$feats" --split train --k "$k" --percent "$percent" --out "$exp/km/${model_name}_l${layer}_k$k" --quiet
  for s in train test; do
    ssl label "$feats" --split "$s" --centroids "$exp/km/${model_name}_l${layer}_k$k" --out "$exp/labels/${model_name}_l$layer" --manifest "$data/$s.tsv" --label-rate 50
  done
  done_stage 8
fi

if stage 9 "PNMI, phone and cluster purity of the layer-$layer clusters on TEST"; then
  pnmi "$feats" "$exp/labels/${model_name}_l$layer" "phn$phones.50hz" "$exp/eval/pnmi_${model_name}_l${layer}_k$k.json"
  done_stage 9
fi

recipe_summary
