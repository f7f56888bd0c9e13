package io.github.jdalle.bench.machine;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The loop of {@link FmaPeakBenchmark}: twelve independent chains of {@code acc += x·y} on the widest vectors
 * the Vector API offers, the form of a GEMM's inner loop (one {@code vfmadd231ps} each, the accumulator as
 * the addend). Kept apart from the benchmark class so that the roofline tool, which reads the benchmark's
 * cost model, runs without the incubator module.
 */
final class FmaChains {
    static final int CHAINS = 12;
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    private FmaChains() {
    }

    /** FLOPs of one loop iteration: every chain does one fused multiply-add per lane. */
    static int flopsPerIteration() {
        return 2 * CHAINS * SPECIES.length();
    }

    /** Runs {@code iterations} rounds from accumulators {@code start, start + 1, …}; returns their sum. */
    static float run(long iterations, float start, float x, float y) {
        FloatVector vx = FloatVector.broadcast(SPECIES, x);
        FloatVector vy = FloatVector.broadcast(SPECIES, y);
        FloatVector a0 = FloatVector.broadcast(SPECIES, start);
        FloatVector a1 = FloatVector.broadcast(SPECIES, start + 1);
        FloatVector a2 = FloatVector.broadcast(SPECIES, start + 2);
        FloatVector a3 = FloatVector.broadcast(SPECIES, start + 3);
        FloatVector a4 = FloatVector.broadcast(SPECIES, start + 4);
        FloatVector a5 = FloatVector.broadcast(SPECIES, start + 5);
        FloatVector a6 = FloatVector.broadcast(SPECIES, start + 6);
        FloatVector a7 = FloatVector.broadcast(SPECIES, start + 7);
        FloatVector a8 = FloatVector.broadcast(SPECIES, start + 8);
        FloatVector a9 = FloatVector.broadcast(SPECIES, start + 9);
        FloatVector a10 = FloatVector.broadcast(SPECIES, start + 10);
        FloatVector a11 = FloatVector.broadcast(SPECIES, start + 11);
        for (long i = 0; i < iterations; i++) {
            a0 = vx.fma(vy, a0);
            a1 = vx.fma(vy, a1);
            a2 = vx.fma(vy, a2);
            a3 = vx.fma(vy, a3);
            a4 = vx.fma(vy, a4);
            a5 = vx.fma(vy, a5);
            a6 = vx.fma(vy, a6);
            a7 = vx.fma(vy, a7);
            a8 = vx.fma(vy, a8);
            a9 = vx.fma(vy, a9);
            a10 = vx.fma(vy, a10);
            a11 = vx.fma(vy, a11);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .reduceLanes(VectorOperators.ADD);
    }
}
