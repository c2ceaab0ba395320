#!/usr/bin/env bash
# FSDD: HuBERT iterations 1 and 2, the other audio methods, probes by speaker.
#   bash recipes/fsdd/run.sh [--data DIR] [--exp DIR] [--backend B] [--holdout SPEAKER]
#                            [--methods "cpc wav2vec2 ..."] [--steps N] [--speed "0.9 1.1"] [--vtln "0.9 1.1"]
#                            [--teacher RUN]
#                            [--stage N] [--stop-stage M] [--force]
# Without --holdout every recording is unlabelled pretraining data and probes are leave-one-speaker-out;
# with --holdout S the speaker S is left out of pretraining and k-means too, and the probes train on the
# other speakers and test on S only (the stricter "voice never seen" protocol).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../lib/stages.sh"
source "$here/../lib/steps.sh"
source "$here/../lib/fetch.sh"

# --data: a folder of FSDD WAVs ({digit}_{speaker}_{take}.wav). Default: the project's shared copy beside
# the checkout when there is one, else data/fsdd/recordings, which stage 0 downloads.
data="$(default_data "$repo_root/../shared/data/fsdd/recordings" "$repo_root/data/fsdd/recordings")"
exp="$repo_root/exp/fsdd"
backend=auto
holdout=""
methods="cpc wav2vec2 temporal-gap byol hubert-cpc-gap distill hubert_iter1"
steps=400  # stage 10: updates per method (one budget for the results table; conf/<m>.yaml's maxSteps is overridden)
k1=100     # clusters of MFCC-39 (fairseq iteration 1)
k2=100     # clusters of the iteration-1 layer (fairseq uses 500 on LibriSpeech; FSDD has ~80k frames)
layer=2    # layer of iteration 1 that iteration 2 clusters, and that the probes read
speed=""   # --speed "0.9 1.1": Kaldi-style speed-perturbed copies of the training data (stage 4) for pretraining
vtln=""    # --vtln "0.9 1.1": VTLN-warped filterbank copies of the training data (stage 4), the same way
teacher="" # --teacher RUN: the teacher run (or checkpoint) of the distill methods of stage 10, instead of their config's
set -- "${recipe_args[@]+"${recipe_args[@]}"}"
while [ $# -gt 0 ]; do
  case "$1" in  # each option takes a value, which goes to the variable of its name (--steps N: steps=N)
    --data|--exp|--backend|--holdout|--methods|--steps|--layer|--speed|--vtln|--teacher)
      need_value "$@"; printf -v "${1#--}" '%s' "$2"; shift 2 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$exp"
exp="$(cd "$exp" && pwd)"
if [ -n "$teacher" ]; then
  case " $methods " in *" distill"*) ;; *) echo "run.sh: --teacher names the teacher of a distill method, but --methods ($methods) has none" >&2; exit 2 ;; esac
  [ -e "$teacher" ] || { echo "run.sh: --teacher $teacher: no such run or checkpoint folder (train the teacher first)" >&2; exit 2; }
  teacher="$(cd "$teacher" && pwd)"  # absolute: the config resolves a relative teacher against its own folder
fi
echo "fsdd recipe: data $data, experiment folder $exp${holdout:+, held-out speaker $holdout}"

