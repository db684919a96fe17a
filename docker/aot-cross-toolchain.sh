#!/usr/bin/env bash
# The SDK stage of docker/kpi-job.Dockerfile and docker/validator.Dockerfile runs this as
#   aot-cross-toolchain.sh <BUILDARCH> <TARGETARCH>
# Native AOT compiles and links the executable for the image's architecture with the build machine's own clang.
# The -aot SDK image already has clang, llvm and zlib for its own architecture, which is all a build for that same
# architecture needs (amd64 on an x64 machine, arm64 on an arm64 one): then this does nothing, and such a build
# never depends on a second package mirror. Building for the other architecture (the arm64 image Fargate runs,
# built on an x64 machine) also needs that architecture's binutils, C runtime and libgcc (gcc-<triple> with the
# libc6-dev cross package it recommends) and its zlib, from Ubuntu's archive for that architecture: the packages
# of Microsoft's cross-compiling sample (dotnet/dotnet-docker, samples/AspNetCoreNativeAot/Dockerfile.ubuntu-cross-*).
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: aot-cross-toolchain.sh <build arch> <target arch>  (Docker's BUILDARCH and TARGETARCH)" >&2
    exit 2
fi
build_arch=$1
target_arch=$2

if [[ "$build_arch" == "$target_arch" ]]; then
    echo "aot-cross-toolchain: building on $build_arch for $target_arch, the SDK image's own toolchain links it"
    exit 0
fi

# Ubuntu serves amd64 from archive.ubuntu.com and its other architectures from ports.ubuntu.com.
case "$target_arch" in
    arm64) mirror=http://ports.ubuntu.com/ubuntu-ports/ cross_gcc=gcc-aarch64-linux-gnu ;;
    amd64) mirror=http://archive.ubuntu.com/ubuntu/ cross_gcc=gcc-x86-64-linux-gnu ;;
    *)
        echo "aot-cross-toolchain: no cross toolchain for target architecture '$target_arch' (amd64 or arm64)" >&2
        exit 1
        ;;
esac
# The release the SDK image is built on (noble), so the target's packages match the build machine's.
# shellcheck source=/dev/null
codename="$(. /etc/os-release && echo "$VERSION_CODENAME")"

# The image's own sources name a mirror that serves only the build architecture: restrict them to it, or
# `apt-get update` asks that mirror for the target's package lists and fails.
sed -i "/^Signed-By:/a Architectures: $build_arch" /etc/apt/sources.list.d/ubuntu.sources
cat >"/etc/apt/sources.list.d/$target_arch.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $codename $codename-updates $codename-security
Components: main restricted
Signed-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg
Architectures: $target_arch
EOF
dpkg --add-architecture "$target_arch"
apt-get update
# With recommends: gcc-<triple> only recommends the target's C library headers and start files the link needs.
apt-get install -y "$cross_gcc" "zlib1g-dev:$target_arch"
rm -rf /var/lib/apt/lists/*
