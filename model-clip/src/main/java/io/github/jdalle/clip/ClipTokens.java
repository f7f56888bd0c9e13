package io.github.jdalle.clip;

import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.Tensor;

import java.util.Arrays;

/**
 * A batch of tokenized texts, every row the same length.
 *
 * @param inputIds      (B, L) I32 host tensor: {@code <|startoftext|>}, content ids, {@code <|endoftext|>}, padding
 * @param attentionMask (B, L) I32 host tensor: 1 from the start token to the end token, 0 on padding
 */
public record ClipTokens(Tensor inputIds, Tensor attentionMask) {
    public ClipTokens {
        if (inputIds.rank() != 2) {
            throw new JdalleException("input ids must be (texts, length), got " + inputIds);
        }
        attentionMask.requireShape("attention mask", inputIds.shape());
    }

    /** Number of texts. */
    public int count() {
        return inputIds.dim(0);
    }

    /** Tokens per text. */
    public int length() {
        return inputIds.dim(1);
    }

    /** The ids of text {@code row}. */
    public int[] ids(int row) {
        return inputIds.slice(row).toIntArray();
    }

    /** The first {@code columns} tokens of every text. */
    public ClipTokens firstColumns(int columns) {
        if (columns < 1 || columns > length()) {
            throw new JdalleException("cannot keep " + columns + " of " + length() + " tokens");
        }
        return new ClipTokens(leftColumns(inputIds, columns), leftColumns(attentionMask, columns));
    }

    private static Tensor leftColumns(Tensor rows, int columns) {
        int[] all = rows.toIntArray();
        int[] kept = new int[rows.dim(0) * columns];
        for (int r = 0; r < rows.dim(0); r++) {
            System.arraycopy(all, r * rows.dim(1), kept, r * columns, columns);
        }
        return Tensor.ofInts(kept, rows.dim(0), columns);
    }

    /**
     * The position each text is pooled at. The hub config's legacy {@code eos_token_id} 2 makes the Flax model
     * pool at the largest id (the first {@code <|endoftext|>}, the largest id of the vocabulary); any other
     * value pools at that id's first occurrence.
     */
    public int[] poolingPositions(int eosTokenId) {
        int[] positions = new int[count()];
        for (int b = 0; b < positions.length; b++) {
            int[] row = ids(b);
            int position = eosTokenId == 2 ? firstMaximum(row) : firstIndexOf(row, eosTokenId);
            if (position < 0) {
                throw new JdalleException("text " + b + " has no end token " + eosTokenId + ": " + Arrays.toString(row));
            }
            positions[b] = position;
        }
        return positions;
    }

    private static int firstMaximum(int[] row) {
        int best = 0;
        for (int t = 1; t < row.length; t++) {
            if (row[t] > row[best]) {
                best = t;
            }
        }
        return row.length == 0 ? -1 : best;
    }

    private static int firstIndexOf(int[] row, int id) {
        for (int t = 0; t < row.length; t++) {
            if (row[t] == id) {
                return t;
            }
        }
        return -1;
    }
}
