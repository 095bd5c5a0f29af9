#!/usr/bin/env bash
# Makes the upgrade test's fixture (cmd/cloudbill/upgrade_test.go) from an earlier release:
# builds the binary of git REF, lets it import the catalog fixtures of sql/testdata/catalog,
# rate, close and issue November 2026 on its own embedded ClickHouse 18.16, and keeps what
# that release left behind under OUT (default cmd/cloudbill/testdata/upgrade/REF):
#   migrations/          the release's migration files (its schema)
#   tables/NAME.tsv      every table's rows (TabSeparated, as SELECT * gives them)
#   tables.txt           the tables, one a line, in the order to load them
# Usage: scripts/upgrade-fixture.sh REF [OUT]      (e.g. release-1; docs/clickhouse.md)
set -euo pipefail
ref=${1:?usage: scripts/upgrade-fixture.sh REF [OUT]}
root=$(git rev-parse --show-toplevel)
out=${2:-$root/cmd/cloudbill/testdata/upgrade/$ref}
export PATH=/usr/local/go/bin:$PATH
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

git -C "$root" archive "$ref" | tar -x -C "$tmp" --one-top-level=src
(cd "$tmp/src" && go build -o "$tmp/cloudbill" ./cmd/cloudbill)
fx=$root/sql/testdata/catalog
var=$tmp/var
old() { "$tmp/cloudbill" --data-dir "$var" "$@" 8<&-; }

old catalog import "$fx/catalog.csv" --effective 2026-01-01 >/dev/null
# the embedded server stops with its last user: this script holds a share of it (fd 8, not
# passed on) until the dump is done
exec 8<"$var/clickhouse/clickhouse.users"
flock -s 8
old catalog import "$fx/catalog-2026-11-16.csv" --effective 2026-11-16 >/dev/null
old catalog adapt "$fx/adaptations.csv" >/dev/null
old org import --departments "$fx/departments.csv" --projects "$fx/projects.csv" --vendors "$fx/vendors.csv" >/dev/null
old orders import "$fx/orders.csv" >/dev/null
old acceptance import "$fx/acceptance.csv" >/dev/null
old rate --period 2026-11 >/dev/null
old close --period 2026-11 --allow-pending >/dev/null
old statements --period 2026-11 --out "$tmp/out" >/dev/null
echo "not-a-real-password" > "$tmp/pw"
old users add clerk --role finance --password-file "$tmp/pw" >/dev/null

port=$(cut -d: -f2 "$var/clickhouse/clickhouse.addr")
ch() { clickhouse-client --port "$port" --password "$(cat "$var/clickhouse/password")" --database cloudbill "$@"; }
rm -rf "$out"
mkdir -p "$out/migrations" "$out/tables"
cp "$tmp/src/sql/migrations/"*.sql "$out/migrations/"
ch --query "SELECT name FROM system.tables WHERE database = 'cloudbill' ORDER BY name" > "$out/tables.txt"
while read -r t; do
  ch --query "SELECT * FROM \`$t\` FORMAT TabSeparated" > "$out/tables/$t.tsv"
done < "$out/tables.txt"
exec 8<&-
old status >/dev/null || true # the last user: stops the server
echo "upgrade fixture of $ref ($(git -C "$root" rev-parse --short "$ref^{commit}")) in $out: $(wc -l < "$out/tables.txt") tables, $(du -sh "$out" | cut -f1)"
