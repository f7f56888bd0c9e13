package io.github.jdalle.core.cpu;

import io.github.jdalle.core.Activation;
import io.github.jdalle.core.AttentionSpec;
import io.github.jdalle.core.Backend;
import io.github.jdalle.core.ConvSpec;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.ShapeChecks;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.Workspace;
import io.github.jdalle.core.sampling.RandomStream;
import io.github.jdalle.core.sampling.Sampler;
import io.github.jdalle.core.sampling.SamplingSettings;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The CPU backend: Vector API kernels ({@link Gemm}, {@link Conv2d}, {@link Attention}, {@link Norms},
 * {@link Elementwise}) on a fixed {@link ThreadPool}, parallel over output tiles or rows. Weights are used in
 * place (views of the mapped file); F16 and BF16 weights are widened inside the kernels. This class checks
 * shapes and dtypes and dispatches; results are bit-identical whatever the thread count.
 */
public final class CpuBackend implements Backend {
    private final ThreadPool pool;
    /** Each calling thread's sampling buffers, so that a decoder step's sampling allocates nothing. */
    private final ThreadLocal<Sampler> samplers = ThreadLocal.withInitial(Sampler::new);

    /** A CPU backend with {@code threads} threads (0 = one per available core). */
    public CpuBackend(int threads) {
        this.pool = new ThreadPool(threads);
    }

    public int threads() {
        return pool.threads();
    }

    @Override
    public String name() {
        return "cpu (" + pool.threads() + " threads)";
    }

    @Override
    public Tensor load(Tensor weight) {
        return HostMemory.load(weight);
    }

    @Override
    public Workspace workspace() {
        return HostMemory.workspace();
    }

    @Override
    public void upload(Tensor hostSource, Tensor destination) {
        copy(hostSource, destination);
    }

    @Override
    public void download(Tensor source, Tensor hostDestination) {
        copy(source, hostDestination);
    }

    @Override
    public void copy(Tensor source, Tensor destination) {
        HostMemory.copy(source, destination);
    }

    @Override
    public void matmul(Tensor x, Tensor weight, Tensor bias, Tensor out) {
        ShapeChecks.matmul(x, weight, bias, out);
        requireF32("matmul", x);
        requireF32("matmul", out);
        requireFloat("matmul", weight);
        requireFloat("matmul", bias);
        int k = x.columns();
        Gemm.multiply(pool, x.segment(), x.rows(), k, weight, constants(bias), out.segment());
    }

    /** As the default, with up to eight rows (a decoder step) as one parallel loop over all the weights. */
    @Override
    public void matmulEach(Tensor x, Tensor[] weights, Tensor[] outs) {
        ShapeChecks.matmulEach(x, weights, outs);
        for (int i = 0; i < weights.length; i++) {
            requireF32("matmulEach", outs[i]);
            requireFloat("matmulEach", weights[i]);
        }
        requireF32("matmulEach", x);
        Gemm.multiplyEach(pool, x.segment(), x.rows(), x.columns(), weights, outs);
    }

    @Override
    public void attention(Tensor q, Tensor k, Tensor v, AttentionSpec spec, Tensor out) {
        int keys = ShapeChecks.attention(q, k, v, spec, out);
        requireF32("attention", q);
        requireF32("attention", k);
        requireF32("attention", v);
        requireF32("attention", out);
        Attention.run(pool, q, k, v, spec, keys, out);
    }

    @Override
    public void layerNorm(Tensor x, Tensor scale, Tensor bias, float eps, Tensor out) {
        int width = x.columns();
        ShapeChecks.sameCount("layerNorm", x, out);
        checkLength("layerNorm", scale, width);
        checkLength("layerNorm", bias, width);
        requireF32("layerNorm", out);
        Norms.layerNorm(pool, x, constantsOr(scale, 1f, width, Scratch.Slot.SCALE),
                constantsOr(bias, 0f, width, Scratch.Slot.BIAS), eps, out);
    }

    @Override
    public void groupNorm(Tensor x, int groups, Tensor scale, Tensor bias, float eps, Tensor out) {
        ShapeChecks.sameCount("groupNorm", x, out);
        int channels = x.columns();
        if (groups <= 0 || channels % groups != 0 || x.rank() < 2) {
            throw new JdalleException("groupNorm: " + channels + " channels of " + x + " do not split into "
                    + groups + " groups");
        }
        checkLength("groupNorm", scale, channels);
        checkLength("groupNorm", bias, channels);
        requireF32("groupNorm", out);
        Norms.groupNorm(pool, x, groups, constantsOr(scale, 1f, channels, Scratch.Slot.SCALE),
                constantsOr(bias, 0f, channels, Scratch.Slot.BIAS), eps, out);
    }

    @Override
    public void activate(Activation function, Tensor x, Tensor out) {
        ShapeChecks.sameCount("activate", x, out);
        requireF32("activate", out);
        Elementwise.activate(pool, function, x, out);
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor out) {
        ShapeChecks.add(a, b, out);
        requireFloat("add", a);
        requireFloat("add", b);
        requireF32("add", out);
        Elementwise.add(pool, a, b, out);
    }

    @Override
    public void mul(Tensor a, Tensor b, Tensor out) {
        ShapeChecks.sameCount("mul", a, b);
        ShapeChecks.sameCount("mul", a, out);
        requireFloat("mul", a);
        requireFloat("mul", b);
        requireF32("mul", out);
        Elementwise.mul(pool, a, b, out);
    }

