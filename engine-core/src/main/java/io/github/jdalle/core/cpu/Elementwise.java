package io.github.jdalle.core.cpu;

import io.github.jdalle.core.Activation;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Element-wise ops, embedding gather and data movement. Operands of any float dtype are widened a chunk at a
 * time into per-thread arrays (16 KB, in L1), computed there with vectors and written back, which also makes
 * {@code out} aliasing an input safe.
 */
final class Elementwise {
    private static final VectorSpecies<Float> FLOATS = Widening.FLOATS;
    private static final int LANES = Widening.LANES;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;
    /** Elements per chunk: 16 KB per operand, a multiple of every vector length. */
    private static final int CHUNK = 4096;
    /** Quick GELU's 1.702 as a float plus the remainder, for {@link VectorMath#timesSigmoid}. */
    private static final float QUICK_GELU_HIGH = 1.702f;
    private static final float QUICK_GELU_LOW = (float) (1.702 - QUICK_GELU_HIGH);

    private Elementwise() {
    }

    /** out = f(x), x any float dtype, out F32. */
    static void activate(ThreadPool pool, Activation function, Tensor x, Tensor out) {
        Activate op = Activate.LOCAL.get();
        op.function = function;
        op.x = x;
        op.out = out;
        op.runOver(pool, x.elementCount(), 40);
    }

    /** out = a + b (same element count) or a + b broadcast over rows (b has a's row length); b any float dtype. */
    static void add(ThreadPool pool, Tensor a, Tensor b, Tensor out) {
        if (b.elementCount() == a.elementCount()) {
            binary(pool, a, b, out, true);
            return;
        }
        int width = a.columns();
        float[] row = Widening.toFloats(b, Scratch.Slot.BIAS);
        pool.parallelFor(a.rows(), ThreadPool.grain(2L * width), (first, last) -> {
            float[] values = Scratch.floats(Scratch.Slot.OPERAND_A, width);
            for (int r = first; r < last; r++) {
                long start = (long) r * width;
                Widening.toFloats(a.segment(), a.dtype(), start, values, 0, width);
                int i = 0;
                for (; i <= width - LANES; i += LANES) {
                    FloatVector.fromArray(FLOATS, values, i).add(FloatVector.fromArray(FLOATS, row, i))
                            .intoArray(values, i);
                }
                for (; i < width; i++) {
                    values[i] += row[i];
                }
                MemorySegment.copy(values, 0, out.segment(), F32, start * Float.BYTES, width);
            }
        });
    }

    /** out = a ⊙ b, same element count. */
    static void mul(ThreadPool pool, Tensor a, Tensor b, Tensor out) {
        binary(pool, a, b, out, false);
    }

    private static void binary(ThreadPool pool, Tensor a, Tensor b, Tensor out, boolean add) {
        Binary op = Binary.LOCAL.get();
        op.a = a;
        op.b = b;
        op.out = out;
        op.add = add;
        op.runOver(pool, a.elementCount(), 2);
    }

    /** out = factor·x. */
    static void scale(ThreadPool pool, Tensor x, float factor, Tensor out) {
        Scale op = Scale.LOCAL.get();
        op.x = x;
        op.factor = factor;
        op.out = out;
        op.runOver(pool, x.elementCount(), 2);
    }

    /** Rows {@code ids} of table (V, D), widened to F32, into out; ids are already checked. */
    static void gather(ThreadPool pool, Tensor table, Tensor ids, Tensor out) {
        int width = table.dim(1);
        long rowBytes = (long) width * Float.BYTES;
        pool.parallelFor(Math.toIntExact(ids.elementCount()), ThreadPool.grain(width), (first, last) -> {
            float[] row = Scratch.floats(Scratch.Slot.OPERAND_A, width);
            for (int i = first; i < last; i++) {
                long id = ids.segment().getAtIndex(I32, i);
                if (table.dtype() == DType.F32) {
                    MemorySegment.copy(table.segment(), id * rowBytes, out.segment(), i * rowBytes, rowBytes);
                } else {
                    Widening.toFloats(table.segment(), table.dtype(), id * width, row, 0, width);
                    MemorySegment.copy(row, 0, out.segment(), F32, i * rowBytes, width);
                }
            }
        });
    }

    /** Nearest-neighbour ×2 upsampling of NHWC x into out (B, 2H, 2W, C), any dtype. */
    static void upsampleNearest2x(ThreadPool pool, Tensor x, Tensor out) {
        int height = x.dim(1);
        int width = x.dim(2);
        long pixelBytes = (long) x.dim(3) * x.dtype().byteSize();
        long outRowBytes = 2 * width * pixelBytes;
        MemorySegment source = x.segment();
        MemorySegment target = out.segment();
        pool.parallelFor(x.dim(0) * height, ThreadPool.grain(4L * width * pixelBytes), (first, last) -> {
            for (int row = first; row < last; row++) {
                // input row (b, y) becomes output rows 2y and 2y + 1 of the same image: (b·2H + 2y) = 2·row
                long outRow = 2L * row * outRowBytes;
                for (int ix = 0; ix < width; ix++) {
                    long from = ((long) row * width + ix) * pixelBytes;
                    MemorySegment.copy(source, from, target, outRow + 2 * ix * pixelBytes, pixelBytes);
                    MemorySegment.copy(source, from, target, outRow + (2 * ix + 1) * pixelBytes, pixelBytes);
                }
                MemorySegment.copy(target, outRow, target, outRow + outRowBytes, outRowBytes);
            }
        });
    }

