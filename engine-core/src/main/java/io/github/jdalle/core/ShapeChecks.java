package io.github.jdalle.core;

import java.util.Arrays;

/**
 * The shape rules of {@link Backend} ops that do not depend on where the data lives, so that every backend
 * rejects a misfit with the same message naming the op and the tensors. Dtype and memory checks stay with
 * each backend.
 */
public final class ShapeChecks {
    private ShapeChecks() {
    }

    /**
     * {@link Backend#sampleGuided}: cond (N, V), uncond of the same shape or null, a vocabulary limit in
     * {@code [1, V]} and one random stream per image.
     */
    public static void sampling(Tensor cond, Tensor uncond, int vocabLimit, int streams) {
        int vocab = cond.columns();
        if (vocabLimit <= 0 || vocabLimit > vocab) {
            throw new JdalleException("vocabulary limit " + vocabLimit + " does not fit logits of length " + vocab);
        }
        if (uncond != null && !uncond.hasShapeOf(cond)) {
            throw new JdalleException("sampleGuided: uncond " + uncond + " does not match cond " + cond);
        }
        if (streams != cond.rows()) {
            throw new JdalleException("sampleGuided: " + streams + " random streams for " + cond.rows() + " images");
        }
    }

    /** {@link Backend#matmul}: x (…, K) times weight (K, N) into out (…, N), bias of N elements or null. */
    public static void matmul(Tensor x, Tensor weight, Tensor bias, Tensor out) {
        int k = x.columns();
        int m = x.rows();
        if (weight.rank() != 2 || weight.dim(0) != k) {
            throw new JdalleException("matmul: x " + x + " does not fit weight " + weight);
        }
        int n = weight.dim(1);
        if (out.columns() != n || out.rows() != m) {
            throw new JdalleException("matmul: out " + out + " is not (" + m + ", " + n + ")");
        }
        if (bias != null && bias.elementCount() != n) {
            throw new JdalleException("matmul: bias " + bias + " does not have " + n + " elements");
        }
    }

    /**
     * {@link Backend#attention}: q (B, Tq, D), k and v (B, Tk, D), out like q, D divisible by the heads, at most Tk
     * keys in use, and an optional I32 key mask (B, ≥ keys).
     *
     * @return the number of keys in use ({@link AttentionSpec#keyCount()}, or Tk when it is -1)
     */
    public static int attention(Tensor q, Tensor k, Tensor v, AttentionSpec spec, Tensor out) {
        Tensor mask = spec.keyMask();
        int keyRows = k.rank() == 3 ? k.dim(1) : -1;
        int keys = spec.keyCount() < 0 ? keyRows : spec.keyCount();
        if (q.rank() != 3 || k.rank() != 3 || v.rank() != 3 || q.dim(2) % spec.heads() != 0 || k.dim(0) != q.dim(0)
                || v.dim(0) != q.dim(0) || k.dim(2) != q.dim(2) || v.dim(2) != q.dim(2) || v.dim(1) != keyRows
                || keys > keyRows || !out.hasShapeOf(q)
                || (mask != null && (mask.dtype() != DType.I32 || mask.rank() != 2 || mask.dim(0) != q.dim(0)
                || mask.dim(1) < keys))) {
            throw new JdalleException("attention: shapes q " + q + ", k " + k + ", v " + v + ", out " + out
                    + (mask == null ? "" : ", mask " + mask) + " with " + spec.heads() + " heads over " + keys
                    + " keys do not fit");
        }
        return keys;
    }

    /** {@link Backend#matmulEach}: as many outputs as weights, each pair as {@link #matmul} with no bias. */
    public static void matmulEach(Tensor x, Tensor[] weights, Tensor[] outs) {
        if (weights.length != outs.length) {
            throw new JdalleException("matmulEach: " + weights.length + " weights for " + outs.length + " outputs");
        }
        for (int i = 0; i < weights.length; i++) {
            matmul(x, weights[i], null, outs[i]);
        }
    }

    /** {@link Backend#add}: b is either of a's size or one row of a, which is broadcast; out is of a's size. */
    public static void add(Tensor a, Tensor b, Tensor out) {
        sameCount("add", a, out);
        long bCount = b.elementCount();
        if (bCount != a.elementCount() && bCount != a.columns()) {
            throw new JdalleException("add: " + b + " is neither the shape of " + a + " nor one of its rows");
        }
    }

    /** {@link Backend#upsampleNearest2x}: x (B, H, W, C) into out (B, 2H, 2W, C) of the same dtype. */
    public static void upsampleNearest2x(Tensor x, Tensor out) {
        if (x.rank() != 4 || x.dtype() != out.dtype() || !Arrays.equals(out.shape(),
                new int[] {x.dim(0), 2 * x.dim(1), 2 * x.dim(2), x.dim(3)})) {
            throw new JdalleException("upsampleNearest2x: " + x + " does not give " + out);
        }
    }

    /** Element-wise ops: {@code a} and {@code b} hold as many elements. */
    public static void sameCount(String op, Tensor a, Tensor b) {
        if (a.elementCount() != b.elementCount()) {
            throw new JdalleException(op + ": " + a + " and " + b + " differ in size");
        }
    }
}
