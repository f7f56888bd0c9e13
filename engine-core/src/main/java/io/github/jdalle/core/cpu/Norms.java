package io.github.jdalle.core.cpu;

import io.github.jdalle.core.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Layer norm, group norm and softmax. Statistics are two-pass (mean, then squared deviations from it) and
 * summed in a fixed order, so they are as accurate as the data allows and independent of the thread count.
 */
final class Norms {
    private static final VectorSpecies<Float> FLOATS = Widening.FLOATS;
    private static final int LANES = Widening.LANES;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** Positions per group-norm statistics block: a fixed split, so the summation order never changes. */
    private static final int POSITION_BLOCK = 256;

    private Norms() {
    }

    /** Layer norm of every row of x into out (F32); scale and bias hold one float per column. */
    static void layerNorm(ThreadPool pool, Tensor x, float[] scale, float[] bias, float eps, Tensor out) {
        LayerNorm call = LayerNorm.LOCAL.get();
        call.x = x;
        call.scale = scale;
        call.bias = bias;
        call.eps = eps;
        call.out = out;
        call.runOn(pool, x.rows(), ThreadPool.grain(8L * x.columns()));
    }

    /** One layer norm's operands (a decoder step runs a hundred; see {@link ThreadPool.ReusedBody}). */
    private static final class LayerNorm extends ThreadPool.ReusedBody {
        private static final ThreadLocal<LayerNorm> LOCAL = ThreadLocal.withInitial(LayerNorm::new);
        Tensor x;
        float[] scale;
        float[] bias;
        float eps;
        Tensor out;

        /** Rows {@code [first, last)}. */
        @Override
        public void run(int first, int last) {
            int width = x.columns();
            float[] row = Scratch.floats(Scratch.Slot.OPERAND_A, width);
            for (int r = first; r < last; r++) {
                Widening.toFloats(x.segment(), x.dtype(), (long) r * width, row, 0, width);
                float mean = sum(row, width) / width;
                float variance = squaredDeviations(row, width, mean) / width;
                float inverse = (float) (1 / Math.sqrt((double) variance + eps));
                int c = 0;
                for (; c <= width - LANES; c += LANES) {
                    FloatVector.fromArray(FLOATS, row, c).sub(mean).mul(inverse)
                            .fma(FloatVector.fromArray(FLOATS, scale, c), FloatVector.fromArray(FLOATS, bias, c))
                            .intoArray(row, c);
                }
                for (; c < width; c++) {
                    row[c] = (row[c] - mean) * inverse * scale[c] + bias[c];
                }
                MemorySegment.copy(row, 0, out.segment(), F32, (long) r * width * Float.BYTES, width);
            }
        }

        @Override
        void release() {
            x = out = null;
            scale = bias = null;
        }
    }

    /**
     * Group norm of NHWC x (B, …, C) over {@code groups} groups of adjacent channels and every position. The
     * per-channel sums of fixed blocks of positions are computed in parallel, then combined per group in
     * order, for the mean and then for the variance; the normalisation itself runs over rows of pixels.
     */
    static void groupNorm(ThreadPool pool, Tensor x, int groups, float[] scale, float[] bias, float eps, Tensor out) {
        int channels = x.columns();
        int batch = x.dim(0);
        int positions = x.rows() / batch;
        int blocks = Gemm.ceilDiv(positions, POSITION_BLOCK);
        int groupSize = channels / groups;
        float[] partial = Scratch.floats(Scratch.Slot.STATISTICS, batch * blocks * channels);
        // per channel: its group's mean, then its group's 1/σ; both (B, C)
        float[] mean = new float[batch * channels];
        float[] inverse = new float[batch * channels];
        blockSums(pool, x, blocks, positions, partial, null);
        combine(partial, batch, blocks, channels, groupSize, (double) positions * groupSize, mean, null, 0f);
        blockSums(pool, x, blocks, positions, partial, mean);
        combine(partial, batch, blocks, channels, groupSize, (double) positions * groupSize, inverse, mean, eps);

        MemorySegment result = out.segment();
        pool.parallelFor(x.rows(), ThreadPool.grain(4L * channels), (first, last) -> {
            float[] row = Scratch.floats(Scratch.Slot.OPERAND_A, channels);
            for (int p = first; p < last; p++) {
                int at = p / positions * channels;
                Widening.toFloats(x.segment(), x.dtype(), (long) p * channels, row, 0, channels);
                int c = 0;
                for (; c <= channels - LANES; c += LANES) {
                    FloatVector.fromArray(FLOATS, row, c).sub(FloatVector.fromArray(FLOATS, mean, at + c))
                            .mul(FloatVector.fromArray(FLOATS, inverse, at + c))
                            .fma(FloatVector.fromArray(FLOATS, scale, c), FloatVector.fromArray(FLOATS, bias, c))
                            .intoArray(row, c);
                }
                for (; c < channels; c++) {
                    row[c] = (row[c] - mean[at + c]) * inverse[at + c] * scale[c] + bias[c];
                }
                MemorySegment.copy(row, 0, result, F32, (long) p * channels * Float.BYTES, channels);
            }
        });
    }

