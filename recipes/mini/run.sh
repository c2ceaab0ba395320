#!/usr/bin/env bash
# The embedded default: the whole HuBERT pipeline on the 400 FSDD clips in recipes/mini/corpus.
#   bash recipes/mini/run.sh [--exp DIR] [--steps N] [--backend B] [--stage N] [--stop-stage M] [--force]
# (`npm start` runs it.) Stages: manifest, features, k-means, labels, HuBERT training, ONNX export,
# onnxruntime extraction, probes, report. A finished stage is skipped on a rerun (--force reruns).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../lib/stages.sh"
source "$here/../lib/steps.sh"

exp="$repo_root/exp/mini"
steps=""
backend=auto
k=50
layer=2
set -- "${recipe_args[@]+"${recipe_args[@]}"}"
while [ $# -gt 0 ]; do
  case "$1" in
    --exp) exp="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    --backend) backend="$2"; shift 2 ;;
    *) echo "run.sh: unknown option $1 (known: --exp --steps --backend --stage --stop-stage --force)" >&2; exit 2 ;;
  esac
done
mkdir -p "$exp"
exp="$(cd "$exp" && pwd)"
corpus="$here/corpus"
echo "mini recipe: corpus $corpus (400 FSDD clips, CC BY-SA 4.0), experiment folder $exp"

if stage 1 "manifest (90% train / 10% valid)"; then
  ssl manifest "$corpus" --out "$exp/data/train.tsv" --valid-percent 0.1 --seed 1
  done_stage 1
fi

if stage 2 "features: MFCC-39 for the labels, 80-bin fbank for the model"; then
  features_for_splits "train valid"
  done_stage 2
fi

if stage 3 "k-means on MFCC-39 (k $k)"; then
  kmeans_train "$exp/mfcc" "$k" "$exp/km/mfcc$k"
  done_stage 3
fi

if stage 4 "labels (.km at 100 Hz)"; then
  # FSDD is 8 kHz: the manifest counts samples at that rate.
  label_splits "train valid" "$exp/mfcc" "$exp/km/mfcc$k" "$exp/labels" 100 --sample-rate 8000
  done_stage 4
fi

if stage 5 "HuBERT iteration 1 (recipes/mini/conf/hubert.yaml)"; then
  extra=()
  [ -n "$steps" ] && extra+=(--max-steps "$steps")
  # A killed run resumes where it stopped; --force starts it over.
  if [ "$force" = true ]; then rm -rf "$exp/hubert"; fi
  ssl train --resume --config "$here/conf/hubert.yaml" --out "$exp/hubert" --backend "$backend" --no-progress \
    --set "data.train.features=$exp/fbank/train" --set "data.train.labels=[$exp/labels/train.km]" \
    --set "data.valid.features=$exp/fbank/valid" --set "data.valid.labels=[$exp/labels/valid.km]" \
    "${extra[@]+"${extra[@]}"}"
  done_stage 5
fi

if stage 6 "ONNX export (waveform in: the fbank frontend inside the graph; every layer out)"; then
  ssl export "$exp/hubert" --out "$exp/hubert.onnx" --with-frontend --layers all
  done_stage 6
fi

if stage 7 "features of layer $layer with onnxruntime"; then
  ssl extract "$exp/data/train.tsv" --features "$exp/hubert.onnx" --layer "$layer" --device auto --concat --out "$exp/hubert_l$layer" --overwrite
  done_stage 7
fi

if stage 8 "linear probe on digits, leave one speaker out: pooled fbank vs HuBERT layer $layer (mean and mean+std pooling)"; then
  ssl eval probe "$exp/fbank" --split train --manifest "$exp/data/train.tsv" --pool mean,mean+std --out "$exp/probe_fbank.json" > "$exp/probe_fbank.txt"
  ssl eval probe "$exp/hubert_l$layer" --split train --manifest "$exp/data/train.tsv" --pool mean,mean+std --out "$exp/probe_hubert.json" > "$exp/probe_hubert.txt"
  done_stage 8
fi

if stage 9 "run report"; then
  ssl report "$exp/hubert" --title "mini recipe: HuBERT iteration 1" \
    --embeddings "$exp/hubert_l$layer" --split train --manifest "$exp/data/train.tsv" \
    --km "$exp/labels/train.km" --k "$k" --example "$exp/fbank"
  done_stage 9
fi

# acc FILE.json: "mean-pooled% (mean+std pooled%)" of a probe's JSON.
acc() { node -e 'const m=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).mean;const p=(v)=>(100*v).toFixed(1)+"%";console.log(p(m.probe)+(m["probe mean+std"]===undefined?"":" (mean+std "+p(m["probe mean+std"])+")"))' "$1" 2>/dev/null || echo "-"; }
echo "== results"
echo "   digit probe, leave one speaker out (mean of 4 folds): pooled fbank $(acc "$exp/probe_fbank.json"), HuBERT layer $layer $(acc "$exp/probe_hubert.json")"
[ -f "$exp/hubert/report.html" ] && echo "   report: $exp/hubert/report.html"
recipe_summary
