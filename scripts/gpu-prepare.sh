#!/usr/bin/env bash
# Builds, on this (GPU-less) machine, everything scripts/gpu-check.sh needs on a bare GPU machine that has a
# driver but no Java and no CUDA toolkit:
#   jdk/       a jlinked JDK 25 runtime (only the modules the jars use, native symbols stripped)
#   lib/       the runtime class path of engine-cuda, the models and the pipeline (where they exist), with the
#              JavaCPP CUDA natives cut down to the two JNI libraries the backend loads and without the
#              pipeline's demo checkpoints (gpu-check.sh takes them from testdata/golden)
#   test-lib/  the modules' compiled tests as jars and the JUnit console launcher (golden tests, timing mains)
#   classes.txt, backend-tests.txt  the bundle's jdalle classes, and the test classes gpu-check.sh runs on CUDA
#   native/    libcudart.so.13 from the local CUDA toolkit (the driver's libcuda.so.1 is on the GPU machine)
#   kernels/   the kernel cache filled by nvcc for $JDALLE_GPU_ARCHS (default "sm_90 sm_80"), so the GPU
#              machine needs no NVRTC
# packed as gpu-bundle/jdalle-gpu.tar.gz (git-ignored; refused above 40 MB). Run from anywhere:
#   scripts/gpu-prepare.sh                     (JDALLE_GPU_ARCHS, JDALLE_GPU_MODULES override the defaults)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
export PATH="$JAVA_HOME/bin:$PATH"
ARCHS="${JDALLE_GPU_ARCHS:-sm_90 sm_80}"
JUNIT_CONSOLE="org.junit.platform:junit-platform-console-standalone:1.14.1"
LIMIT_BYTES=$((40 * 1024 * 1024))

STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
BUNDLE=$STAGE/jdalle-gpu
mkdir -p "$BUNDLE"/{lib,test-lib,native,kernels}

command -v nvcc >/dev/null || { echo "gpu-prepare: nvcc is not on the PATH (it fills the kernel cache)" >&2; exit 1; }

# ---- jars: engine-cuda always, the models and the pipeline when they have sources --------------------
# (override with JDALLE_GPU_MODULES=engine-cuda,model-vqgan,... while a module does not build)
PROJECTS=engine-cuda
for module in model-dallebart model-vqgan model-clip pipeline; do
    if [ -d "$module/src/main/java" ]; then PROJECTS="$PROJECTS,$module"; fi
done
PROJECTS="${JDALLE_GPU_MODULES:-$PROJECTS}"
echo "gpu-prepare: building $PROJECTS (tests compiled, not run)"
mvn -B -q -DskipTests -pl "$PROJECTS" -am package dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$BUNDLE/lib"
for module in ${PROJECTS//,/ }; do
    cp "$module"/target/"$module"-*.jar "$BUNDLE/lib/"
done
rm -f "$BUNDLE"/lib/*-tests.jar "$BUNDLE"/lib/*-sources.jar
# the pipeline's bundled demo set is testdata/golden, which travels with the working tree; gpu-check.sh
# puts it back on the class path, so the bundle need not carry it twice
if [ -f "$BUNDLE"/lib/pipeline-*.jar ]; then
    zip -q -d "$BUNDLE"/lib/pipeline-*.jar 'demo/*' || true
fi

# the CUDA natives jar holds JNI glue for every CUDA library (5 MB); the backend loads two of them
NATIVES=$(ls "$BUNDLE"/lib/cuda-*-linux-x86_64.jar)
mkdir -p "$STAGE/natives"
(cd "$STAGE/natives" && unzip -q "$NATIVES" 'org/bytedeco/cuda/linux-x86_64/libjnicudart.so' \
    'org/bytedeco/cuda/linux-x86_64/libjninvrtc.so')
rm "$NATIVES"
jar --create --file "${NATIVES%.jar}-slim.jar" -C "$STAGE/natives" .

# ---- tests: each module's test classes as a jar, and the JUnit console launcher ------------------------
for module in engine-core ${PROJECTS//,/ }; do
    if [ -d "$module/target/test-classes" ]; then
        jar --create --file "$BUNDLE/test-lib/$module-tests.jar" -C "$module/target/test-classes" .
    fi
done
mvn -B -q -N dependency:copy -Dartifact="$JUNIT_CONSOLE" -DoutputDirectory="$BUNDLE/test-lib"

# what gpu-check.sh looks up without unzip (a bare machine may lack it): every jdalle class of the jars, and the
# test classes that take their backend from TestBackends, which it runs with -Djdalle.test.backend=cuda
for jar in "$BUNDLE"/lib/*.jar "$BUNDLE"/test-lib/*-tests.jar; do
    jar tf "$jar"
done | grep '^io/github/jdalle/.*\.class$' | sed 's|\.class$||; s|/|.|g' | sort > "$BUNDLE/classes.txt"
for module in engine-core ${PROJECTS//,/ }; do
    if [ -d "$module/target/test-classes" ]; then
        (cd "$module/target/test-classes" && grep -rlF --include='*Test.class' io/github/jdalle/core/testing/TestBackends . || true)
    fi
done | sed 's|^\./||; s|\.class$||; s|/|.|g' | sort > "$BUNDLE/backend-tests.txt"
echo "gpu-prepare: $(wc -l < "$BUNDLE/backend-tests.txt") test classes run on CUDA:" $(cat "$BUNDLE/backend-tests.txt")

# ---- CUDA runtime library and the kernel cache -----------------------------------------------------------
CUDART=$(ls /usr/local/cuda*/lib64/libcudart.so.13* 2>/dev/null | head -1 || true)
[ -n "$CUDART" ] || { echo "gpu-prepare: libcudart.so.13 not found under /usr/local/cuda*/lib64" >&2; exit 1; }
cp -L "$CUDART" "$BUNDLE/native/libcudart.so.13"
echo "gpu-prepare: compiling the kernels for $ARCHS"
java -cp "$BUNDLE/lib/*" io.github.jdalle.cuda.KernelCompiler "$BUNDLE/kernels" $ARCHS >/dev/null

