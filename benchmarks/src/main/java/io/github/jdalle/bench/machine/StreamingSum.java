package io.github.jdalle.bench.machine;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * The loops of {@link MemoryBandwidthBenchmark}: sums of floats with four independent vector accumulators, so
 * that loads are never waiting on additions, read as one sequential stream or as eight side by side (the pattern of
 * the decoder's GEMVs, which read eight weight rows at once). Kept apart from the benchmark class so that the
 * roofline tool runs without the incubator module.
 */
final class StreamingSum {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int UNROLL = 4;
    /** The streams of {@link #sumStreams}. */
    static final int STREAMS = 8;

    private StreamingSum() {
    }

    /** Bytes summed per loop iteration; ranges passed to {@link #sum} are multiples of it. */
    static long blockBytes() {
        return (long) SPECIES.vectorByteSize() * UNROLL;
    }

    /** The sum of the floats in bytes {@code [from, to)} of {@code segment}. */
    static float sum(MemorySegment segment, long from, long to) {
        long step = SPECIES.vectorByteSize();
        FloatVector s0 = FloatVector.zero(SPECIES);
        FloatVector s1 = FloatVector.zero(SPECIES);
        FloatVector s2 = FloatVector.zero(SPECIES);
        FloatVector s3 = FloatVector.zero(SPECIES);
        for (long at = from; at < to; at += UNROLL * step) {
            s0 = s0.add(FloatVector.fromMemorySegment(SPECIES, segment, at, ByteOrder.nativeOrder()));
            s1 = s1.add(FloatVector.fromMemorySegment(SPECIES, segment, at + step, ByteOrder.nativeOrder()));
            s2 = s2.add(FloatVector.fromMemorySegment(SPECIES, segment, at + 2 * step, ByteOrder.nativeOrder()));
            s3 = s3.add(FloatVector.fromMemorySegment(SPECIES, segment, at + 3 * step, ByteOrder.nativeOrder()));
        }
        return s0.add(s1).add(s2).add(s3).reduceLanes(VectorOperators.ADD);
    }

    /**
     * As {@link #sum}, with bytes {@code [from, to)} cut into {@link #STREAMS} equal parts read side by side, one
     * vector of each per iteration; {@code to − from} is a multiple of {@code STREAMS ·} {@link #blockBytes()}.
     */
    static float sumStreams(MemorySegment segment, long from, long to) {
        long step = SPECIES.vectorByteSize();
        long part = (to - from) / STREAMS;
        FloatVector s0 = FloatVector.zero(SPECIES);
        FloatVector s1 = FloatVector.zero(SPECIES);
        FloatVector s2 = FloatVector.zero(SPECIES);
        FloatVector s3 = FloatVector.zero(SPECIES);
        for (long at = from, end = from + part; at < end; at += step) {
            s0 = s0.add(FloatVector.fromMemorySegment(SPECIES, segment, at, ByteOrder.nativeOrder()));
            s1 = s1.add(FloatVector.fromMemorySegment(SPECIES, segment, at + part, ByteOrder.nativeOrder()));
            s2 = s2.add(FloatVector.fromMemorySegment(SPECIES, segment, at + 2 * part, ByteOrder.nativeOrder()));
            s3 = s3.add(FloatVector.fromMemorySegment(SPECIES, segment, at + 3 * part, ByteOrder.nativeOrder()));
            s0 = s0.add(FloatVector.fromMemorySegment(SPECIES, segment, at + 4 * part, ByteOrder.nativeOrder()));
            s1 = s1.add(FloatVector.fromMemorySegment(SPECIES, segment, at + 5 * part, ByteOrder.nativeOrder()));
            s2 = s2.add(FloatVector.fromMemorySegment(SPECIES, segment, at + 6 * part, ByteOrder.nativeOrder()));
            s3 = s3.add(FloatVector.fromMemorySegment(SPECIES, segment, at + 7 * part, ByteOrder.nativeOrder()));
        }
        return s0.add(s1).add(s2).add(s3).reduceLanes(VectorOperators.ADD);
    }
}
