package io.github.jdalle.cuda;

import io.github.jdalle.core.JdalleException;
import org.bytedeco.cuda.global.nvrtc;
import org.bytedeco.cuda.nvrtc._nvrtcProgram;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.bytedeco.cuda.global.nvrtc.NVRTC_SUCCESS;
import static org.bytedeco.cuda.global.nvrtc.nvrtcCompileProgram;
import static org.bytedeco.cuda.global.nvrtc.nvrtcCreateProgram;
import static org.bytedeco.cuda.global.nvrtc.nvrtcDestroyProgram;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetCUBIN;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetCUBINSize;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetErrorString;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetProgramLog;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetProgramLogSize;

/**
 * Turns kernel sources into CUBIN images for one GPU architecture, with a disk cache keyed by a hash of the
 * sources, the compiler flags and the architecture. A cache miss is compiled at run time with NVRTC; the
 * cache can also be filled ahead of time with {@code nvcc} ({@link #main}), which is how a machine without
 * libnvrtc (such as a bare GPU box running the prepared bundle) gets its kernels. Images are CUBIN rather
 * than PTX so that a driver older than the compiler still loads them.
 *
 * <p>Cache directory: system property {@code jdalle.cuda.cache}, else environment variable
 * {@code JDALLE_CUDA_CACHE}, else {@code $XDG_CACHE_HOME/jdalle/cuda}, else {@code ~/.cache/jdalle/cuda}.
 */
public final class KernelCompiler {
    /** Flags shared by NVRTC and nvcc (both accept this spelling); part of the cache key. */
    private static final List<String> FLAGS = List.of("--std=c++17");

    private KernelCompiler() {
    }

    /** The cache directory in use (see the class comment). */
    public static Path cacheDirectory() {
        String configured = System.getProperty("jdalle.cuda.cache", System.getenv("JDALLE_CUDA_CACHE"));
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("jdalle").resolve("cuda");
    }

    /** Where the image of {@code module} for {@code architecture} (e.g. {@code sm_90}) is cached under {@code directory}. */
    public static Path cachedImage(Path directory, KernelModule module, String architecture) {
        String base = module.fileName().replace(".cu", "");
        return directory.resolve(base + "-" + architecture + "-" + sourceHash(module, architecture) + ".cubin");
    }

    /**
     * The CUBIN of {@code module} for {@code architecture}: from the cache when present, else compiled with
     * NVRTC and stored there (written to a temporary file, then moved, so readers never see half a file).
     */
    static byte[] image(Path directory, KernelModule module, String architecture) {
        Path cached = cachedImage(directory, module, architecture);
        if (Files.isRegularFile(cached)) {
            try {
                return Files.readAllBytes(cached);
            } catch (IOException e) {
                throw new JdalleException("cannot read cached kernel image " + cached + ": " + e.getMessage(), e);
            }
        }
        byte[] image = compileWithNvrtc(module, architecture, cached);
        try {
            Files.createDirectories(directory);
            Path temporary = Files.createTempFile(directory, cached.getFileName().toString(), ".tmp");
            Files.write(temporary, image);
            moveIntoPlace(temporary, cached);
        } catch (IOException e) {
            // an unwritable cache costs a recompilation next time, nothing more
            System.err.println("jdalle: cannot cache kernel image " + cached + ": " + e.getMessage());
        }
        return image;
    }

    private static byte[] compileWithNvrtc(KernelModule module, String architecture, Path wouldBeCached) {
        try {
            Loader.load(nvrtc.class);
        } catch (LinkageError e) {
            throw new JdalleException("kernel image " + wouldBeCached + " is not cached and NVRTC (libnvrtc.so.13) "
                    + "cannot be loaded to compile it (" + e.getMessage() + "); install the CUDA toolkit's NVRTC or "
                    + "fill the cache with nvcc: java -cp <engine-cuda class path> " + KernelCompiler.class.getName()
                    + " " + wouldBeCached.getParent() + " " + architecture, e);
        }
        _nvrtcProgram program = new _nvrtcProgram();
        BytePointer source = new BytePointer(module.source());
        BytePointer name = new BytePointer(module.fileName());
        PointerPointer<BytePointer> headers = new PointerPointer<>(KernelModule.headerSource());
        PointerPointer<BytePointer> headerNames = new PointerPointer<>(KernelModule.HEADER);
        checkNvrtc(nvrtcCreateProgram(program, source, name, 1, headers, headerNames), "nvrtcCreateProgram", "");
        try {
            List<String> options = new ArrayList<>(FLAGS);
            options.add("--gpu-architecture=" + architecture);
            PointerPointer<BytePointer> optionPointers = new PointerPointer<>(options.toArray(String[]::new));
            int status = nvrtcCompileProgram(program, options.size(), optionPointers);
            checkNvrtc(status, "compiling " + module.fileName() + " for " + architecture, programLog(program));
            SizeTPointer size = new SizeTPointer(1);
            checkNvrtc(nvrtcGetCUBINSize(program, size), "nvrtcGetCUBINSize", "");
            byte[] image = new byte[Math.toIntExact(size.get())];
            checkNvrtc(nvrtcGetCUBIN(program, image), "nvrtcGetCUBIN", "");
            return image;
        } finally {
            nvrtcDestroyProgram(program);
        }
    }

