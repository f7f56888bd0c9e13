package io.github.jdalle.cuda;

import io.github.jdalle.core.Activation;
import io.github.jdalle.core.AttentionSpec;
import io.github.jdalle.core.Backend;
import io.github.jdalle.core.ConvSpec;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.Workspace;
import io.github.jdalle.core.cpu.CpuBackend;
import io.github.jdalle.core.sampling.RandomStream;
import io.github.jdalle.core.sampling.SamplingSettings;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Every CUDA kernel against its CPU twin, the llm.c way, in one place: each case runs one op on random inputs
 * of one shape (awkward sizes included) on the {@link CpuBackend} and the {@link CudaBackend}, compares
 * element by element, and times both. {@code CudaBackendTest} runs the same cases under JUnit.
 *
 * <p>Tolerances: element-wise ops, copies, gathers and the sampler must match exactly; reductions (norms,
 * softmax, attention) within float rounding; matrix products within a rounding bound proportional to
 * {@code Σ|x|·|w|}: {@code 8·√K·2⁻²⁴} for the two F32 summation orders, plus the 16-bit unit roundoff (2⁻¹¹ for
 * F16, 2⁻⁸ for BF16) where the tensor-core path rounds the activations to the weight's type.
 *
 * <p>Usage: {@code java --add-modules jdk.incubator.vector -cp <class path> io.github.jdalle.cuda.KernelCheck
 * [--bench]}; prints one line per case and exits with status 1 if any case fails. {@code --bench} adds GPU
 * timings of the ops at DALL·E Mini/Mega and VQGAN shapes.
 */
public final class KernelCheck {
    private static final double F32_SUM_ROUNDING = 8 * Math.pow(2, -24);

    private final Backend cpu;
    private final Backend gpu;
    private final Random random;

