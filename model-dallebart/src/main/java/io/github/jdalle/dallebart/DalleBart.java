package io.github.jdalle.dallebart;

import io.github.jdalle.core.Activation;
import io.github.jdalle.core.AttentionSpec;
import io.github.jdalle.core.Backend;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.WeightSource;
import io.github.jdalle.core.Weights;
import io.github.jdalle.core.Workspace;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The DalleBart text → image-token transformer of DALL·E Mini and Mega (spec {@code dallebart.md} §3): a
 * BART-style encoder over the 64 text tokens and a decoder that predicts the 256 image codes one at a time
 * with a KV cache. Both use NormFormer layer norms (a norm before and after every attention, some without
 * scale), a GLU feed-forward block with exact GELU, no biases, and an lm_head that is not tied to the
 * embedding.
 *
 * <p>A loaded model is immutable and may be shared between threads; everything a call writes lives in that
 * call's {@link Workspace} (the encoder's activations, a {@link DecoderState}). Weights are views of the
 * checkpoint in its stored dtype. {@link DalleBartGenerator} runs the sampling loop on top of this class.
 */
public final class DalleBart {
    /** A layer norm; a null scale means 1 (pre-norms are bias-only), a null bias means 0. */
    private record Norm(Tensor scale, Tensor bias) {
    }

    /**
     * An attention block with its NormFormer norms: input norm, the query, key and value projections (side by side,
     * as {@link Backend#matmulEach} takes them), the output projection, output norm.
     */
    private record AttentionBlock(Norm inputNorm, Tensor[] queryKeyValue, Tensor output, Norm outputNorm) {
        Tensor query() {
            return queryKeyValue[0];
        }

        Tensor key() {
            return queryKeyValue[1];
        }

        Tensor value() {
            return queryKeyValue[2];
        }
    }

    /** The gated feed-forward block: norm, GELU(x·W0) ⊙ x·W1 (W0 and W1 side by side), norm over F, projection W2. */
    private record Glu(Norm inputNorm, Tensor[] gateAndLinear, Norm hiddenNorm, Tensor down) {
    }

    private record EncoderLayer(AttentionBlock selfAttention, Glu glu) {
    }

    private record DecoderLayer(AttentionBlock selfAttention, AttentionBlock crossAttention, Glu glu) {
    }

    /** Token and learned absolute position embeddings, followed by {@code layernorm_embedding}. */
    private record Embedding(Tensor tokens, Tensor positions, Norm norm) {
    }

    private final DalleBartConfig config;
    private final Backend backend;
    private final Embedding encoderEmbedding;
    private final List<EncoderLayer> encoderLayers;
    private final Norm encoderFinalNorm;
    private final Embedding decoderEmbedding;
    private final List<DecoderLayer> decoderLayers;
    private final Norm decoderFinalNorm;
    private final Tensor lmHead;
    private final AttentionSpec encoderAttention;
    private final AttentionSpec decoderAttention;

    private DalleBart(DalleBartConfig config, Weights weights) {
        this.config = config;
        this.backend = weights.backend();
        int width = config.dModel();
        Weights encoder = weights.at("model/encoder");
        Weights decoder = weights.at("model/decoder");
        this.encoderEmbedding = embedding(encoder, config.encoderVocabSize(), config.maxTextLength(), width);
        this.decoderEmbedding = embedding(decoder, config.decoderVocabSize(), config.imageLength(), width);
        this.encoderFinalNorm = norm(encoder, "final_ln", width);
        this.decoderFinalNorm = norm(decoder, "final_ln", width);
        this.lmHead = weights.get("lm_head/kernel", width, config.decoderVocabSize());

        ScannedLayers encoderStack = new ScannedLayers(encoder.at("layers/FlaxBartEncoderLayers"), config.encoderLayers());
        this.encoderLayers = IntStream.range(0, config.encoderLayers()).mapToObj(l -> new EncoderLayer(
                encoderStack.attention(l, "FlaxBartAttention_0", "LayerNorm_0", "LayerNorm_1", width),
                encoderStack.glu(l, width, config.encoderFfnDim()))).toList();
        ScannedLayers decoderStack = new ScannedLayers(decoder.at("layers/FlaxBartDecoderLayers"), config.decoderLayers());
        this.decoderLayers = IntStream.range(0, config.decoderLayers()).mapToObj(l -> new DecoderLayer(
                decoderStack.attention(l, "FlaxBartAttention_0", "LayerNorm_0", "LayerNorm_1", width),
                decoderStack.attention(l, "FlaxBartAttention_1", "LayerNorm_2", "LayerNorm_3", width),
                decoderStack.glu(l, width, config.decoderFfnDim()))).toList();

        // scores are q·k/√headDim (1/8 in the released models)
        this.encoderAttention = AttentionSpec.of(config.encoderHeads(),
                (float) (1 / Math.sqrt(width / config.encoderHeads())));
        this.decoderAttention = AttentionSpec.of(config.decoderHeads(),
                (float) (1 / Math.sqrt(width / config.decoderHeads())));
    }

