package io.github.jdalle.cuda;

import io.github.jdalle.core.JdalleException;
import io.github.jdalle.cuda.KernelCompiler.NvccOutput;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Compiles every kernel file with the nvcc on the PATH (skipped where there is none), so a syntax error in a
 * {@code .cu} file fails the build on machines without a GPU, and checks the Java side's view of each kernel's
 * parameters against the PTX nvcc emits.
 */
class NvccCompileTest {
    private static final Pattern ENTRY = Pattern.compile("\\.entry\\s+(\\w+)\\s*\\(([^)]*)\\)");
    private static final Pattern PARAMETER = Pattern.compile("\\.param\\s+\\.(\\w+)");

    private static Path nvcc;

    @BeforeAll
    static void findNvcc() {
        nvcc = KernelCompiler.findNvcc();
    }

    static Stream<Arguments> modulesAndArchitectures() {
        return Arrays.stream(KernelModule.values())
                .flatMap(module -> Stream.of("sm_80", "sm_90").map(arch -> Arguments.of(module, arch)));
    }

    @ParameterizedTest(name = "{0} for {1}")
    @MethodSource("modulesAndArchitectures")
    void compilesToCubin(KernelModule module, String architecture, @TempDir Path directory) throws IOException {
        assumeTrue(nvcc != null, "nvcc is not on the PATH");
        Path image = KernelCompiler.cachedImage(directory, module, architecture);
        KernelCompiler.compileWithNvcc(nvcc, module, architecture, NvccOutput.CUBIN, image);
        byte[] bytes = Files.readAllBytes(image);
        assertArrayEquals(new byte[] {0x7f, 'E', 'L', 'F'}, Arrays.copyOf(bytes, 4), module + " is not an ELF cubin");
    }

    @Test
    void everyKernelSignatureMatchesThePtx(@TempDir Path directory) throws IOException {
        assumeTrue(nvcc != null, "nvcc is not on the PATH");
        Map<String, String> ptxSignatures = new HashMap<>();
        for (KernelModule module : KernelModule.values()) {
            Path ptx = directory.resolve(module.fileName() + ".ptx");
            KernelCompiler.compileWithNvcc(nvcc, module, "sm_80", NvccOutput.PTX, ptx);
            Matcher entry = ENTRY.matcher(Files.readString(ptx));
            while (entry.find()) {
                StringBuilder kinds = new StringBuilder();
                Matcher parameter = PARAMETER.matcher(entry.group(2));
                while (parameter.find()) {
                    kinds.append(switch (parameter.group(1)) {
                        case "u64", "b64", "s64" -> "64";
                        case "u32", "b32", "s32" -> "I";
                        case "f32" -> "F";
                        default -> "?" + parameter.group(1);
                    }).append(',');
                }
                ptxSignatures.put(entry.group(1), module + ":" + kinds);
            }
        }
        for (Kernel kernel : Kernel.values()) {
            String declared = kernel.module() + ":" + kernel.parameters().chars()
                    .mapToObj(c -> c == 'P' || c == 'L' ? "64," : (char) c + ",").collect(Collectors.joining());
            assertEquals(ptxSignatures.get(kernel.function()), declared, "parameters of " + kernel.function());
        }
        TreeSet<String> undeclared = new TreeSet<>(ptxSignatures.keySet());
        Arrays.stream(Kernel.values()).map(Kernel::function).toList().forEach(undeclared::remove);
        assertTrue(undeclared.isEmpty(), "kernels without a Kernel entry: " + undeclared);
    }

    @Test
    void everyKernelFileIsAModule() throws IOException, URISyntaxException {
        var url = KernelModule.class.getResource("kernels/");
        assumeTrue(url != null && url.getProtocol().equals("file"), "kernel sources are not a directory here");
        try (Stream<Path> files = Files.list(Path.of(url.toURI()))) {
            TreeSet<String> sources = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".cu"))
                    .collect(Collectors.toCollection(TreeSet::new));
            TreeSet<String> modules = Arrays.stream(KernelModule.values()).map(KernelModule::fileName)
                    .collect(Collectors.toCollection(TreeSet::new));
            assertEquals(modules, sources);
        }
    }

    @Test
    void aPrefilledCacheNeedsNoNvrtc(@TempDir Path directory) throws IOException {
        assumeTrue(nvcc != null, "nvcc is not on the PATH");
        Path image = KernelCompiler.cachedImage(directory, KernelModule.NORM, "sm_90");
        KernelCompiler.compileWithNvcc(nvcc, KernelModule.NORM, "sm_90", NvccOutput.CUBIN, image);
        assertArrayEquals(Files.readAllBytes(image), KernelCompiler.image(directory, KernelModule.NORM, "sm_90"));
    }

    @Test
    void aCacheKeyChangesWithTheArchitecture(@TempDir Path directory) {
        assertTrue(!KernelCompiler.cachedImage(directory, KernelModule.NORM, "sm_80")
                .equals(KernelCompiler.cachedImage(directory, KernelModule.NORM, "sm_90")));
    }

    @Test
    void aCacheMissWithoutNvrtcSaysHowToFillTheCache(@TempDir Path directory) {
        assumeTrue(!nvrtcLoads(), "NVRTC is installed here, so a miss compiles");
        JdalleException e = assertThrows(JdalleException.class,
                () -> KernelCompiler.image(directory, KernelModule.NORM, "sm_90"));
        assertTrue(e.getMessage().contains("NVRTC") && e.getMessage().contains(KernelCompiler.class.getName()),
                e.getMessage());
    }

    private static boolean nvrtcLoads() {
        try {
            org.bytedeco.javacpp.Loader.load(org.bytedeco.cuda.global.nvrtc.class);
            return true;
        } catch (LinkageError e) {
            return false;
        }
    }
}
