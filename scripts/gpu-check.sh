#!/usr/bin/env bash
# Runs on a GPU machine, from the repository root, with gpu-bundle/ (made by scripts/gpu-prepare.sh)
# carried along; needs nothing installed but the NVIDIA driver. Steps (default: all, in this order):
#   kernels  KernelCheck: every CUDA kernel against its CPU twin on random shapes, then GPU timings at
#            DALL·E Mini/Mega and VQGAN shapes
#   models   the models' and pipeline's tests (golden data from testdata/) with -Djdalle.test.backend=cuda,
#            so tests that create their backend from that property run on the GPU
#   timing   timing mains with the CUDA backend (VQGAN decode of random f16-16384 weights, ...) and
#            `jdalle generate` of 9 pictures with the demo models (testdata/golden) on the CPU and on CUDA
# Usage: scripts/gpu-check.sh [kernels] [models] [timing]
# Everything is printed; with $OUT set (the device tool's output folder) the log is also written there.
# Exit status: 0 when every step that ran passed.
set -uo pipefail
ROOT=$PWD
STEPS="${*:-kernels models timing}"
WORK="${TMPDIR:-/tmp}/jdalle-gpu-check"
LOG="${OUT:-$WORK}/gpu-check.log"
STEP_SECONDS=${JDALLE_STEP_SECONDS:-240}

rm -rf "$WORK" && mkdir -p "$WORK" "$(dirname "$LOG")"
exec > >(tee "$LOG") 2>&1
[ -f gpu-bundle/jdalle-gpu.tar.gz ] || { echo "gpu-check: gpu-bundle/jdalle-gpu.tar.gz is missing; run scripts/gpu-prepare.sh and carry gpu-bundle"; exit 2; }
tar -xzf gpu-bundle/jdalle-gpu.tar.gz -C "$WORK"
BUNDLE=$WORK/jdalle-gpu
JAVA=$BUNDLE/jdk/bin/java
cat "$BUNDLE/MANIFEST.txt"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>/dev/null || echo "gpu-check: no nvidia-smi"

export LD_LIBRARY_PATH="$BUNDLE/native${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
JVM=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xss4m -XX:+UseParallelGC
     -Djdalle.cuda.cache="$BUNDLE/kernels" -Dorg.bytedeco.javacpp.cachedir="$WORK/javacpp"
     -Djdalle.testdata="$ROOT/testdata" -Djdalle.test.backend=cuda)
# the pipeline's demo models are class-path resources demo/<model>/model/*: the golden checkpoints
mkdir -p "$WORK/demo-root" && ln -s "$ROOT/testdata/golden" "$WORK/demo-root/demo"
CLASS_PATH="$BUNDLE/lib/*:$BUNDLE/test-lib/*:$WORK/demo-root"
FAILED=""

# runs a step under a time limit and records its failure
run() {
    local name=$1
    shift
    echo
    echo "=== $name: $*"
    local start=$SECONDS
    timeout "$STEP_SECONDS" "$@"
    local status=$?
    echo "=== $name: exit $status after $((SECONDS - start)) s"
    [ "$status" -eq 0 ] || FAILED="$FAILED $name"
}

has_class() {
    local path=${1//.//}.class jar
    for jar in "$BUNDLE"/lib/*.jar "$BUNDLE"/test-lib/*.jar; do
        if unzip -l "$jar" "$path" >/dev/null 2>&1; then return 0; fi
    done
    return 1
}

for step in $STEPS; do
    case $step in
    kernels)
        run kernels "$JAVA" "${JVM[@]}" -cp "$CLASS_PATH" io.github.jdalle.cuda.KernelCheck --bench
        ;;
    models)
        TESTS=$(ls "$BUNDLE"/test-lib/model-*-tests.jar "$BUNDLE"/test-lib/pipeline-tests.jar 2>/dev/null | paste -sd:)
        if [ -z "$TESTS" ]; then
            echo "gpu-check: no model tests in the bundle"
        elif ! unzip -p "$BUNDLE"/test-lib/\*-tests.jar 2>/dev/null | grep -aq jdalle.test.backend; then
            echo "gpu-check: models skipped: no test reads -Djdalle.test.backend, so they would all run on the CPU"
        else
            run models "$JAVA" "${JVM[@]}" -jar "$BUNDLE"/test-lib/junit-platform-console-standalone-*.jar execute \
                --class-path "$(ls "$BUNDLE"/lib/*.jar "$BUNDLE"/test-lib/*-tests.jar | paste -sd:)" \
                --scan-class-path="$TESTS" --details=tree --disable-banner
        fi
        ;;
    timing)
        if has_class io.github.jdalle.vqgan.DecodeTiming; then
            run vqgan-decode "$JAVA" "${JVM[@]}" -cp "$CLASS_PATH" io.github.jdalle.vqgan.DecodeTiming 16 3 cuda
        fi
        if has_class io.github.jdalle.cli.Main; then
            for backend in cpu cuda; do
                run "generate-$backend" "$JAVA" "${JVM[@]}" -cp "$CLASS_PATH" io.github.jdalle.cli.Main generate \
                    --backend "$backend" --cache "$WORK/models" -n 9 --seed 7 --grid -o "${OUT:-$WORK}/$backend" \
                    "an armchair in the shape of an avocado"
            done
        fi
        ;;
    *)
        echo "gpu-check: unknown step $step (kernels, models, timing)"
        FAILED="$FAILED $step"
        ;;
    esac
done

echo
if [ -z "$FAILED" ]; then
    echo "gpu-check: all steps passed"
else
    echo "gpu-check: failed:$FAILED"
    exit 1
fi