    /**
     * Loads the model from a checkpoint in the upstream Flax layout (spec §2.2, scanned layers), reading the
     * sizes from the source's {@code config.json}. Missing or mis-shaped tensors are errors naming the path.
     */
    public static DalleBart load(WeightSource source, Backend backend) {
        String json = source.config().orElseThrow(() ->
                new JdalleException(source.description() + ": the checkpoint carries no config.json"));
        return new DalleBart(DalleBartConfig.fromJson(json, source.description()), Weights.of(source, backend));
    }

    /** The sizes and ids this model was loaded with. */
    public DalleBartConfig config() {
        return config;
    }

    /** The backend the weights live on and every op runs on. */
    public Backend backend() {
        return backend;
    }

    // ---- encoder (spec §3.3) -----------------------------------------------------------------------

    /**
     * Runs the encoder over a batch of tokenized prompts. Upstream runs all maxTextLength positions, padding
     * included; a caller may pass only the leading positions that hold every prompt's real tokens (as generation
     * does): their states are bit for bit the same, because no real token attends to padding and every row (and
     * head) is computed on its own, and padding states only ever meet the decoder as masked keys. A 12-token prompt
     * and the unconditional one then cost a fifth of the 64-position pass.
     *
     * @param workspace where the activations and the result are allocated
     * @param ids       (prompts, T) I32 text ids on this model's backend, T ≤ maxTextLength
     * @param textMask  (prompts, T) I32, 1 for real tokens, 0 for padding
     * @return the final encoder states (prompts, T, D), padded positions included
     */
    public Tensor encode(Workspace workspace, Tensor ids, Tensor textMask) {
        int prompts = ids.dim(0);
        int length = textLength("text ids", ids);
        textMask.requireShape("text mask", prompts, length);
        Activations x = Activations.allocate(workspace, prompts, length, config.dModel(), config.encoderFfnDim());
        // every row uses positions 0, 1, …, pads included
        Tensor positionIds = uploadIds(workspace,
                IntStream.range(0, prompts * length).map(i -> i % length).toArray(), prompts, length);

        embed(encoderEmbedding, ids, positionIds, x);
        for (EncoderLayer layer : encoderLayers) {
            encoderLayer(layer, textMask, x);
        }
        layerNorm(x.hidden(), encoderFinalNorm, x.hidden());
        return x.hidden();                                                     // (prompts, T, D)
    }

    /** T of (prompts, T) text ids or mask ({@code role}): at least 1 and at most the model's text length. */
    private int textLength(String role, Tensor text) {
        if (text.rank() != 2 || text.dim(1) < 1 || text.dim(1) > config.maxTextLength()) {
            throw new JdalleException(role + " " + text + " is not (prompts, T) with 1 ≤ T ≤ " + config.maxTextLength());
        }
        return text.dim(1);
    }

    private void encoderLayer(EncoderLayer layer, Tensor textMask, Activations x) {
        selfAttention(layer.selfAttention(), textMask, x);
        glu(layer.glu(), x);
    }

    /** Encoder self-attention: every position attends to every real text token (no causal mask). */
    private void selfAttention(AttentionBlock block, Tensor textMask, Activations x) {
        projectQueryKeyValue(block, x);
        backend.attention(x.query(), x.key(), x.value(), encoderAttention.withKeyMask(textMask), x.attended());
        addAttentionOutput(block, x);
    }

    // ---- decoder, one step with a KV cache (spec §3.4) ---------------------------------------------

