package io.github.jdalle.dallebart;

import io.github.jdalle.core.Backend;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.Workspace;

/**
 * The per-call state of decoding a batch of sequences with {@link DalleBart#decodeStep}: the self-attention
 * KV cache, the cross-attention keys and values of each row's prompt (computed once), the text mask, the
 * scratch activations and the logits. It lives in the workspace it was made in and belongs to one thread.
 */
public final class DecoderState {
    private final int rows;
    private final Tensor keyCache;
    private final Tensor valueCache;
    private final Tensor crossKeys;
    private final Tensor crossValues;
    private final Tensor textMask;
    private final Tensor tokenIds;
    private final Tensor positionIds;
    // host copies of the two id vectors, filled in place each step and uploaded
    private final Tensor hostTokenIds;
    private final Tensor hostPositionIds;
    private final Activations activations;
    private final Tensor logits;
    // per-layer views, made once so that a step allocates none
    private final Tensor[] layerKeys;
    private final Tensor[] layerValues;
    private final Tensor[] layerCrossKeys;
    private final Tensor[] layerCrossValues;
    private int position;

    DecoderState(Workspace workspace, int rows, int layers, int imageLength, int textLength, int width, int ffnDim,
                 int vocab) {
        this.rows = rows;
        this.keyCache = workspace.f32(layers, rows, imageLength, width);
        this.valueCache = workspace.f32(layers, rows, imageLength, width);
        this.crossKeys = workspace.f32(layers, rows, textLength, width);
        this.crossValues = workspace.f32(layers, rows, textLength, width);
        this.textMask = workspace.allocate(DType.I32, rows, textLength);
        this.tokenIds = workspace.allocate(DType.I32, rows);
        this.positionIds = workspace.allocate(DType.I32, rows);
        this.hostTokenIds = Tensor.ofInts(new int[rows], rows);
        this.hostPositionIds = Tensor.ofInts(new int[rows], rows);
        this.activations = Activations.allocate(workspace, rows, 1, width, ffnDim);
        this.logits = workspace.f32(rows, vocab);
        this.layerKeys = new Tensor[layers];
        this.layerValues = new Tensor[layers];
        this.layerCrossKeys = new Tensor[layers];
        this.layerCrossValues = new Tensor[layers];
        for (int l = 0; l < layers; l++) {
            layerKeys[l] = keyCache.slice(l);
            layerValues[l] = valueCache.slice(l);
            layerCrossKeys[l] = crossKeys.slice(l);
            layerCrossValues[l] = crossValues.slice(l);
        }
    }

    /** Number of sequences decoded together. */
    public int rows() {
        return rows;
    }

    /** The position the next step writes: the number of steps taken so far. */
    public int position() {
        return position;
    }

    /** Self-attention keys (layers, rows, imageLength, D); slots at or after {@link #position()} are unused. */
    Tensor keyCache() {
        return keyCache;
    }

    Tensor valueCache() {
        return valueCache;
    }

    /** Layer l's self-attention keys (rows, imageLength, D). */
    Tensor keyCache(int layer) {
        return layerKeys[layer];
    }

    Tensor valueCache(int layer) {
        return layerValues[layer];
    }

    /** Layer l's cross-attention keys (rows, textLength, D). */
    Tensor crossKeys(int layer) {
        return layerCrossKeys[layer];
    }

    Tensor crossValues(int layer) {
        return layerCrossValues[layer];
    }

    /** Cross-attention keys (layers, rows, textLength, D) of each row's prompt. */
    Tensor crossKeys() {
        return crossKeys;
    }

    Tensor crossValues() {
        return crossValues;
    }

    /** (rows, textLength) I32: each row's text mask. */
    Tensor textMask() {
        return textMask;
    }

    Tensor tokenIds() {
        return tokenIds;
    }

    Tensor positionIds() {
        return positionIds;
    }

    /** Uploads this step's input: {@code tokens[row]} at the current position of every row. */
    void uploadStepInput(Backend backend, int[] tokens) {
        for (int row = 0; row < rows; row++) {
            hostTokenIds.setInt(row, tokens[row]);
            hostPositionIds.setInt(row, position);
        }
        backend.upload(hostTokenIds, tokenIds);
        backend.upload(hostPositionIds, positionIds);
    }

    Activations activations() {
        return activations;
    }

    /** The last step's logits (rows, imageVocabSize + 1). */
    public Tensor logits() {
        return logits;
    }

    void advance() {
        position++;
    }
}