    @Override
    public void scale(Tensor x, float factor, Tensor out) {
        ShapeChecks.sameCount("scale", x, out);
        requireFloat("scale", x);
        requireF32("scale", out);
        Elementwise.scale(pool, x, factor, out);
    }

    @Override
    public void softmax(Tensor x, Tensor out) {
        ShapeChecks.sameCount("softmax", x, out);
        requireFloat("softmax", x);
        requireF32("softmax", out);
        Norms.softmax(pool, x, out);
    }

    @Override
    public void conv2d(Tensor x, Tensor kernel, Tensor bias, ConvSpec spec, Tensor out) {
        if (x.rank() != 4 || kernel.rank() != 4) {
            throw new JdalleException("conv2d: x " + x + " must be (B, H, W, Cin) and kernel " + kernel
                    + " (KH, KW, Cin, Cout)");
        }
        int outHeight = spec.outputSize(x.dim(1), kernel.dim(0), true);
        int outWidth = spec.outputSize(x.dim(2), kernel.dim(1), false);
        int outChannels = kernel.dim(3);
        if (kernel.dim(2) != x.dim(3) || outHeight <= 0 || outWidth <= 0
                || !Arrays.equals(out.shape(), new int[] {x.dim(0), outHeight, outWidth, outChannels})) {
            throw new JdalleException("conv2d: x " + x + " with kernel " + kernel + " and " + spec
                    + " does not give out " + out);
        }
        if (bias != null && bias.elementCount() != outChannels) {
            throw new JdalleException("conv2d: bias " + bias + " does not have " + outChannels + " elements");
        }
        requireF32("conv2d", x);
        requireF32("conv2d", out);
        requireFloat("conv2d", kernel);
        requireFloat("conv2d", bias);
        Conv2d.run(pool, x, kernel, constants(bias), spec, out);
    }

    @Override
    public void upsampleNearest2x(Tensor x, Tensor out) {
        ShapeChecks.upsampleNearest2x(x, out);
        Elementwise.upsampleNearest2x(pool, x, out);
    }

    @Override
    public void gather(Tensor table, Tensor ids, Tensor out) {
        int vocab = table.dim(0);
        int width = table.dim(1);
        long count = ids.elementCount();
        if (table.rank() != 2 || ids.dtype() != DType.I32 || out.elementCount() != count * width) {
            throw new JdalleException("gather: " + count + " ids " + ids + " of table " + table + " do not fill " + out);
        }
        requireFloat("gather", table);
        requireF32("gather", out);
        for (long i = 0; i < count; i++) {
            int id = ids.getInt(i);
            if (id < 0 || id >= vocab) {
                throw new JdalleException("id " + id + " at position " + i + " is outside [0, " + vocab + ")");
            }
        }
        Elementwise.gather(pool, table, ids, out);
    }

    @Override
    public void writeSlot(Tensor rows, Tensor cache, int slot) {
        int batch = cache.dim(0);
        int slots = cache.dim(1);
        int width = cache.dim(2);
        if (cache.rank() != 3 || rows.elementCount() != (long) batch * width || slot < 0 || slot >= slots
                || rows.dtype() != cache.dtype()) {
            throw new JdalleException("writeSlot: " + rows + " does not fit slot " + slot + " of " + cache);
        }
        long rowBytes = (long) width * cache.dtype().byteSize();
        for (int b = 0; b < batch; b++) {
            MemorySegment.copy(rows.segment(), b * rowBytes, cache.segment(), ((long) b * slots + slot) * rowBytes,
                    rowBytes);
        }
    }

    /** As the default, reading the logits in place rather than copying them. */
    @Override
    public int[] sampleGuided(Tensor cond, Tensor uncond, float conditionScale, int vocabLimit,
                              SamplingSettings settings, RandomStream[] streams) {
        ShapeChecks.sampling(cond, uncond, vocabLimit, streams.length);
        requireF32("sampleGuided", cond);
        requireF32("sampleGuided", uncond);
        return samplers.get().drawRows(cond.segment(), uncond == null ? null : uncond.segment(),
                (long) cond.columns() * Float.BYTES, conditionScale, vocabLimit, settings, streams);
    }

    @Override
    public void close() {
        pool.close();
    }

    /** A bias or other per-channel weight widened to floats (null stays null). */
    private static float[] constants(Tensor tensor) {
        return tensor == null ? null : Widening.toFloats(tensor, Scratch.Slot.BIAS);
    }

    private static float[] constantsOr(Tensor tensor, float fill, int length, Scratch.Slot slot) {
        if (tensor != null) {
            return Widening.toFloats(tensor, slot);
        }
        float[] values = Scratch.floats(slot, length);
        Arrays.fill(values, 0, length, fill);
        return values;
    }

    private static void checkLength(String op, Tensor tensor, int length) {
        if (tensor != null && tensor.elementCount() != length) {
            throw new JdalleException(op + ": " + tensor + " does not have " + length + " elements");
        }
    }

    // one tensor per call rather than varargs: the array would be allocated on every op

    /** The tensor, unless null, is F32. */
    private static void requireF32(String op, Tensor tensor) {
        if (tensor != null && tensor.dtype() != DType.F32) {
            throw new JdalleException(op + ": activations are F32 on the CPU backend, got " + tensor);
        }
    }

    /** The tensor, unless null, has a floating-point dtype. */
    private static void requireFloat(String op, Tensor tensor) {
        if (tensor != null && !tensor.dtype().isFloatingPoint()) {
            throw new JdalleException(op + ": expected a floating-point tensor, got " + tensor);
        }
    }
}
