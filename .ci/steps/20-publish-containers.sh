#!/usr/bin/env bash
# Publishes the two container deployables the way their Dockerfiles do (Native AOT; ContainerPublish.props), so a
# project that stops compiling ahead of time fails CI before any image build, and then runs what was published
# against the JIT build of the same code. Trimming and AOT compilation must not change what the code computes, and
# Deedle's FSharp.Core publishes with trimming warnings (ContainerPublish.props), so the comparison is on whole runs
# of the committed sample: every file they write, the reports and the KPIs.
# For the build machine's architecture only (the Dockerfiles' amd64 build; the arm64 images Fargate runs are
# cross-compiled by `docker build`, which would double this step's time). Needs the .NET SDK and clang
# (.ci/steps/05-apt.sh); no Docker engine.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

publish_root="$root/.tmp/publish"   # /.tmp/ is git-ignored
work="$root/.tmp/aot-smoke"
rm -rf "$publish_root/validator" "$publish_root/kpi-job" "$work"
mkdir -p "$work"
started=$SECONDS

step() { printf '==> %s\n' "$*"; }
# The machine may be shared: the load says whether the times below compare with another run's.
step "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"

# Each project with its AssemblyName: the executable the Dockerfile's ENTRYPOINT runs.
for deployable in "validator/KpiPipeline.Validator.csproj validator" "spark-job/KpiPipeline.SparkJob.csproj kpi-job"; do
    read -r project executable <<<"$deployable"
    step "publish $project (Native AOT, as docker/$executable.Dockerfile does for amd64)"
    publish_started=$SECONDS
    dotnet publish "$project" --configuration Release -p:ContainerArch=amd64 \
        --output "$publish_root/$executable" --verbosity quiet
    # What the image's final stage copies (the executable and the native libraries), and nothing else: the runs
    # below start from here, so an executable that needs another file of the publish folder fails in CI.
    mkdir -p "$work/image-$executable"
    cp "$publish_root/$executable/$executable" "$publish_root/$executable"/*.so "$work/image-$executable/"
    step "published in $((SECONDS - publish_started)) s: $(cd "$work/image-$executable" && echo *)"
done
aot_kpi_job="$work/image-kpi-job/kpi-job"
aot_validator="$work/image-validator/validator"

# The JIT side, in the configuration ./test.sh builds, so the tests after the steps reuse this build.
step "build spark-job (JIT, with the validator it references)"
dotnet build spark-job/KpiPipeline.SparkJob.csproj --verbosity quiet
jit_kpi_job="spark-job/bin/Debug/net10.0/kpi-job"
jit_validator="validator/bin/Debug/net10.0/validator"

# What varies from one run to the next, found by comparing two JIT runs of the same lake: the moments recorded
# (a manifest's created_at, a report's validated_at, its summary's "(validated at …)") and the durations of a
# transformation (elapsed_ms, phases_ms).
normalise() {
    sed -E -e 's/"(created_at|validated_at)": "[^"]*"/"\1": "-"/g' \
        -e 's/\(validated at [^)]*\)/(validated at -)/g' \
        -e 's/"elapsed_ms": [0-9]+/"elapsed_ms": 0/g' \
        -e '/"phases_ms": \{/,/\}/ s/": [0-9]+/": 0/'
}

# Every file of two lakes equal, the reports after normalise, everything else byte for byte. Not compared: the
# lock file (a process id) and kpis.db (SQLite pages; its KPIs are compared through `kpi-job kpis`).
compare_lakes() {
    local aot=$1 jit=$2 file
    local list=(find . -type f ! -name kpis.db ! -name kpi-job.lock)
    diff --unified --label "AOT lake" --label "JIT lake" <(cd "$aot" && "${list[@]}" | sort) <(cd "$jit" && "${list[@]}" | sort)
    while read -r file; do
        case "$file" in
            *.json | *.txt)
                diff --unified --label "AOT $file" --label "JIT $file" <(normalise <"$aot/$file") <(normalise <"$jit/$file")
                ;;
            *) cmp "$aot/$file" "$jit/$file" ;;
        esac
    done < <(cd "$aot" && "${list[@]}" | sort)
    echo "$(cd "$aot" && "${list[@]}" | wc -l) files equal"
}

step "kpi-job: AOT and JIT runs of samples/shop/raw"
"$aot_kpi_job" --help >/dev/null
"$aot_kpi_job" run --lake "$work/kpi-job-aot" --upload samples/shop/raw --format none
"$jit_kpi_job" run --lake "$work/kpi-job-jit" --upload samples/shop/raw --format none
compare_lakes "$work/kpi-job-aot" "$work/kpi-job-jit"
"$aot_kpi_job" kpis --lake "$work/kpi-job-aot" --format json >"$work/kpis-aot.json"
"$jit_kpi_job" kpis --lake "$work/kpi-job-jit" --format json >"$work/kpis-jit.json"
diff --unified --label "AOT kpis" --label "JIT kpis" "$work/kpis-aot.json" "$work/kpis-jit.json"
# Equal and empty would prove nothing: the sample has KPIs for its two days.
days="$(grep -c '"date_key"' "$work/kpis-aot.json" || true)"
if [[ "$days" -eq 0 ]]; then
    echo "kpi-job kpis printed no KPIs for the sample" >&2
    exit 1
fi
echo "KPIs equal ($days rows with a date)"

# The validator container's input, as the state machine hands it over: a run stopped where its first batch is
# claimed (KPI_JOB_PAUSE_AT, spark-job/Pipeline/StepPause.cs) leaves that batch's manifest and raw files.
step "validator: AOT and JIT validation of a claimed batch"
"$aot_validator" --help >/dev/null
mkfifo "$work/paused-stdin"
KPI_JOB_PAUSE_AT=claimed "$jit_kpi_job" run --lake "$work/claimed" --upload samples/shop/raw --format none \
    <"$work/paused-stdin" 2>"$work/paused.log" &
paused=$!
exec 3>"$work/paused-stdin" # a writer that never writes: the paused run blocks reading its stdin
for _ in $(seq 600); do
    if grep -q 'kpi-job paused at claimed' "$work/paused.log" || ! kill -0 "$paused" 2>/dev/null; then
        break
    fi
    sleep 0.1
done
kill -KILL "$paused" 2>/dev/null || true
wait "$paused" 2>/dev/null || true
exec 3>&-
if ! grep -q 'kpi-job paused at claimed' "$work/paused.log"; then
    echo "kpi-job did not pause at claimed; its stderr:" >&2
    cat "$work/paused.log" >&2
    exit 1
fi
manifest="$(cd "$work/claimed" && find batches -name 'v*.json' | sort | head -n 1)"
for build in aot jit; do
    cp -a "$work/claimed" "$work/validator-$build"
    validator_executable="$aot_validator"
    if [[ $build == jit ]]; then
        validator_executable="$jit_validator"
    fi
    if ! "$validator_executable" --lake "$work/validator-$build" --manifest "$manifest" \
        >"$work/validation-$build.json" 2>"$work/validation-$build.log"; then
        echo "$build validator failed on $manifest; its stderr:" >&2
        cat "$work/validation-$build.log" >&2
        exit 1
    fi
done
diff --unified --label "AOT validator stdout" --label "JIT validator stdout" \
    <(normalise <"$work/validation-aot.json") <(normalise <"$work/validation-jit.json")
compare_lakes "$work/validator-aot" "$work/validator-jit"
echo "validator results equal for $manifest"

step "done in $((SECONDS - started)) s; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
