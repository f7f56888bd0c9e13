package io.github.jdalle.core.sampling;

import io.github.jdalle.core.JdalleException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Picks one token from a row of logits: super-conditioning mix, vocabulary limit, temperature, top-k, top-p,
 * then an inverse-CDF draw with one uniform from the image's {@link RandomStream}. Candidates are ordered by
 * descending logit, ties by ascending id, so the draw is deterministic for given logits and uniform, and a
 * GPU implementation following the same rule picks the same token. This is the host reference that every
 * backend's {@code sampleGuided} must match.
 *
 * <p>An instance keeps its buffers, so that drawing a token every decoder step allocates nothing once they have
 * grown; it is not thread-safe. The static methods are the same on a fresh instance.
 */
public final class Sampler {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private float[] guided = new float[0];
    private int[] heap = new int[0];
    private int[] order = new int[0];
    private double[] probability = new double[0];

    /** A sampler with empty buffers, grown by the first draw. */
    public Sampler() {
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
        return new Sampler().draw(MemorySegment.ofArray(cond), 0, uncond == null ? null : MemorySegment.ofArray(uncond),
                0, conditionScale, vocabLimit, settings, uniform);
    }

    /** Samples from already-guided logits (every entry is a candidate). */
    public static int sample(float[] logits, SamplingSettings settings, double uniform) {
        return new Sampler().draw(MemorySegment.ofArray(logits), 0, null, 0, 1f, logits.length, settings, uniform);
    }

    /**
     * As {@link #sample(float[], float[], float, int, SamplingSettings, double)}, with the F32 logits rows at byte
     * {@code condAt} of {@code cond} and {@code uncondAt} of {@code uncond} (null: no guidance), each at least
     * {@code vocabLimit} floats long.
     */
    public int draw(MemorySegment cond, long condAt, MemorySegment uncond, long uncondAt, float conditionScale,
                    int vocabLimit, SamplingSettings settings, double uniform) {
        if (guided.length < vocabLimit) {
            guided = new float[vocabLimit];
        }
        float[] logits = guided;
        for (int id = 0; id < vocabLimit; id++) {
            float c = cond.get(F32, condAt + 4L * id);
            if (uncond == null) {
                logits[id] = c;
            } else {
                float u = uncond.get(F32, uncondAt + 4L * id);
                logits[id] = u + conditionScale * (c - u);
            }
        }
        int vocab = vocabLimit;
        if (settings.isGreedy()) {
            return argmax(logits, vocab);
        }
        int keep = settings.topK() == 0 ? vocab : Math.min(settings.topK(), vocab);
        int[] order = top(logits, vocab, keep);
        float inverseTemperature = 1f / settings.temperature();
        float max = logits[order[0]] * inverseTemperature;
        if (probability.length < keep) {
            probability = new double[keep];
        }
        double[] probability = this.probability;
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

    /**
     * One token per image, as {@link #draw}: image i's F32 logits rows start at byte {@code i·rowBytes} of
     * {@code cond} and {@code uncond} (null: no guidance), and it takes one uniform from {@code streams[i]}.
     */
    public int[] drawRows(MemorySegment cond, MemorySegment uncond, long rowBytes, float conditionScale,
                          int vocabLimit, SamplingSettings settings, RandomStream[] streams) {
        int[] tokens = new int[streams.length];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = draw(cond, i * rowBytes, uncond, i * rowBytes, conditionScale, vocabLimit, settings,
                    streams[i].nextDouble());
        }
        return tokens;
    }

    /** Index of the largest value, the first one on ties; NaN never wins. */
    public static int argmax(float[] row) {
        return argmax(row, row.length);
    }

    private static int argmax(float[] row, int length) {
        int best = 0;
        for (int i = 1; i < length; i++) {
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
        return Arrays.copyOf(new Sampler().top(row, row.length, count), Math.min(count, row.length));
    }

    /** As {@link #topIndices} over the first {@code length} values, into this sampler's order buffer. */
    private int[] top(float[] row, int length, int count) {
        if (heap.length < count) {
            heap = new int[count];
            order = new int[count];
        }
        int[] heap = this.heap;
        int size = 0;
        for (int i = 0; i < length; i++) {
            if (size < count) {
                heap[size] = i;
                siftUp(heap, size++, row);
            } else if (ranksBefore(i, heap[0], row)) {
                heap[0] = i;
                siftDown(heap, size, row);
            }
        }
        // pop the weakest first to fill the result from the back
        for (int r = size - 1; r >= 0; r--) {
            order[r] = heap[0];
            heap[0] = heap[--size];
            siftDown(heap, size, row);
        }
        return order;
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
