#!/usr/bin/env bash
# Installs what cloudbill needs on a Debian machine, only when missing:
# clickhouse-server (the embedded store), the CJK TrueType font for PDFs, poppler-utils
# (pdftotext, used by tests to read the PDFs back), prometheus (with promtool: the collector
# tests and benchmark run a real Prometheus), chromium (the portal's browser tests),
# zookeeper (the local cluster of scripts/local-cluster.sh, started by the cluster tests).
set -euo pipefail
need=()
command -v clickhouse-server >/dev/null 2>&1 || [ -x /usr/sbin/clickhouse-server ] || need+=(clickhouse-server)
command -v clickhouse-client >/dev/null 2>&1 || need+=(clickhouse-client)
[ -f /usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf ] || [ -f /usr/share/fonts/truetype/arphic/gbsn00lp.ttf ] || need+=(fonts-arphic-gbsn00lp)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
{ [ -x /usr/bin/prometheus ] || command -v prometheus >/dev/null 2>&1; } && command -v promtool >/dev/null 2>&1 || need+=(prometheus)
[ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -f /usr/share/java/zookeeper.jar ] || need+=(zookeeper)
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
command -v go >/dev/null 2>&1 || [ -x /usr/local/go/bin/go ] || need+=(golang-go)
if [ ${#need[@]} -gt 0 ]; then
  echo "deps: installing ${need[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
