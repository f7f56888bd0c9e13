#!/usr/bin/env bash
# The JMH pass behind README's performance table: every benchmark class once, on the shapes that matter (machine
# probes; GEMMs with their OpenBLAS and plain-Java peers; the VQGAN's convolutions; norms; attention; sampling; the
# DalleBart step, mini-1 and mega-1, and encoder with -prof gc; VQGAN decode; CLIP scoring); one JSON file per
# group in DIR, then the roofline table (DIR/roofline.md). About 25 minutes here.
# Usage: scripts/bench-pass.sh [DIR]   (default bench-results; builds benchmarks.jar when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-bench-results}
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
jar=benchmarks/target/benchmarks.jar
[[ -f $jar ]] || mvn -B -q -pl benchmarks -am package -DskipTests
mkdir -p "$out"
quick=(-wi 3 -i 5 -w 2s -r 3s -f 1)
model=(-wi 2 -i 3 -w 5s -r 5s -f 1)
run() {
    local name=$1
    shift
    echo "== $name ($(date +%T))" >&2
    "$java" -jar "$jar" "$@" -rf json -rff "$out/$name.json" > "$out/$name.log"
}
run probes 'machine\.' "${quick[@]}"
run gemm GemmSquare -p size=2048 -p threads=all "${quick[@]}"
run decoder 'GemmDecoder(OpenBlas)?Benchmark' -p m=1,2,8 -p k=2048 -p n=16385 -p weights=F32,BF16 -p threads=all \
    "${quick[@]}"
run small GemmSquare -p size=256 -p threads=1 "${quick[@]}"
run plain GemmPlainJava -p size=256 "${quick[@]}"
run conv Conv2dBenchmark -p threads=all "${quick[@]}"
run norms NormBenchmark -p rows=16 -p width=2048 -p hwc=256x256x128 -p threads=all "${quick[@]}"
run attention 'AttentionBenchmark' -p batch=2 -p threads=all "${quick[@]}"
run sampler SamplerBenchmark -p threads=all "${quick[@]}"
# eight warm-up rounds: the JIT's compiler threads share the 2 cores with the kernels, and until they are done -prof gc
# counts the interpreted code's vector boxing (Zen 3, 2026-12-03: one image 50-59 KB a step after five 5 s rounds,
# 0.45-0.68 KB after ten; at 8 images the attention kernel alone took more than 10 s)
run step 'DalleBartBenchmark.(decoderStep|encoder)' -p images=1,4,8 -wi 8 -i 3 -w 5s -r 5s -f 1 -prof gc
run stepbf16 'DalleBartBenchmark.decoderStep' -p images=1 -p weights=BF16 "${model[@]}"
run mega 'DalleBartBenchmark.megaDecoderStep' -wi 1 -i 3 -w 5s -r 10s -f 1
run models 'VqganBenchmark|ClipBenchmark' -wi 1 -i 3 -w 5s -r 5s -f 1
"$java" -cp "$jar" io.github.jdalle.bench.Roofline "$out"/*.json > "$out/roofline.md"
echo "roofline table: $out/roofline.md" >&2
