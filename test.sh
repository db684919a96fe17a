#!/usr/bin/env bash
# Runs every test: installs the pinned npm tools (Node 22, the local AWS emulators) when the lock
# file changed, builds and tests the solution, and prints one final line "N passed, N failed"
# (", N skipped" when any were skipped). Exits non-zero when the build or any test failed.
#
#   ./test.sh                                  every test project of KpiPipeline.slnx
#   ./test.sh tests/KpiPipeline.Core.Tests     one test project (or any solution/project path)
#   ./test.sh --filter "FullyQualifiedName~Emulators"   extra arguments go to dotnet test
#   ./test.sh --install-only                   only install the npm tools
#
# TEST_RESULTS_DIR (default artifacts/test-results) receives one TRX file per test project;
# TEST_HANG_TIMEOUT (default 10m) is how long one test may run before its test host is killed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

install_npm_tools() {
    # npm ci wipes and reinstalls node_modules (~15 s); skip it while the installed tree matches
    # package.json + package-lock.json. The stamp is written only after a successful install.
    local stamp=node_modules/.kpi-pipeline-install.sha256 wanted
    wanted="$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)"
    if [[ -x node_modules/.bin/node && -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
        return
    fi
    echo "Installing npm test tools (npm ci)..."
    npm ci --no-audit --no-fund
    echo "$wanted" > "$stamp"
}

# Counts the test results of every TRX file and prints "N passed, N failed[, N skipped]".
# Results, not the <Counters> element: skipped tests are "NotExecuted" results but are not
# counted there.
summarize() {
    local results_dir=$1 passed=0 failed=0 skipped=0 outcome
    while read -r outcome; do
        case "$outcome" in
            Passed) passed=$((passed + 1)) ;;
            NotExecuted) skipped=$((skipped + 1)) ;;
            *) failed=$((failed + 1)) ;; # Failed, Error, Timeout, Aborted, Inconclusive, ...
        esac
    done < <(find "$results_dir" -maxdepth 1 -name '*.trx' -exec grep -ho '<UnitTestResult [^>]*>' {} + \
        | sed -n 's/.* outcome="\([A-Za-z]*\)".*/\1/p')
    local line="$passed passed, $failed failed"
    if ((skipped > 0)); then
        line+=", $skipped skipped"
    fi
    echo "$line"
    [[ $failed -eq 0 ]]
}

if [[ "${1:-}" == "--install-only" ]]; then
    install_npm_tools
    exit 0
fi

target=KpiPipeline.slnx
if [[ $# -gt 0 && "$1" != -* ]]; then
    target=$1
    shift
fi

install_npm_tools

results_dir="${TEST_RESULTS_DIR:-artifacts/test-results}"
rm -rf "$results_dir"
mkdir -p "$results_dir"

# A hung test host is killed (and reported as failed) long before CI's own time limit.
test_status=0
dotnet test "$target" \
    --logger "trx" \
    --results-directory "$results_dir" \
    --blame-hang-timeout "${TEST_HANG_TIMEOUT:-10m}" \
    --blame-hang-dump-type none \
    "$@" || test_status=$?

summary_status=0
if [[ $test_status -ne 0 ]]; then
    echo "dotnet test exited with code $test_status (build failure or failed tests; see above)."
fi
summarize "$results_dir" || summary_status=$?

if [[ $test_status -ne 0 ]]; then
    exit "$test_status"
fi
exit "$summary_status"
