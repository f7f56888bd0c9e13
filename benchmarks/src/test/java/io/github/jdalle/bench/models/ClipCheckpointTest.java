package io.github.jdalle.bench.models;

import io.github.jdalle.clip.ClipConfig;
import io.github.jdalle.clip.ClipTokenizer;
import io.github.jdalle.core.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class ClipCheckpointTest {

    /** Spec clip.md §3: 151,277,313 parameters in 398 tensors. */
    @Test
    void hasTheReleasedParameterCount() {
        Map<String, int[]> shapes = ClipCheckpoint.parameterShapes(ClipConfig.vitBasePatch32());
        assertEquals(398, shapes.size());
        assertEquals(151_277_313L, shapes.values().stream().mapToLong(Tensor::elementCount).sum());
    }

    /** The given words are single tokens; any other text falls back to one token per byte. */
    @Test
    void wordTokenizerKnowsItsWordsAndSplitsTheRestIntoBytes() {
        ClipTokenizer tokenizer = ClipCheckpoint.wordTokenizer("an", "avocado", "an");
        assertEquals(4, tokenizer.encode(List.of("an avocado")).poolingPositions(2)[0] + 1);
        int[] ids = tokenizer.encode(List.of("ab c")).ids(0);
        assertArrayEquals(new int[] {49406, 'a', 256 + 'b', 256 + 'c', 49407}, Arrays.copyOf(ids, 5));
    }
}
