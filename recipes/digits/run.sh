#!/usr/bin/env bash
# The 8x8 digits (1,797 images; a stratified 80/20 train/test split): rotation, SimCLR and masked-patch prediction
# on the one Trainer, then frozen-feature kNN and linear-probe accuracy on the test split, beside the
# random-init encoders. Usage: recipes/digits/run.sh [--stage N] [--stop-stage M] [--force]
#   data=/path/to/digits.csv.gz exp=exp/digits backend=wasm max_steps=N eval_train=0 recipes/digits/run.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../lib/stages.sh"
source "$here/../lib/image-methods.sh"
data="${data:-$repo_root/../shared/data/digits8x8/digits.csv.gz}"
exp="${exp:-exp/digits}"
eval_train="${eval_train:-0}"      # training images the probe/kNN are fitted on (0: all 1,438)
image_recipe_settings

stage 1 "check the data" && {
  [ -f "$data" ] || { echo "missing $data (the digits CSV, digits.csv.gz)"; exit 1; }
  echo "   $(gzip -dc "$data" | wc -l) images"
  done_stage 1
}

image_method_stages simclr    # distill learns from the simclr run
recipe_summary
