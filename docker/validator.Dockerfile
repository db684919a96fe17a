# The validator container (docs/architecture.md): `validator --bucket <bucket> --manifest <key>`,
# the arguments arriving as the ECS container override Command.
# Build from the repository root: docker build -f docker/validator.Dockerfile .

# The SDK stage runs on the build machine's own architecture (no emulation when building the
# arm64 image on x86): crossgen2 compiles the ReadyToRun code for the image's architecture from there
# (ContainerPublish.props).
FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:10.0.401-noble AS build
ARG TARGETARCH
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
    --output /app -p:UseAppHost=false -p:ContainerArch=$TARGETARCH

# Chiseled: no shell, no package manager, non-root by default; ICU is not needed (invariant globalization).
FROM mcr.microsoft.com/dotnet/runtime:10.0.12-noble-chiseled AS runtime
WORKDIR /app
COPY --from=build /app .
USER app
ENTRYPOINT ["dotnet", "validator.dll"]
