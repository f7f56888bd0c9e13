package io.github.jdalle.bench.peers;

import java.util.Arrays;

/**
 * The plain-Java baseline: {@code out = x·weight} over float arrays with the textbook triple loop in i-k-j
 * order, as a Java programmer writes it without the Vector API. C2 may auto-vectorize the innermost loop;
 * whatever it makes of it is the baseline.
 */
public final class PlainJavaGemm {
    private PlainJavaGemm() {
    }

    /** x (m, k), weight (k, n), out (m, n), row-major. */
    public static void multiply(float[] x, float[] weight, float[] out, int m, int k, int n) {
        for (int i = 0; i < m; i++) {
            int outRow = i * n;
            Arrays.fill(out, outRow, outRow + n, 0f);
            for (int p = 0; p < k; p++) {
                float xv = x[i * k + p];
                int weightRow = p * n;
                for (int j = 0; j < n; j++) {
                    out[outRow + j] += xv * weight[weightRow + j];
                }
            }
        }
    }
}
