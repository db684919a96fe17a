# The validator container (docs/architecture.md): `validator --bucket <bucket> --manifest <key>`,
# the arguments arriving as the ECS container override Command. It runs a Native AOT executable
# (ContainerPublish.props; validator/KpiPipeline.Validator.csproj says what it gains), so the image holds no
# .NET runtime: the executable, the native library of its packages, and the C libraries they load.
# Build from the repository root: docker build -f docker/validator.Dockerfile .
# The stack builds it for linux/arm64 (Fargate on Graviton, infra/PipelineContainers.cs): on an x64 machine that is
# `docker build --platform linux/arm64 -f docker/validator.Dockerfile .`, cross-compiled as below. CI publishes the
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
COPY adapters/aws/KpiPipeline.Aws.csproj adapters/aws/
COPY adapters/local/KpiPipeline.Local.csproj adapters/local/
COPY samples/generator/KpiPipeline.Samples.csproj samples/generator/
COPY validator/KpiPipeline.Validator.csproj validator/
RUN dotnet restore validator/KpiPipeline.Validator.csproj -p:ContainerArch=$TARGETARCH

COPY core/ core/
COPY adapters/aws/ adapters/aws/
COPY adapters/local/ adapters/local/
COPY samples/generator/ samples/generator/
COPY validator/ validator/
RUN dotnet publish validator/KpiPipeline.Validator.csproj --configuration Release --no-restore \
    --output /app -p:ContainerArch=$TARGETARCH

# runtime-deps, chiseled: the C libraries and OpenSSL that the executable and the native library load, no .NET
# runtime; no shell, no package manager, non-root by default; no ICU (invariant globalization).
FROM mcr.microsoft.com/dotnet/runtime-deps:10.0.12-noble-chiseled AS runtime
WORKDIR /app
# Only what runs: the executable and the native library it loads from beside it (Mono.Posix). The publish folder
# also holds the executable's debug symbols (validator.dbg) and the referenced projects' .pdb files, which nothing
# in the container reads.
COPY --from=build /app/validator /app/*.so ./
USER app
ENTRYPOINT ["/app/validator"]
