#!/usr/bin/env bash
# Publishes the Lambda package the way it is deployed and synthesises the CDK app with it, so a
# function that stops publishing, or a stack that stops synthesising, fails CI before any
# deployment (.ci/steps/20-publish-containers.sh does the same for the two container images).
# Needs the .NET SDK and node; no AWS account, no Docker engine (image assets are staged, not built).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
# The jsii runtime under CDK 2.160 warns on every start that Node 20 is end-of-life; it works, and
# the variable (a list of acknowledged major versions) keeps the banner out of the CI log.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="${JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION:-20}"

publish_root="$root/.tmp/publish"   # /.tmp/ is git-ignored
rm -rf "$publish_root/lambda"
started=$SECONDS

step() { printf '==> %s\n' "$*"; }

# Same options as the documented Lambda publish (see LambdaPublishDirectory.PublishCommand).
step "publish lambda/KpiPipeline.Lambda.csproj"
dotnet publish lambda/KpiPipeline.Lambda.csproj --configuration Release -r linux-arm64 --self-contained false \
    -p:UseAppHost=false --output "$publish_root/lambda" --verbosity quiet

step "synthesise infra → infra/cdk.out"
rm -rf infra/cdk.out
KPI_LAMBDA_PUBLISH_DIR="$publish_root/lambda" dotnet run --project infra --verbosity quiet

template="infra/cdk.out/KpiPipeline.template.json"
if [[ ! -s "$template" ]]; then
    echo "synth produced no $template" >&2
    exit 1
fi
node -e '
const t = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const types = Object.values(t.Resources).map(r => r.Type);
for (const needed of ["AWS::StepFunctions::StateMachine", "AWS::ECS::TaskDefinition", "AWS::S3::Bucket"]) {
  if (!types.includes(needed)) { console.error(`template has no ${needed}`); process.exit(1); }
}
console.log(`template ok: ${types.length} resources`);
' "$template"

step "done in $((SECONDS - started)) s"
