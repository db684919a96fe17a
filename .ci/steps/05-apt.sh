#!/usr/bin/env bash
# Debian packages the later steps and tests need, installed only when missing (nothing to do on a machine that
# has them):
# - chromium for the dashboard's browser tests (tests/KpiPipeline.Dashboard.Tests drive it with Playwright's
#   ExecutablePath; no browser is ever downloaded);
# - clang and zlib1g-dev, the Native AOT prerequisites Microsoft lists for Debian and Ubuntu
#   (https://aka.ms/nativeaot-prerequisites), for the containers' publish in .ci/steps/20-publish-containers.sh:
#   the ILCompiler links the executable with clang (which brings binutils' ld and objcopy). Only for the build
#   machine's own architecture: CI does not cross-compile the arm64 images.
# - python3-pandas for `kpi-job bench --compare pandas` and the tests that hold its script
#   (tests/KpiPipeline.PandasBench/pandas_kpis.py) to kpi-job's KPIs: Debian's pandas is the one the package
#   registries here offer, and it installs for /usr/bin/python3, where bench looks when the python3 on PATH lacks it.
set -euo pipefail

installed() { dpkg-query --show --showformat='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

missing=()
if [[ ! -x /usr/bin/chromium ]]; then
    missing+=(chromium)
fi
for package in clang zlib1g-dev python3-pandas; do
    if ! installed "$package"; then
        missing+=("$package")
    fi
done

if [[ ${#missing[@]} -gt 0 ]]; then
    sudo=""
    if [[ "$(id -u)" != 0 ]]; then
        sudo="sudo"
    fi
    export DEBIAN_FRONTEND=noninteractive
    echo "installing: ${missing[*]}"
    $sudo apt-get update -q
    $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
echo "chromium present: $(/usr/bin/chromium --version 2>/dev/null || echo unknown version)"
echo "clang present: $(clang --version | head -n 1)"
echo "pandas present: $(/usr/bin/python3 -c 'import pandas; print(pandas.__version__)')"
