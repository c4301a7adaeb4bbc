#!/usr/bin/env bash
# Builds the GPU bundle: one self-contained folder (at most 50 MiB) that runs the opencl backend's parity and
# throughput check (org.forward4j.backend.opencl.GpuCheck) on a machine that has a GPU driver and nothing else.
#
# Usage: gpu-bundle.sh [--lib DIR] [--out DIR] [--jdk DIR]
#   --lib DIR  the gpu-check jars: forward4j-backend-gpu and its runtime dependencies, as the package phase of
#              backend-gpu leaves them in backend-gpu/target/gpu-check-lib (the default), e.g. after
#              `mvn -B -pl backend-gpu -am package -DskipTests` from the repository root
#   --out DIR  the bundle folder to (re)create (default backend-gpu/target/gpu-bundle)
#   --jdk DIR  the JDK whose jlink, jdeps and jar build it (default $JAVA_HOME, else the jlink on PATH)
#
# The folder holds:
#   run-gpu-check   the launcher (finds the NVIDIA OpenCL driver, or takes --icd FILE; see its header)
#   runtime/        a jlinked Java runtime with only the modules the jars need (no debug attributes, man pages,
#                   headers; compressed)
#   lib/            the jars; native libraries for other platforms than linux-x86_64 removed from them
#   opencl/         the OpenCL ICD loader libOpenCL.so.1 from Debian's ocl-icd-libopencl1 (downloaded with
#                   apt-get download and unpacked, not installed; else a copy of the installed one), and its copyright
#   BUILD-INFO      what went in, and from where
# Run it where it lies or from any copy: bash DIR/run-gpu-check -- --device-type gpu --label H200
#
# Exit status: 0 built, 2 anything missing or wrong (one line on stderr says what).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LIB="$SCRIPT_DIR/target/gpu-check-lib"
OUT="$SCRIPT_DIR/target/gpu-bundle"
JDK="${JAVA_HOME:-}"
# The bundle travels with a copy of the repository to the GPU machine, 64 MiB in all.
MAX_BYTES=$((50 * 1024 * 1024))
# Debugging GUIs inside Aparapi and BCEL (Aparapi's instruction viewer and Swing worker, BCEL's graphical verifier)
# are the only users of java.desktop; the backend never loads them, and java.desktop would add 15 MB (over 50 MiB).
GUI_CLASSES='^(com[.]aparapi[.]internal[.]tool[.]|com[.]aparapi[.]util[.]swing[.]|org[.]apache[.]bcel[.]verifier[.])'
# Aparapi's UnsafeWrapper loads sun.misc.Unsafe by reflection, which jdeps cannot see.
REFLECTIVE_MODULES=jdk.unsupported

die() {
    echo "gpu-bundle: $*" >&2
    exit 2
}

log() {
    echo "gpu-bundle: $*"
}

while [[ $# -gt 0 ]]; do
    case "$1" in
        --lib | --out | --jdk)
            [[ $# -ge 2 ]] || die "$1 needs a directory"
            case "$1" in
                --lib) LIB=$2 ;;
                --out) OUT=$2 ;;
                --jdk) JDK=$2 ;;
            esac
            shift 2
            ;;
        -h | --help)
            sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            die "unknown option '$1'; options: --lib DIR --out DIR --jdk DIR (see --help)"
            ;;
    esac
done

[[ "$(uname -s)-$(uname -m)" == Linux-x86_64 ]] ||
    die "the bundle is for linux-x86_64 and is built from that platform's JDK and loader; this is $(uname -s)-$(uname -m)"

if [[ -z "$JDK" ]]; then
    jlink_path=$(command -v jlink) || die "no JDK: set JAVA_HOME or --jdk to a JDK 17+ with jlink, or put its bin on PATH"
    JDK=$(dirname "$(dirname "$(readlink -f "$jlink_path")")")
fi
for tool in jlink jdeps jar; do
    [[ -x "$JDK/bin/$tool" ]] || die "$JDK/bin/$tool not found; --jdk / JAVA_HOME must name a JDK 17+ (not a JRE)"
done
JDK_VERSION=$("$JDK/bin/jlink" --version)
FEATURE=${JDK_VERSION%%[.+-]*}
[[ "$FEATURE" =~ ^[0-9]+$ && "$FEATURE" -ge 17 ]] || die "$JDK is version $JDK_VERSION; the bundle needs a JDK 17+"

[[ -d "$LIB" ]] ||
    die "no gpu-check jars in $LIB; build them first: mvn -B -pl backend-gpu -am package -DskipTests (from the repository root)"
LIB=$(cd "$LIB" && pwd)
compgen -G "$LIB/forward4j-backend-gpu-*.jar" >/dev/null ||
    die "$LIB holds no forward4j-backend-gpu jar; build it first: mvn -B -pl backend-gpu -am package -DskipTests"

