package io.github.jdalle.cuda;

import io.github.jdalle.core.JdalleException;
import org.bytedeco.cuda.cudart.CUctx_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.Pointer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static io.github.jdalle.cuda.CudaDriver.check;
import static org.bytedeco.cuda.global.cudart.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN;
import static org.bytedeco.cuda.global.cudart.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT;
import static org.bytedeco.cuda.global.cudart.CU_STREAM_NON_BLOCKING;
import static org.bytedeco.cuda.global.cudart.cuCtxSetCurrent;
import static org.bytedeco.cuda.global.cudart.cuDevicePrimaryCtxRelease;
import static org.bytedeco.cuda.global.cudart.cuDevicePrimaryCtxRetain;
import static org.bytedeco.cuda.global.cudart.cuInit;
import static org.bytedeco.cuda.global.cudart.cuMemAlloc;
import static org.bytedeco.cuda.global.cudart.cuMemFree;
import static org.bytedeco.cuda.global.cudart.cuMemcpyDtoDAsync;
import static org.bytedeco.cuda.global.cudart.cuMemcpyDtoHAsync;
import static org.bytedeco.cuda.global.cudart.cuMemcpyHtoDAsync;
import static org.bytedeco.cuda.global.cudart.cuMemsetD32Async;
import static org.bytedeco.cuda.global.cudart.cuMemsetD8Async;
import static org.bytedeco.cuda.global.cudart.cuStreamCreate;
import static org.bytedeco.cuda.global.cudart.cuStreamDestroy;
import static org.bytedeco.cuda.global.cudart.cuStreamSynchronize;

/**
 * One GPU as the backend sees it: its primary context, one stream on which every copy and kernel is queued
 * in order, and raw memory operations on device addresses. Device addresses are plain longs.
 */
final class CudaDevice implements AutoCloseable {
    private final int device;
    private final CUctx_st context = new CUctx_st();
    private final CUstream_st stream = new CUstream_st();
    private final String name;
    private final int computeCapability;
    private final int multiprocessors;
    private final int maxSharedMemoryPerBlock;
    private boolean closed;

    CudaDevice(int ordinal) {
        check(cuInit(0), "cuInit");
        device = CudaDriver.device(ordinal);
        name = CudaDriver.deviceName(device);
        computeCapability = CudaDriver.computeCapability(device);
        multiprocessors = CudaDriver.attribute(device, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        maxSharedMemoryPerBlock = CudaDriver.attribute(device, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
        check(cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain");
        makeCurrent();
        check(cuStreamCreate(stream, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
    }

    String name() {
        return name;
    }

    /** The architecture NVRTC and nvcc compile for, e.g. {@code sm_90}. */
    String architecture() {
        return "sm_" + computeCapability;
    }

    int multiprocessors() {
        return multiprocessors;
    }

    /** The most dynamic shared memory one block may opt in to. */
    int maxSharedMemoryPerBlock() {
        return maxSharedMemoryPerBlock;
    }

    CUstream_st stream() {
        return stream;
    }

    /** Binds the context to the calling thread; the driver's current context is per thread. */
    void makeCurrent() {
        check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
    }

    long allocate(long bytes) {
        long[] address = new long[1];
        int status = cuMemAlloc(address, Math.max(bytes, 1));
        if (status != 0) {
            throw new JdalleException("CUDA cuMemAlloc of " + bytes + " bytes on " + name + " failed: "
                    + CudaDriver.describe(status));
        }
        return address[0];
    }

    void free(long address) {
        check(cuMemFree(address), "cuMemFree");
    }

    /** Queues a host → device copy; the host memory may be reused when this returns. */
    void copyToDevice(MemorySegment source, long destination, long bytes) {
        if (bytes == 0) {
            return;
        }
        if (!source.isNative()) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment staged = arena.allocate(bytes, 64).copyFrom(source.asSlice(0, bytes));
                copyToDevice(staged, destination, bytes);
                synchronize(); // the staging buffer dies with the arena
            }
            return;
        }
        check(cuMemcpyHtoDAsync(destination, new HostAddress(source.address()), bytes, stream), "cuMemcpyHtoDAsync");
    }

    /** Copies device → host after every queued op, and waits for it. */
    void copyToHost(long source, MemorySegment destination, long bytes) {
        if (bytes == 0) {
            return;
        }
        if (!destination.isNative()) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment staged = arena.allocate(bytes, 64);
                copyToHost(source, staged, bytes);
                destination.asSlice(0, bytes).copyFrom(staged);
            }
            return;
        }
        check(cuMemcpyDtoHAsync(new HostAddress(destination.address()), source, bytes, stream), "cuMemcpyDtoHAsync");
        synchronize();
    }

    void copyOnDevice(long source, long destination, long bytes) {
        if (bytes > 0) {
            check(cuMemcpyDtoDAsync(destination, source, bytes, stream), "cuMemcpyDtoDAsync");
        }
    }

    void zero(long address, long bytes) {
        if (bytes > 0) {
            check(cuMemsetD8Async(address, (byte) 0, bytes, stream), "cuMemsetD8Async");
        }
    }

    void fill(long address, int value, long count) {
        check(cuMemsetD32Async(address, value, count, stream), "cuMemsetD32Async");
    }

    /** Waits for every op queued so far; a kernel's execution error surfaces here. */
    void synchronize() {
        check(cuStreamSynchronize(stream), "cuStreamSynchronize (an earlier kernel or copy failed)");
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        makeCurrent();
        check(cuStreamDestroy(stream), "cuStreamDestroy");
        check(cuDevicePrimaryCtxRelease(device), "cuDevicePrimaryCtxRelease");
    }

    /** A JavaCPP pointer at a host address owned elsewhere (a memory segment). */
    private static final class HostAddress extends Pointer {
        HostAddress(long address) {
            this.address = address;
        }
    }
}
