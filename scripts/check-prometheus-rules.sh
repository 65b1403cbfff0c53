#!/usr/bin/env bash
# Checks deploy/prometheus/alerts.yml with promtool: the rules parse (check rules) and fire as their unit tests in
# alerts.test.yml say (test rules). promtool comes with Debian's and Ubuntu's `prometheus` package.
set -euo pipefail
cd "$(dirname "$0")/../deploy/prometheus"

if ! command -v promtool >/dev/null; then
  echo "promtool not found: install it (apt-get install prometheus, or a Prometheus release archive)" >&2
  exit 1
fi
promtool check rules alerts.yml
promtool test rules alerts.test.yml
