#!/usr/bin/env bash
# Fetches libchdb.so (current ClickHouse in-process, for the chDB query suite of
# sql/chdbtest) once into a cache directory and prints its path. The library comes from
# the npm package @chdb/lib-linux-x64-gnu at a pinned version (npm checks the package's
# integrity); only libchdb.so is kept (about 560 MB; the download is about 170 MB).
#   CLOUDBILL_CACHE   cache root (default ~/.cache/cloudbill)
#   CHDB_VERSION      package version (default below; the suite is tested on it)
set -euo pipefail
version=${CHDB_VERSION:-26.5.3}
dir=${CLOUDBILL_CACHE:-$HOME/.cache/cloudbill}/chdb/$version
lib=$dir/libchdb.so
if [ ! -s "$lib" ]; then
  command -v npm >/dev/null 2>&1 || { echo "chdb: npm is missing (scripts/deps.sh test installs it)" >&2; exit 1; }
  mkdir -p "$dir"
  tmp=$(mktemp -d "$dir/.fetch.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  echo "chdb: fetching @chdb/lib-linux-x64-gnu@$version into $dir" >&2
  (cd "$tmp" && npm pack --silent "@chdb/lib-linux-x64-gnu@$version" >/dev/null)
  tar -xzf "$tmp"/*.tgz -C "$tmp" package/libchdb.so
  mv "$tmp/package/libchdb.so" "$lib.part"
  mv "$lib.part" "$lib"
fi
echo "$lib"