    /**
     * Prepares decoding of {@code promptOfRow.length} sequences: allocates the self-attention KV caches and
     * computes the cross-attention keys and values of each encoded prompt once, copying them to every row
     * that uses that prompt.
     *
     * @param workspace     where the decoder state lives; it stays valid until the workspace is closed
     * @param encoderStates (prompts, T, D) from {@link #encode}
     * @param textMask      (prompts, T) I32, the mask the prompts were encoded with
     * @param promptOfRow   for each decoder row, the index of its prompt in {@code encoderStates}
     */
    public DecoderState startDecoding(Workspace workspace, Tensor encoderStates, Tensor textMask, int[] promptOfRow) {
        int prompts = encoderStates.dim(0);
        int length = textLength("text mask", textMask);
        int width = config.dModel();
        int layers = config.decoderLayers();
        int rows = promptOfRow.length;
        encoderStates.requireShape("encoder states", prompts, length, width);
        textMask.requireShape("text mask", prompts, length);
        if (rows == 0) {
            throw new JdalleException("decoding needs at least one row");
        }
        for (int row = 0; row < rows; row++) {
            if (promptOfRow[row] < 0 || promptOfRow[row] >= prompts) {
                throw new JdalleException("decoder row " + row + " refers to prompt " + promptOfRow[row]
                        + " but only " + prompts + " were encoded");
            }
        }
        DecoderState state = new DecoderState(workspace, rows, layers, config.imageLength(), length, width,
                config.decoderFfnDim(), config.decoderVocabSize());
        try (Workspace perPrompt = backend.workspace()) {
            Tensor promptKeys = perPrompt.f32(prompts, length, width);
            Tensor promptValues = perPrompt.f32(prompts, length, width);
            for (int l = 0; l < layers; l++) {
                AttentionBlock cross = decoderLayers.get(l).crossAttention();
                backend.matmul(encoderStates, cross.key(), null, promptKeys);     // (prompts, T, D)
                backend.matmul(encoderStates, cross.value(), null, promptValues);
                for (int row = 0; row < rows; row++) {
                    backend.copy(promptKeys.slice(promptOfRow[row]), state.crossKeys().slice(l).slice(row));
                    backend.copy(promptValues.slice(promptOfRow[row]), state.crossValues().slice(l).slice(row));
                }
            }
        }
        for (int row = 0; row < rows; row++) {
            backend.copy(textMask.slice(promptOfRow[row]), state.textMask().slice(row));
        }
        return state;
    }

    /**
     * One decoder step for every row of {@code state}: feeds {@code previousTokens[row]} at the state's next
     * position (0 for the first step) and returns the lm_head logits (rows, imageVocabSize + 1), valid until
     * the next step.
     */
    public Tensor decodeStep(DecoderState state, int[] previousTokens) {
        int rows = state.rows();
        int position = state.position();
        if (previousTokens.length != rows) {
            throw new JdalleException(previousTokens.length + " tokens for " + rows + " decoder rows");
        }
        if (position >= config.imageLength()) {
            throw new JdalleException("the decoder has only " + config.imageLength() + " positions");
        }
        Activations x = state.activations();
        state.uploadStepInput(backend, previousTokens);

        embed(decoderEmbedding, state.tokenIds(), state.positionIds(), x);        // (rows, 1, D)
        AttentionSpec causal = decoderAttention.overFirstKeys(position + 1);
        AttentionSpec text = decoderAttention.withKeyMask(state.textMask());
        for (int l = 0; l < decoderLayers.size(); l++) {
            DecoderLayer layer = decoderLayers.get(l);
            cachedSelfAttention(layer.selfAttention(), state.keyCache(l), state.valueCache(l), position, causal, x);
            crossAttention(layer.crossAttention(), state.crossKeys(l), state.crossValues(l), text, x);
            glu(layer.glu(), x);
        }
        layerNorm(x.hidden(), decoderFinalNorm, x.hidden());
        backend.matmul(x.hidden(), lmHead, null, state.logits());               // (rows, V + 1)
        state.advance();
        return state.logits();
    }

    /**
     * Causal self-attention of one step: this step's key and value go to cache slot t, then q attends to 0…t
     * ({@code causal} covers the first t + 1 keys).
     */
    private void cachedSelfAttention(AttentionBlock block, Tensor keyCache, Tensor valueCache, int position,
                                     AttentionSpec causal, Activations x) {
        projectQueryKeyValue(block, x);
        backend.writeSlot(x.key(), keyCache, position);                          // cache (rows, S, D)
        backend.writeSlot(x.value(), valueCache, position);
        backend.attention(x.query(), keyCache, valueCache, causal, x.attended());
        addAttentionOutput(block, x);
    }

    /**
     * Cross-attention over the encoder output ({@code text} masks each row's padding); its keys and values were
     * computed once by {@link #startDecoding}.
     */
    private void crossAttention(AttentionBlock block, Tensor keys, Tensor values, AttentionSpec text, Activations x) {
        layerNorm(x.hidden(), block.inputNorm(), x.normed());
        backend.matmul(x.normed(), block.query(), null, x.query());
        backend.attention(x.query(), keys, values, text, x.attended());
        addAttentionOutput(block, x);
    }

    // ---- blocks shared by encoder and decoder ------------------------------------------------------

    private void embed(Embedding embedding, Tensor ids, Tensor positionIds, Activations x) {
        backend.gather(embedding.tokens(), ids, x.hidden());                     // (…, D)
        backend.gather(embedding.positions(), positionIds, x.normed());
        backend.add(x.hidden(), x.normed(), x.hidden());
        layerNorm(x.hidden(), embedding.norm(), x.hidden());
    }

