package io.github.jdalle;

import io.github.jdalle.core.JdalleException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The documented fill rule of preview grids: repeat the token above, the latest token in the first row. */
class PreviewGridTest {
    @Test
    void firstRowRepeatsTheLatestTokenAndLaterRowsTheTokenAbove() {
        assertArrayEquals(new int[] {5, 6, 7, 7, 5, 6, 7, 7, 5, 6, 7, 7}, PreviewGrid.fill(new int[] {5, 6, 7}, 12, 4));
    }

    @Test
    void partialRowsContinueTheRowsAbove() {
        int[] known = {1, 2, 3, 4, 5, 6};
        assertArrayEquals(new int[] {1, 2, 3, 4, 5, 6, 3, 4, 5, 6, 3, 4}, PreviewGrid.fill(known, 12, 4));
    }

    @Test
    void aCompleteGridIsUnchanged() {
        int[] all = {9, 8, 7, 6};
        assertArrayEquals(all, PreviewGrid.fill(all, 4, 2));
    }

    @Test
    void rejectsGridsItCannotFill() {
        assertThrows(JdalleException.class, () -> PreviewGrid.fill(new int[0], 4, 2));
        assertThrows(JdalleException.class, () -> PreviewGrid.fill(new int[5], 4, 2));
        assertThrows(JdalleException.class, () -> PreviewGrid.fill(new int[1], 5, 2));
    }
}
