package io.github.jdalle;

import io.github.jdalle.core.JdalleException;

/**
 * Completes a partly generated token grid so that it can be decoded as a preview. Tokens are generated in
 * row-major order, so the known ones are the top rows plus the start of one more row. Each unknown position
 * repeats the token above it, which continues the picture's last rows downward as vertical streaks instead
 * of inventing content; positions of the first row, which have nothing above them, repeat the latest token.
 */
final class PreviewGrid {
    private PreviewGrid() {
    }

    /**
     * The full {@code cells}-token grid of width {@code width} whose first {@code known.length} tokens are
     * {@code known} (at least one).
     */
    static int[] fill(int[] known, int cells, int width) {
        if (known.length == 0 || known.length > cells || cells % width != 0) {
            throw new JdalleException(known.length + " known tokens do not start a " + cells + "-token grid of width " + width);
        }
        int[] grid = new int[cells];
        System.arraycopy(known, 0, grid, 0, known.length);
        for (int position = known.length; position < cells; position++) {
            grid[position] = position >= width ? grid[position - width] : known[known.length - 1];
        }
        return grid;
    }
}
