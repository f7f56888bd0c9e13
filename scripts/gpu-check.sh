#!/usr/bin/env bash
# Runs on a GPU machine, from the repository root, with gpu-bundle/ (made by scripts/gpu-prepare.sh)
# carried along; needs nothing installed but the NVIDIA driver. Steps (default: all, in this order):
#   kernels  KernelCheck: every CUDA kernel against its CPU twin on random shapes, then GPU timings at
#            DALL·E Mini/Mega and VQGAN shapes
#   models   the golden tests that take their backend from TestBackends (listed by gpu-prepare.sh: DalleBart,
#            reduced precision, VQGAN decoder and encoder, CLIP, the CLI), on CUDA (-Djdalle.test.backend=cuda);
#            golden data from testdata/; a test skipped for want of CUDA fails the step
#   timing   on random weights of the real sizes: DalleBart mini-1 and mega-1 (BF16) generation steps for 1 and 9
#            images on CUDA and, for comparison, on the CPU (StepTiming); VQGAN decodes (DecodeTiming); the sum
#            that estimates a 3×3 mega grid; then `jdalle generate` of 9 pictures with the demo models
#            (testdata/golden) on the CPU and on CUDA
# Usage: scripts/gpu-check.sh [kernels] [models] [timing]
# Everything is printed; with $OUT set (the device tool's output folder) the log is also written there.
# Each command of a step is capped at $JDALLE_STEP_SECONDS (240 s); its output is kept in $WORK/<name>.out.
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
[ -f "$BUNDLE/classes.txt" ] || { echo "gpu-check: the bundle predates its class lists; run scripts/gpu-prepare.sh again"; exit 2; }
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
    timeout "$STEP_SECONDS" "$@" 2>&1 | tee "$WORK/$name.out"
    local status=${PIPESTATUS[0]}
    echo "=== $name: exit $status after $((SECONDS - start)) s"
    [ "$status" -eq 0 ] || FAILED="$FAILED $name"
}

# whether the bundle has a class (gpu-prepare.sh lists them: a bare machine may have no unzip)
has_class() {
    grep -qx "$1" "$BUNDLE/classes.txt"
}

# the seconds in "<label> <number> s" of a step's output line matching a pattern, e.g. "steps in 4.56 s"
seconds_after() {
    awk -v pattern="$2" -v label="$3" '$0 ~ pattern && match($0, label " [0-9.]+ s") {
        print substr($0, RSTART + length(label) + 1, RLENGTH - length(label) - 3); exit }' "$WORK/$1.out"
}

for step in $STEPS; do
    case $step in
    kernels)
        run kernels "$JAVA" "${JVM[@]}" -cp "$CLASS_PATH" io.github.jdalle.cuda.KernelCheck --bench
        ;;
    models)
        mapfile -t CLASSES < "$BUNDLE/backend-tests.txt"
        if [ ${#CLASSES[@]} -eq 0 ]; then
            echo "gpu-check: models skipped: no test class takes its backend from -Djdalle.test.backend"
        else
            run models "$JAVA" "${JVM[@]}" -jar "$BUNDLE"/test-lib/junit-platform-console-standalone-*.jar execute \
                --class-path "$(ls "$BUNDLE"/lib/*.jar "$BUNDLE"/test-lib/*-tests.jar | paste -sd:)" \
                "${CLASSES[@]/#/--select-class=}" --details=tree --disable-banner --disable-ansi-colors
            # TestBackends skips rather than fails where CUDA cannot run; here that is a failure
            if grep -q "backend 'cuda' (-Djdalle.test.backend)" "$WORK/models.out"; then
                echo "gpu-check: models: tests were skipped because CUDA is not available (see above)"
                FAILED="$FAILED models-skipped"
            fi
        fi
        ;;
    timing)
        # CUDA first, so that a run cut short still has the GPU numbers; StepTiming's arguments are the model,
        # the weights' dtype, the image counts, the steps per generation and the backend; DecodeTiming's are the
        # grid edge (16: 256×256 pixels), the decodes (the first warms up, the next nine are a 3×3 grid's) and
        # the backend
        if has_class io.github.jdalle.dallebart.StepTiming; then
            run mini-cuda "$JAVA" "${JVM[@]}" -cp "$CLASS_PATH" io.github.jdalle.dallebart.StepTiming mini BF16 1,9 256 cuda
            run mega-cuda "$JAVA" "${JVM[@]}" -cp "$CLASS_PATH" io.github.jdalle.dallebart.StepTiming mega BF16 1,9 256 cuda
        fi
        if has_class io.github.jdalle.vqgan.DecodeTiming; then
            run vqgan-cuda "$JAVA" "${JVM[@]}" -cp "$CLASS_PATH" io.github.jdalle.vqgan.DecodeTiming 16 10 cuda
        fi
        if [ -f "$WORK/mega-cuda.out" ] && [ -f "$WORK/vqgan-cuda.out" ]; then
            GENERATION=$(seconds_after mega-cuda "^9 images:" "steps in")
            read -r ONE NINE < <(awk '/ pixels in / && match($0, / in [0-9.]+ s/) { n++;
                t = substr($0, RSTART + 4, RLENGTH - 6); if (n == 2) one = t; if (n >= 2 && n <= 10) sum += t }
                END { if (n >= 10) printf "%s %.3f\n", one, sum }' "$WORK/vqgan-cuda.out")
            echo
            if [ -n "$GENERATION" ] && [ -n "$NINE" ]; then
                echo "=== summary (CUDA): VQGAN decode after a warm-up: 1 picture $ONE s, 9 pictures $NINE s (one at a time)"
                awk -v generation="$GENERATION" -v decodes="$NINE" 'BEGIN { printf "=== summary (CUDA): 3×3 mega-1 BF16 grid, " \
                    "summed from measured parts: encoder + 256 steps for 9 images %.2f s (one generation) + 9 VQGAN " \
                    "decodes %.2f s = %.2f s (CLIP re-ranking not included)\n", generation, decodes, generation + decodes }'
            else
                echo "=== summary (CUDA): no 3×3 mega grid estimate: a timing above did not finish"
            fi
        fi
        # the same on this machine's CPU cores, with fewer steps
        if has_class io.github.jdalle.dallebart.StepTiming; then
            run mini-cpu "$JAVA" "${JVM[@]}" -cp "$CLASS_PATH" io.github.jdalle.dallebart.StepTiming mini BF16 1,9 16 cpu
            run mega-cpu "$JAVA" "${JVM[@]}" -cp "$CLASS_PATH" io.github.jdalle.dallebart.StepTiming mega BF16 1 8 cpu
        fi
        if has_class io.github.jdalle.vqgan.DecodeTiming; then
            run vqgan-cpu "$JAVA" "${JVM[@]}" -cp "$CLASS_PATH" io.github.jdalle.vqgan.DecodeTiming 16 2 cpu
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
