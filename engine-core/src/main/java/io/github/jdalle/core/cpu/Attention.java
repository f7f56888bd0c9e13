package io.github.jdalle.core.cpu;

import io.github.jdalle.core.AttentionSpec;
import io.github.jdalle.core.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import static io.github.jdalle.core.cpu.Widening.LE;

/**
 * Scaled dot-product attention, one (batch, head, query) row at a time in parallel: vectorised dot products
 * against the visible keys, a max-subtracted softmax, then the probability-weighted sum of the values. Rows of
 * the same head are adjacent in the work order, so a head's keys and values stay in cache. A query that sees
 * no key at all (which the models never produce) gets a zero output rather than NaN.
 */
final class Attention {
    private static final VectorSpecies<Float> FLOATS = Widening.FLOATS;
    private static final int LANES = Widening.LANES;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;

    private Attention() {
    }

    /** q (B, Tq, D), k and v (B, Tk, D) F32, over the first {@code keys} key rows; out (B, Tq, D) F32. */
    static void run(ThreadPool pool, Tensor q, Tensor k, Tensor v, AttentionSpec spec, int keys, Tensor out) {
        int batch = q.dim(0);
        int queries = q.dim(1);
        int heads = spec.heads();
        long rowCost = 2L * keys * (q.dim(2) / heads) + 16L * keys;
        pool.parallelFor(batch * heads * queries, ThreadPool.grain(rowCost), (first, last) -> {
            for (int i = first; i < last; i++) {
                row(q, k, v, spec, keys, out, i / (heads * queries), i / queries % heads, i % queries);
            }
        });
    }

    private static void row(Tensor q, Tensor k, Tensor v, AttentionSpec spec, int keys, Tensor out,
                            int b, int h, int t) {
        int queries = q.dim(1);
        int width = q.dim(2);
        int keyRows = k.dim(1);
        int headDim = width / spec.heads();
        MemorySegment mask = spec.keyMask() == null ? null : spec.keyMask().segment();
        long maskRow = spec.keyMask() == null ? 0 : (long) b * spec.keyMask().dim(1);
        // a causal query t sits at position keys − Tq + t and sees the keys up to it
        int visible = spec.causal() ? Math.clamp(keys - queries + t + 1, 0, keys) : keys;
        // room for a whole number of vectors, which exponentiate pads
        float[] scores = Scratch.floats(Scratch.Slot.SCORES, Gemm.ceilDiv(Math.max(visible, 1), LANES) * LANES);
        float[] head = Scratch.floats(Scratch.Slot.HEAD, 2 * headDim);
        long queryAt = (((long) b * queries + t) * width + (long) h * headDim) * Float.BYTES;
        MemorySegment.copy(q.segment(), F32, queryAt, head, 0, headDim);

        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < visible; j++) {
            if (mask != null && mask.getAtIndex(I32, maskRow + j) == 0) {
                scores[j] = Float.NEGATIVE_INFINITY;
                continue;
            }
            long keyAt = (((long) b * keyRows + j) * width + (long) h * headDim) * Float.BYTES;
            scores[j] = dot(head, k.segment(), keyAt, headDim) * spec.scale();
            max = Math.max(max, scores[j]);
        }
        MemorySegment result = out.segment();
        if (max == Float.NEGATIVE_INFINITY) {
            result.asSlice(queryAt, (long) headDim * Float.BYTES).fill((byte) 0);
            return;
        }
        float sum = VectorMath.exponentiate(scores, visible, max);

        int accumulator = headDim;
        Arrays.fill(head, accumulator, accumulator + headDim, 0f);
        for (int j = 0; j < visible; j++) {
            float p = scores[j];
            if (p != 0f) {
                long valueAt = (((long) b * keyRows + j) * width + (long) h * headDim) * Float.BYTES;
                axpy(p, v.segment(), valueAt, head, accumulator, headDim);
            }
        }
        int d = 0;
        for (; d <= headDim - LANES; d += LANES) {
            FloatVector.fromArray(FLOATS, head, accumulator + d).div(sum)
                    .intoMemorySegment(result, queryAt + (long) d * Float.BYTES, LE);
        }
        for (; d < headDim; d++) {
            result.set(F32, queryAt + (long) d * Float.BYTES, head[accumulator + d] / sum);
        }
    }

    /** Σ query[d]·keys[at + d] over d < length, in a fixed order. */
    private static float dot(float[] query, MemorySegment keys, long at, int length) {
        FloatVector s0 = FloatVector.zero(FLOATS);
        FloatVector s1 = s0;
        int d = 0;
        for (; d <= length - 2 * LANES; d += 2 * LANES) {
            s0 = FloatVector.fromArray(FLOATS, query, d)
                    .fma(FloatVector.fromMemorySegment(FLOATS, keys, at + (long) d * Float.BYTES, LE), s0);
            s1 = FloatVector.fromArray(FLOATS, query, d + LANES)
                    .fma(FloatVector.fromMemorySegment(FLOATS, keys, at + (long) (d + LANES) * Float.BYTES, LE), s1);
        }
        for (; d <= length - LANES; d += LANES) {
            s0 = FloatVector.fromArray(FLOATS, query, d)
                    .fma(FloatVector.fromMemorySegment(FLOATS, keys, at + (long) d * Float.BYTES, LE), s0);
        }
        float sum = VectorMath.sumLanes(s0.add(s1));
        for (; d < length; d++) {
            sum += query[d] * keys.get(F32, at + (long) d * Float.BYTES);
        }
        return sum;
    }

    /** accumulator[offset + d] += p·values[at + d] for d < length. */
    private static void axpy(float p, MemorySegment values, long at, float[] accumulator, int offset, int length) {
        FloatVector weight = FloatVector.broadcast(FLOATS, p);
        int d = 0;
        for (; d <= length - LANES; d += LANES) {
            FloatVector value = FloatVector.fromMemorySegment(FLOATS, values, at + (long) d * Float.BYTES, LE);
            weight.fma(value, FloatVector.fromArray(FLOATS, accumulator, offset + d)).intoArray(accumulator, offset + d);
        }
        for (; d < length; d++) {
            accumulator[offset + d] += p * values.get(F32, at + (long) d * Float.BYTES);
        }
    }
}
