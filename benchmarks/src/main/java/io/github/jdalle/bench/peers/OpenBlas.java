package io.github.jdalle.bench.peers;

import io.github.jdalle.core.DType;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.Tensor;
import org.bytedeco.javacpp.FloatPointer;

import java.nio.ByteOrder;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_sgemm;
import static org.bytedeco.openblas.global.openblas_nolapack.blas_get_num_threads;
import static org.bytedeco.openblas.global.openblas_nolapack.blas_set_num_threads;

/**
 * The OpenBLAS peer: {@code cblas_sgemm} through JavaCPP on the very off-heap F32 tensors that the jdalle
 * kernels read, so both see the same data and layout.
 */
public final class OpenBlas {
    private OpenBlas() {
    }

    /** Sets OpenBLAS's worker count (a process-wide setting) and returns the count it reports back. */
    public static int useThreads(int threads) {
        blas_set_num_threads(threads);
        return blas_get_num_threads();
    }

    /** A prepared row-major {@code out = x·weight} (no bias) over F32 host tensors. */
    public record Sgemm(FloatPointer x, FloatPointer weight, FloatPointer out, int m, int k, int n) {

        /** x (…, K), weight (K, N), out (…, N), all F32 host tensors. */
        public static Sgemm of(Tensor x, Tensor weight, Tensor out) {
            int k = x.columns();
            int n = weight.dim(1);
            if (weight.dim(0) != k || out.columns() != n || out.rows() != x.rows()) {
                throw new JdalleException("sgemm: x " + x + ", weight " + weight + " and out " + out + " do not fit");
            }
            return new Sgemm(pointer(x), pointer(weight), pointer(out), x.rows(), k, n);
        }

        /** Runs the multiplication. */
        public void run() {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1f, x, k, weight, n, 0f, out, n);
        }
    }

    private static FloatPointer pointer(Tensor tensor) {
        if (tensor.dtype() != DType.F32 || !tensor.isHost()) {
            throw new JdalleException("OpenBLAS SGEMM needs F32 host tensors, got " + tensor);
        }
        return new FloatPointer(tensor.segment().asByteBuffer().order(ByteOrder.nativeOrder()).asFloatBuffer());
    }
}
