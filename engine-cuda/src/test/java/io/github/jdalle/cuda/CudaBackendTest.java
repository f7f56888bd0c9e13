package io.github.jdalle.cuda;

import io.github.jdalle.core.Backend;
import io.github.jdalle.core.BackendProvider;
import io.github.jdalle.core.Backends;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.Workspace;
import io.github.jdalle.core.cpu.CpuBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.ServiceLoader;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The CUDA backend against its CPU twin, op by op ({@link KernelCheck}'s cases), on machines with a GPU; on
 * others only that the backend reports itself unavailable, with a reason, instead of failing.
 */
class CudaBackendTest {
    private static CpuBackend cpu;
    private static CudaBackend gpu;

    @Test
    void theProviderExplainsWhetherCudaCanRun() {
        BackendProvider provider = ServiceLoader.load(BackendProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals("cuda")).findFirst().orElseThrow();
        String reason = provider.unavailableReason();
        if (reason == null) {
            try (Backend backend = Backends.create("cuda", 0)) {
                assertTrue(backend.name().startsWith("cuda ("), backend.name());
            }
        } else {
            assertFalse(reason.isBlank());
            JdalleException e = assertThrows(JdalleException.class, () -> Backends.create("cuda", 0));
            assertTrue(e.getMessage().contains(reason), e.getMessage());
        }
    }

    @TestFactory
    Stream<DynamicTest> everyKernelMatchesItsCpuTwin() {
        String reason = CudaDriver.unavailableReason();
        assumeTrue(reason == null, "CUDA is not available: " + reason);
        cpu = new CpuBackend(0);
        gpu = new CudaBackend();
        return new KernelCheck(cpu, gpu, 7).cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            KernelCheck.Result result = c.run();
            assertTrue(result.passed(), result.toString());
        }));
    }

    @Test
    void aHostTensorIsRefusedWithAMessage() {
        String reason = CudaDriver.unavailableReason();
        assumeTrue(reason == null, "CUDA is not available: " + reason);
        try (CudaBackend backend = new CudaBackend(); Workspace ws = backend.workspace()) {
            Tensor x = ws.f32(2, 3);
            Tensor hostWeight = Tensor.ofFloats(new float[6], 3, 2);
            JdalleException e = assertThrows(JdalleException.class, () -> backend.matmul(x, hostWeight, null, ws.f32(2, 2)));
            assertTrue(e.getMessage().contains("load()"), e.getMessage());
            assertThrows(JdalleException.class, () -> backend.gather(ws.f32(4, 2), ws.allocate(DType.F32, 3), ws.f32(3, 2)));
        }
    }

    @AfterAll
    static void closeBackends() {
        if (gpu != null) {
            gpu.close();
        }
        if (cpu != null) {
            cpu.close();
        }
    }
}
