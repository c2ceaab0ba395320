#!/usr/bin/env bash
# Corpus location and download for the recipes that need a public corpus (fsdd, cifar10, digits).
#
# default_data SHARED LOCAL: the corpus path to use when --data is not given: the project's shared copy
#   (SHARED, e.g. ../shared/data/fsdd/recordings) when it exists beside the checkout, else LOCAL under
#   the repository's data/ folder (git-ignored), where fetch_corpus puts a download.
# fetch_corpus WHAT DEST URL [INNER]: makes sure the corpus is at DEST. When DEST exists it is used as it
#   is. Otherwise URL is downloaded (curl) and unpacked; INNER (a path, glob allowed, inside the unpacked
#   archive; `.` for the whole archive; none for a single-file download) is moved to DEST. Where the download fails (no network), it
#   says plainly what to download and where to put it, and stops the recipe.

default_data() {
  if [ -e "$1" ]; then echo "$1"; else echo "$2"; fi
}

fetch_corpus() {
  local what="$1" dest="$2" url="$3" inner="${4:-}" tmp src
  if [ -e "$dest" ]; then
    echo "   $what: using $dest"
    return 0
  fi
  echo "   $what: not at $dest; downloading $url"
  tmp="$(mktemp -d)"
  if ! curl -fsSL --retry 2 --connect-timeout 20 -o "$tmp/download" "$url"; then
    rm -rf "$tmp"
    echo "could not download $url" >&2
    echo "Download it yourself, then put $what at $dest (or pass --data DIR to where it is)." >&2
    exit 1
  fi
  mkdir -p "$(dirname "$dest")"
  if [ -z "$inner" ]; then
    mv "$tmp/download" "$dest"
  else
    mkdir "$tmp/x"
    tar -xzf "$tmp/download" -C "$tmp/x"
    if [ "$inner" = . ]; then
      mv "$tmp/x" "$dest"
      rm -rf "$tmp"
      echo "   $what: downloaded to $dest"
      return 0
    fi
    # shellcheck disable=SC2086  # INNER may hold a glob (the archive's top folder carries a commit id)
    # No match is handled on the next line, with a message naming what is missing.
    if ! src="$(cd "$tmp/x" && ls -d $inner 2>/dev/null | head -n 1)"; then src=""; fi
    [ -n "$src" ] && [ -e "$tmp/x/$src" ] || { echo "the download from $url has no $inner" >&2; rm -rf "$tmp"; exit 1; }
    mv "$tmp/x/$src" "$dest"
  fi
  rm -rf "$tmp"
  echo "   $what: downloaded to $dest"
}
