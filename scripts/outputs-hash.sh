#!/usr/bin/env bash
# outputs-hash.sh BINARY OUTFILE — byte hashes of everything the demo writes (two scales,
# two seeds, a fixed month) and of the golden statement files, for comparing two builds of
# cloudbill: a restructuring must leave every line of OUTFILE unchanged.
#   go build -o /tmp/cb ./cmd/cloudbill && scripts/outputs-hash.sh /tmp/cb /tmp/hashes.txt
set -euo pipefail
bin=$(realpath "$1")
outfile=$2
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
period=${PERIOD:-2026-10}
: >"$outfile"
# hashtree DIR LABEL: one line per file. A statement PDF carries the time it was made (the
# close time: /CreationDate, /ModDate); that stamp is blanked, every other byte counts. A
# reconciliation PDF also prints the close's run id and time inside its compressed page
# stream: it is compared as its text (pdftotext) with those two blanked.
hashtree() {
	(cd "$1" && find . -type f | LC_ALL=C sort | while read -r f; do
		case $f in
		*reconcile-*.pdf) h=$(pdftotext -layout "$f" - | perl -pe 's/\d{4}-\d{2}-[0-9a-f]{16}/RUN/g; s/\d{4}-\d{2}-\d{2} \d{2}:\d{2}/TIME/g' | sha256sum) ;;
		*.pdf) h=$(LC_ALL=C perl -pe 's/D:\d{14}/D:00000000000000/g' "$f" | sha256sum) ;;
		*) h=$(sha256sum <"$f") ;;
		esac
		echo "${h%% *}  $2/${f#./}"
	done)
}
for scale in small district; do
	for seed in 1 7; do
		dir=$work/$scale-$seed
		mkdir -p "$dir"
		(cd "$dir" && "$bin" --data-dir "$dir/var" demo --scale "$scale" --seed "$seed" \
			--period "$period" --out "$dir/out" >"$dir/stdout.txt" 2>"$dir/stderr.txt") ||
			{ cat "$dir/stderr.txt" >&2; exit 1; }
		# The demo's summary without the step times and the elapsed line; the temporary
		# directory is named WORK.
		grep -v -e 'elapsed' -e '[0-9]s$' -e '^statements:' -e '^reconciliation:' "$dir/stdout.txt" |
			sed "s|$work|WORK|g" |
			sha256sum | sed "s|-|$scale-$seed/summary|" >>"$outfile"
		hashtree "$dir/out" "$scale-$seed/out" >>"$outfile"
		# Standalone gen, as `cloudbill gen` writes it.
		"$bin" gen --out "$dir/gen" --scale "$scale" --period "$period" --seed "$seed" >/dev/null
		hashtree "$dir/gen" "$scale-$seed/gen" >>"$outfile"
	done
done
# Golden statement files the tests compare against (CSV, text extracted from PDFs).
(cd "$repo/statements" && find . -path '*testdata*' -type f | LC_ALL=C sort | xargs sha256sum) |
	sed 's|  |  golden/|' >>"$outfile"
wc -l <"$outfile"
