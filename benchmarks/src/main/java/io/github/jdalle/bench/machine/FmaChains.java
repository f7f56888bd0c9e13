package io.github.jdalle.bench.machine;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The loop of {@link FmaPeakBenchmark}: eight independent chains of {@code acc = acc·m + c} on the widest
 * vectors the Vector API offers. Kept apart from the benchmark class so that the roofline tool, which reads
 * the benchmark's cost model, runs without the incubator module.
 */
final class FmaChains {
    static final int CHAINS = 8;
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    private FmaChains() {
    }

    /** FLOPs of one loop iteration: every chain does one fused multiply-add per lane. */
    static int flopsPerIteration() {
        return 2 * CHAINS * SPECIES.length();
    }

    /** Runs {@code iterations} rounds from accumulators {@code start, start + 1, …}; returns their sum. */
    static float run(long iterations, float start, float multiplier, float addend) {
        FloatVector m = FloatVector.broadcast(SPECIES, multiplier);
        FloatVector c = FloatVector.broadcast(SPECIES, addend);
        FloatVector a0 = FloatVector.broadcast(SPECIES, start);
        FloatVector a1 = FloatVector.broadcast(SPECIES, start + 1);
        FloatVector a2 = FloatVector.broadcast(SPECIES, start + 2);
        FloatVector a3 = FloatVector.broadcast(SPECIES, start + 3);
        FloatVector a4 = FloatVector.broadcast(SPECIES, start + 4);
        FloatVector a5 = FloatVector.broadcast(SPECIES, start + 5);
        FloatVector a6 = FloatVector.broadcast(SPECIES, start + 6);
        FloatVector a7 = FloatVector.broadcast(SPECIES, start + 7);
        for (long i = 0; i < iterations; i++) {
            a0 = a0.fma(m, c);
            a1 = a1.fma(m, c);
            a2 = a2.fma(m, c);
            a3 = a3.fma(m, c);
            a4 = a4.fma(m, c);
            a5 = a5.fma(m, c);
            a6 = a6.fma(m, c);
            a7 = a7.fma(m, c);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).reduceLanes(VectorOperators.ADD);
    }
}
