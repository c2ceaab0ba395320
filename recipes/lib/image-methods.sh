#!/usr/bin/env bash
# Stages 2-4 shared by the image recipes (cifar10, digits): pretrain every method in `methods`, kNN and
# linear probe of each frozen encoder and of the random-init baselines, the results table.
# The recipe sets here, exp, data and eval_train, calls image_recipe_settings, runs its data check
# (stage 1), then
#   image_method_stages TEACHER      # TEACHER: the run distill learns from (trained earlier in `methods`)

# image_data_option: the image recipes' one command-line option, --data PATH (overrides $data; env data=PATH
# does the same); anything else is refused.
image_data_option() {
  set -- "${recipe_args[@]+"${recipe_args[@]}"}"
  while [ $# -gt 0 ]; do
    case "$1" in
      --data) need_value "$@"; data="$2"; shift 2 ;;
      *) echo "run.sh: unknown option $1 (see the header of $0)" >&2; exit 2 ;;
    esac
  done
}

# image_recipe_settings: what both image recipes take the same way: backend (env backend, default wasm),
# steps (--max-steps from env max_steps, else each config's), the methods in training order (distill
# last, after its teacher); creates $exp.
image_recipe_settings() {
  backend="${backend:-wasm}"
  steps=()
  if [ -n "${max_steps:-}" ]; then steps=(--max-steps "$max_steps"); fi
  methods=(rotation simclr masked-patch relative-position cpc byol distill)
  mkdir -p "$exp"
}

image_method_stages() {
local teacher="$1"
stage 2 "pretrain (${methods[*]})" && {
  for m in "${methods[@]}"; do
    rm -rf "$exp/$m"
    conf="$here/conf/$m.yaml"    # distill: the teacher is this exp's $teacher run (conf/distill.yaml assumes the default exp)
    [ "$m" = distill ] && { conf="$exp/distill.yaml"; sed "s|teacher: [^,}]*|teacher: $(cd "$exp" && pwd)/$teacher|" "$here/conf/distill.yaml" > "$conf"; }
    ssl train --config "$conf" --out "$exp/$m" --backend "$backend" --no-progress \
      --set data.path="$data" "${steps[@]}" 2> "$exp/$m.train.log" || { tail -n 5 "$exp/$m.train.log"; exit 1; }
    tail -n 2 "$exp/$m.train.log"
  done
  done_stage 2
}

stage 3 "kNN and linear probe on frozen features (test split)" && {
  for m in "${methods[@]}"; do
    ssl eval knn+probe --checkpoint "$exp/$m" --images "$data" --max-train "$eval_train" --backend "$backend" --out "$exp/$m.eval.json" > "$exp/$m.eval.txt"
    grep -v '^{' "$exp/$m.eval.txt"
  done
  # The random-init baselines: the same encoders at their initial weights (the configs' seeds).
  for m in rotation masked-patch distill; do
    ssl eval knn+probe --random-init "$here/conf/$m.yaml" --images "$data" --max-train "$eval_train" --backend "$backend" --out "$exp/random-$m.eval.json" > "$exp/random-$m.eval.txt"
    grep -v '^{' "$exp/random-$m.eval.txt"
  done
  done_stage 3
}

stage 4 "results table" && {
  node -e '
    const fs = require("fs"); const exp = process.argv[1];
    const rows = [["simclr", "simclr"], ["rotation", "rotation"], ["masked-patch", "masked-patch"], ["relative-position", "relative-position"], ["cpc", "cpc"], ["random init (resnet)", "random-rotation"], ["random init (vit)", "random-masked-patch"]];
    rows.push(["byol", "byol"], ["distill (half-width student)", "distill"], ["random init (student resnet)", "random-distill"]);
    console.log("| encoder | kNN k=20 | kNN k=200 | linear probe |\n| --- | --- | --- | --- |");
    for (const [name, f] of rows) {
      const p = `${exp}/${f}.eval.json`; if (!fs.existsSync(p)) continue;
      const a = JSON.parse(fs.readFileSync(p, "utf8")).accuracy; const pc = (v) => (100 * v).toFixed(1) + "%";
      console.log(`| ${name} | ${pc(a["k=20"])} | ${pc(a["k=200"])} | ${pc(a.probe)} |`);
    }' "$exp" | tee "$exp/results.md"
  done_stage 4
}
  return 0
}