    /** The pre-attention norm (bias only), then the query, key and value projections of the normed input. */
    private void projectQueryKeyValue(AttentionBlock block, Activations x) {
        layerNorm(x.hidden(), block.inputNorm(), x.normed());
        backend.matmulEach(x.normed(), block.queryKeyValue(), x.queryKeyValue());
    }

    /** NormFormer: the attention output is projected, normalized once more, and added to the residual stream. */
    private void addAttentionOutput(AttentionBlock block, Activations x) {
        backend.matmul(x.attended(), block.output(), null, x.projected());
        layerNorm(x.projected(), block.outputNorm(), x.projected());
        backend.add(x.hidden(), x.projected(), x.hidden());
    }

    /** {@code h += LN_F(GELU(g·W0) ⊙ g·W1)·W2} with {@code g = LN(h)}; both norms bias-only. */
    private void glu(Glu glu, Activations x) {
        layerNorm(x.hidden(), glu.inputNorm(), x.normed());
        backend.matmulEach(x.normed(), glu.gateAndLinear(), x.gateAndLinear());  // (…, F) each
        backend.activate(Activation.GELU, x.gate(), x.gate());
        backend.mul(x.gate(), x.linear(), x.gate());
        layerNorm(x.gate(), glu.hiddenNorm(), x.gate());
        backend.matmul(x.gate(), glu.down(), null, x.projected());               // (…, D)
        backend.add(x.hidden(), x.projected(), x.hidden());
    }

    private void layerNorm(Tensor input, Norm norm, Tensor out) {
        backend.layerNorm(input, norm.scale(), norm.bias(), DalleBartConfig.LAYER_NORM_EPSILON, out);
    }

    private Tensor uploadIds(Workspace workspace, int[] ids, int... shape) {
        Tensor onBackend = workspace.allocate(DType.I32, shape);
        backend.upload(Tensor.ofInts(ids, shape), onBackend);
        return onBackend;
    }

    // ---- loading -----------------------------------------------------------------------------------

    private static Embedding embedding(Weights weights, int vocab, int positions, int width) {
        return new Embedding(weights.get("embed_tokens/embedding", vocab, width),
                weights.get("embed_positions/embedding", positions, width),
                norm(weights, "layernorm_embedding", width));
    }

    private static Norm norm(Weights weights, String name, int width) {
        Weights at = weights.at(name);
        return new Norm(at.getOptional("scale", width), at.getOptional("bias", width));
    }

    /**
     * The scanned layer collection ({@code FlaxBartEncoderLayers}, {@code FlaxBartDecoderLayers}): every
     * tensor carries a leading layer axis; it is loaded once and layer l is its slice l (a view).
     */
    private static final class ScannedLayers {
        private final Weights weights;
        private final int layers;
        private final Map<String, Tensor> stacks = new HashMap<>();

        ScannedLayers(Weights weights, int layers) {
            this.weights = weights;
            this.layers = layers;
        }

        AttentionBlock attention(int layer, String attention, String inputNorm, String outputNorm, int width) {
            return new AttentionBlock(norm(layer, inputNorm, width), new Tensor[] {
                    tensor(layer, attention + "/q_proj/kernel", width, width),
                    tensor(layer, attention + "/k_proj/kernel", width, width),
                    tensor(layer, attention + "/v_proj/kernel", width, width)},
                    tensor(layer, attention + "/out_proj/kernel", width, width),
                    norm(layer, outputNorm, width));
        }

        Glu glu(int layer, int width, int ffnDim) {
            return new Glu(norm(layer, "GLU_0/LayerNorm_0", width), new Tensor[] {
                    tensor(layer, "GLU_0/Dense_0/kernel", width, ffnDim),
                    tensor(layer, "GLU_0/Dense_1/kernel", width, ffnDim)},
                    norm(layer, "GLU_0/LayerNorm_1", ffnDim),
                    tensor(layer, "GLU_0/Dense_2/kernel", ffnDim, width));
        }

        private Norm norm(int layer, String name, int width) {
            return new Norm(optional(layer, name + "/scale", width), optional(layer, name + "/bias", width));
        }

        private Tensor optional(int layer, String name, int... shape) {
            return weights.has(name) ? tensor(layer, name, shape) : null;
        }

        private Tensor tensor(int layer, String name, int... shape) {
            int[] stacked = IntStream.concat(IntStream.of(layers), IntStream.of(shape)).toArray();
            return stacks.computeIfAbsent(name, n -> weights.get(n, stacked)).slice(layer);
        }
    }
}
