#!/usr/bin/env bash
# The option parsing of the corpus recipes (librispeech, timit, speech_commands); sourced after
# stages.sh, which leaves the recipe's own options in recipe_args. The recipe sets its defaults, then
#   parse_corpus_options "<timit-root>" --exp --with-sa! --k ... -- "${recipe_args[@]+"${recipe_args[@]}"}"
# Each `--name` takes a value, which goes to the variable `name` with dashes as underscores
# (--iter1-steps N sets iter1_steps); `--name!` is a flag, whose variable gets the option itself
# (with_sa=--with-sa), to be passed on as it is. --train-set PATH=VALUE is every recipe's, repeatable:
# each adds `--set PATH=VALUE` to the array train_sets. The one positional argument is the corpus root,
# in `root`; the first argument names it in the usage message when it is missing.
parse_corpus_options() {
  local root_name="$1" known=() option
  shift
  while [ $# -gt 0 ] && [ "$1" != -- ]; do known+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  while [ $# -gt 0 ]; do
    case "$1" in
      --train-set) need_value "$@"; train_sets+=(--set "$2"); shift 2; continue ;;
      -*) ;;
      *) if [ -n "$root" ]; then echo "one corpus root only (got $root and $1)" >&2; exit 2; fi; root="$1"; shift; continue ;;
    esac
    for option in "${known[@]}" ""; do
      if [ "$option" = "$1" ]; then
        need_value "$@"; printf -v "$(_option_variable "$1")" '%s' "$2"; shift 2; break
      elif [ "$option" = "$1!" ]; then
        printf -v "$(_option_variable "$1")" '%s' "$1"; shift; break
      elif [ -z "$option" ]; then
        echo "unknown option $1 (see the header of $0)" >&2; exit 2
      fi
    done
  done
  [ -n "$root" ] || { echo "usage: $0 $root_name [options] (see the header)" >&2; exit 2; }
}

# _option_variable --iter1-steps: iter1_steps
_option_variable() {
  local name="${1#--}"
  echo "${name//-/_}"
}
