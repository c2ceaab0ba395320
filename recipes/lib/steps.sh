#!/usr/bin/env bash
# Steps the corpus recipes share (sourced after stages.sh, which defines `ssl` and `tolerate`).

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
