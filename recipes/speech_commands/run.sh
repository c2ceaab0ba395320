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
source "$here/../lib/options.sh"
source "$here/../lib/fetch.sh"

root="" exp="$here/exp" nshard=2 percent=0.1 k=100 layer=6 probe_per_word=200 jobs=1 steps="" backend=auto train_sets=() config="$here/conf/hubert_iter1.yaml" model=""
parse_corpus_options "<speech-commands-root>" --exp --nshard --percent --k --layer --probe-per-word --jobs --steps \
  --config --model --backend -- "${recipe_args[@]+"${recipe_args[@]}"}"
config="$(recipe_file "$config")"
corpus_folders
model_dir="${model:-$exp/hubert_iter1}"   # --model: a run trained elsewhere (e.g. recipes/librispeech) instead of stage 4
model_name="$(basename "$model_dir")"
feats="$exp/feats/${model_name}_l${layer}"
word_of_path='^([^/]+)/'   # the keyword is the folder: yes/0a7c2a8d_nohash_0.wav
probe_opts=(--manifest "$data/probe.tsv" --train-list "$data/probe_train.lst" --test-list "$data/probe_test.lst" --label-field "$word_of_path")

if stage 0 "manifests (validation_list/testing_list; train = the rest) and the probe's lists"; then
  # A missing root is downloaded (the v0.02 archive, 2.3 GB, from TensorFlow's public bucket) first.
  if [ ! -e "$root" ]; then
    fetch_corpus "Speech Commands v0.02" "$root" http://download.tensorflow.org/data/speech_commands_v0.02.tar.gz .
  fi
  tolerate ssl prepare speech-commands "$root" --out "$data" --probe-per-word "$probe_per_word"
  done_stage 0
fi

if stage 1 "MFCC-39 shards of train, valid and the probe set ($nshard ranks each)"; then
  shards_for_splits "train valid" "$mfcc" "$nshard" --features mfcc --deltas --jobs "$jobs"
  NAMES="$data/probe_train.lst $data/probe_test.lst" extract_shards "$data/probe.tsv" probe "$mfcc" "$nshard" --features mfcc --deltas --jobs "$jobs"
  done_stage 1
fi

if stage 2 "k-means, $k clusters, on a $percent sample of the training MFCC frames"; then
  kmeans_train "$mfcc" "$k" "$exp/km/mfcc_k$k" --percent "$percent"
  done_stage 2
fi

if stage 3 "MFCC cluster labels (.km at 100 Hz)"; then
  label_splits "train valid" "$mfcc" "$exp/km/mfcc_k$k" "$exp/labels/iter1" 100
  done_stage 3
fi

if stage 4 "HuBERT iteration 1 ($(basename "$config"))"; then
  iteration1_unless_model "$exp/labels/iter1"
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
