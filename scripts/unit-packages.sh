#!/usr/bin/env bash
# The packages whose tests need no server: none of their tests starts ClickHouse
# (sql/chtest, internal/chserver), Prometheus (internal/promtest), Chromium (chromedp),
# the district generator's dataset (fixture/gentest) or another program (os/exec).
# `make unit` runs them.
set -euo pipefail
cd "$(dirname "$0")/.."
go list -f '{{.ImportPath}}|{{join .TestImports " "}} {{join .XTestImports " "}}|{{len .TestGoFiles}}{{len .XTestGoFiles}}' ./... |
  awk -F'|' '$3 != "00"' |
  grep -vE 'cloudbill/sql/chtest|cloudbill/internal/chserver|cloudbill/internal/promtest|chromedp|fixture/gentest|os/exec' |
  cut -d'|' -f1