# ---- the runtime: the modules the jars use, plus the Vector API -----------------------------------------
MODULES=$(jdeps --ignore-missing-deps --multi-release 25 --print-module-deps \
    "$BUNDLE"/lib/*.jar "$BUNDLE"/test-lib/*-tests.jar 2>/dev/null | tail -1 || true)
if ! [[ "$MODULES" =~ ^[a-z0-9.,]+$ ]]; then
    MODULES=java.base,java.desktop,java.logging,java.management,java.net.http
fi
# Jackson needs java.sql only for optional SQL types, but the JUnit console needs java.logging, which java.sql
# brought in; the Vector API is an incubator module jdeps may miss
MODULES=$(echo "$MODULES,java.logging,jdk.incubator.vector,jdk.unsupported" | tr ',' '\n' | grep -v '^java\.sql' | sort -u | paste -sd,)
echo "gpu-prepare: jlink --add-modules $MODULES"
# uncompressed modules: gzip over the whole bundle packs them smaller than jlink's per-entry zip
jlink --add-modules "$MODULES" --strip-debug --no-header-files --no-man-pages --compress=zip-0 \
    --output "$BUNDLE/jdk" 2>&1 | grep -v "incubator modules" || true
if command -v strip >/dev/null; then
    strip --strip-unneeded "$BUNDLE/jdk/lib/server/libjvm.so"
fi

cat > "$BUNDLE/MANIFEST.txt" <<EOF
jdalle GPU bundle
commit:   $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- . 2>/dev/null || echo " (with uncommitted changes)")
built:    $(date -u +%Y-%m-%dT%H:%M:%SZ)
modules:  $PROJECTS
jdk:      $("$BUNDLE/jdk/bin/java" -version 2>&1 | head -1) with $MODULES
cudart:   $(basename "$(readlink -f "$CUDART")")
kernels:  $ARCHS
EOF

mkdir -p "$ROOT/gpu-bundle"
OUTPUT="$ROOT/gpu-bundle/jdalle-gpu.tar.gz"
tar -I 'gzip -9' -cf "$OUTPUT" -C "$STAGE" jdalle-gpu
SIZE=$(stat -c %s "$OUTPUT")
cat "$BUNDLE/MANIFEST.txt"
echo "gpu-prepare: $OUTPUT, $((SIZE / 1024 / 1024)) MB"
if [ "$SIZE" -gt "$LIMIT_BYTES" ]; then
    echo "gpu-prepare: the bundle exceeds 40 MB" >&2
    exit 1
fi
