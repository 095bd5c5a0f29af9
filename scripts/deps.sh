#!/usr/bin/env bash
# Installs, only when missing, what cloudbill needs on a Debian machine.
#   deps.sh demo   what `make demo` needs: clickhouse-server and clickhouse-client (the
#                  embedded store), the CJK TrueType font of the PDFs
#   deps.sh test   (default) also what the tests need: poppler-utils (pdftotext reads the
#                  PDFs back), prometheus with promtool (collector tests and benchmark),
#                  chromium (the portal's browser tests), zookeeper and a Java runtime (the
#                  local cluster of scripts/local-cluster.sh), npm (scripts/chdb.sh fetches
#                  libchdb, the current ClickHouse of the chDB suite, with it), systemd
#                  (systemd-analyze verify checks deploy/systemd/cloudbill.service)
set -euo pipefail
mode=${1:-test}
case "$mode" in demo|test) ;; *) echo "usage: deps.sh demo|test" >&2; exit 2 ;; esac
need=()
command -v clickhouse-server >/dev/null 2>&1 || [ -x /usr/sbin/clickhouse-server ] || need+=(clickhouse-server)
command -v clickhouse-client >/dev/null 2>&1 || need+=(clickhouse-client)
[ -f /usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf ] || [ -f /usr/share/fonts/truetype/arphic/gbsn00lp.ttf ] || need+=(fonts-arphic-gbsn00lp)
# Go: go.mod wants 1.26; Debian 12's golang-go is 1.19, too old to build it or to fetch a
# newer toolchain, so it is not installed here
if ! command -v go >/dev/null 2>&1 && [ ! -x /usr/local/go/bin/go ]; then
  echo "deps: Go missing: install Go 1.26 in /usr/local/go (go.dev's tarball; Debian 12's golang-go 1.19 cannot build cloudbill)" >&2
  exit 1
fi
if [ "$mode" = test ]; then
  command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
  { [ -x /usr/bin/prometheus ] || command -v prometheus >/dev/null 2>&1; } && command -v promtool >/dev/null 2>&1 || need+=(prometheus)
  [ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1 || need+=(chromium)
  [ -f /usr/share/java/zookeeper.jar ] || need+=(zookeeper)
  command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
  command -v npm >/dev/null 2>&1 || need+=(npm)
  command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "deps: installing ${need[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
