package io.github.jdalle.cuda;

import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;

import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;

import static io.github.jdalle.cuda.CudaDriver.check;
import static org.bytedeco.cuda.global.cudart.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES;
import static org.bytedeco.cuda.global.cudart.cuFuncSetAttribute;
import static org.bytedeco.cuda.global.cudart.cuLaunchKernel;
import static org.bytedeco.cuda.global.cudart.cuModuleGetFunction;
import static org.bytedeco.cuda.global.cudart.cuModuleLoadData;
import static org.bytedeco.cuda.global.cudart.cuModuleUnload;

/**
 * The loaded kernel modules of one device: each {@code .cu} file is compiled (or read from the cache) and
 * loaded the first time one of its kernels runs. Launches go on the device's stream.
 */
final class Kernels implements AutoCloseable {
    /** Dynamic shared memory a block gets without opting in. */
    private static final int DEFAULT_SHARED_MEMORY = 48 * 1024;

    private final CudaDevice device;
    private final Path cacheDirectory;
    private final Map<KernelModule, CUmod_st> modules = new EnumMap<>(KernelModule.class);
    private final Map<Kernel, CUfunc_st> functions = new EnumMap<>(Kernel.class);
    private final Map<Kernel, Integer> sharedMemoryLimits = new EnumMap<>(Kernel.class);
    private final KernelLauncher launcher = new KernelLauncher();

    Kernels(CudaDevice device, Path cacheDirectory) {
        this.device = device;
        this.cacheDirectory = cacheDirectory;
    }

    /** Starts the argument list of the next launch. */
    KernelLauncher arguments() {
        return launcher.arguments();
    }

    /** Launches {@code kernel} with the arguments packed since {@link #arguments()}, one-dimensional blocks. */
    void launch(Kernel kernel, long gridX, long gridY, long gridZ, int block, int sharedBytes) {
        launcher.requireSignature(kernel);
        CUfunc_st function = function(kernel);
        if (sharedBytes > DEFAULT_SHARED_MEMORY && sharedMemoryLimits.getOrDefault(kernel, 0) < sharedBytes) {
            check(cuFuncSetAttribute(function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, sharedBytes),
                    "cuFuncSetAttribute(" + kernel.function() + ", " + sharedBytes + " bytes of shared memory)");
            sharedMemoryLimits.put(kernel, sharedBytes);
        }
        check(cuLaunchKernel(function, Math.toIntExact(gridX), Math.toIntExact(gridY), Math.toIntExact(gridZ), block,
                1, 1, sharedBytes, device.stream(), launcher.parameters(), (PointerPointer<?>) null),
                "cuLaunchKernel(" + kernel.function() + ", grid " + gridX + "×" + gridY + "×" + gridZ + ", block "
                        + block + ")");
    }

    private CUfunc_st function(Kernel kernel) {
        CUfunc_st function = functions.get(kernel);
        if (function == null) {
            function = new CUfunc_st();
            check(cuModuleGetFunction(function, module(kernel.module()), kernel.function()),
                    "cuModuleGetFunction(" + kernel.function() + ")");
            functions.put(kernel, function);
        }
        return function;
    }

    private CUmod_st module(KernelModule source) {
        CUmod_st module = modules.get(source);
        if (module == null) {
            byte[] image = KernelCompiler.image(cacheDirectory, source, device.architecture());
            module = new CUmod_st();
            try (BytePointer data = new BytePointer(image)) {
                check(cuModuleLoadData(module, data), "cuModuleLoadData(" + source.fileName() + ")");
            }
            modules.put(source, module);
        }
        return module;
    }

    @Override
    public void close() {
        for (CUmod_st module : modules.values()) {
            check(cuModuleUnload(module), "cuModuleUnload");
        }
        modules.clear();
        functions.clear();
        launcher.close();
    }
}