    /**
     * partial[(b·blocks + block)·C + c] = Σ over the block's positions of x (or of (x − center)² when a
     * per-channel {@code center} (B, C) is given).
     */
    private static void blockSums(ThreadPool pool, Tensor x, int blocks, int positions, float[] partial,
                                  float[] center) {
        int channels = x.columns();
        int batch = x.dim(0);
        pool.parallelFor(batch * blocks, ThreadPool.grain(2L * POSITION_BLOCK * channels), (first, last) -> {
            float[] row = Scratch.floats(Scratch.Slot.OPERAND_A, channels);
            for (int item = first; item < last; item++) {
                int b = item / blocks;
                int start = item % blocks * POSITION_BLOCK;
                int end = Math.min(positions, start + POSITION_BLOCK);
                int sums = item * channels;
                Arrays.fill(partial, sums, sums + channels, 0f);
                for (int p = start; p < end; p++) {
                    Widening.toFloats(x.segment(), x.dtype(), ((long) b * positions + p) * channels, row, 0, channels);
                    if (center == null) {
                        addTo(partial, sums, row, channels);
                    } else {
                        addSquaredDeviationsTo(partial, sums, row, center, b * channels, channels);
                    }
                }
            }
        });
    }

    private static void addTo(float[] sums, int at, float[] values, int count) {
        int c = 0;
        for (; c <= count - LANES; c += LANES) {
            FloatVector.fromArray(FLOATS, values, c).add(FloatVector.fromArray(FLOATS, sums, at + c))
                    .intoArray(sums, at + c);
        }
        for (; c < count; c++) {
            sums[at + c] += values[c];
        }
    }

    private static void addSquaredDeviationsTo(float[] sums, int at, float[] values, float[] center, int centerAt,
                                               int count) {
        int c = 0;
        for (; c <= count - LANES; c += LANES) {
            FloatVector d = FloatVector.fromArray(FLOATS, values, c)
                    .sub(FloatVector.fromArray(FLOATS, center, centerAt + c));
            d.fma(d, FloatVector.fromArray(FLOATS, sums, at + c)).intoArray(sums, at + c);
        }
        for (; c < count; c++) {
            float d = values[c] - center[centerAt + c];
            sums[at + c] += d * d;
        }
    }

    /**
     * Adds the block sums of each group in a fixed order (in double) and spreads the result over the group's
     * channels: the mean when {@code mean} is null, else 1/√(variance + eps).
     */
    private static void combine(float[] partial, int batch, int blocks, int channels, int groupSize, double count,
                                float[] perChannel, float[] mean, float eps) {
        for (int b = 0; b < batch; b++) {
            for (int c0 = 0; c0 < channels; c0 += groupSize) {
                double total = 0;
                for (int block = 0; block < blocks; block++) {
                    int at = (b * blocks + block) * channels + c0;
                    for (int c = 0; c < groupSize; c++) {
                        total += partial[at + c];
                    }
                }
                float value = mean == null ? (float) (total / count) : (float) (1 / Math.sqrt(total / count + eps));
                Arrays.fill(perChannel, b * channels + c0, b * channels + c0 + groupSize, value);
            }
        }
    }

    /** Softmax of every row of x into out (F32), subtracting the row maximum. */
    static void softmax(ThreadPool pool, Tensor x, Tensor out) {
        int width = x.columns();
        MemorySegment result = out.segment();
        pool.parallelFor(x.rows(), ThreadPool.grain(24L * width), (first, last) -> {
            // room for a whole number of vectors, which exponentiate pads
            float[] row = Scratch.floats(Scratch.Slot.OPERAND_A, Gemm.ceilDiv(width, LANES) * LANES);
            for (int r = first; r < last; r++) {
                Widening.toFloats(x.segment(), x.dtype(), (long) r * width, row, 0, width);
                float sum = VectorMath.exponentiate(row, width, max(row, width));
                int c = 0;
                for (; c <= width - LANES; c += LANES) {
                    FloatVector.fromArray(FLOATS, row, c).div(sum).intoArray(row, c);
                }
                for (; c < width; c++) {
                    row[c] /= sum;
                }
                MemorySegment.copy(row, 0, result, F32, (long) r * width * Float.BYTES, width);
            }
        });
    }

    private static float sum(float[] values, int count) {
        FloatVector s0 = FloatVector.zero(FLOATS);
        FloatVector s1 = s0;
        int i = 0;
        for (; i <= count - 2 * LANES; i += 2 * LANES) {
            s0 = s0.add(FloatVector.fromArray(FLOATS, values, i));
            s1 = s1.add(FloatVector.fromArray(FLOATS, values, i + LANES));
        }
        float sum = VectorMath.sumLanes(s0.add(s1));
        for (; i < count; i++) {
            sum += values[i];
        }
        return sum;
    }

    private static float squaredDeviations(float[] values, int count, float mean) {
        FloatVector s0 = FloatVector.zero(FLOATS);
        FloatVector s1 = s0;
        int i = 0;
        for (; i <= count - 2 * LANES; i += 2 * LANES) {
            FloatVector d0 = FloatVector.fromArray(FLOATS, values, i).sub(mean);
            FloatVector d1 = FloatVector.fromArray(FLOATS, values, i + LANES).sub(mean);
            s0 = d0.fma(d0, s0);
            s1 = d1.fma(d1, s1);
        }
        float sum = VectorMath.sumLanes(s0.add(s1));
        for (; i < count; i++) {
            float d = values[i] - mean;
            sum += d * d;
        }
        return sum;
    }

    private static float max(float[] values, int count) {
        FloatVector m = FloatVector.broadcast(FLOATS, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i <= count - LANES; i += LANES) {
            m = m.max(FloatVector.fromArray(FLOATS, values, i));
        }
        float max = VectorMath.maxLanes(m);
        for (; i < count; i++) {
            max = Math.max(max, values[i]);
        }
        return max;
    }
}
