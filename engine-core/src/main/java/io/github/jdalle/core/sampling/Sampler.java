package io.github.jdalle.core.sampling;

import io.github.jdalle.core.JdalleException;

/**
 * Picks one token from a row of logits: super-conditioning mix, vocabulary limit, temperature, top-k, top-p,
 * then an inverse-CDF draw with one uniform from the image's {@link RandomStream}. Candidates are ordered by
 * descending logit, ties by ascending id, so the draw is deterministic for given logits and uniform, and a
 * GPU implementation following the same rule picks the same token. This is the host reference that every
 * backend's {@code sampleGuided} must match.
 */
public final class Sampler {
    private Sampler() {
    }

    /**
     * Guided sample for one image.
     *
     * @param cond           conditional logits row, at least {@code vocabLimit} long
     * @param uncond         unconditional logits row, or null when the scale is 1 (no guidance)
     * @param conditionScale s in {@code uncond + s·(cond − uncond)}
     * @param vocabLimit     ids at or above this are never sampled
     * @param settings       temperature, top-k, top-p
     * @param uniform        a uniform number in [0, 1) from the image's stream
     * @return the chosen id in {@code [0, vocabLimit)}
     */
    public static int sample(float[] cond, float[] uncond, float conditionScale, int vocabLimit,
                             SamplingSettings settings, double uniform) {
        if (vocabLimit <= 0 || vocabLimit > cond.length || (uncond != null && vocabLimit > uncond.length)) {
            throw new JdalleException("vocabulary limit " + vocabLimit + " does not fit logits of length " + cond.length);
        }
        float[] logits = new float[vocabLimit];
        for (int id = 0; id < vocabLimit; id++) {
            logits[id] = uncond == null ? cond[id] : uncond[id] + conditionScale * (cond[id] - uncond[id]);
        }
        return sample(logits, settings, uniform);
    }

    /** Samples from already-guided logits (every entry is a candidate). */
    public static int sample(float[] logits, SamplingSettings settings, double uniform) {
        int vocab = logits.length;
        if (settings.isGreedy()) {
            return argmax(logits);
        }
        int keep = settings.topK() == 0 ? vocab : Math.min(settings.topK(), vocab);
        int[] order = topIndices(logits, keep);
        float inverseTemperature = 1f / settings.temperature();
        float max = logits[order[0]] * inverseTemperature;
        double[] probability = new double[keep];
        double total = 0;
        for (int r = 0; r < keep; r++) {
            probability[r] = Math.exp(logits[order[r]] * inverseTemperature - max);
            total += probability[r];
        }
        int kept = keep;
        if (settings.topP() < 1f) {
            // keep a token while the mass of the tokens ranked above it is below p; the top token always stays
            double above = 0;
            for (int r = 0; r < keep; r++) {
                if (r > 0 && above / total >= settings.topP()) {
                    kept = r;
                    break;
                }
                above += probability[r];
            }
            total = 0;
            for (int r = 0; r < kept; r++) {
                total += probability[r];
            }
        }
        double target = uniform * total;
        double cumulative = 0;
        for (int r = 0; r < kept; r++) {
            cumulative += probability[r];
            if (target < cumulative) {
                return order[r];
            }
        }
        return order[kept - 1];
    }

    /** Index of the largest value, the first one on ties; NaN never wins. */
    public static int argmax(float[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) {
            if (row[i] > row[best] || Float.isNaN(row[best])) {
                best = i;
            }
        }
        return best;
    }

    /**
     * The {@code count} indices of the largest values, ordered by descending value, ties by ascending index.
     * A bounded min-heap keeps this O(n log count).
     */
    public static int[] topIndices(float[] row, int count) {
        int[] heap = new int[count];
        int size = 0;
        for (int i = 0; i < row.length; i++) {
            if (size < count) {
                heap[size] = i;
                siftUp(heap, size++, row);
            } else if (ranksBefore(i, heap[0], row)) {
                heap[0] = i;
                siftDown(heap, size, row);
            }
        }
        // pop the weakest first to fill the result from the back
        int[] ordered = new int[size];
        for (int r = size - 1; r >= 0; r--) {
            ordered[r] = heap[0];
            heap[0] = heap[--size];
            siftDown(heap, size, row);
        }
        return ordered;
    }

    /** True when index a ranks before b: larger value, or equal value and smaller index. */
    private static boolean ranksBefore(int a, int b, float[] row) {
        return row[a] > row[b] || (row[a] == row[b] && a < b);
    }

    private static void siftUp(int[] heap, int at, float[] row) {
        while (at > 0) {
            int parent = (at - 1) / 2;
            if (!ranksBefore(heap[parent], heap[at], row)) {
                break;
            }
            swap(heap, parent, at);
            at = parent;
        }
    }

    private static void siftDown(int[] heap, int size, float[] row) {
        int at = 0;
        while (true) {
            int weakest = at;
            int left = 2 * at + 1;
            int right = left + 1;
            if (left < size && ranksBefore(heap[weakest], heap[left], row)) {
                weakest = left;
            }
            if (right < size && ranksBefore(heap[weakest], heap[right], row)) {
                weakest = right;
            }
            if (weakest == at) {
                return;
            }
            swap(heap, at, weakest);
            at = weakest;
        }
    }

    private static void swap(int[] heap, int i, int j) {
        int t = heap[i];
        heap[i] = heap[j];
        heap[j] = t;
    }
}
