#!/usr/bin/env bash
# Debian's chromium for the dashboard's browser tests (tests/KpiPipeline.Dashboard.Tests drive it with
# Playwright's ExecutablePath; no browser is ever downloaded). Nothing to do when it is already installed.
set -euo pipefail

if [[ -x /usr/bin/chromium ]]; then
    echo "chromium present: $(/usr/bin/chromium --version 2>/dev/null || echo unknown version)"
    exit 0
fi
sudo=""
if [[ "$(id -u)" != 0 ]]; then
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends chromium
/usr/bin/chromium --version
