#!/usr/bin/env bash
# Code style is decided once in .editorconfig; CI holds every project to it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
dotnet format KpiPipeline.slnx --verify-no-changes
echo "format: no changes needed"
