package io.github.jdalle.dallebart;

import io.github.jdalle.core.JdalleException;

import java.util.Arrays;

/**
 * One tokenized prompt as the BART tokenizer gives it: {@code <s>} content {@code </s>}, right-padded with
 * the pad id 1 to the model's text length, and the attention mask (1 for real tokens, 0 for padding).
 *
 * @param ids  text token ids
 * @param mask 1 or 0 per id, same length
 */
public record PromptTokens(int[] ids, int[] mask) {
    /** Id of {@code <s>}. */
    public static final int BOS = 0;
    /** Id of {@code <pad>}. */
    public static final int PAD = 1;
    /** Id of {@code </s>}. */
    public static final int EOS = 2;

    public PromptTokens {
        if (ids.length != mask.length) {
            throw new JdalleException("prompt has " + ids.length + " token ids but a mask of length " + mask.length);
        }
        for (int position = 0; position < mask.length; position++) {
            if (mask[position] != 0 && mask[position] != 1) {
                throw new JdalleException("mask value " + mask[position] + " at position " + position
                        + " is neither 0 nor 1");
            }
        }
        if (Arrays.stream(mask).noneMatch(m -> m == 1)) {
            throw new JdalleException("prompt mask has no real token: at least <s> must be unmasked");
        }
        ids = ids.clone();
        mask = mask.clone();
    }

    /** The number of leading positions that hold the real tokens: one past the last 1 of the mask. */
    public int length() {
        for (int j = mask.length - 1; j >= 0; j--) {
            if (mask[j] != 0) {
                return j + 1;
            }
        }
        return 0;
    }

    /**
     * The unconditional input of super-conditioning: the tokenization of the empty string (not normalized),
     * {@code [0, 2, 1, …]} with mask {@code [1, 1, 0, …]} (spec §4.1).
     */
    public static PromptTokens unconditional(int length) {
        int[] ids = new int[length];
        int[] mask = new int[length];
        Arrays.fill(ids, PAD);
        ids[0] = BOS;
        ids[1] = EOS;
        mask[0] = 1;
        mask[1] = 1;
        return new PromptTokens(ids, mask);
    }

    @Override
    public int[] ids() {
        return ids.clone();
    }

    @Override
    public int[] mask() {
        return mask.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof PromptTokens that && Arrays.equals(ids, that.ids) && Arrays.equals(mask, that.mask);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(ids) + Arrays.hashCode(mask);
    }

    @Override
    public String toString() {
        return "PromptTokens" + Arrays.toString(ids);
    }
}
