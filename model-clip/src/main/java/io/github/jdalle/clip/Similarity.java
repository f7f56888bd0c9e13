package io.github.jdalle.clip;

import io.github.jdalle.core.JdalleException;

/**
 * The last step of CLIP on the host: L2-normalized embeddings and their scaled cosine similarities. The
 * inputs are a few vectors of {@code projection_dim} floats already downloaded from the backend, so this
 * needs no kernels.
 */
public final class Similarity {
    private Similarity() {
    }

    /** Each row divided by its Euclidean norm (no epsilon, as CLIP). */
    public static float[][] l2Normalize(float[][] rows) {
        float[][] out = new float[rows.length][];
        for (int r = 0; r < rows.length; r++) {
            double squares = 0;
            for (float v : rows[r]) {
                squares += (double) v * v;
            }
            float norm = (float) Math.sqrt(squares);
            out[r] = new float[rows[r].length];
            for (int c = 0; c < rows[r].length; c++) {
                out[r][c] = rows[r][c] / norm;
            }
        }
        return out;
    }

    /**
     * {@code scale · a_i·b_j} for every pair: (rows of a) × (rows of b). With normalized rows this is CLIP's
     * {@code logits_per_image} (a = images, b = texts) or {@code logits_per_text} (the other way round).
     */
    public static float[][] scaledDotProducts(float[][] a, float[][] b, float scale) {
        float[][] out = new float[a.length][b.length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < b.length; j++) {
                if (a[i].length != b[j].length) {
                    throw new JdalleException("embedding widths differ: " + a[i].length
                            + " and " + b[j].length);
                }
                double dot = 0;
                for (int c = 0; c < a[i].length; c++) {
                    dot += (double) a[i][c] * b[j][c];
                }
                out[i][j] = (float) (scale * dot);
            }
        }
        return out;
    }
}
