#!/usr/bin/env bash
# The 8x8 digits (1,797 images; a stratified 80/20 train/test split): rotation, SimCLR and masked-patch prediction
# on the one Trainer, then frozen-feature kNN and linear-probe accuracy on the test split, beside the
# random-init encoders. Usage: recipes/digits/run.sh [--data FILE] [--stage N] [--stop-stage M] [--force]
#   exp=exp/digits backend=wasm max_steps=N eval_train=0 recipes/digits/run.sh
# Default data: the project's shared copy beside the checkout when there is one, else data/digits.csv.gz,
# which stage 0 downloads (scikit-learn's copy of the UCI set, 1,797 images).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../lib/stages.sh"
source "$here/../lib/image-methods.sh"
source "$here/../lib/fetch.sh"
data="${data:-$(default_data "$repo_root/../shared/data/digits8x8/digits.csv.gz" "$repo_root/data/digits.csv.gz")}"
image_data_option   # --data PATH (or data=PATH in the environment): the corpus location

exp="${exp:-exp/digits}"
eval_train="${eval_train:-0}"      # training images the probe/kNN are fitted on (0: all 1,438)
image_recipe_settings

stage 0 "the corpus (downloaded from its public home when it is not there)" && {
  fetch_corpus "the digits CSV (digits.csv.gz)" "$data" https://raw.githubusercontent.com/scikit-learn/scikit-learn/main/sklearn/datasets/data/digits.csv.gz
  done_stage 0
}

stage 1 "check the data" && {
  [ -f "$data" ] || { echo "missing $data (the digits CSV, digits.csv.gz)"; exit 1; }
  echo "   $(gzip -dc "$data" | wc -l) images"
  done_stage 1
}

image_method_stages simclr    # distill learns from the simclr run
recipe_summary