# train RUN CONFIG [--set ...]: one training run, resumable (a killed run continues; --force restarts it).
train() {
  local run="$1" conf="$2"; shift 2
  if [ "$force" = true ]; then rm -rf "$run"; fi
  ssl train --resume --config "$conf" --out "$run" --backend "$backend" --no-progress "$@"
}
# probe NAME FEATS: digit probe by speaker on pooled features of every recording.
probe() {
  local name="$1" feats="$2" opts=("${@:3}")
  if [ -n "$holdout" ]; then opts+=(--train-list "$exp/data/probe_train.txt" --test-list "$exp/data/probe_test.txt"); fi
  ssl eval probe "$feats" --split all --manifest "$exp/data/all.tsv" --pool mean,mean+std "${opts[@]+"${opts[@]}"}" --out "$exp/probe/$name.json" > "$exp/probe/$name.txt"
  echo "   probe $name: $(probe_line "$exp/probe/$name.json")"
}
# probe_line FILE.json: "mean-pooled% / mean+std-pooled%" of a probe's JSON (per layer for a layer sweep).
probe_line() {
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const p = (v) => (v === undefined ? "-" : (100 * v).toFixed(1) + "%");
    if (!r.rows) { console.log(p(r.mean.probe) + " mean / " + p(r.mean["probe mean+std"]) + " mean+std"); process.exit(0); }
    const by = new Map();
    for (const row of r.rows) by.set(row.features, [...(by.get(row.features) ?? []), row.pool + " " + p(row.mean.probe)]);
    console.log([...by].map(([f, v]) => f + ": " + v.join(" / ")).join("; "));' "$1"
}
# With --speed/--vtln the training split is the original plus its perturbed copies (stage 4 assembles them).
train_feats="$exp/fbank/train"; train_labels1="$exp/labels1/train.km"
if [ -n "$speed$vtln" ]; then train_feats="$exp/fbank_aug/train"; train_labels1="$exp/labels1_aug/train.km"; fi
data_sets=(--set "data.train.features=$train_feats" --set "data.train.labels=[$train_labels1]"
           --set "data.valid.features=$exp/fbank/valid" --set "data.valid.labels=[$exp/labels1/valid.km]")

