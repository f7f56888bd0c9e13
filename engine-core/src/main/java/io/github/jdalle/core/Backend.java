package io.github.jdalle.core;

import io.github.jdalle.core.sampling.RandomStream;
import io.github.jdalle.core.sampling.Sampler;
import io.github.jdalle.core.sampling.SamplingSettings;

import java.lang.foreign.MemorySegment;

/**
 * The compute operations the three models are written against. A model is written once; the CPU backend
 * (Vector API) and the CUDA backend implement the same ops, and the storage dtype of a weight picks the
 * kernel, so model code never mentions dtypes.
 *
 * <p>Conventions: activations are F32, row-major; a weight may be F32, F16 or BF16 and is widened inside
 * the kernel with F32 accumulation. Tensors passed to an op live on this backend ({@link #load} for
 * weights, a {@link Workspace} for activations). Outputs are written into a caller-provided tensor and may
 * not alias an input unless the op says so. Ops check shapes and throw {@link JdalleException} naming the
 * mismatch.
 */
public interface Backend extends AutoCloseable {

    /** Short name for logs and timings, e.g. {@code "cpu (2 threads)"}. */
    String name();

    /**
     * Makes a weight tensor (usually a view of a memory-mapped file) usable by this backend. The CPU backend
     * returns the view itself; a GPU backend copies it to device memory once and keeps it until closed.
     */
    Tensor load(Tensor weight);

    /** A fresh workspace for one call's activations. */
    Workspace workspace();

    /** Copies a host tensor into a tensor of this backend (same dtype and element count). */
    void upload(Tensor hostSource, Tensor destination);

    /** Copies a tensor of this backend into a host tensor (same dtype and element count). */
    void download(Tensor source, Tensor hostDestination);

    /** Copies between two tensors of this backend with the same dtype and element count. */
    void copy(Tensor source, Tensor destination);

