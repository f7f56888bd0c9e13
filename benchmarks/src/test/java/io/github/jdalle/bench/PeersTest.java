package io.github.jdalle.bench;

import io.github.jdalle.bench.peers.OpenBlas;
import io.github.jdalle.bench.peers.PlainJavaGemm;
import io.github.jdalle.core.Backend;
import io.github.jdalle.core.Backends;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.Workspace;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.github.jdalle.core.testing.Assertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The peers compute what jdalle computes: a benchmark that compares them compares the same product. */
class PeersTest {

    @ParameterizedTest(name = "{0}×{1}×{2}")
    @CsvSource({"1, 1024, 90", "2, 7, 2730", "33, 65, 17"})
    void openBlasAndPlainJavaAgreeWithTheBackend(int m, int k, int n) {
        try (Backend backend = Backends.cpu(2); Workspace workspace = backend.workspace()) {
            Tensor x = RandomTensors.uniform(workspace, DType.F32, 1, m, k);
            Tensor weight = RandomTensors.uniform(workspace, DType.F32, 2, k, n);
            Tensor jdalle = workspace.f32(m, n);
            Tensor blas = workspace.f32(m, n);
            backend.matmul(x, weight, null, jdalle);

            assertEquals(2, OpenBlas.useThreads(2));
            OpenBlas.Sgemm.of(x, weight, blas).run();
            float[] plain = new float[m * n];
            PlainJavaGemm.multiply(x.toFloatArray(), weight.toFloatArray(), plain, m, k, n);

            float[] expected = jdalle.toFloatArray();
            assertClose(expected, blas.toFloatArray(), 1e-4, 1e-4, "OpenBLAS sgemm");
            assertClose(expected, plain, 1e-4, 1e-4, "plain-Java GEMM");
        }
    }
}
