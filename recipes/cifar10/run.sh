#!/usr/bin/env bash
# CIFAR-10 (the shared 10,000-train / 2,000-test JPEG subset): rotation, SimCLR and masked-patch prediction
# on the one Trainer, then frozen-feature kNN and linear-probe accuracy on the test split, beside the
# random-init encoders. Usage: recipes/cifar10/run.sh [--stage N] [--stop-stage M] [--force]
#   data=/path/to/cifar10 exp=exp/cifar10 backend=wasm max_steps=N eval_train=2000 recipes/cifar10/run.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../lib/stages.sh"
source "$here/../lib/image-methods.sh"
data="${data:-$repo_root/../shared/data/cifar10}"
exp="${exp:-exp/cifar10}"
eval_train="${eval_train:-2000}"      # class-stratified training images the probe/kNN are fitted on (0: all 10,000)
image_recipe_settings

stage 1 "check the data" && {
  for split in train test; do
    [ -d "$data/$split" ] || { echo "missing $data/$split (expected $data/{train,test}/<class>/*.jpg)"; exit 1; }
  done
  echo "   $(find "$data/train" -name '*.jpg' | wc -l) train, $(find "$data/test" -name '*.jpg' | wc -l) test images"
  done_stage 1
}

image_method_stages rotation    # distill learns from the rotation run
recipe_summary