    /** The elements of a tensor of this backend, widened to float. */
    default float[] toFloatArray(Tensor tensor) {
        if (tensor.isHost()) {
            return tensor.toFloatArray();
        }
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            Tensor host = Tensor.allocate(arena, tensor.dtype(), tensor.shape());
            download(tensor, host);
            return host.toFloatArray();
        }
    }

    /** The elements of an I32 tensor of this backend. */
    default int[] toIntArray(Tensor tensor) {
        if (tensor.isHost()) {
            return tensor.toIntArray();
        }
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            Tensor host = Tensor.allocate(arena, tensor.dtype(), tensor.shape());
            download(tensor, host);
            return host.toIntArray();
        }
    }

    // ---- linear algebra ------------------------------------------------------------------------------

    /**
     * {@code out = x·weight + bias}: x (…, K) F32, weight (K, N) as Flax stores Dense kernels (F32, F16 or
     * BF16), bias (N) or null, out (…, N) F32. Leading dimensions of x are flattened into rows.
     */
    void matmul(Tensor x, Tensor weight, Tensor bias, Tensor out);

    /**
     * {@code outs[i] = x·weights[i]} (no bias) for weights that share their input, such as the query, key and
     * value projections: the results of one {@link #matmul} each, which is what this default does. A backend may
     * run them as one operation (the CPU backend streams the weights of a decoder step in one parallel loop).
     */
    default void matmulEach(Tensor x, Tensor[] weights, Tensor[] outs) {
        ShapeChecks.matmulEach(x, weights, outs);
        for (int i = 0; i < weights.length; i++) {
            matmul(x, weights[i], null, outs[i]);
        }
    }

    /**
     * Multi-head scaled dot-product attention: q (B, Tq, D), k and v (B, Tk, D), out (B, Tq, D); masking as
     * {@code spec} says. {@code out} may not alias q, k or v.
     */
    void attention(Tensor q, Tensor k, Tensor v, AttentionSpec spec, Tensor out);

    // ---- normalization and element-wise ------------------------------------------------------------

    /**
     * Layer norm over the last axis, {@code (x − μ)/√(σ² + eps)·scale + bias}; scale and bias (D) may each be
     * null (meaning 1 and 0). {@code out} may alias {@code x}.
     */
    void layerNorm(Tensor x, Tensor scale, Tensor bias, float eps, Tensor out);

    /**
     * Group norm of NHWC activations (B, H, W, C) over {@code groups} groups of C/groups channels and all
     * positions; scale and bias (C). {@code out} may alias {@code x}.
     */
    void groupNorm(Tensor x, int groups, Tensor scale, Tensor bias, float eps, Tensor out);

    /** {@code out = f(x)} element-wise; {@code out} may alias {@code x}. */
    void activate(Activation function, Tensor x, Tensor out);

    /**
     * {@code out = a + b}. b has a's shape, or is one row (its element count equals a's last dimension) added
     * to every row. {@code out} may alias a or b.
     */
    void add(Tensor a, Tensor b, Tensor out);

    /** {@code out = a ⊙ b}, same shapes; {@code out} may alias a or b. */
    void mul(Tensor a, Tensor b, Tensor out);

    /** {@code out = factor·x}; {@code out} may alias {@code x}. */
    void scale(Tensor x, float factor, Tensor out);

    /** Softmax over the last axis (subtracting the row maximum); {@code out} may alias {@code x}. */
    void softmax(Tensor x, Tensor out);

    // ---- convolution ---------------------------------------------------------------------------------

    /**
     * 2-D convolution: x (B, H, W, Cin) NHWC, kernel (KH, KW, Cin, Cout) HWIO (any float dtype), bias (Cout)
     * or null, out (B, H', W', Cout) with H' and W' as {@link ConvSpec#outputSize} gives.
     */
    void conv2d(Tensor x, Tensor kernel, Tensor bias, ConvSpec spec, Tensor out);

    /** Nearest-neighbour ×2 upsampling: x (B, H, W, C) → out (B, 2H, 2W, C). */
    void upsampleNearest2x(Tensor x, Tensor out);

    // ---- indexing ------------------------------------------------------------------------------------

    /**
     * Embedding lookup: table (V, D) any float dtype, ids I32 of any shape (…), out (…, D) F32. An id outside
     * {@code [0, V)} is an error naming the id and its position.
     */
    void gather(Tensor table, Tensor ids, Tensor out);

    /**
     * Writes {@code rows} (B, D) (or (B, 1, D)) into slot {@code slot} of {@code cache} (B, S, D) for every
     * batch entry, the append step of a KV cache.
     */
    void writeSlot(Tensor rows, Tensor cache, int slot);

    /** Index of the largest value of each row of x (…, N), first index on ties. */
    default int[] argmax(Tensor x) {
        float[] values = toFloatArray(x);
        int columns = x.columns();
        int[] result = new int[x.rows()];
        float[] row = new float[columns];
        for (int r = 0; r < result.length; r++) {
            System.arraycopy(values, r * columns, row, 0, columns);
            result[r] = Sampler.argmax(row);
        }
        return result;
    }

    /**
     * Index of the nearest row of {@code table} (V, D) to each row of x (…, D), by the squared distance
     * {@code ‖x‖² + ‖t‖² − 2·x·t} evaluated in F32 as the VQGAN quantizer writes it; first index on ties.
     * This reference runs on the host; a backend may search on the device instead.
     */
    default int[] nearestRows(Tensor x, Tensor table) {
        int width = x.columns();
        int candidates = table.dim(0);
        if (table.rank() != 2 || table.dim(1) != width) {
            throw new JdalleException("nearestRows: rows of " + x + " do not match the rows of " + table);
        }
        float[] rows = toFloatArray(x);
        float[] entries = toFloatArray(table);
        float[] entryNorms = new float[candidates];
        for (int j = 0; j < candidates; j++) {
            entryNorms[j] = dot(entries, j * width, entries, j * width, width);
        }
        int[] nearest = new int[x.rows()];
        for (int r = 0; r < nearest.length; r++) {
            float rowNorm = dot(rows, r * width, rows, r * width, width);
            float best = Float.POSITIVE_INFINITY;
            for (int j = 0; j < candidates; j++) {
                float distance = rowNorm + entryNorms[j] - 2 * dot(rows, r * width, entries, j * width, width);
                if (distance < best) {
                    best = distance;
                    nearest[r] = j;
                }
            }
        }
        return nearest;
    }

    private static float dot(float[] a, int aOffset, float[] b, int bOffset, int length) {
        float sum = 0;
        for (int i = 0; i < length; i++) {
            sum += a[aOffset + i] * b[bOffset + i];
        }
        return sum;
    }

    /**
     * One token per image from guided logits: row i of {@code cond} and {@code uncond} (N, V) belong to image
     * i, whose stream is {@code streams[i]}; {@code uncond} is null when no guidance is applied. Each image
     * consumes exactly one uniform per call, so a backend that samples on the device gets the uniforms from
     * the same streams and picks the same tokens as the {@link Sampler} reference used here.
     */
    default int[] sampleGuided(Tensor cond, Tensor uncond, float conditionScale, int vocabLimit,
                               SamplingSettings settings, RandomStream[] streams) {
        ShapeChecks.sampling(cond, uncond, vocabLimit, streams.length);
        MemorySegment uncondValues = uncond == null ? null : MemorySegment.ofArray(toFloatArray(uncond));
        return new Sampler().drawRows(MemorySegment.ofArray(toFloatArray(cond)), uncondValues,
                (long) cond.columns() * Float.BYTES, conditionScale, vocabLimit, settings, streams);
    }

    /** Waits until every queued op has finished (a no-op on the CPU, which runs ops synchronously). */
    default void synchronize() {
    }

    /** Releases the backend's threads and device memory; loaded weights become invalid. */
    @Override
    void close();
}