# perturbed_copies: for each speed factor and VTLN warp, MFCC-39 and fbank of the training split (the
# manifest's sample counts scaled for speed), iteration-1 labels from the same centroids, then fbank_aug/
# (shards train_R_N: rank 0 the original, then the copies, as links) and labels1_aug/train.km in that order.
perturbed_copies() {
  local copies=() c opt n tsv r=1
  for c in $speed; do copies+=("speed:$c"); done
  for c in $vtln; do copies+=("vtln:$c"); done
  local total=$(( ${#copies[@]} + 1 ))
  rm -rf "$exp/fbank_aug" "$exp/labels1_aug"; mkdir -p "$exp/fbank_aug" "$exp/labels1_aug"
  ln -s "$exp/fbank/train_0_1.npy" "$exp/fbank_aug/train_0_$total.npy"
  ln -s "$exp/fbank/train_0_1.len" "$exp/fbank_aug/train_0_$total.len"
  cp "$exp/fbank/features.json" "$exp/fbank_aug/features.json"   # the unperturbed input: what extraction from the model uses
  cp "$exp/labels1/train.km" "$exp/labels1_aug/train.km"
  cp "$exp/labels1/dict.km.txt" "$exp/labels1_aug/dict.km.txt"
  for c in "${copies[@]}"; do
    local kind="${c%%:*}" f="${c#*:}" name="${c/:/}"
    tsv="$exp/data/train_$name.tsv"
    if [ "$kind" = speed ]; then
      opt=(--speed "$f")
      { head -1 "$exp/data/train.tsv"; tail -n +2 "$exp/data/train.tsv" | awk -v r="$(node -p "Math.round($f * 8000)")" \
          '{ v = 8000 * $2 / r; c = int(v); if (c < v) c++; print $1 "\t" c }'; } > "$tsv"
    else
      opt=(--vtln-warp "$f"); cp "$exp/data/train.tsv" "$tsv"
    fi
    ssl extract "$exp/data/train.tsv" --features mfcc --deltas --concat --split "train_$name" --out "$exp/mfcc_$name" --jobs 2 "${opt[@]}"
    ssl extract "$exp/data/train.tsv" --features fbank --concat --split "train_$name" --out "$exp/fbank_$name" --jobs 2 "${opt[@]}"
    ssl label "$exp/mfcc_$name" --split "train_$name" --centroids "$exp/km/mfcc$k1" --out "$exp/labels1_$name" --manifest "$tsv" --label-rate 100 --sample-rate 8000
    ln -s "$exp/fbank_$name/train_${name}_0_1.npy" "$exp/fbank_aug/train_${r}_$total.npy"
    ln -s "$exp/fbank_$name/train_${name}_0_1.len" "$exp/fbank_aug/train_${r}_$total.len"
    cat "$exp/labels1_$name/train_$name.km" >> "$exp/labels1_aug/train.km"
    r=$((r + 1))
  done
  echo "   training split with copies (${copies[*]}): $(cat "$exp"/fbank_aug/train_*.len | wc -l) utterances"
}

if stage 0 "the corpus (downloaded from its public home when it is not there)"; then
  fetch_corpus "the FSDD recordings folder" "$data" \
    https://github.com/Jakobovski/free-spoken-digit-dataset/archive/refs/heads/master.tar.gz '*/recordings'
  echo "   $(find "$data" -name '*.wav' | wc -l) recordings"
  done_stage 0
fi

if stage 1 "manifests: all recordings; pretraining train/valid (5%)"; then
  ssl manifest "$data" --out "$exp/data/all.tsv"
  ssl manifest "$data" --out "$exp/data/pool.tsv" --valid-percent 0.05 --seed 1 --valid-out "$exp/data/valid.tsv"
  if [ -n "$holdout" ]; then
    for f in pool valid; do
      { head -1 "$exp/data/$f.tsv"; tail -n +2 "$exp/data/$f.tsv" | grep -v "_${holdout}_"; } > "$exp/data/$f.tmp" && mv "$exp/data/$f.tmp" "$exp/data/$f.tsv"
    done
    tail -n +2 "$exp/data/all.tsv" | cut -f1 | grep -v "_${holdout}_" > "$exp/data/probe_train.txt"
    tail -n +2 "$exp/data/all.tsv" | cut -f1 | grep "_${holdout}_" > "$exp/data/probe_test.txt"
  fi
  mv "$exp/data/pool.tsv" "$exp/data/train.tsv"
  wc -l "$exp"/data/*.tsv | sed 's/^/   /'
  done_stage 1
fi

if stage 2 "features: MFCC-39 (labels) and fbank 80 (model input), shards per split"; then
  features_for_splits "train valid all"
  done_stage 2
fi

if stage 3 "k-means on MFCC-39 (k $k1, fairseq mini-batch settings)"; then
  kmeans_train "$exp/mfcc" "$k1" "$exp/km/mfcc$k1"
  done_stage 3
fi

if stage 4 "iteration-1 labels (100 Hz)"; then
  label_splits "train valid all" "$exp/mfcc" "$exp/km/mfcc$k1" "$exp/labels1" 100 --sample-rate 8000
  if [ -n "$speed$vtln" ]; then perturbed_copies; fi
  done_stage 4
fi

if stage 5 "HuBERT iteration 1 (conf/hubert_iter1.yaml)"; then
  train "$exp/hubert1" "$here/conf/hubert_iter1.yaml" "${data_sets[@]}"
  done_stage 5
fi

if stage 6 "iteration-1 features of layer $layer (every recording)"; then
  for split in train valid all; do
    ssl extract "$exp/data/$split.tsv" --features "$exp/hubert1" --layer "$layer" --concat --out "$exp/hubert1_l$layer"
  done
  done_stage 6
fi

if stage 7 "k-means on iteration-1 layer $layer (k $k2), labels at 50 Hz"; then
  kmeans_train "$exp/hubert1_l$layer" "$k2" "$exp/km/hubert1_l$layer"
  label_splits "train valid all" "$exp/hubert1_l$layer" "$exp/km/hubert1_l$layer" "$exp/labels2" 50 --sample-rate 8000
  done_stage 7
fi

if stage 8 "HuBERT iteration 2 (conf/hubert_iter2.yaml)"; then
  train "$exp/hubert2" "$here/conf/hubert_iter2.yaml" \
    --set "data.train.features=$exp/fbank/train" --set "data.train.labels=[$exp/labels2/train.km]" \
    --set "data.valid.features=$exp/fbank/valid" --set "data.valid.labels=[$exp/labels2/valid.km]"
  ssl extract "$exp/data/all.tsv" --features "$exp/hubert2" --layer "$layer" --concat --out "$exp/hubert2_l$layer"
  done_stage 8
fi

if stage 9 "probes and cluster quality: pooled fbank, MFCC, HuBERT iterations 1 and 2"; then
  mkdir -p "$exp/probe"
  probe fbank "$exp/fbank"
  probe mfcc39 "$exp/mfcc"
  probe hubert1_l$layer "$exp/hubert1_l$layer"
  probe hubert2_l$layer "$exp/hubert2_l$layer"
  ssl eval pnmi "$exp/mfcc" --split all --manifest "$exp/data/all.tsv" --km "$exp/labels1/all.km" --out "$exp/probe/pnmi_mfcc.json" > "$exp/probe/pnmi_mfcc.txt"
  # Iteration-2 labels run at 50 Hz: each covers two 100 Hz MFCC frames (their energy picks speech frames).
  ssl eval pnmi "$exp/mfcc" --split all --manifest "$exp/data/all.tsv" --km "$exp/labels2/all.km" --frames-per-label 2 --out "$exp/probe/pnmi_hubert1.json" > "$exp/probe/pnmi_hubert1.txt"
  done_stage 9
fi

# Stage 10 is done for the methods and steps of the run that finished it: each method leaves its own marker,
# and a method (or step count) asked that has none reopens the stage (the finished ones are skipped in it).
for m in $methods; do [ -f "$exp/.done/method-$m-$steps" ] || rm -f "$exp/.done/stage-10"; done
if stage 10 "other methods, $steps updates each: $methods"; then
  # Transformer encoders are probed layer by layer (every hidden state, 0 = the transformer's input); the
  # others at their output (CPC/temporal-gap: the GRU context; byol: its encoder; distill: the student).
  declare -A layered=([hubert-cpc-gap]=1 [wav2vec2]=1 [hubert_iter1]=1 [distill-wav2vec2]=1)
  mkdir -p "$exp/probe" "$exp/.done"
  for m in $methods; do
    conf="$here/conf/$m.yaml"
    [ -f "$conf" ] || { echo "run.sh: --methods names $m, but there is no $conf" >&2; exit 2; }
    run="$exp/stage10/$steps/$m"
    [ -f "$exp/.done/method-$m-$steps" ] && [ "$force" != true ] && { echo "   $m: done before"; continue; }
    layer_opt=(); sweep=(); [ -n "${layered[$m]:-}" ] && layer_opt=(--layer all)
    teacher_opt=(); case "$m" in distill*) [ -n "$teacher" ] && teacher_opt=(--set "methods.0.config.teacher=$teacher") ;; esac
    start=$(date +%s)
    train "$run" "$conf" "${data_sets[@]}" --set "train.maxSteps=$steps" "${teacher_opt[@]+"${teacher_opt[@]}"}"
    echo "   $m: $steps updates in $(( $(date +%s) - start )) s (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    ssl extract "$exp/data/all.tsv" --features "$run" "${layer_opt[@]+"${layer_opt[@]}"}" --concat --out "$exp/stage10/$steps/${m}_feats" --overwrite
    if [ -n "${layered[$m]:-}" ]; then  # every hidden state alone (the SUPERB weighted sum: eval probe --layers all)
      sweep=(--layers "$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).layers.join(",")' "$exp/stage10/$steps/${m}_feats/features.json")")
    fi
    probe "s10_${m}_$steps" "$exp/stage10/$steps/${m}_feats" "${sweep[@]+"${sweep[@]}"}"
    touch "$exp/.done/method-$m-$steps"
  done
  done_stage 10
fi

if stage 11 "report (HuBERT iteration 1)"; then
  ssl report "$exp/hubert1" --title "FSDD: HuBERT iteration 1" \
    --embeddings "$exp/hubert1_l$layer" --split all --manifest "$exp/data/all.tsv" \
    --km "$exp/labels1/all.km" --k "$k1" --example "$exp/fbank"
  done_stage 11
fi

echo "== probe accuracy (digit, mean over folds; mean pooling / mean+std pooling)"
for f in "$exp"/probe/*.json; do
  [ -f "$f" ] || continue
  case "$f" in */pnmi_*) continue ;; esac
  echo "   $(basename "$f" .json | awk '{ printf "%-20s", $0 }')$(probe_line "$f")"
done
recipe_summary