    private static String programLog(_nvrtcProgram program) {
        SizeTPointer size = new SizeTPointer(1);
        if (nvrtcGetProgramLogSize(program, size) != NVRTC_SUCCESS || size.get() <= 1) {
            return "";
        }
        byte[] log = new byte[Math.toIntExact(size.get())];
        nvrtcGetProgramLog(program, log);
        return new String(log, 0, log.length - 1, StandardCharsets.UTF_8);
    }

    private static void checkNvrtc(int status, String what, String log) {
        if (status != NVRTC_SUCCESS) {
            throw new JdalleException("NVRTC " + what + " failed: " + nvrtcGetErrorString(status).getString()
                    + (log.isBlank() ? "" : "\n" + log));
        }
    }

    /** What nvcc writes: the CUBIN the backend loads, or PTX (whose kernel signatures tests read). */
    public enum NvccOutput {
        /** A loadable image for one architecture. */
        CUBIN("-cubin"),
        /** PTX assembly text. */
        PTX("-ptx");

        private final String flag;

        NvccOutput(String flag) {
            this.flag = flag;
        }
    }

    /**
     * Compiles {@code module} with {@code nvcc} for {@code architecture} into {@code output}, with the same
     * flags NVRTC gets; throws with nvcc's messages on failure.
     */
    public static void compileWithNvcc(Path nvcc, KernelModule module, String architecture, NvccOutput kind,
                                       Path output) {
        try {
            Path sources = Files.createTempDirectory("jdalle-kernels");
            try {
                Files.writeString(sources.resolve(KernelModule.HEADER), KernelModule.headerSource());
                Path source = Files.writeString(sources.resolve(module.fileName()), module.source());
                Path temporary = Files.createTempFile(sources, module.fileName(), ".out");
                List<String> command = new ArrayList<>(List.of(nvcc.toString(), kind.flag));
                command.addAll(FLAGS);
                command.addAll(List.of("--gpu-architecture=" + architecture, "-I" + sources, "-o",
                        temporary.toString(), source.toString()));
                Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
                String messages = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0) {
                    throw new JdalleException("nvcc failed on " + module.fileName() + " for " + architecture + ":\n"
                            + messages);
                }
                Files.createDirectories(output.toAbsolutePath().getParent());
                moveIntoPlace(temporary, output);
            } finally {
                try (var files = Files.list(sources)) {
                    for (Path file : files.toList()) {
                        Files.deleteIfExists(file);
                    }
                }
                Files.deleteIfExists(sources);
            }
        } catch (IOException e) {
            throw new JdalleException("cannot run nvcc on " + module.fileName() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JdalleException("interrupted while nvcc compiled " + module.fileName(), e);
        }
    }

    /** {@code nvcc} from the PATH, or null when there is none. */
    public static Path findNvcc() {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String directory : path.split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(directory, "nvcc");
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    /**
     * Fills a kernel cache ahead of time with nvcc: {@code KernelCompiler <cache directory> <arch>...}, e.g.
     * {@code KernelCompiler gpu-bundle/kernels sm_90 sm_80}.
     */
    public static void main(String[] args) {
        if (args.length < 2) {
            System.err.println("usage: KernelCompiler <cache directory> <architecture, e.g. sm_90>...");
            System.exit(2);
        }
        Path nvcc = findNvcc();
        if (nvcc == null) {
            System.err.println("KernelCompiler: nvcc is not on the PATH");
            System.exit(1);
        }
        Path directory = Path.of(args[0]);
        for (int i = 1; i < args.length; i++) {
            for (KernelModule module : KernelModule.values()) {
                Path image = cachedImage(directory, module, args[i]);
                compileWithNvcc(nvcc, module, args[i], NvccOutput.CUBIN, image);
                System.out.println(image);
            }
        }
    }

    private static String sourceHash(KernelModule module, String architecture) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (String part : List.of(KernelModule.headerSource(), module.source(), String.join(" ", FLAGS),
                    architecture)) {
                digest.update(part.getBytes(StandardCharsets.UTF_8));
                digest.update((byte) 0);
            }
            return HexFormat.of().formatHex(digest.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static void moveIntoPlace(Path temporary, Path target) throws IOException {
        try {
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
