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
source "$here/../lib/options.sh"

root="" exp="$here/exp" phones=39 with_sa="" nshard=1 percent=-1 k=100 layer=6 jobs=1 steps="" backend=auto train_sets=() config="$here/conf/hubert_iter1.yaml" model=""
parse_corpus_options "<timit-root>" --exp --phones --with-sa! --nshard --percent --k --layer --jobs --steps \
  --config --model --backend -- "${recipe_args[@]+"${recipe_args[@]}"}"
case "$phones" in 39|61) ;; *) echo "--phones: 39 or 61, got $phones" >&2; exit 2 ;; esac
config="$(recipe_file "$config")"
if [ ! -d "$root" ]; then
  echo "no TIMIT at $root. TIMIT is licensed by the LDC (LDC93S1, https://catalog.ldc.upenn.edu/LDC93S1) and cannot be" >&2
  echo "downloaded by this recipe: obtain it there, then pass the folder holding TRAIN/ and TEST/." >&2
  exit 1
fi
corpus_folders
model_dir="${model:-$exp/hubert_iter1}"   # --model: a run trained elsewhere (e.g. recipes/librispeech) instead of stage 5
model_name="$(basename "$model_dir")"
feats="$exp/feats/${model_name}_l${layer}"
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
  ALSO_EXT=phn shards_for_splits "train test" "$mfcc" "$nshard" --features mfcc --deltas --jobs "$jobs"
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
  kmeans_train "$mfcc" "$k" "$exp/km/mfcc_k$k" --percent "$percent"
  label_splits "train test" "$mfcc" "$exp/km/mfcc_k$k" "$exp/labels/mfcc" 100
  done_stage 3
fi

if stage 4 "PNMI, phone and cluster purity of the MFCC clusters on TEST"; then
  pnmi "$mfcc" "$exp/labels/mfcc" "phn$phones.100hz" "$exp/eval/pnmi_mfcc_k$k.json"
  done_stage 4
fi

if stage 5 "HuBERT iteration 1 on TRAIN ($(basename "$config"))"; then
  iteration1_unless_model "$exp/labels/mfcc"
  done_stage 5
fi

if stage 6 "layer-$layer features of the model ($nshard ranks per split)"; then
  ALSO_EXT=phn shards_for_splits "train test" "$feats" "$nshard" --features "$model_dir" --layer "$layer"
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
  kmeans_train "$feats" "$k" "$exp/km/${model_name}_l${layer}_k$k" --percent "$percent"
  label_splits "train test" "$feats" "$exp/km/${model_name}_l${layer}_k$k" "$exp/labels/${model_name}_l$layer" 50
  done_stage 8
fi

if stage 9 "PNMI, phone and cluster purity of the layer-$layer clusters on TEST"; then
  pnmi "$feats" "$exp/labels/${model_name}_l$layer" "phn$phones.50hz" "$exp/eval/pnmi_${model_name}_l${layer}_k$k.json"
  done_stage 9
fi

recipe_summary
