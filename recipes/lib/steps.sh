#!/usr/bin/env bash
# Steps the recipes share (sourced after stages.sh, which defines `ssl` and `tolerate`). Every recipe
# keeps its manifests in $exp/data/SPLIT.tsv; SPLITS below is a list of split names in one word ("train valid").

# corpus_folders: creates $exp and makes it absolute (and --model's run folder, where a recipe has one);
# data=$exp/data (the manifests), mfcc=$exp/feats/mfcc (the MFCC-39 shards).
corpus_folders() {
  if [ -n "${model:-}" ]; then model="$(cd "$model" && pwd)"; fi
  mkdir -p "$exp"
  exp="$(cd "$exp" && pwd)"
  data="$exp/data"
  mfcc="$exp/feats/mfcc"
}

# extract_shards MANIFEST SPLIT OUT NSHARD EXTRACT-OPTIONS...: fairseq shard files OUT/SPLIT_I_N.npy + .len,
# one `speech-ssl extract --shard I/N` per rank, as a Slurm array would run them (each rank is skipped
# when its shard exists, so an interrupted loop resumes). Files extract cannot decode are then dropped
# from MANIFEST (and from the line-parallel files named by ALSO="a.wrd b.ltr", and from the name lists
# in NAMES="train.lst test.lst"), so the shards, the labels and the training data keep the same utterances.
extract_shards() {
  local manifest="$1" split="$2" out="$3" nshard="$4"; shift 4
  local rank f also_args=()
  for rank in $(seq 0 $((nshard - 1))); do
    tolerate ssl extract "$manifest" --out "$out" --concat --split "$split" --shard "$rank/$nshard" "$@"
  done
  for f in ${ALSO:-}; do also_args+=(--also "$f"); done
  for f in ${NAMES:-}; do also_args+=(--names "$f"); done
  ssl prepare drop-failed "$manifest" --failures "$out" "${also_args[@]+"${also_args[@]}"}"
}

# shards_for_splits SPLITS OUT NSHARD EXTRACT-OPTIONS...: extract_shards of each split's manifest into OUT.
# ALSO_EXT="wrd ltr" names the line-parallel files beside each manifest ($exp/data/SPLIT.wrd, ...) that
# lose the same lines as it.
shards_for_splits() {
  local splits="$1" out="$2" nshard="$3" split ext also
  shift 3
  for split in $splits; do
    also=""
    for ext in ${ALSO_EXT:-}; do also="${also:+$also }$exp/data/$split.$ext"; done
    ALSO="$also" extract_shards "$exp/data/$split.tsv" "$split" "$out" "$nshard" "$@"
  done
}

# features_for_splits SPLITS: MFCC-39 (what k-means clusters) into $exp/mfcc and 80-bin fbank (the
# model's input) into $exp/fbank, one .npy/.len pair per split (the unsharded recipes: mini, fsdd).
features_for_splits() {
  local split
  for split in $1; do
    ssl extract "$exp/data/$split.tsv" --features mfcc --deltas --concat --out "$exp/mfcc" --jobs 2
    ssl extract "$exp/data/$split.tsv" --features fbank --concat --out "$exp/fbank" --jobs 2
  done
}

# kmeans_train FEATS K CENTROIDS KMEANS-OPTIONS...: k-means with K clusters on the train split of FEATS.
kmeans_train() {
  local feats="$1" k="$2" centroids="$3"
  shift 3
  ssl kmeans "$feats" --split train --k "$k" "$@" --out "$centroids" --quiet
}

# label_splits SPLITS FEATS CENTROIDS OUT RATE LABEL-OPTIONS...: the cluster labels OUT/SPLIT.km of each
# split's frames, at RATE labels per second.
label_splits() {
  local splits="$1" feats="$2" centroids="$3" out="$4" rate="$5" split
  shift 5
  for split in $splits; do
    ssl label "$feats" --split "$split" --centroids "$centroids" --out "$out" --manifest "$exp/data/$split.tsv" --label-rate "$rate" "$@"
  done
}

# train_run CONFIG OUT TRAIN-OPTIONS...: `speech-ssl train --resume`, so a rerun after an interruption
# continues from the last checkpoint (and a finished run only checks that it is finished).
train_run() {
  local config="$1" out="$2"; shift 2
  ssl train --config "$config" --out "$out" --resume --no-progress "$@"
}

# recipe_file PATH: PATH as given when it exists, else relative to the recipe's folder ($here), so
# `--config conf/x.yaml` works from the repository root and from the recipe folder.
recipe_file() {
  if [ -f "$1" ]; then echo "$1"
  elif [ -f "$here/$1" ]; then echo "$here/$1"
  else echo "no such config: $1 (nor $here/$1)" >&2; exit 2
  fi
}

# train_on_labels CONFIG RUN LABELS STEPS: train_run of a HuBERT model on $exp/data/train.tsv with the
# targets LABELS/train.km, validated on valid.tsv with LABELS/valid.km where valid.tsv exists; the
# recipe's $backend, STEPS updates (the config's when empty), then the recipe's --train-set overrides.
train_on_labels() {
  local config="$1" run="$2" labels="$3" steps="$4" sets
  sets=(--set "data.train.manifest=$exp/data/train.tsv" --set "data.train.labels=[\"$labels/train.km\"]")
  if [ -f "$exp/data/valid.tsv" ]; then
    sets+=(--set "data.valid.manifest=$exp/data/valid.tsv" --set "data.valid.labels=[\"$labels/valid.km\"]")
  fi
  train_run "$config" "$run" --backend "$backend" "${sets[@]}" ${steps:+--max-steps "$steps"} "${train_sets[@]+"${train_sets[@]}"}"
}

# iteration1_unless_model LABELS: HuBERT iteration 1 ($config, $steps) into $exp/hubert_iter1 on LABELS,
# unless --model named a run trained elsewhere, whose features the later stages use instead.
iteration1_unless_model() {
  if [ -n "$model" ]; then
    echo "   --model $model given: features come from it, nothing is trained"
  else
    train_on_labels "$config" "$exp/hubert_iter1" "$1" "$steps"
  fi
}
