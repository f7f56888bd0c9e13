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
 * Scaled dot-product attention, one (batch, query) position at a time in parallel, all heads together: each key
 * row and each value row is read once, whole and in order (in a decoder step the KV cache is the only large
 * operand, and reading it a head at a time touched a new page for every 256 bytes), giving every head its
 * vectorised dot product, then per head a max-subtracted softmax and the probability-weighted sum of the values.
 * A query that sees no key at all (which the models never produce) gets a zero output rather than NaN.
 */
final class Attention {
    private static final VectorSpecies<Float> FLOATS = Widening.FLOATS;
    private static final int LANES = Widening.LANES;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;

    /** A float read from memory, in vectorised multiply-adds (ThreadPool's unit of cost). */
    private static final long MEMORY_READ_COST = 4;

    private Attention() {
    }

    /** q (B, Tq, D), k and v (B, Tk, D) F32, over the first {@code keys} key rows; out (B, Tq, D) F32. */
    static void run(ThreadPool pool, Tensor q, Tensor k, Tensor v, AttentionSpec spec, int keys, Tensor out) {
        // In a decoder step the keys and values come from memory (the weights streamed since evicted them), and a
        // float read from memory costs some four vectorised multiply-adds: priced by its multiply-adds alone, the
        // cross-attention (64 keys) and the first 108 steps' self-attention ran on one thread.
        long positionCost = 2L * keys * q.dim(2) * MEMORY_READ_COST + 16L * keys * spec.heads();
        Call call = Call.LOCAL.get();
        call.q = q;
        call.k = k;
        call.v = v;
        call.spec = spec;
        call.keys = keys;
        call.out = out;
        call.runOn(pool, q.dim(0) * q.dim(1), ThreadPool.grain(positionCost));
    }

    /** One call's operands (see {@link ThreadPool.ReusedBody}). */
    private static final class Call extends ThreadPool.ReusedBody {
        private static final ThreadLocal<Call> LOCAL = ThreadLocal.withInitial(Call::new);
        Tensor q;
        Tensor k;
        Tensor v;
        AttentionSpec spec;
        int keys;
        Tensor out;

        /** Positions {@code [first, last)} of (batch, query). */
        @Override
        public void run(int first, int last) {
            int queries = q.dim(1);
            for (int i = first; i < last; i++) {
                position(q, k, v, spec, keys, out, i / queries, i % queries);
            }
        }

        @Override
        void release() {
            q = k = v = out = null;
            spec = null;
        }
    }

    private static void position(Tensor q, Tensor k, Tensor v, AttentionSpec spec, int keys, Tensor out, int b,
                                 int t) {
        int queries = q.dim(1);
        int width = q.dim(2);
        int keyRows = k.dim(1);
        int heads = spec.heads();
        int headDim = width / heads;
        MemorySegment mask = spec.keyMask() == null ? null : spec.keyMask().segment();
        long maskRow = spec.keyMask() == null ? 0 : (long) b * spec.keyMask().dim(1);
        // a causal query t sits at position keys − Tq + t and sees the keys up to it
        int visible = spec.causal() ? Math.clamp(keys - queries + t + 1, 0, keys) : keys;
        // head h's scores at h·stride; the softmax works on a copy with room for a whole number of vectors
        int stride = Math.max(visible, 1);
        float[] scores = Scratch.floats(Scratch.Slot.ALL_SCORES, heads * stride);
        float[] softmax = Scratch.floats(Scratch.Slot.SCORES, Gemm.ceilDiv(stride, LANES) * LANES);
        // the query row, then the output accumulators, then each head's maximum score and exponential sum
        float[] head = Scratch.floats(Scratch.Slot.HEAD, 2 * width + 2 * heads);
        int accumulator = width;
        int maxima = 2 * width;
        int sums = maxima + heads;
        long rowAt = ((long) b * queries + t) * width * Float.BYTES;
        MemorySegment.copy(q.segment(), F32, rowAt, head, 0, width);
        Arrays.fill(head, maxima, maxima + heads, Float.NEGATIVE_INFINITY);

        for (int j = 0; j < visible; j++) {
            boolean masked = mask != null && mask.getAtIndex(I32, maskRow + j) == 0;
            long keyAt = ((long) b * keyRows + j) * width * Float.BYTES;
            for (int h = 0; h < heads; h++) {
                float score = masked ? Float.NEGATIVE_INFINITY
                        : dot(head, h * headDim, k.segment(), keyAt + (long) h * headDim * Float.BYTES, headDim)
                                * spec.scale();
                scores[h * stride + j] = score;
                head[maxima + h] = Math.max(head[maxima + h], score);
            }
        }
        for (int h = 0; h < heads; h++) {
            if (head[maxima + h] != Float.NEGATIVE_INFINITY) {
                System.arraycopy(scores, h * stride, softmax, 0, visible);
                head[sums + h] = VectorMath.exponentiate(softmax, visible, head[maxima + h]);
                System.arraycopy(softmax, 0, scores, h * stride, visible);
            }
        }

        Arrays.fill(head, accumulator, accumulator + width, 0f);
        for (int j = 0; j < visible; j++) {
            long valueAt = ((long) b * keyRows + j) * width * Float.BYTES;
            for (int h = 0; h < heads; h++) {
                float p = head[maxima + h] == Float.NEGATIVE_INFINITY ? 0f : scores[h * stride + j];
                if (p != 0f) {
                    axpy(p, v.segment(), valueAt + (long) h * headDim * Float.BYTES, head, accumulator + h * headDim,
                            headDim);
                }
            }
        }
        MemorySegment result = out.segment();
        for (int h = 0; h < heads; h++) {
            // a head that sees no key keeps its zero accumulators: 0 / 1
            float sum = head[maxima + h] == Float.NEGATIVE_INFINITY ? 1f : head[sums + h];
            int from = accumulator + h * headDim;
            long to = rowAt + (long) h * headDim * Float.BYTES;
            int d = 0;
            for (; d <= headDim - LANES; d += LANES) {
                FloatVector.fromArray(FLOATS, head, from + d).div(sum)
                        .intoMemorySegment(result, to + (long) d * Float.BYTES, LE);
            }
            for (; d < headDim; d++) {
                result.set(F32, to + (long) d * Float.BYTES, head[from + d] / sum);
            }
        }
    }

    /** Σ query[offset + d]·keys[at + d] over d < length, in a fixed order. */
    private static float dot(float[] query, int offset, MemorySegment keys, long at, int length) {
        FloatVector s0 = FloatVector.zero(FLOATS);
        FloatVector s1 = s0;
        int d = 0;
        for (; d <= length - 2 * LANES; d += 2 * LANES) {
            s0 = FloatVector.fromArray(FLOATS, query, offset + d)
                    .fma(FloatVector.fromMemorySegment(FLOATS, keys, at + (long) d * Float.BYTES, LE), s0);
            s1 = FloatVector.fromArray(FLOATS, query, offset + d + LANES)
                    .fma(FloatVector.fromMemorySegment(FLOATS, keys, at + (long) (d + LANES) * Float.BYTES, LE), s1);
        }
        for (; d <= length - LANES; d += LANES) {
            s0 = FloatVector.fromArray(FLOATS, query, offset + d)
                    .fma(FloatVector.fromMemorySegment(FLOATS, keys, at + (long) d * Float.BYTES, LE), s0);
        }
        float sum = VectorMath.sumLanes(s0.add(s1));
        for (; d < length; d++) {
            sum += query[offset + d] * keys.get(F32, at + (long) d * Float.BYTES);
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
