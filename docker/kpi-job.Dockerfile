# The KPI job container (docs/architecture.md): `kpi-job transform --bucket <bucket> --manifest <key>`,
# the arguments arriving as the ECS container override Command.
# Build from the repository root: docker build -f docker/kpi-job.Dockerfile .

# The SDK stage runs on the build machine's own architecture (no emulation when building the
# arm64 image on x86): crossgen2 compiles the ReadyToRun code for the image's architecture from there
# (ContainerPublish.props; spark-job/KpiPipeline.SparkJob.csproj says what it gains).
FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:10.0.401-noble AS build
ARG TARGETARCH
WORKDIR /src

# Restore first, from the project files alone, so source edits reuse the restored layer.
COPY global.json Directory.Build.props Directory.Packages.props ContainerPublish.props .editorconfig ./
COPY core/KpiPipeline.Core.csproj core/
COPY engine/KpiPipeline.Engine.csproj engine/
COPY dashboard/KpiPipeline.Dashboard.csproj dashboard/
COPY adapters/aws/KpiPipeline.Aws.csproj adapters/aws/
COPY adapters/dynamodb/KpiPipeline.DynamoDb.csproj adapters/dynamodb/
COPY adapters/local/KpiPipeline.Local.csproj adapters/local/
COPY adapters/sqlite/KpiPipeline.Sqlite.csproj adapters/sqlite/
COPY samples/generator/KpiPipeline.Samples.csproj samples/generator/
COPY validator/KpiPipeline.Validator.csproj validator/
COPY spark-job/KpiPipeline.SparkJob.csproj spark-job/
RUN dotnet restore spark-job/KpiPipeline.SparkJob.csproj -p:ContainerArch=$TARGETARCH

COPY core/ core/
COPY engine/ engine/
COPY dashboard/ dashboard/
COPY adapters/aws/ adapters/aws/
COPY adapters/dynamodb/ adapters/dynamodb/
COPY adapters/local/ adapters/local/
COPY adapters/sqlite/ adapters/sqlite/
COPY samples/generator/ samples/generator/
COPY validator/ validator/
COPY spark-job/ spark-job/
RUN dotnet publish spark-job/KpiPipeline.SparkJob.csproj --configuration Release --no-restore \
    --output /app -p:UseAppHost=false -p:ContainerArch=$TARGETARCH

# Chiseled: no shell, no package manager, non-root by default; ICU is not needed (invariant globalization).
FROM mcr.microsoft.com/dotnet/runtime:10.0.12-noble-chiseled AS runtime
WORKDIR /app
COPY --from=build /app .
USER app
ENTRYPOINT ["dotnet", "kpi-job.dll"]
