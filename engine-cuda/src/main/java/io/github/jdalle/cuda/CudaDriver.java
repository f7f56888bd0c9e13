package io.github.jdalle.cuda;

import io.github.jdalle.core.JdalleException;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;

import static org.bytedeco.cuda.global.cudart.CUDA_ERROR_NO_DEVICE;
import static org.bytedeco.cuda.global.cudart.CUDA_SUCCESS;
import static org.bytedeco.cuda.global.cudart.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR;
import static org.bytedeco.cuda.global.cudart.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR;
import static org.bytedeco.cuda.global.cudart.cuDeviceGet;
import static org.bytedeco.cuda.global.cudart.cuDeviceGetAttribute;
import static org.bytedeco.cuda.global.cudart.cuDeviceGetCount;
import static org.bytedeco.cuda.global.cudart.cuDeviceGetName;
import static org.bytedeco.cuda.global.cudart.cuGetErrorName;
import static org.bytedeco.cuda.global.cudart.cuGetErrorString;
import static org.bytedeco.cuda.global.cudart.cuInit;

/**
 * The CUDA driver API as this backend uses it: loads the JavaCPP bindings on first use (never before, so the
 * CPU path works on machines without a driver), probes for a usable device once, and turns status codes
 * into {@link JdalleException}s that name the call and the error.
 */
final class CudaDriver {
    /** Tensor-core instructions used by the 16-bit GEMM (mma.sync m16n8k16 with bf16) need Ampere. */
    static final int MINIMUM_COMPUTE_CAPABILITY = 80;

    private CudaDriver() {
    }

    /** Why no CUDA device can be used here, or null when device 0 (or {@code jdalle.cuda.device}) can. */
    static String unavailableReason() {
        return Probe.REASON;
    }

    /** The device ordinal the backend uses: system property {@code jdalle.cuda.device}, default 0. */
    static int deviceOrdinal() {
        return Integer.getInteger("jdalle.cuda.device", 0);
    }

    /** Runs once, on first use of the holder. */
    private static final class Probe {
        static final String REASON = probe();
    }

    private static String probe() {
        try {
            Loader.load(cudart.class);
        } catch (LinkageError | RuntimeException e) {
            return "the CUDA libraries could not be loaded (the driver's libcuda.so.1 and libcudart.so.13 are needed): "
                    + rootMessage(e);
        }
        try {
            return probeDevice();
        } catch (LinkageError | RuntimeException e) {
            return "probing the CUDA driver failed: " + rootMessage(e);
        }
    }

    private static String probeDevice() {
        int status = cuInit(0);
        if (status == CUDA_ERROR_NO_DEVICE) {
            return "the CUDA driver found no GPU";
        }
        if (status != CUDA_SUCCESS) {
            return "cuInit failed: " + describe(status);
        }
        int[] count = new int[1];
        status = cuDeviceGetCount(count);
        if (status != CUDA_SUCCESS) {
            return "cuDeviceGetCount failed: " + describe(status);
        }
        int ordinal = deviceOrdinal();
        if (ordinal < 0 || ordinal >= count[0]) {
            return "CUDA device " + ordinal + " does not exist (" + count[0] + " found)";
        }
        int device = device(ordinal);
        int capability = computeCapability(device);
        if (capability < MINIMUM_COMPUTE_CAPABILITY) {
            return deviceName(device) + " has compute capability " + capability / 10 + "." + capability % 10
                    + "; the CUDA backend needs " + MINIMUM_COMPUTE_CAPABILITY / 10 + ".0 (Ampere) or newer";
        }
        return null;
    }

    /** The driver handle of device {@code ordinal}. */
    static int device(int ordinal) {
        int[] device = new int[1];
        check(cuDeviceGet(device, ordinal), "cuDeviceGet");
        return device[0];
    }

    /** Compute capability as major·10 + minor, e.g. 90 for an H100/H200. */
    static int computeCapability(int device) {
        return 10 * attribute(device, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)
                + attribute(device, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
    }

    static int attribute(int device, int attribute) {
        int[] value = new int[1];
        check(cuDeviceGetAttribute(value, attribute, device), "cuDeviceGetAttribute(" + attribute + ")");
        return value[0];
    }

    static String deviceName(int device) {
        byte[] name = new byte[256];
        check(cuDeviceGetName(name, name.length, device), "cuDeviceGetName");
        int length = 0;
        while (length < name.length && name[length] != 0) {
            length++;
        }
        return new String(name, 0, length, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Throws a {@link JdalleException} naming {@code call} unless {@code status} is CUDA_SUCCESS. */
    static void check(int status, String call) {
        if (status != CUDA_SUCCESS) {
            throw new JdalleException("CUDA " + call + " failed: " + describe(status));
        }
    }

    /** {@code CUDA_ERROR_NAME (description)} for a driver status code. */
    static String describe(int status) {
        BytePointer name = new BytePointer();
        BytePointer text = new BytePointer();
        String described = cuGetErrorName(status, name) == CUDA_SUCCESS && !name.isNull() ? name.getString()
                : "error " + status;
        if (cuGetErrorString(status, text) == CUDA_SUCCESS && !text.isNull()) {
            described += " (" + text.getString() + ")";
        }
        return described;
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage() != null ? root.getMessage() : root.toString();
    }
}
