package io.github.jdalle.cuda;

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
import io.github.jdalle.core.sampling.SamplingSettings;
import io.github.jdalle.cuda.DeviceMemory.Scratch;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The {@link Backend} on an NVIDIA GPU (compute capability 8.0 or newer). Tensors of this backend hold device
 * addresses; {@link #load} copies a weight to the device once (later calls with the same host memory return
 * the same copy), workspaces allocate zero-filled device memory, and every op is queued on one stream in
 * call order, so ops return before the GPU has finished: {@link #download}, {@link #toFloatArray},
 * {@link #sampleGuided} and {@link #synchronize} wait. The kernels are in the {@code .cu} files that
 * {@link KernelModule} lists; each names its CPU twin, and {@link KernelCheck} compares them.
 *
 * <p>Ops are serialized (one stream, one argument block), so a backend may be shared between threads, but
 * its ops do not run concurrently.
 */
public final class CudaBackend implements Backend {
    private static final int THREADS = 256;
    /** Rows up to which matmul takes the GEMV path: a decoding step's batch of images × {cond, uncond}. */
    private static final int GEMV_MAX_ROWS = 32;
    private static final int GEMV_COLUMNS = 64;
    private static final int TILE = 64;
    private static final int ATTENTION_WARPS = 4;
    private static final int SAMPLE_THREADS = 1024;
    private static final int MAX_GRID_Y = 65535;

    private final CudaDevice device;
    private final DeviceMemory memory;
    private final Kernels kernels;
    private final Map<WeightKey, Long> weights = new HashMap<>();
    private boolean closed;

    /** Host memory of a weight: the same mapped bytes map to the same device copy whatever the view's shape. */
    private record WeightKey(long address, long bytes) {
    }

    /** Numbered as in elementwise.cu. */
    private enum Elementwise {
        ADD, MUL, SCALE, GELU, QUICK_GELU, SWISH
    }

    /**
     * A backend on device {@code jdalle.cuda.device} (default 0), with kernels cached under
     * {@link KernelCompiler#cacheDirectory()}. Throws a {@link JdalleException} saying why when CUDA is not
     * usable here.
     */
    public CudaBackend() {
        String reason = CudaDriver.unavailableReason();
        if (reason != null) {
            throw new JdalleException("the CUDA backend is not available: " + reason);
        }
        device = new CudaDevice(CudaDriver.deviceOrdinal());
        memory = new DeviceMemory(device);
        kernels = new Kernels(device, KernelCompiler.cacheDirectory());
    }

    @Override
    public String name() {
        return "cuda (" + device.name() + ", " + device.architecture() + ")";
    }

    // ---- memory ------------------------------------------------------------------------------------------

    @Override
    public synchronized Tensor load(Tensor weight) {
        if (!weight.isHost()) {
            return weight;
        }
        begin();
        long bytes = weight.byteSize();
        WeightKey key = new WeightKey(weight.segment().address(), bytes);
        Long address = weights.get(key);
        if (address == null || !weight.segment().isNative()) {
            address = memory.allocatePermanent(bytes);
            device.copyToDevice(weight.segment(), address, bytes);
            if (weight.segment().isNative()) {
                weights.put(key, address);
            }
        }
        return DeviceMemory.deviceTensor(weight.dtype(), address, weight.shape());
    }

    @Override
    public synchronized Workspace workspace() {
        begin();
        return memory.workspace();
    }

    @Override
    public synchronized void upload(Tensor hostSource, Tensor destination) {
        begin();
        requireSameLayout("upload", hostSource, destination);
        requireHost("upload", "source", hostSource);
        device.copyToDevice(hostSource.segment(), address("upload", "destination", destination),
                hostSource.byteSize());
    }

    @Override
    public synchronized void download(Tensor source, Tensor hostDestination) {
        begin();
        requireSameLayout("download", source, hostDestination);
        requireHost("download", "destination", hostDestination);
        device.copyToHost(address("download", "source", source), hostDestination.segment(), source.byteSize());
    }

    @Override
    public synchronized void copy(Tensor source, Tensor destination) {
        begin();
        requireSameLayout("copy", source, destination);
        device.copyOnDevice(address("copy", "source", source), address("copy", "destination", destination),
                source.byteSize());
    }

    @Override
    public synchronized void synchronize() {
        begin();
        device.synchronize();
    }

    // ---- linear algebra ----------------------------------------------------------------------------------

    @Override
    public synchronized void matmul(Tensor x, Tensor weight, Tensor bias, Tensor out) {
        begin();
        ShapeChecks.matmul(x, weight, bias, out);
        int k = x.columns();
        int m = x.rows();
        int n = weight.dim(1);
        requireF32("matmul", "x", x);
        requireF32("matmul", "out", out);
        DType weightType = requireFloat("matmul", "weight", weight);
        if (m == 0 || n == 0) {
            return;
        }
        long xAddress = address("matmul", "x", x);
        long weightAddress = address("matmul", "weight", weight);
        long biasAddress = optionalAddress("matmul", "bias", bias);
        int biasType = dtypeCode(bias);
        long outAddress = address("matmul", "out", out);
        if (m <= GEMV_MAX_ROWS) {
            long columnBlocks = ceilDiv(n, GEMV_COLUMNS);
            // split k until the grid has a few blocks per multiprocessor, each keeping ≥ 256 rows of work
            int splits = (int) Math.max(1, Math.min(ceilDiv(4L * device.multiprocessors(), columnBlocks),
                    ceilDiv(k, 256)));
            int kPerSplit = (int) ceilDiv(Math.max(k, 1), splits);
            splits = (int) Math.max(1, ceilDiv(k, kPerSplit));
            long partial = splits == 1 ? 0 : memory.scratch(Scratch.GEMV_PARTIAL, 4L * splits * m * n);
            kernels.arguments().pointer(xAddress).pointer(weightAddress).pointer(biasAddress).int32(biasType)
                    .pointer(outAddress).pointer(partial).int32(m).int32(n).int32(k).int32(kPerSplit);
            kernels.launch(switch (weightType) {
                case F16 -> Kernel.GEMV_F16;
                case BF16 -> Kernel.GEMV_BF16;
                default -> Kernel.GEMV_F32;
            }, columnBlocks, splits, 1, THREADS, 0);
            if (splits > 1) {
                kernels.arguments().pointer(partial).pointer(biasAddress).int32(biasType).pointer(outAddress)
                        .int32(m).int32(n).int32(splits);
                kernels.launch(Kernel.GEMV_REDUCE, ceilDiv((long) m * n, THREADS), 1, 1, THREADS, 0);
            }
            return;
        }
        requireGridRows("matmul", ceilDiv(m, TILE));
        kernels.arguments().pointer(xAddress).pointer(weightAddress).pointer(biasAddress).int32(biasType)
                .pointer(outAddress).int32(m).int32(n).int32(k);
        kernels.launch(switch (weightType) {
            case F16 -> Kernel.GEMM_F16_MATMUL;
            case BF16 -> Kernel.GEMM_BF16_MATMUL;
            default -> Kernel.GEMM_F32_MATMUL;
        }, ceilDiv(n, TILE), ceilDiv(m, TILE), 1, THREADS, 0);
    }

    @Override
    public synchronized void attention(Tensor q, Tensor k, Tensor v, AttentionSpec spec, Tensor out) {
        begin();
        int keys = ShapeChecks.attention(q, k, v, spec, out);
        int batch = q.dim(0);
        int queries = q.dim(1);
        int width = q.dim(2);
        int keyRows = k.dim(1);
        int heads = spec.heads();
        for (Tensor t : new Tensor[] {q, k, v, out}) {
            requireF32("attention", "q, k, v and out", t);
        }
        Tensor mask = spec.keyMask();
        int headDim = width / heads;
        Kernel kernel = attentionKernel(headDim);
        if (batch == 0 || queries == 0 || headDim == 0) {
            return;
        }
        long rows = (long) batch * heads * queries;
        requireGridRows("attention", (long) batch * heads);
        // split the keys until there are enough warps to fill the GPU, each split keeping ≥ 32 keys
        int splits = (int) Math.max(1, Math.min(ceilDiv(16L * device.multiprocessors(), rows), keys / 32));
        int keysPerSplit = (int) ceilDiv(Math.max(keys, 1), splits);
        splits = (int) Math.max(1, ceilDiv(keys, keysPerSplit));
        long stats = splits == 1 ? 0 : memory.scratch(Scratch.ATTENTION_STATS, 8L * rows * splits);
        long partial = splits == 1 ? 0 : memory.scratch(Scratch.ATTENTION_PARTIAL, 4L * rows * splits * headDim);
        long outAddress = address("attention", "out", out);
        kernels.arguments().pointer(address("attention", "q", q)).pointer(address("attention", "k", k))
                .pointer(address("attention", "v", v)).pointer(optionalAddress("attention", "key mask", mask))
                .int32(mask == null ? 0 : mask.dim(1)).pointer(outAddress).pointer(stats).pointer(partial)
                .int32(queries).int32(keyRows).int32(keys).int32(width).int32(heads).int32(headDim)
                .float32(spec.scale()).int32(spec.causal() ? 1 : 0).int32(keysPerSplit);
        kernels.launch(kernel, ceilDiv(queries, ATTENTION_WARPS), (long) batch * heads, splits,
                32 * ATTENTION_WARPS, 0);
        if (splits > 1) {
            kernels.arguments().pointer(stats).pointer(partial).pointer(outAddress).int32(Math.toIntExact(rows))
                    .int32(splits).int32(queries).int32(width).int32(heads).int32(headDim);
            kernels.launch(Kernel.ATTENTION_COMBINE, ceilDiv(rows * headDim, THREADS), 1, 1, THREADS, 0);
        }
    }

    private static Kernel attentionKernel(int headDim) {
        Kernel[] bySize = {Kernel.ATTENTION_32, Kernel.ATTENTION_64, Kernel.ATTENTION_128, Kernel.ATTENTION_256,
                Kernel.ATTENTION_512, Kernel.ATTENTION_1024};
        for (int i = 0; i < bySize.length; i++) {
            if (headDim <= 32 << i) {
                return bySize[i];
            }
        }
        throw new JdalleException("attention: head width " + headDim + " exceeds the CUDA kernels' 1024");
    }

    // ---- normalization and element-wise ------------------------------------------------------------------

    @Override
    public synchronized void layerNorm(Tensor x, Tensor scale, Tensor bias, float eps, Tensor out) {
        begin();
        ShapeChecks.sameCount("layerNorm", x, out);
        requireF32("layerNorm", "x", x);
        requireF32("layerNorm", "out", out);
        int width = x.columns();
        requireVector("layerNorm", "scale", scale, width);
        requireVector("layerNorm", "bias", bias, width);
        if (x.elementCount() == 0) {
            return;
        }
        kernels.arguments().pointer(address("layerNorm", "x", x)).pointer(optionalAddress("layerNorm", "scale", scale))
                .int32(dtypeCode(scale)).pointer(optionalAddress("layerNorm", "bias", bias)).int32(dtypeCode(bias))
                .pointer(address("layerNorm", "out", out)).int32(width).float32(eps);
        kernels.launch(Kernel.LAYER_NORM, x.rows(), 1, 1, THREADS, 0);
    }

    @Override
    public synchronized void groupNorm(Tensor x, int groups, Tensor scale, Tensor bias, float eps, Tensor out) {
        begin();
        ShapeChecks.sameCount("groupNorm", x, out);
        requireF32("groupNorm", "x", x);
        requireF32("groupNorm", "out", out);
        int channels = x.dim(-1);
        if (groups <= 0 || channels % groups != 0) {
            throw new JdalleException("groupNorm: " + channels + " channels do not split into " + groups + " groups");
        }
        requireVector("groupNorm", "scale", scale, channels);
        requireVector("groupNorm", "bias", bias, channels);
        int batch = x.dim(0);
        if (x.elementCount() == 0) {
            return;
        }
        int positions = Math.toIntExact(x.elementCount() / ((long) batch * channels));
        int groupCount = batch * groups;
        requireGridRows("groupNorm", groupCount);
        // chunks of positions: enough blocks to fill the GPU, each with ≥ 2048 elements
        long elementsPerGroup = (long) positions * (channels / groups);
        int chunks = (int) Math.max(1, Math.min(ceilDiv(4L * device.multiprocessors(), groupCount),
                elementsPerGroup / 2048));
        int chunkPositions = (int) ceilDiv(positions, chunks);
        chunks = (int) ceilDiv(positions, chunkPositions);
        long partial = memory.scratch(Scratch.GROUP_PARTIAL, 12L * groupCount * chunks);
        long meanInverse = memory.scratch(Scratch.GROUP_STATS, 8L * groupCount);
        long xAddress = address("groupNorm", "x", x);
        kernels.arguments().pointer(xAddress).pointer(partial).int32(positions).int32(channels).int32(groups)
                .int32(chunkPositions);
        kernels.launch(Kernel.GROUP_STATS, chunks, groupCount, 1, THREADS, 0);
        kernels.arguments().pointer(partial).pointer(meanInverse).int32(groupCount).int32(chunks).float32(eps);
        kernels.launch(Kernel.GROUP_FINALIZE, ceilDiv(groupCount, THREADS), 1, 1, THREADS, 0);
        kernels.arguments().pointer(xAddress).pointer(meanInverse)
                .pointer(optionalAddress("groupNorm", "scale", scale)).int32(dtypeCode(scale))
                .pointer(optionalAddress("groupNorm", "bias", bias)).int32(dtypeCode(bias))
                .pointer(address("groupNorm", "out", out)).int32(positions).int32(channels).int32(groups)
                .int64(x.elementCount());
        kernels.launch(Kernel.GROUP_APPLY, ceilDiv(x.elementCount(), THREADS), 1, 1, THREADS, 0);
    }

    @Override
    public synchronized void activate(Activation function, Tensor x, Tensor out) {
        begin();
        ShapeChecks.sameCount("activate", x, out);
        elementwise("activate", switch (function) {
            case GELU -> Elementwise.GELU;
            case QUICK_GELU -> Elementwise.QUICK_GELU;
            case SWISH -> Elementwise.SWISH;
        }, x, null, 0f, out);
    }

    @Override
    public synchronized void add(Tensor a, Tensor b, Tensor out) {
        begin();
        ShapeChecks.add(a, b, out);
        elementwise("add", Elementwise.ADD, a, b, 0f, out);
    }

    @Override
    public synchronized void mul(Tensor a, Tensor b, Tensor out) {
        begin();
        ShapeChecks.sameCount("mul", a, b);
        ShapeChecks.sameCount("mul", a, out);
        elementwise("mul", Elementwise.MUL, a, b, 0f, out);
    }

    @Override
    public synchronized void scale(Tensor x, float factor, Tensor out) {
        begin();
        ShapeChecks.sameCount("scale", x, out);
        elementwise("scale", Elementwise.SCALE, x, null, factor, out);
    }

    private void elementwise(String op, Elementwise kind, Tensor a, Tensor b, float factor, Tensor out) {
        requireFloat(op, "input", a);
        if (b != null) {
            requireFloat(op, "second input", b);
        }
        requireF32(op, "out", out);
        long count = a.elementCount();
        if (count == 0) {
            return;
        }
        kernels.arguments().int32(kind.ordinal()).pointer(address(op, "input", a)).int32(dtypeCode(a))
                .pointer(optionalAddress(op, "second input", b)).int32(dtypeCode(b))
                .int64(b == null ? 0 : b.elementCount()).float32(factor).pointer(address(op, "out", out))
                .int64(count);
        kernels.launch(Kernel.ELEMENTWISE, gridFor(count), 1, 1, THREADS, 0);
    }

    @Override
    public synchronized void softmax(Tensor x, Tensor out) {
        begin();
        ShapeChecks.sameCount("softmax", x, out);
        requireF32("softmax", "x", x);
        requireF32("softmax", "out", out);
        if (x.elementCount() == 0) {
            return;
        }
        kernels.arguments().pointer(address("softmax", "x", x)).pointer(address("softmax", "out", out))
                .int32(x.columns());
        kernels.launch(Kernel.SOFTMAX_ROWS, x.rows(), 1, 1, THREADS, 0);
    }

    // ---- convolution -------------------------------------------------------------------------------------

    @Override
    public synchronized void conv2d(Tensor x, Tensor kernel, Tensor bias, ConvSpec spec, Tensor out) {
        begin();
        if (x.rank() != 4 || kernel.rank() != 4) {
            throw new JdalleException("conv2d: x " + x + " must be NHWC and kernel " + kernel + " HWIO");
        }
        int batch = x.dim(0);
        int height = x.dim(1);
        int width = x.dim(2);
        int inChannels = x.dim(3);
        int kernelHeight = kernel.dim(0);
        int kernelWidth = kernel.dim(1);
        int outChannels = kernel.dim(3);
        int outHeight = spec.outputSize(height, kernelHeight, true);
        int outWidth = spec.outputSize(width, kernelWidth, false);
        if (kernel.dim(2) != inChannels
                || !Arrays.equals(out.shape(), new int[] {batch, outHeight, outWidth, outChannels})) {
            throw new JdalleException("conv2d: x " + x + " with kernel " + kernel + " does not give out " + out);
        }
        if (bias != null && bias.elementCount() != outChannels) {
            throw new JdalleException("conv2d: bias " + bias + " does not have " + outChannels + " elements");
        }
        requireF32("conv2d", "x", x);
        requireF32("conv2d", "out", out);
        DType kernelType = requireFloat("conv2d", "kernel", kernel);
        long rows = (long) batch * outHeight * outWidth;
        if (rows == 0 || outChannels == 0) {
            return;
        }
        requireGridRows("conv2d", ceilDiv(rows, TILE));
        kernels.arguments().pointer(address("conv2d", "x", x)).pointer(address("conv2d", "kernel", kernel))
                .pointer(optionalAddress("conv2d", "bias", bias)).int32(dtypeCode(bias))
                .pointer(address("conv2d", "out", out)).int32(batch).int32(height).int32(width).int32(inChannels)
                .int32(kernelHeight).int32(kernelWidth).int32(spec.stride()).int32(spec.padTop())
                .int32(spec.padLeft()).int32(outHeight).int32(outWidth).int32(outChannels);
        kernels.launch(switch (kernelType) {
            case F16 -> Kernel.GEMM_F16_CONV;
            case BF16 -> Kernel.GEMM_BF16_CONV;
            default -> Kernel.GEMM_F32_CONV;
        }, ceilDiv(outChannels, TILE), ceilDiv(rows, TILE), 1, THREADS, 0);
    }

    @Override
    public synchronized void upsampleNearest2x(Tensor x, Tensor out) {
        begin();
        ShapeChecks.upsampleNearest2x(x, out);
        if (out.elementCount() == 0) {
            return;
        }
        long pixelBytes = (long) x.dim(3) * x.dtype().byteSize();
        int unit = pixelBytes % 4 == 0 ? 4 : 2;
        kernels.arguments().pointer(address("upsampleNearest2x", "x", x))
                .pointer(address("upsampleNearest2x", "out", out)).int32(x.dim(1)).int32(x.dim(2))
                .int32(Math.toIntExact(pixelBytes / unit)).int64(out.byteSize() / unit);
        kernels.launch(unit == 4 ? Kernel.UPSAMPLE_NEAREST2X_U32 : Kernel.UPSAMPLE_NEAREST2X_U16,
                gridFor(out.byteSize() / unit), 1, 1, THREADS, 0);
    }

    // ---- indexing ----------------------------------------------------------------------------------------

    @Override
    public synchronized void gather(Tensor table, Tensor ids, Tensor out) {
        begin();
        if (table.rank() != 2) {
            throw new JdalleException("gather: table " + table + " is not (V, D)");
        }
        int vocab = table.dim(0);
        int width = table.dim(1);
        long count = ids.elementCount();
        if (out.elementCount() != count * width) {
            throw new JdalleException("gather: " + count + " ids of width " + width + " do not fill " + out);
        }
        if (ids.dtype() != DType.I32) {
            throw new JdalleException("gather: ids " + ids + " are not I32");
        }
        requireFloat("gather", "table", table);
        requireF32("gather", "out", out);
        if (count == 0) {
            return;
        }
        long flag = memory.scratch(Scratch.GATHER_FLAG, 4);
        device.fill(flag, Integer.MAX_VALUE, 1);
        long idsAddress = address("gather", "ids", ids);
        kernels.arguments().pointer(address("gather", "table", table)).int32(dtypeCode(table)).int32(vocab)
                .int32(width).pointer(idsAddress).int64(count).pointer(address("gather", "out", out)).pointer(flag);
        kernels.launch(Kernel.GATHER_ROWS, gridFor(count * width), 1, 1, THREADS, 0);
        int badPosition = readInt(flag);
        if (badPosition != Integer.MAX_VALUE) {
            int id = readInt(idsAddress + 4L * badPosition);
            throw new JdalleException("id " + id + " at position " + badPosition + " is outside [0, " + vocab + ")");
        }
    }

    @Override
    public synchronized void writeSlot(Tensor rows, Tensor cache, int slot) {
        begin();
        if (cache.rank() != 3) {
            throw new JdalleException("writeSlot: cache " + cache + " is not (B, S, D)");
        }
        int batch = cache.dim(0);
        int slots = cache.dim(1);
        int width = cache.dim(2);
        if (rows.elementCount() != (long) batch * width || slot < 0 || slot >= slots || rows.dtype() != cache.dtype()) {
            throw new JdalleException("writeSlot: " + rows + " does not fit slot " + slot + " of " + cache);
        }
        long rowBytes = (long) width * cache.dtype().byteSize();
        if (rows.elementCount() == 0) {
            return;
        }
        int unit = rowBytes % 4 == 0 ? 4 : 2;
        kernels.arguments().pointer(address("writeSlot", "rows", rows)).pointer(address("writeSlot", "cache", cache))
                .int32(batch).int32(slots).int32(slot).int32(Math.toIntExact(rowBytes / unit));
        kernels.launch(unit == 4 ? Kernel.WRITE_SLOT_U32 : Kernel.WRITE_SLOT_U16, gridFor(batch * rowBytes / unit),
                1, 1, THREADS, 0);
    }

    /**
     * Samples on the device: only each image's uniform goes up and its token comes down. Falls back to the
     * host {@link io.github.jdalle.core.sampling.Sampler} when a row does not fit in one block's shared
     * memory (a vocabulary limit above about 20 000 on an H100).
     */
    @Override
    public synchronized int[] sampleGuided(Tensor cond, Tensor uncond, float conditionScale, int vocabLimit,
                                           SamplingSettings settings, RandomStream[] streams) {
        begin();
        int images = cond.rows();
        int vocab = cond.columns();
        ShapeChecks.sampling(cond, uncond, vocabLimit, streams.length);
        requireF32("sampleGuided", "cond", cond);
        if (uncond != null) {
            requireF32("sampleGuided", "uncond", uncond);
        }
        int padded = Integer.highestOneBit(vocabLimit) == vocabLimit ? vocabLimit
                : Integer.highestOneBit(vocabLimit) << 1; // the bitonic sort needs a power of two
        int sharedBytes = 8 * padded;
        if (sharedBytes > device.maxSharedMemoryPerBlock()) {
            return Backend.super.sampleGuided(cond, uncond, conditionScale, vocabLimit, settings, streams);
        }
        if (images == 0) {
            return new int[0];
        }
        long uniforms = memory.scratch(Scratch.SAMPLE_UNIFORMS, 8L * images);
        long order = memory.scratch(Scratch.SAMPLE_ORDER, 4L * images * padded);
        long tokens = memory.scratch(Scratch.SAMPLE_TOKENS, 4L * images);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment draws = arena.allocate(ValueLayout.JAVA_DOUBLE, images);
            for (int i = 0; i < images; i++) {
                draws.setAtIndex(ValueLayout.JAVA_DOUBLE, i, streams[i].nextDouble()); // one per image, always
            }
            device.copyToDevice(draws, uniforms, draws.byteSize());
            int keep = settings.topK() == 0 ? vocabLimit : Math.min(settings.topK(), vocabLimit);
            kernels.arguments().pointer(address("sampleGuided", "cond", cond))
                    .pointer(optionalAddress("sampleGuided", "uncond", uncond)).int32(vocab).int32(vocabLimit)
                    .int32(padded).float32(conditionScale).float32(1f / settings.temperature())
                    .int32(keep).float32(settings.topP()).pointer(uniforms).pointer(order).pointer(tokens);
            kernels.launch(Kernel.SAMPLE_GUIDED, images, 1, 1, SAMPLE_THREADS, sharedBytes);
            MemorySegment chosen = arena.allocate(ValueLayout.JAVA_INT, images);
            device.copyToHost(tokens, chosen, chosen.byteSize());
            return chosen.toArray(ValueLayout.JAVA_INT);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        device.makeCurrent();
        device.synchronize();
        kernels.close();
        memory.close();
        weights.clear();
        device.close();
    }

    // ---- helpers -----------------------------------------------------------------------------------------

    private void begin() {
        if (closed) {
            throw new JdalleException("the CUDA backend is closed");
        }
        device.makeCurrent();
    }

    private int readInt(long deviceAddress) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(ValueLayout.JAVA_INT);
            device.copyToHost(deviceAddress, value, 4);
            return value.get(ValueLayout.JAVA_INT, 0);
        }
    }

    /** Blocks for a grid-stride loop over {@code count} elements: enough to fill the GPU, no more. */
    private long gridFor(long count) {
        return Math.max(1, Math.min(ceilDiv(count, THREADS), 32L * device.multiprocessors()));
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    private static long address(String op, String role, Tensor tensor) {
        if (tensor.isHost()) {
            throw new JdalleException(op + ": " + role + " " + tensor
                    + " is a host tensor; load() or upload() it to the CUDA backend first");
        }
        return tensor.segment().address();
    }

    private static long optionalAddress(String op, String role, Tensor tensor) {
        return tensor == null ? 0 : address(op, role, tensor);
    }

    /** The dtype number the kernels use (DType's ordinal); 0 for an absent tensor. */
    private static int dtypeCode(Tensor tensor) {
        return tensor == null ? 0 : tensor.dtype().ordinal();
    }

    private static void requireF32(String op, String role, Tensor tensor) {
        if (tensor.dtype() != DType.F32) {
            throw new JdalleException(op + ": " + role + " " + tensor + " must be F32 on the CUDA backend");
        }
    }

    private static DType requireFloat(String op, String role, Tensor tensor) {
        if (!tensor.dtype().isFloatingPoint()) {
            throw new JdalleException(op + ": " + role + " " + tensor + " must be F32, F16 or BF16");
        }
        return tensor.dtype();
    }

    private static void requireVector(String op, String role, Tensor vector, int length) {
        if (vector != null) {
            requireFloat(op, role, vector);
            if (vector.elementCount() != length) {
                throw new JdalleException(op + ": " + role + " " + vector + " does not have " + length + " elements");
            }
        }
    }

    private static void requireHost(String op, String role, Tensor tensor) {
        if (!tensor.isHost()) {
            throw new JdalleException(op + ": " + role + " " + tensor + " must be a host tensor");
        }
    }

    private static void requireSameLayout(String op, Tensor a, Tensor b) {
        if (a.dtype() != b.dtype() || a.elementCount() != b.elementCount()) {
            throw new JdalleException(op + ": " + a + " does not fit " + b);
        }
    }

    private static void requireGridRows(String op, long blocks) {
        if (blocks > MAX_GRID_Y) {
            throw new JdalleException(op + ": " + blocks + " row blocks exceed the CUDA grid limit of " + MAX_GRID_Y);
        }
    }
}