# Replace only a folder that this script made (it has BUILD-INFO) or an empty one, never anything else.
if [[ -e "$OUT" ]]; then
    [[ -d "$OUT" && (-f "$OUT/BUILD-INFO" || -z "$(ls -A "$OUT")") ]] ||
        die "refusing to replace $OUT: it exists and is not a bundle made by this script"
fi
mkdir -p "$(dirname "$OUT")"
OUT="$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")"
# Build next to the destination and move it into place at the end, so a failed build leaves no half bundle.
STAGE=$(mktemp -d "$(dirname "$OUT")/.gpu-bundle.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
WORK="$STAGE/work"
BUNDLE="$STAGE/bundle"
mkdir -p "$WORK" "$BUNDLE/lib" "$BUNDLE/opencl"

# ---------------------------------------------------------------- jars
cp "$LIB"/*.jar "$BUNDLE/lib/"
mapfile -t JARS < <(find "$BUNDLE/lib" -maxdepth 1 -name '*.jar' | sort)
CLASSPATH_LIST=$(printf '%s:' "${JARS[@]}")
mapfile -t OWN_JARS < <(find "$BUNDLE/lib" -maxdepth 1 -name 'forward4j-*.jar' | sort)
# The jar list comes from an include filter on groupIds (backend-gpu/pom.xml); a dependency that a forward4j
# module gains later would be left out silently and fail only when its class loads. Fail here instead.
missing=$("$JDK/bin/jdeps" --multi-release "$FEATURE" --missing-deps -cp "${CLASSPATH_LIST%:}" "${OWN_JARS[@]}" 2>&1) ||
    die "jdeps failed on the forward4j jars: $(head -n 1 <<<"$missing")"
[[ -z "$missing" ]] ||
    die "the forward4j jars use classes that are not in $LIB: $(grep -m 3 'not found' <<<"$missing" | tr -s ' ' | tr '\n' ';') add the dependency's groupId to the gpu-check-lib execution in backend-gpu/pom.xml"

# Native libraries for other platforms than linux-x86_64 (aparapi-jni carries 70 MB of them for seven platforms).
is_foreign_native() {
    case "$1" in
        *.dll | *.dylib | *.jnilib) return 0 ;;
        *.so | *.so.*)
            if [[ "$1" == *linux* && ("$1" == *x86_64* || "$1" == *amd64*) ]]; then return 1; fi
            return 0
            ;;
        *) return 1 ;;
    esac
}
for jar in "${JARS[@]}"; do
    foreign=()
    while read -r entry; do
        if is_foreign_native "$entry"; then
            foreign+=("$entry")
        fi
    done < <("$JDK/bin/jar" tf "$jar")
    [[ ${#foreign[@]} -gt 0 ]] || continue
    x="$WORK/jar-$(basename "$jar")"
    mkdir -p "$x"
    (cd "$x" && "$JDK/bin/jar" xf "$jar")
    for entry in "${foreign[@]}"; do
        rm -f "$x/$entry"
    done
    find "$x" -mindepth 1 -type d -empty -delete
    before=$(stat -c %s "$jar")
    rm "$jar"
    if [[ -f "$x/META-INF/MANIFEST.MF" ]]; then
        mv "$x/META-INF/MANIFEST.MF" "$WORK/MANIFEST.MF"
        "$JDK/bin/jar" --create --file "$jar" --manifest "$WORK/MANIFEST.MF" -C "$x" .
    else
        "$JDK/bin/jar" --create --file "$jar" --no-manifest -C "$x" .
    fi
    log "$(basename "$jar"): removed ${#foreign[@]} native libraries for other platforms ($before -> $(stat -c %s "$jar") bytes)"
done

# ---------------------------------------------------------------- Java runtime
# The modules every class of the jars refers to (jdeps), except the debugging GUIs, plus the reflective ones.
modules=$("$JDK/bin/jdeps" --multi-release "$FEATURE" --ignore-missing-deps -verbose:class "${JARS[@]}" |
    awk -v gui="$GUI_CLASSES" '/^[[:space:]]/ && $2 == "->" && $1 !~ gui {
        m = $NF; gsub(/[()]/, "", m); if (m ~ /^(java|jdk)[.]/) print m }' | sort -u)
MODULES=$(printf '%s\n' "$modules" "$REFLECTIVE_MODULES" | sort -u | paste -sd, -)
[[ "$MODULES" == *java.base* ]] || die "jdeps found no module dependencies in $LIB (is it a folder of jars?)"
# JDK 21 renamed the compression levels (--compress=2 is deprecated there) and JDK 24+ may link from its own
# run-time image when it has no jmods.
if [[ "$FEATURE" -ge 21 ]]; then compress=zip-9; else compress=2; fi
"$JDK/bin/jlink" --add-modules "$MODULES" --strip-debug --no-man-pages --no-header-files --compress="$compress" \
    --output "$BUNDLE/runtime" >"$WORK/jlink.log" 2>&1 ||
    die "jlink failed: $(grep -v '^Warning' "$WORK/jlink.log" | head -n 1) (needs a JDK with jmods, e.g. openjdk-17-jdk-headless or Temurin)"
[[ -f "$BUNDLE/runtime/lib/libjsig.so" ]] ||
    die "the linked runtime has no lib/libjsig.so, which the launcher preloads for LLVM-based OpenCL drivers"
log "Java runtime: jlink $JDK_VERSION, modules $MODULES"

# ---------------------------------------------------------------- OpenCL ICD loader
LOADER="$BUNDLE/opencl/libOpenCL.so.1"
loader_from=""
if command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1; then
    if (cd "$WORK" && apt-get download ocl-icd-libopencl1) >"$WORK/apt.log" 2>&1; then
        deb=$(find "$WORK" -maxdepth 1 -name 'ocl-icd-libopencl1_*.deb' | head -n 1)
        arch=$(dpkg-deb -f "$deb" Architecture)
        if [[ "$arch" == amd64 ]]; then
            dpkg-deb -x "$deb" "$WORK/deb"
            cp -L "$WORK/deb/usr/lib/x86_64-linux-gnu/libOpenCL.so.1" "$LOADER"
            cp "$WORK/deb/usr/share/doc/ocl-icd-libopencl1/copyright" "$BUNDLE/opencl/copyright" 2>/dev/null || true
            loader_from="Debian package ocl-icd-libopencl1 $(dpkg-deb -f "$deb" Version) (apt-get download, unpacked)"
        else
            log "apt-get downloaded ocl-icd-libopencl1 for $arch, not amd64; using the installed loader instead"
        fi
    else
        log "apt-get download ocl-icd-libopencl1 failed ($(tail -n 1 "$WORK/apt.log")); using the installed loader instead"
    fi
else
    log "no apt-get/dpkg-deb; using the installed OpenCL loader"
fi
if [[ -z "$loader_from" ]]; then
    SYSTEM_LOADER=/usr/lib/x86_64-linux-gnu/libOpenCL.so.1
    [[ -e "$SYSTEM_LOADER" ]] ||
        die "no OpenCL ICD loader: apt-get download ocl-icd-libopencl1 did not work and $SYSTEM_LOADER is not installed (apt-get install ocl-icd-libopencl1)"
    cp -L "$SYSTEM_LOADER" "$LOADER"
    cp /usr/share/doc/ocl-icd-libopencl1/copyright "$BUNDLE/opencl/copyright" 2>/dev/null || true
    loader_from="copy of the installed $(readlink -f "$SYSTEM_LOADER")"
fi
log "OpenCL ICD loader: $loader_from"

# ---------------------------------------------------------------- launcher, info, checks
cp "$SCRIPT_DIR/src/bundle/run-gpu-check" "$BUNDLE/run-gpu-check"
chmod 755 "$BUNDLE/run-gpu-check"
# jlink writes the legal notices of every module as symbolic links to java.base's; links may not survive the
# transfer to the GPU machine, so every file is a plain copy.
while IFS= read -r -d '' link; do
    target=$(readlink -f "$link")
    rm "$link"
    cp "$target" "$link"
done < <(find "$BUNDLE" -type l -print0)

commit=unknown
if command -v git >/dev/null 2>&1 && git -C "$SCRIPT_DIR" rev-parse HEAD >/dev/null 2>&1; then
    commit=$(git -C "$SCRIPT_DIR" rev-parse HEAD)
    [[ -z "$(git -C "$SCRIPT_DIR" status --porcelain 2>/dev/null)" ]] || commit="$commit (with uncommitted changes)"
fi
bytes() {
    find "$1" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'
}
payload=$(bytes "$BUNDLE")
{
    echo "forward4j GPU bundle: the opencl backend's parity and throughput check with its own Java runtime"
    echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) from commit $commit"
    echo "java runtime: jlink $JDK_VERSION ($JDK), modules $MODULES"
    echo "opencl loader: $loader_from"
    echo "jars:"
    for jar in "${JARS[@]}"; do
        echo "  $(basename "$jar") $(stat -c %s "$jar")"
    done
    echo "size without this file: $payload bytes"
    echo "run: bash run-gpu-check -- --device-type gpu --label NAME   (--icd FILE for another OpenCL driver, --help)"
} >"$BUNDLE/BUILD-INFO"

total=$(bytes "$BUNDLE")
((total <= MAX_BYTES)) ||
    die "the bundle is $total bytes, over the $MAX_BYTES-byte (50 MiB) limit; $(du -sb "$BUNDLE"/* | sort -rn | head -n 3 | tr '\n\t' '; ')"

rm -rf "$OUT"
mv "$BUNDLE" "$OUT"
log "built $OUT: $total bytes ($(awk -v t="$total" 'BEGIN { printf "%.1f", t / 1048576 }') MiB)"
