#!/usr/bin/env bash
# A/B of two engine-core builds in one process, in alternating rounds (scripts/ab/AlternatingRuns.java), so that
# both see the same host: whole mini-1 decoder steps, the step's 73 GEMVs alone, or one GEMM of any shape, over random
# weights. The harnesses are the working tree's; only engine-core's classes differ. Needs a built tree (mvn install).
# Usage: scripts/ab.sh REV_A REV_B step|gemv|gemm F32|F16|BF16 COUNT [ROUNDS (6)] [STEPS per round (20)]
#   REV: a git revision, or "work" for the working tree as it is; REV_B may also be "openblas" (gemm F32 only: the
#   OpenBLAS peer of the JMH suite, from benchmarks.jar); COUNT: images (step), rows of A (gemv), N or MxKxN (gemm)
#   AB_JVM_FLAGS: more JVM flags for the run (-XX:UseAVX=2: 256-bit vectors on an AVX-512 host; -Dab.threads=1: a
#   one-thread backend for gemm and gemv, OpenBLAS too); OPENBLAS_CORETYPE=SkylakeX|Haswell picks OpenBLAS's kernels
#   e.g. scripts/ab.sh HEAD work gemv F32 2
set -euo pipefail
cd "$(dirname "$0")/.."
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
javac=${JAVA_HOME:+$JAVA_HOME/bin/}javac
[[ $# -ge 5 ]] || { sed -n '2,10p' "$0" >&2; exit 2; }
a=$1 b=$2 mode=$3 dtype=$4 count=$5 rounds=${6:-6} steps=${7:-20}
case $mode in
    step) runner=io.github.jdalle.dallebart.DecoderStep ;;
    gemv) runner=GemvStep ;;
    gemm) runner=GemmShape ;;
    *) echo "ab.sh: mode must be step, gemv or gemm, got '$mode'" >&2; exit 2 ;;
esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mvn -B -q -o -pl model-dallebart -am test-compile >&2
# the dependencies, less engine-core's own jars: its classes come from the two builds
mvn -B -q -o -pl model-dallebart dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile="$tmp/deps.txt" >&2
deps=$(tr ':' '\n' < "$tmp/deps.txt" | grep -v '/io/github/jdalle/engine-core/' | paste -sd:)

classes() {   # the engine-core main classes of revision $1
    if [[ $1 == work ]]; then
        echo "$PWD/engine-core/target/classes"
        return
    fi
    local tree=$tmp/rev-$(git rev-parse --short "$1")
    mkdir -p "$tree"
    git archive "$1" | tar -x -C "$tree"
    (cd "$tree" && mvn -B -q -o -pl engine-core compile) >&2
    echo "$tree/engine-core/target/classes"
}
shared=$PWD/engine-core/target/test-classes:$PWD/model-dallebart/target/classes:$PWD/model-dallebart/target/test-classes:$deps
"$javac" --add-modules jdk.incubator.vector -d "$tmp/runners" -cp "$PWD/engine-core/target/classes:$shared" \
    scripts/ab/GemvStep.java scripts/ab/DecoderStep.java scripts/ab/GemmShape.java
"$javac" -d "$tmp/driver" scripts/ab/AlternatingRuns.java
pathA=$tmp/runners:$(classes "$a"):$shared
if [[ $b == openblas ]]; then
    [[ $mode == gemm ]] || { echo "ab.sh: openblas is a peer for gemm only" >&2; exit 2; }
    jar=$PWD/benchmarks/target/benchmarks.jar
    [[ -f $jar ]] || mvn -B -q -o -pl benchmarks -am package -DskipTests >&2
    "$javac" --add-modules jdk.incubator.vector -d "$tmp/openblas" -cp "$jar:$PWD/engine-core/target/test-classes" \
        scripts/ab/openblas/GemmShape.java
    pathB=$tmp/openblas:$jar:$PWD/engine-core/target/test-classes
else
    pathB=$tmp/runners:$(classes "$b"):$shared
fi
echo "A = $a, B = $b" >&2
"$java" --add-modules jdk.incubator.vector -Xmx6g ${AB_JVM_FLAGS:-} -cp "$tmp/driver" AlternatingRuns "$runner" "$dtype" "$count" \
    "$rounds" "$steps" "$pathA" "$pathB" 2>&1 \
    | grep -v '^WARNING: Using incubator modules'