    /**
     * An element-wise op over chunks of {@link #CHUNK} elements, with one call's operands (see
     * {@link ThreadPool.ReusedBody}).
     */
    private abstract static class ChunkedOp extends ThreadPool.ReusedBody {
        private long count;

        /** Runs {@link #chunk} over every chunk of the {@code count} elements, then drops the operands. */
        final void runOver(ThreadPool pool, long count, int costPerElement) {
            this.count = count;
            runOn(pool, Gemm.ceilDiv(count, CHUNK), ThreadPool.grain((long) CHUNK * costPerElement));
        }

        @Override
        public final void run(int first, int last) {
            for (int c = first; c < last; c++) {
                long start = (long) c * CHUNK;
                chunk(start, (int) Math.min(CHUNK, count - start));
            }
        }

        /** Elements {@code [start, start + count)}. */
        abstract void chunk(long start, int count);
    }

    /**
     * out = f(x) a chunk at a time, x any float dtype, out F32: widened into a per-thread array, transformed there
     * and written back. The array is a whole number of vectors long, so the last vector of a chunk may run over a
     * few stale lanes, which are never written out.
     */
    private abstract static class UnaryOp extends ChunkedOp {
        Tensor x;
        Tensor out;

        @Override
        final void chunk(long start, int count) {
            float[] values = Scratch.floats(Scratch.Slot.OPERAND_A, CHUNK);
            Widening.toFloats(x.segment(), x.dtype(), start, values, 0, count);
            apply(values, count);
            MemorySegment.copy(values, 0, out.segment(), F32, start * Float.BYTES, count);
        }

        /** values[i] = f(values[i]) for i < count. */
        abstract void apply(float[] values, int count);

        @Override
        void release() {
            x = out = null;
        }
    }

    private static final class Activate extends UnaryOp {
        private static final ThreadLocal<Activate> LOCAL = ThreadLocal.withInitial(Activate::new);
        Activation function;

        @Override
        void apply(float[] values, int count) {
            switch (function) {
                case GELU -> VectorMath.gelu(values, count);
                case QUICK_GELU -> VectorMath.timesSigmoid(values, count, QUICK_GELU_HIGH, QUICK_GELU_LOW);
                case SWISH -> VectorMath.timesSigmoid(values, count, 1f, 0f);
            }
        }
    }

    private static final class Scale extends UnaryOp {
        private static final ThreadLocal<Scale> LOCAL = ThreadLocal.withInitial(Scale::new);
        float factor;

        @Override
        void apply(float[] values, int count) {
            int i = 0;
            for (; i <= count - LANES; i += LANES) {
                FloatVector.fromArray(FLOATS, values, i).mul(factor).intoArray(values, i);
            }
            for (; i < count; i++) {
                values[i] *= factor;
            }
        }
    }

    /** out = a + b or a ⊙ b, same element count, a and b any float dtype. */
    private static final class Binary extends ChunkedOp {
        private static final ThreadLocal<Binary> LOCAL = ThreadLocal.withInitial(Binary::new);
        Tensor a;
        Tensor b;
        Tensor out;
        boolean add;

        @Override
        void chunk(long start, int count) {
            float[] left = Scratch.floats(Scratch.Slot.OPERAND_A, CHUNK);
            float[] right = Scratch.floats(Scratch.Slot.OPERAND_B, CHUNK);
            Widening.toFloats(a.segment(), a.dtype(), start, left, 0, count);
            Widening.toFloats(b.segment(), b.dtype(), start, right, 0, count);
            int i = 0;
            if (add) {
                for (; i <= count - LANES; i += LANES) {
                    FloatVector.fromArray(FLOATS, left, i).add(FloatVector.fromArray(FLOATS, right, i)).intoArray(left, i);
                }
                for (; i < count; i++) {
                    left[i] += right[i];
                }
            } else {
                for (; i <= count - LANES; i += LANES) {
                    FloatVector.fromArray(FLOATS, left, i).mul(FloatVector.fromArray(FLOATS, right, i)).intoArray(left, i);
                }
                for (; i < count; i++) {
                    left[i] *= right[i];
                }
            }
            MemorySegment.copy(left, 0, out.segment(), F32, start * Float.BYTES, count);
        }

        @Override
        void release() {
            a = b = out = null;
        }
    }
}
