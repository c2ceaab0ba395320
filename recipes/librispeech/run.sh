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
source "$here/../lib/options.sh"
source "$here/../lib/fetch.sh"

root="" splits="train-clean-100,dev-clean" exp="$here/exp" nshard=2 percent=0.1 k1=100 k2=500 layer=6 jobs=1
iter1_steps="" iter2_steps="" backend=auto train_sets=()
iter1_config="$here/conf/hubert_iter1.yaml" iter2_config="$here/conf/hubert_iter2.yaml"
parse_corpus_options "<librispeech-root>" --splits --exp --nshard --percent --k1 --k2 --layer --jobs \
  --iter1-steps --iter2-steps --iter1-config --iter2-config --backend -- "${recipe_args[@]+"${recipe_args[@]}"}"
iter1_config="$(recipe_file "$iter1_config")"
iter2_config="$(recipe_file "$iter2_config")"
corpus_folders
feats1="$exp/feats/hubert_iter1_l${layer}"
splits_of_data() { local s; for s in train valid; do [ -f "$data/$s.tsv" ] && echo "$s"; done; return 0; }

if stage 0 "manifests of $splits (train-* -> train.tsv, the others -> valid.tsv) with .wrd/.ltr transcripts"; then
  # A split missing under the root is downloaded from OpenSLR (resource 12) first, where the network allows.
  for split in ${splits//,/ }; do
    fetch_corpus "LibriSpeech $split" "$root/$split" "https://www.openslr.org/resources/12/$split.tar.gz" "LibriSpeech/$split"
  done
  tolerate ssl prepare librispeech "$root" --splits "$splits" --out "$data"
  done_stage 0
fi

if stage 1 "MFCC-39 shards ($nshard ranks per split)"; then
  ALSO_EXT="wrd ltr" shards_for_splits "$(splits_of_data)" "$mfcc" "$nshard" --features mfcc --deltas --jobs "$jobs"
  done_stage 1
fi

if stage 2 "k-means, $k1 clusters, on a $percent sample of the MFCC frames"; then
  kmeans_train "$mfcc" "$k1" "$exp/km/mfcc_k$k1" --percent "$percent"
  done_stage 2
fi

if stage 3 "MFCC cluster labels (.km at 100 Hz, dict.km.txt)"; then
  label_splits "$(splits_of_data)" "$mfcc" "$exp/km/mfcc_k$k1" "$exp/labels/iter1" 100
  done_stage 3
fi

if stage 4 "HuBERT iteration 1 ($(basename "$iter1_config"))"; then
  train_on_labels "$iter1_config" "$exp/hubert_iter1" "$exp/labels/iter1" "$iter1_steps"
  done_stage 4
fi

if stage 5 "layer-$layer features of the iteration-1 model ($nshard ranks per split)"; then
  shards_for_splits "$(splits_of_data)" "$feats1" "$nshard" --features "$exp/hubert_iter1" --layer "$layer"
  done_stage 5
fi

if stage 6 "k-means, $k2 clusters, on a $percent sample of the layer-$layer features"; then
  kmeans_train "$feats1" "$k2" "$exp/km/hubert_iter1_l${layer}_k$k2" --percent "$percent"
  done_stage 6
fi

if stage 7 "layer-$layer cluster labels (.km at 50 Hz)"; then
  label_splits "$(splits_of_data)" "$feats1" "$exp/km/hubert_iter1_l${layer}_k$k2" "$exp/labels/iter2" 50
  done_stage 7
fi

if stage 8 "HuBERT iteration 2 ($(basename "$iter2_config"))"; then
  train_on_labels "$iter2_config" "$exp/hubert_iter2" "$exp/labels/iter2" "$iter2_steps"
  done_stage 8
fi

recipe_summary
