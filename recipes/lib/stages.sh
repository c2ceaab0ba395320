#!/usr/bin/env bash
# Shared stage handling for recipes, as Kaldi/ESPnet recipes do it:
#   --stage N / --stop-stage M pick the stages to run; a finished stage leaves a marker
#   ($exp/.done/stage-N) and is skipped on a rerun unless --force is given.
# A recipe sources this file, sets `exp`, then wraps each stage:
#   stage 1 "manifest" && { commands...; done_stage 1; }
# Each stage prints its number, name and wall time. The marker holds the recipe's options of the run
# that finished the stage; a rerun with other options still skips it, but says that they differ.

stage_start=0
stop_stage=1000
force=false
recipe_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --stage) stage_start="$2"; shift 2 ;;
    --stop-stage) stop_stage="$2"; shift 2 ;;
    --force) force=true; shift ;;
    *) recipe_args+=("$1"); shift ;;
  esac
done

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ssl() { "$repo_root/bin/speech-ssl.js" "$@"; }
_stage_t0=0
_recipe_t0=$(date +%s)

# stage N NAME: true when stage N should run now (prints its header), false to skip it.
stage() {
  local n="$1" name="$2"
  if [ "$n" -lt "$stage_start" ] || [ "$n" -gt "$stop_stage" ]; then return 1; fi
  if [ "$force" != true ] && [ -f "$exp/.done/stage-$n" ]; then
    echo "== stage $n: $name (done before, skipped; --force reruns it)"
    local before
    before="$(cat "$exp/.done/stage-$n")"
    if [ -n "$before" ] && [ "$before" != "$(_stage_settings)" ]; then
      echo "   note: it was done with other options ($before); this run has ($(_stage_settings))"
    fi
    return 1
  fi
  echo "== stage $n: $name"
  _stage_t0=$(date +%s)
  return 0
}

# The recipe's own options (everything but --stage/--stop-stage/--force), as one line.
_stage_settings() {
  echo "${recipe_args[*]+"${recipe_args[*]}"}"
}

# done_stage N: marks stage N finished (the marker records the options) and prints its time.
done_stage() {
  mkdir -p "$exp/.done"
  _stage_settings > "$exp/.done/stage-$1"
  echo "   stage $1 took $(( $(date +%s) - _stage_t0 ))s"
}

# tolerate CMD...: runs a command whose exit status 1 means "finished; some inputs were reported on
# stderr and left out" (manifest, prepare, extract do this); any other failure stops the recipe.
tolerate() {
  local rc=0
  "$@" || rc=$?
  if [ "$rc" -eq 1 ]; then
    echo "   (finished; the files reported above were left out)"
  elif [ "$rc" -ne 0 ]; then
    echo "== failed (exit status $rc): $*" >&2
    exit "$rc"
  fi
}

# need_value OPTION VALUE: stops with a message when an option that takes a value has none.
need_value() {
  if [ $# -lt 2 ] || [ -z "$2" ]; then echo "option $1 needs a value" >&2; exit 2; fi
}

recipe_summary() {
  echo "== all stages finished in $(( $(date +%s) - _recipe_t0 ))s"
}
