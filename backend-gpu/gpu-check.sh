#!/usr/bin/env bash
# Parity and throughput check of the forward4j opencl backend on this machine's OpenCL device.
#
# Usage: gpu-check.sh LIB_DIR [JAVA_HOME] [-- GpuCheck options]
#   LIB_DIR    a folder with forward4j-backend-gpu-*.jar and its runtime dependencies (see below)
#   JAVA_HOME  a JDK 17+ (default: $JAVA_HOME, else the java on PATH)
#   options    passed to org.forward4j.backend.opencl.GpuCheck, e.g. --shape 784-1024-1024-10 --batch 256
#              --queries 16 --seconds 3 --device-type gpu --label H200 (defaults: that MLP, batch 256, 16 queries)
#
# Prepare LIB_DIR from the repository root: the package phase of backend-gpu leaves the jars in target/gpu-check-lib
#   mvn -B -pl backend-gpu -am package -DskipTests
#   backend-gpu/gpu-check.sh backend-gpu/target/gpu-check-lib
# On a machine without Java or OpenCL loader, use the self-contained bundle instead (gpu-bundle.sh, README.md).
#
# Prints the parity results, then one table: rows/s of each path and its fraction of a plain, unperturbed
# forward of the same rows on the same device. Exit status: 0 parity holds, 1 parity failed, 2 no device / bad options.
set -euo pipefail

if [[ $# -lt 1 || ! -d "$1" ]]; then
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
LIB_DIR=$(cd "$1" && pwd)
shift
if [[ $# -ge 1 && "$1" != "--" ]]; then
    JAVA_HOME="$1"
    shift
fi
if [[ $# -ge 1 && "$1" == "--" ]]; then
    shift
fi
if [[ -n "${JAVA_HOME:-}" ]]; then
    JAVA="$JAVA_HOME/bin/java"
else
    JAVA=$(command -v java)
    JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$JAVA")")")
fi
JSIG="$JAVA_HOME/lib/libjsig.so"
if [[ ! -f "$JSIG" ]]; then
    echo "gpu-check: $JSIG not found; LLVM-based OpenCL drivers (PoCL) may crash the JVM without it" >&2
else
    # Signal chaining: OpenCL drivers built on LLVM install their own signal handlers, which otherwise crash the JVM.
    export LD_PRELOAD="$JSIG${LD_PRELOAD:+:$LD_PRELOAD}"
fi
export POCL_CACHE_DIR="${POCL_CACHE_DIR:-${TMPDIR:-/tmp}/forward4j-pocl-cache}"
mkdir -p "$POCL_CACHE_DIR"

exec "$JAVA" -Xmx8g -cp "$LIB_DIR/*" org.forward4j.backend.opencl.GpuCheck "$@"
