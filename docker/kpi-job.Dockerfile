# The KPI job container (docs/architecture.md): `kpi-job transform --bucket <bucket> --manifest <key>`,
# the arguments arriving as the ECS container override Command. It runs a Native AOT executable
# (ContainerPublish.props; spark-job/KpiPipeline.SparkJob.csproj says what it gains), so the image holds no
# .NET runtime: the executable, the native libraries of its packages, and the C libraries they load.
# Build from the repository root: docker build -f docker/kpi-job.Dockerfile .
# The stack builds it for linux/arm64 (Fargate on Graviton, infra/PipelineContainers.cs): on an x64 machine that is
# `docker build --platform linux/arm64 -f docker/kpi-job.Dockerfile .`, cross-compiled as below. CI publishes the
# amd64 executable only (.ci/steps/20-publish-containers.sh), since a second AOT compilation would double its time.

# The SDK stage runs on the build machine's own architecture: Native AOT compiles for the image's architecture
# (TARGETARCH) from there, natively or cross-compiling, instead of running the compiler under emulation. The -aot
# SDK image brings clang and llvm for its own architecture; the script adds the target's toolchain when the two
# differ, and does nothing when they match.
FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:10.0.401-noble-aot AS build
ARG BUILDARCH
ARG TARGETARCH
COPY docker/aot-cross-toolchain.sh /usr/local/bin/
RUN bash /usr/local/bin/aot-cross-toolchain.sh "$BUILDARCH" "$TARGETARCH"
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
    --output /app -p:ContainerArch=$TARGETARCH

# runtime-deps, chiseled: the C and C++ runtime libraries and OpenSSL that the executable and the native libraries
# load, no .NET runtime; no shell, no package manager, non-root by default; no ICU (invariant globalization).
FROM mcr.microsoft.com/dotnet/runtime-deps:10.0.12-noble-chiseled AS runtime
WORKDIR /app
# Only what runs: the executable and the native libraries its packages load from beside it (ParquetSharp, SQLite,
# CRoaring, Mono.Posix). The publish folder also holds the executable's debug symbols (kpi-job.dbg) and the
# referenced projects' .pdb and runtimeconfig files, which nothing in the container reads.
COPY --from=build /app/kpi-job /app/*.so ./
USER app
ENTRYPOINT ["/app/kpi-job"]