    /** One comparison's outcome; {@code worst} is the largest |difference| / allowed (≤ 1 passes). */
    public record Result(String name, boolean passed, double maxDifference, double worst, double gpuMicros,
                         double cpuMicros, String detail) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%-4s %-62s max|diff| %9.3g  worst/allowed %7.3f  gpu %10.1f µs  cpu %10.1f µs%s",
                    passed ? "ok" : "FAIL", name, maxDifference, worst, gpuMicros, cpuMicros,
                    detail.isEmpty() ? "" : "  " + detail);
        }
    }

    /** A named comparison, run on demand. */
    public record Case(String name, Supplier<Result> body) {
        /** Runs the comparison on both backends. */
        public Result run() {
            return body.get();
        }
    }

    /** Cases comparing {@code gpu} with {@code cpu}, with inputs drawn from {@code seed}. */
    public KernelCheck(Backend cpu, Backend gpu, long seed) {
        this.cpu = cpu;
        this.gpu = gpu;
        this.random = new Random(seed);
    }

    /** Every op family on a spread of shapes. */
    public List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        for (DType type : DType.values()) {
            if (!type.isFloatingPoint()) {
                continue;
            }
            // (M, K, N): GEMV rows (≤ 32) and tiled rows, sizes off every tile boundary
            int[][] shapes = {{1, 7, 90}, {18, 64, 1024}, {32, 2730, 7}, {1, 16385, 9}, {33, 90, 7}, {193, 2730, 90},
                    {256, 64, 64}};
            for (int[] s : shapes) {
                cases.add(matmulCase(s[0], s[1], s[2], type, s[0] % 2 == 1));
            }
            cases.add(convCase(1, 7, 9, 3, 3, 5, ConvSpec.same(3), type, true));
            cases.add(convCase(2, 16, 16, 32, 3, 64, ConvSpec.same(3), type, false));
            cases.add(convCase(1, 17, 15, 16, 3, 8, ConvSpec.downsample(), type, true));
            cases.add(convCase(2, 32, 32, 3, 8, 16, ConvSpec.patches(8), type, true));
            cases.add(convCase(1, 8, 8, 90, 1, 7, ConvSpec.same(1), type, true));
        }
        // attention (B, Tq, Tk, D, heads, keyCount, causal, masked)
        cases.add(attentionCase(2, 7, 7, 48, 3, -1, true, false));
        cases.add(attentionCase(2, 64, 64, 64, 4, -1, false, true));
        cases.add(attentionCase(18, 1, 256, 1024, 16, 100, false, false));
        cases.add(attentionCase(2, 1, 16, 64, 4, 9, true, false));
        cases.add(attentionCase(1, 1, 16385, 64, 1, -1, false, true));
        cases.add(attentionCase(1, 256, 256, 512, 1, -1, false, false));
        cases.add(attentionCase(1, 5, 7, 180, 2, -1, false, true));
        cases.add(attentionCase(1, 3, 5, 1024, 1, -1, false, false));
        cases.add(layerNormCase(7, 90, DType.F32, DType.F32));
        cases.add(layerNormCase(3, 2730, DType.F16, null));
        cases.add(layerNormCase(1, 16385, null, null));
        cases.add(layerNormCase(18, 1024, null, DType.BF16));
        cases.add(groupNormCase(1, 7, 9, 32, 8, DType.F32));
        cases.add(groupNormCase(2, 16, 16, 64, 32, DType.F16));
        cases.add(groupNormCase(1, 64, 64, 128, 32, DType.F32));
        cases.add(softmaxCase(7, 90));
        cases.add(softmaxCase(3, 16385));
        cases.add(softmaxCase(1, 1));
        for (Activation function : Activation.values()) {
            cases.add(activationCase(function, 7, 2730));
            cases.add(activationCase(function, 1, 16385));
        }
        cases.add(binaryCase("add", new int[] {7, 90}, new int[] {7, 90}, DType.F32));
        cases.add(binaryCase("add", new int[] {7, 90}, new int[] {90}, DType.F16));
        cases.add(binaryCase("add", new int[] {3, 16385}, new int[] {16385}, DType.BF16));
        cases.add(binaryCase("mul", new int[] {2730}, new int[] {2730}, DType.F32));
        cases.add(scaleCase(7, 2730));
        for (DType type : new DType[] {DType.F32, DType.F16, DType.BF16}) {
            cases.add(gatherCase(90, 7, type, 3, 5));
        }
        cases.add(gatherCase(16385, 64, DType.F16, 18, 1));
        cases.add(badGatherCase());
        cases.add(writeSlotCase(18, 256, 64, 0, DType.F32));
        cases.add(writeSlotCase(18, 256, 64, 255, DType.F32));
        cases.add(writeSlotCase(3, 9, 7, 4, DType.F16));
        cases.add(upsampleCase(1, 7, 9, 3, DType.F32));
        cases.add(upsampleCase(2, 16, 16, 64, DType.F32));
        cases.add(upsampleCase(1, 5, 3, 3, DType.F16));
        SamplingSettings[] settings = {SamplingSettings.DEFAULT, SamplingSettings.greedy(),
                new SamplingSettings(0.7f, 0, 0.9f), new SamplingSettings(1.3f, 256, 0.95f)};
        for (SamplingSettings s : settings) {
            cases.add(samplingCase(9, 16415, 16384, s, true, false));
            cases.add(samplingCase(4, 512, 512, s, false, true));
        }
        cases.add(samplingCase(3, 90, 77, new SamplingSettings(1f, 0, 0.5f), true, true));
        return cases;
    }

    // ---- linear algebra ------------------------------------------------------------------------------

    private Case matmulCase(int m, int k, int n, DType type, boolean withBias) {
        String name = "matmul " + m + "×" + k + " · " + k + "×" + n + " " + type + (withBias ? " +bias" : "");
        return new Case(name, () -> {
            Tensor x = random(DType.F32, 1, m, k);
            Tensor weight = random(type, k, n);
            Tensor bias = withBias ? random(type, n) : null;
            Tensor expected = host(DType.F32, m, n);
            double cpuMicros = timeOnce(() -> cpu.matmul(x, weight, bias, expected));
            Tensor bound = host(DType.F32, m, n);
            cpu.matmul(absolute(x), absolute(weight), bias == null ? null : absolute(bias), bound);
            try (Workspace ws = gpu.workspace()) {
                Tensor gx = onGpu(ws, x);
                Tensor gw = gpu.load(weight);
                Tensor gb = bias == null ? null : gpu.load(bias);
                Tensor out = ws.f32(m, n);
                double gpuMicros = time(() -> gpu.matmul(gx, gw, gb, out));
                double relative = roundoff(type) + F32_SUM_ROUNDING * Math.sqrt(k);
                return compareWithBound(name, expected, gpu.toFloatArray(out), bound, relative, gpuMicros, cpuMicros);
            }
        });
    }

    private Case convCase(int batch, int height, int width, int inChannels, int kernelSize, int outChannels,
                          ConvSpec spec, DType type, boolean withBias) {
        int outHeight = spec.outputSize(height, kernelSize, true);
        int outWidth = spec.outputSize(width, kernelSize, false);
        String name = "conv2d " + batch + "×" + height + "×" + width + "×" + inChannels + " * " + kernelSize + "×"
                + kernelSize + "→" + outChannels + " stride " + spec.stride() + " " + type + (withBias ? " +bias" : "");
        return new Case(name, () -> {
            Tensor x = random(DType.F32, batch, height, width, inChannels);
            Tensor kernel = random(type, kernelSize, kernelSize, inChannels, outChannels);
            Tensor bias = withBias ? random(type, outChannels) : null;
            Tensor expected = host(DType.F32, batch, outHeight, outWidth, outChannels);
            double cpuMicros = timeOnce(() -> cpu.conv2d(x, kernel, bias, spec, expected));
            Tensor bound = host(DType.F32, batch, outHeight, outWidth, outChannels);
            cpu.conv2d(absolute(x), absolute(kernel), bias == null ? null : absolute(bias), spec, bound);
            try (Workspace ws = gpu.workspace()) {
                Tensor gx = onGpu(ws, x);
                Tensor gk = gpu.load(kernel);
                Tensor gb = bias == null ? null : gpu.load(bias);
                Tensor out = ws.f32(batch, outHeight, outWidth, outChannels);
                double gpuMicros = time(() -> gpu.conv2d(gx, gk, gb, spec, out));
                double relative = roundoff(type) + F32_SUM_ROUNDING * Math.sqrt(kernelSize * kernelSize * inChannels);
                return compareWithBound(name, expected, gpu.toFloatArray(out), bound, relative, gpuMicros, cpuMicros);
            }
        });
    }

    private Case attentionCase(int batch, int queries, int keyRows, int width, int heads, int keyCount,
                               boolean causal, boolean masked) {
        String name = "attention q " + batch + "×" + queries + "×" + width + " over " + keyRows + " keys"
                + (keyCount >= 0 ? " (first " + keyCount + ")" : "") + ", " + heads + " heads"
                + (causal ? ", causal" : "") + (masked ? ", key mask" : "");
        return new Case(name, () -> {
            Tensor q = random(DType.F32, batch, queries, width);
            Tensor k = random(DType.F32, batch, keyRows, width);
            Tensor v = random(DType.F32, batch, keyRows, width);
            int[] maskValues = new int[batch * keyRows];
            for (int i = 0; i < maskValues.length; i++) {
                maskValues[i] = i % keyRows == 0 || random.nextInt(4) != 0 ? 1 : 0; // key 0 always visible
            }
            Tensor mask = masked ? Tensor.ofInts(maskValues, batch, keyRows) : null;
            // a larger scale than 1/√d makes the attention peaked, so an indexing bug shows
            AttentionSpec spec = new AttentionSpec(heads, 4f / (float) Math.sqrt(width / heads), keyCount, causal, mask);
            Tensor expected = host(DType.F32, batch, queries, width);
            double cpuMicros = timeOnce(() -> cpu.attention(q, k, v, spec, expected));
            try (Workspace ws = gpu.workspace()) {
                Tensor gq = onGpu(ws, q);
                Tensor gk = onGpu(ws, k);
                Tensor gv = onGpu(ws, v);
                AttentionSpec gpuSpec = mask == null ? spec : spec.withKeyMask(onGpu(ws, mask));
                Tensor out = ws.f32(batch, queries, width);
                double gpuMicros = time(() -> gpu.attention(gq, gk, gv, gpuSpec, out));
                return compare(name, expected, gpu.toFloatArray(out), 1e-5, 1e-4, gpuMicros, cpuMicros);
            }
        });
    }

    // ---- normalization and element-wise --------------------------------------------------------------

    private Case layerNormCase(int rows, int width, DType scaleType, DType biasType) {
        String name = "layerNorm " + rows + "×" + width + " scale " + (scaleType == null ? "-" : scaleType)
                + " bias " + (biasType == null ? "-" : biasType);
        return new Case(name, () -> {
            Tensor x = shifted(random(DType.F32, rows, width), 3f, 0.5f);
            Tensor scale = scaleType == null ? null : random(scaleType, width);
            Tensor bias = biasType == null ? null : random(biasType, width);
            Tensor expected = host(DType.F32, rows, width);
            double cpuMicros = timeOnce(() -> cpu.layerNorm(x, scale, bias, 1e-5f, expected));
            try (Workspace ws = gpu.workspace()) {
                Tensor gx = onGpu(ws, x);
                Tensor gs = scale == null ? null : gpu.load(scale);
                Tensor gb = bias == null ? null : gpu.load(bias);
                Tensor out = ws.f32(rows, width);
                double gpuMicros = time(() -> gpu.layerNorm(gx, gs, gb, 1e-5f, out));
                return compare(name, expected, gpu.toFloatArray(out), 1e-5, 1e-5, gpuMicros, cpuMicros);
            }
        });
    }

    private Case groupNormCase(int batch, int height, int width, int channels, int groups, DType type) {
        String name = "groupNorm " + batch + "×" + height + "×" + width + "×" + channels + " in " + groups
                + " groups " + type;
        return new Case(name, () -> {
            Tensor x = shifted(random(DType.F32, batch, height, width, channels), 2f, -0.3f);
            Tensor scale = random(type, channels);
            Tensor bias = random(type, channels);
            Tensor expected = host(DType.F32, batch, height, width, channels);
            double cpuMicros = timeOnce(() -> cpu.groupNorm(x, groups, scale, bias, 1e-6f, expected));
            try (Workspace ws = gpu.workspace()) {
                Tensor gx = onGpu(ws, x);
                Tensor gs = gpu.load(scale);
                Tensor gb = gpu.load(bias);
                Tensor out = ws.f32(batch, height, width, channels);
                double gpuMicros = time(() -> gpu.groupNorm(gx, groups, gs, gb, 1e-6f, out));
                return compare(name, expected, gpu.toFloatArray(out), 1e-5, 1e-5, gpuMicros, cpuMicros);
            }
        });
    }

    private Case softmaxCase(int rows, int width) {
        String name = "softmax " + rows + "×" + width;
        return new Case(name, () -> {
            Tensor x = shifted(random(DType.F32, rows, width), 5f, 0f);
            Tensor expected = host(DType.F32, rows, width);
            double cpuMicros = timeOnce(() -> cpu.softmax(x, expected));
            try (Workspace ws = gpu.workspace()) {
                Tensor gx = onGpu(ws, x);
                Tensor out = ws.f32(rows, width);
                double gpuMicros = time(() -> gpu.softmax(gx, out));
                return compare(name, expected, gpu.toFloatArray(out), 1e-7, 1e-5, gpuMicros, cpuMicros);
            }
        });
    }

    private Case activationCase(Activation function, int rows, int width) {
        String name = "activate " + function + " " + rows + "×" + width;
        return new Case(name, () -> {
            Tensor x = shifted(random(DType.F32, rows, width), 6f, 0f);
            Tensor expected = host(DType.F32, rows, width);
            double cpuMicros = timeOnce(() -> cpu.activate(function, x, expected));
            try (Workspace ws = gpu.workspace()) {
                Tensor gx = onGpu(ws, x);
                Tensor out = ws.f32(rows, width);
                double gpuMicros = time(() -> gpu.activate(function, gx, out));
                return compare(name, expected, gpu.toFloatArray(out), 1e-6, 1e-5, gpuMicros, cpuMicros);
            }
        });
    }

    private Case binaryCase(String op, int[] shape, int[] bShape, DType bType) {
        String name = op + " " + Arrays.toString(shape) + " with " + Arrays.toString(bShape) + " " + bType;
        return new Case(name, () -> {
            Tensor a = random(DType.F32, shape);
            Tensor b = random(bType, bShape);
            Tensor expected = host(DType.F32, shape);
            double cpuMicros = timeOnce(() -> binary(cpu, op, a, b, expected));
            try (Workspace ws = gpu.workspace()) {
                Tensor ga = onGpu(ws, a);
                Tensor gb = onGpu(ws, b);
                Tensor out = ws.f32(shape);
                double gpuMicros = time(() -> binary(gpu, op, ga, gb, out));
                return compare(name, expected, gpu.toFloatArray(out), 0, 0, gpuMicros, cpuMicros);
            }
        });
    }

    private static void binary(Backend backend, String op, Tensor a, Tensor b, Tensor out) {
        if (op.equals("add")) {
            backend.add(a, b, out);
        } else {
            backend.mul(a, b, out);
        }
    }

    private Case scaleCase(int rows, int width) {
        String name = "scale " + rows + "×" + width;
        return new Case(name, () -> {
            Tensor x = random(DType.F32, rows, width);
            Tensor expected = host(DType.F32, rows, width);
            double cpuMicros = timeOnce(() -> cpu.scale(x, 0.125f, expected));
            try (Workspace ws = gpu.workspace()) {
                Tensor gx = onGpu(ws, x);
                double gpuMicros = time(() -> gpu.scale(gx, 0.125f, gx)); // in place, as the op allows
                gpu.upload(x, gx);
                gpu.scale(gx, 0.125f, gx);
                return compare(name, expected, gpu.toFloatArray(gx), 0, 0, gpuMicros, cpuMicros);
            }
        });
    }

    // ---- convolution helpers and indexing ------------------------------------------------------------

    private Case upsampleCase(int batch, int height, int width, int channels, DType type) {
        String name = "upsampleNearest2x " + batch + "×" + height + "×" + width + "×" + channels + " " + type;
        return new Case(name, () -> {
            Tensor x = random(type, batch, height, width, channels);
            Tensor expected = host(type, batch, 2 * height, 2 * width, channels);
            double cpuMicros = timeOnce(() -> cpu.upsampleNearest2x(x, expected));
            try (Workspace ws = gpu.workspace()) {
                Tensor gx = onGpu(ws, x);
                Tensor out = ws.allocate(type, batch, 2 * height, 2 * width, channels);
                double gpuMicros = time(() -> gpu.upsampleNearest2x(gx, out));
                return compare(name, expected, gpu.toFloatArray(out), 0, 0, gpuMicros, cpuMicros);
            }
        });
    }

    private Case gatherCase(int vocab, int width, DType type, int... idsShape) {
        String name = "gather " + Arrays.toString(idsShape) + " ids from " + vocab + "×" + width + " " + type;
        return new Case(name, () -> {
            Tensor table = random(type, vocab, width);
            int[] idValues = new int[(int) Tensor.elementCount(idsShape)];
            for (int i = 0; i < idValues.length; i++) {
                idValues[i] = i == 0 ? vocab - 1 : random.nextInt(vocab);
            }
            Tensor ids = Tensor.ofInts(idValues, idsShape);
            int[] outShape = Arrays.copyOf(idsShape, idsShape.length + 1);
            outShape[idsShape.length] = width;
            Tensor expected = host(DType.F32, outShape);
            double cpuMicros = timeOnce(() -> cpu.gather(table, ids, expected));
            try (Workspace ws = gpu.workspace()) {
                Tensor gt = gpu.load(table);
                Tensor gi = onGpu(ws, ids);
                Tensor out = ws.f32(outShape);
                double gpuMicros = time(() -> gpu.gather(gt, gi, out));
                return compare(name, expected, gpu.toFloatArray(out), 0, 0, gpuMicros, cpuMicros);
            }
        });
    }

    /** An id outside the table must fail on both backends with the same message (the first bad position). */
    private Case badGatherCase() {
        String name = "gather rejects an id outside the table";
        return new Case(name, () -> {
            Tensor table = random(DType.F32, 90, 7);
            Tensor ids = Tensor.ofInts(new int[] {3, 90, 5, -1}, 4);
            String cpuMessage = failure(() -> cpu.gather(table, ids, host(DType.F32, 4, 7)));
            try (Workspace ws = gpu.workspace()) {
                Tensor gi = onGpu(ws, ids);
                Tensor gt = gpu.load(table);
                String gpuMessage = failure(() -> gpu.gather(gt, gi, ws.f32(4, 7)));
                boolean same = cpuMessage != null && cpuMessage.equals(gpuMessage);
                return new Result(name, same, same ? 0 : 1, same ? 0 : Double.POSITIVE_INFINITY, 0, 0,
                        "cpu: " + cpuMessage + " / gpu: " + gpuMessage);
            }
        });
    }

    private Case writeSlotCase(int batch, int slots, int width, int slot, DType type) {
        String name = "writeSlot " + batch + "×" + width + " into slot " + slot + " of " + batch + "×" + slots + "×"
                + width + " " + type;
        return new Case(name, () -> {
            Tensor rows = random(type, batch, 1, width);
            Tensor cache = random(type, batch, slots, width);
            Tensor expected = host(type, batch, slots, width);
            cpu.copy(cache, expected);
            double cpuMicros = timeOnce(() -> cpu.writeSlot(rows, expected, slot));
            try (Workspace ws = gpu.workspace()) {
                Tensor gr = onGpu(ws, rows);
                Tensor gc = onGpu(ws, cache);
                double gpuMicros = time(() -> gpu.writeSlot(gr, gc, slot));
                return compare(name, expected, gpu.toFloatArray(gc), 0, 0, gpuMicros, cpuMicros);
            }
        });
    }

    // ---- sampling ------------------------------------------------------------------------------------

    /**
     * Three successive steps on both backends with streams from the same seed: the tokens must be equal. With
     * {@code ties}, logits are rounded to quarters so that many share a value and the id order decides.
     */
    private Case samplingCase(int images, int vocab, int vocabLimit, SamplingSettings settings, boolean guided,
                              boolean ties) {
        String name = "sampleGuided " + images + "×" + vocab + " limit " + vocabLimit + " T " + settings.temperature()
                + " top-k " + settings.topK() + " top-p " + settings.topP() + (guided ? " guided" : "")
                + (ties ? " ties" : "");
        return new Case(name, () -> {
            long seed = random.nextLong();
            RandomStream[] cpuStreams = streams(seed, images);
            RandomStream[] gpuStreams = streams(seed, images);
            int mismatches = 0;
            double cpuMicros = 0;
            double gpuMicros = 0;
            StringBuilder detail = new StringBuilder();
            try (Workspace ws = gpu.workspace()) {
                for (int step = 0; step < 3; step++) {
                    Tensor cond = logits(images, vocab, ties);
                    Tensor uncond = guided ? logits(images, vocab, ties) : null;
                    Tensor gc = onGpu(ws, cond);
                    Tensor gu = uncond == null ? null : onGpu(ws, uncond);
                    long start = System.nanoTime();
                    int[] expected = cpu.sampleGuided(cond, uncond, 10f, vocabLimit, settings, cpuStreams);
                    cpuMicros += (System.nanoTime() - start) / 1e3 / 3;
                    start = System.nanoTime();
                    int[] actual = gpu.sampleGuided(gc, gu, 10f, vocabLimit, settings, gpuStreams);
                    gpuMicros += (System.nanoTime() - start) / 1e3 / 3;
                    for (int i = 0; i < images; i++) {
                        if (expected[i] != actual[i]) {
                            mismatches++;
                            detail.append(" step ").append(step).append(" image ").append(i).append(": cpu ")
                                    .append(expected[i]).append(", gpu ").append(actual[i]);
                        }
                    }
                }
            }
            return new Result(name, mismatches == 0, mismatches, mismatches == 0 ? 0 : Double.POSITIVE_INFINITY,
                    gpuMicros, cpuMicros, detail.toString().trim());
        });
    }

    private Tensor logits(int images, int vocab, boolean ties) {
        Tensor logits = random(DType.F32, images, vocab);
        for (long i = 0; i < logits.elementCount(); i++) {
            float value = 4 * logits.getFloat(i);
            logits.setFloat(i, ties ? Math.round(value * 4) / 4f : value);
        }
        return logits;
    }

    private static RandomStream[] streams(long seed, int images) {
        RandomStream[] streams = new RandomStream[images];
        for (int i = 0; i < images; i++) {
            streams[i] = RandomStream.forImage(seed, i);
        }
        return streams;
    }

    // ---- timings at model shapes ---------------------------------------------------------------------

    /** GPU timings of the ops at the shapes DALL·E Mega (F16), Mini (F32) and the VQGAN run them. */
    public List<Result> benchmarks() {
        List<Result> results = new ArrayList<>();
        int rows = 18; // 9 images × {cond, uncond} per decoding step
        for (DType type : new DType[] {DType.F16, DType.F32}) {
            int d = type == DType.F16 ? 2048 : 1024; // Mega, Mini
            int glu = type == DType.F16 ? 4096 : 2730;
            results.add(benchMatmul("decoder q/k/v/out", rows, d, d, type));
            results.add(benchMatmul("decoder GLU in", rows, d, glu, type));
            results.add(benchMatmul("decoder GLU out", rows, glu, d, type));
            results.add(benchMatmul("lm_head", rows, d, 16415, type));
            results.add(benchMatmul("encoder", 128, d, d, type));
        }
        results.add(benchAttention("decoder self-attention, 128 of 256 cached keys", rows, 1, 256, 128, 2048, 32));
        results.add(benchAttention("decoder cross-attention over 64 tokens", rows, 1, 64, -1, 2048, 32));
        results.add(benchAttention("encoder attention", 2, 64, 64, -1, 2048, 32));
        results.add(benchAttention("VQGAN attention at 16×16", 9, 256, 256, -1, 512, 1));
        for (DType type : new DType[] {DType.F16, DType.F32}) {
            results.add(benchConv("VQGAN conv 3×3 at 256×256", 9, 256, 128, 128, type));
            results.add(benchConv("VQGAN conv 3×3 at 32×32", 9, 32, 512, 512, type));
        }
        results.add(bench("groupNorm 9×256×256×128, 32 groups", ws -> {
            Tensor x = ws.f32(9, 256, 256, 128);
            Tensor scale = gpu.load(random(DType.F32, 128));
            return () -> gpu.groupNorm(x, 32, scale, scale, 1e-6f, x);
        }));
        results.add(bench("upsampleNearest2x 9×128×128×256", ws -> {
            Tensor x = ws.f32(9, 128, 128, 256);
            Tensor out = ws.f32(9, 256, 256, 256);
            return () -> gpu.upsampleNearest2x(x, out);
        }));
        results.add(bench("layerNorm 18×2048", ws -> {
            Tensor x = ws.f32(rows, 2048);
            return () -> gpu.layerNorm(x, null, null, 1e-5f, x);
        }));
        for (SamplingSettings s : new SamplingSettings[] {SamplingSettings.DEFAULT, new SamplingSettings(1f, 0, 0.9f)}) {
            results.add(bench("sampleGuided 9×16415, top-k " + s.topK() + " top-p " + s.topP(), ws -> {
                Tensor cond = onGpu(ws, logits(9, 16415, false));
                Tensor uncond = onGpu(ws, logits(9, 16415, false));
                RandomStream[] streams = streams(1, 9);
                return () -> gpu.sampleGuided(cond, uncond, 10f, 16384, s, streams);
            }));
        }
        return results;
    }

    private Result benchMatmul(String what, int m, int k, int n, DType type) {
        return bench(what + " " + m + "×" + k + " · " + k + "×" + n + " " + type, ws -> {
            Tensor x = ws.f32(m, k);
            Tensor weight = gpu.load(random(type, k, n));
            Tensor bias = gpu.load(random(type, n));
            Tensor out = ws.f32(m, n);
            return () -> gpu.matmul(x, weight, bias, out);
        });
    }

    private Result benchAttention(String what, int batch, int queries, int keyRows, int keyCount, int width,
                                  int heads) {
        return bench(what + " (" + batch + "×" + queries + "×" + width + ", " + heads + " heads)", ws -> {
            Tensor q = onGpu(ws, random(DType.F32, batch, queries, width));
            Tensor k = onGpu(ws, random(DType.F32, batch, keyRows, width));
            Tensor v = onGpu(ws, random(DType.F32, batch, keyRows, width));
            Tensor out = ws.f32(batch, queries, width);
            AttentionSpec spec = new AttentionSpec(heads, 1f / (float) Math.sqrt(width / heads), keyCount, false, null);
            return () -> gpu.attention(q, k, v, spec, out);
        });
    }

    private Result benchConv(String what, int batch, int size, int inChannels, int outChannels, DType type) {
        return bench(what + " " + batch + "×" + size + "×" + size + "×" + inChannels + "→" + outChannels + " " + type,
                ws -> {
                    Tensor x = ws.f32(batch, size, size, inChannels);
                    Tensor kernel = gpu.load(random(type, 3, 3, inChannels, outChannels));
                    Tensor out = ws.f32(batch, size, size, outChannels);
                    return () -> gpu.conv2d(x, kernel, null, ConvSpec.same(3), out);
                });
    }

    private interface Setup {
        Runnable prepare(Workspace ws);
    }

    private Result bench(String name, Setup setup) {
        try (Workspace ws = gpu.workspace()) {
            Runnable op = setup.prepare(ws);
            return new Result(name, true, 0, 0, time(op), 0, "");
        }
    }

    // ---- helpers -------------------------------------------------------------------------------------

    /** Uniform in [-1, 1), narrowed to the dtype. */
    private Tensor random(DType type, int... shape) {
        Tensor t = host(type, shape);
        for (long i = 0; i < t.elementCount(); i++) {
            t.setFloat(i, 2 * random.nextFloat() - 1);
        }
        return t;
    }

    private static Tensor shifted(Tensor t, float scale, float offset) {
        for (long i = 0; i < t.elementCount(); i++) {
            t.setFloat(i, t.getFloat(i) * scale + offset);
        }
        return t;
    }

    private static Tensor absolute(Tensor t) {
        Tensor result = host(DType.F32, t.shape());
        for (long i = 0; i < t.elementCount(); i++) {
            result.setFloat(i, Math.abs(t.getFloat(i)));
        }
        return result;
    }

    private static Tensor host(DType type, int... shape) {
        return Tensor.allocate(Arena.ofAuto(), type, shape);
    }

    private Tensor onGpu(Workspace ws, Tensor hostTensor) {
        Tensor device = ws.allocate(hostTensor.dtype(), hostTensor.shape());
        gpu.upload(hostTensor, device);
        return device;
    }

    /** Unit roundoff of rounding an activation to the weight's type on the tensor-core path. */
    private static double roundoff(DType weightType) {
        return switch (weightType) {
            case F16 -> Math.pow(2, -11);
            case BF16 -> Math.pow(2, -8);
            default -> 0;
        };
    }

    private static String failure(Runnable op) {
        try {
            op.run();
            return null;
        } catch (JdalleException e) {
            return e.getMessage();
        }
    }

    private static Result compare(String name, Tensor expected, float[] actual, double atol, double rtol,
                                  double gpuMicros, double cpuMicros) {
        float[] wanted = expected.toFloatArray();
        double[] allowed = new double[wanted.length];
        for (int i = 0; i < wanted.length; i++) {
            allowed[i] = atol + rtol * Math.abs(wanted[i]);
        }
        return judge(name, wanted, actual, allowed, gpuMicros, cpuMicros);
    }

    private static Result compareWithBound(String name, Tensor expected, float[] actual, Tensor bound,
                                           double relative, double gpuMicros, double cpuMicros) {
        float[] wanted = expected.toFloatArray();
        float[] magnitude = bound.toFloatArray();
        double[] allowed = new double[wanted.length];
        for (int i = 0; i < wanted.length; i++) {
            allowed[i] = relative * magnitude[i] + 1e-6;
        }
        return judge(name, wanted, actual, allowed, gpuMicros, cpuMicros);
    }

    private static Result judge(String name, float[] expected, float[] actual, double[] allowed, double gpuMicros,
                                double cpuMicros) {
        if (expected.length != actual.length) {
            return new Result(name, false, Double.NaN, Double.POSITIVE_INFINITY, gpuMicros, cpuMicros,
                    actual.length + " values, expected " + expected.length);
        }
        double maxDifference = 0;
        double worst = 0;
        int bad = 0;
        int firstBad = -1;
        for (int i = 0; i < expected.length; i++) {
            double difference = Math.abs((double) actual[i] - expected[i]);
            boolean ok = difference <= allowed[i] || (Float.isNaN(expected[i]) && Float.isNaN(actual[i]));
            if (!ok) {
                bad++;
                firstBad = firstBad < 0 ? i : firstBad;
                worst = Double.isNaN(difference) ? Double.POSITIVE_INFINITY : Math.max(worst, difference / allowed[i]);
            } else if (allowed[i] > 0) {
                worst = Math.max(worst, difference / allowed[i]);
            }
            maxDifference = Double.isNaN(difference) ? maxDifference : Math.max(maxDifference, difference);
        }
        String detail = bad == 0 ? "" : bad + " of " + expected.length + " outside; first at " + firstBad + " (cpu "
                + expected[firstBad] + ", gpu " + actual[firstBad] + ")";
        return new Result(name, bad == 0, maxDifference, worst, gpuMicros, cpuMicros, detail);
    }

    /** GPU time per call: a warm-up call (kernel loading), then as many calls as fit in about 20 ms. */
    private double time(Runnable op) {
        op.run();
        gpu.synchronize();
        long start = System.nanoTime();
        int calls = 0;
        do {
            op.run();
            calls++;
            if (calls % 8 == 0) {
                gpu.synchronize();
            }
        } while (calls < 3 || (System.nanoTime() - start < 20_000_000L && calls < 1000));
        gpu.synchronize();
        return (System.nanoTime() - start) / 1e3 / calls;
    }

    private static double timeOnce(Runnable op) {
        long start = System.nanoTime();
        op.run();
        return (System.nanoTime() - start) / 1e3;
    }

    /** Runs every case (and with {@code --bench} the timings); exit status 1 if a case fails. */
    public static void main(String[] args) {
        boolean bench = Arrays.asList(args).contains("--bench");
        String reason = CudaDriver.unavailableReason();
        if (reason != null) {
            System.out.println("KernelCheck: CUDA is not available: " + reason);
            System.exit(2);
        }
        int failures = 0;
        try (Backend cpu = new CpuBackend(0); CudaBackend gpu = new CudaBackend()) {
            System.out.println("KernelCheck: " + gpu.name() + " against " + cpu.name() + ", kernel cache "
                    + KernelCompiler.cacheDirectory());
            KernelCheck check = new KernelCheck(cpu, gpu, 20240229L);
            List<Case> cases = check.cases();
            for (Case c : cases) {
                Result result;
                try {
                    result = c.run();
                } catch (RuntimeException e) {
                    result = new Result(c.name(), false, Double.NaN, Double.POSITIVE_INFINITY, 0, 0, e.toString());
                }
                failures += result.passed() ? 0 : 1;
                System.out.println(result);
            }
            System.out.println("KernelCheck: " + failures + " of " + cases.size() + " cases failed");
            if (bench) {
                for (Result result : check.benchmarks()) {
                    System.out.printf(Locale.ROOT, "bench %-80s %10.1f µs%n", result.name(), result.gpuMicros());
                }
            }
        }
        System.exit(failures == 0 ? 0 : 1);
    }
}
