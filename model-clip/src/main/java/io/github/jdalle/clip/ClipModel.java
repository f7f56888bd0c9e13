package io.github.jdalle.clip;

import io.github.jdalle.core.AttentionSpec;
import io.github.jdalle.core.Backend;
import io.github.jdalle.core.ConvSpec;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.RgbImage;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.WeightSource;
import io.github.jdalle.core.Weights;
import io.github.jdalle.core.Workspace;

import java.util.Arrays;
import java.util.List;

/**
 * CLIP (Radford et al. 2021) as Hugging Face's {@code FlaxCLIPModel} lays it out: a text transformer and a
 * vision transformer that project a prompt and a picture into one space, where the scaled cosine
 * similarity says how well they match. DALL·E Mini uses it to re-rank its samples.
 *
 * <p>Immutable and safe to share between threads: weights are loaded once, and every call takes its
 * activations from a fresh workspace of the backend.
 */
public final class ClipModel {
    private final ClipConfig config;
    private final Backend backend;
    private final ClipTokenizer tokenizer;
    private final ClipImageProcessor imageProcessor;

    // text tower
    private final Tensor tokenEmbedding;
    private final Tensor textPositionEmbedding;
    private final ClipEncoder textEncoder;
    private final Tensor finalNormScale;
    private final Tensor finalNormBias;
    private final Tensor textProjection;

    // vision tower
    private final Tensor patchKernel;
    private final Tensor classEmbedding;
    private final Tensor visionPositionEmbedding;
    private final Tensor preNormScale;
    private final Tensor preNormBias;
    private final ClipEncoder visionEncoder;
    private final Tensor postNormScale;
    private final Tensor postNormBias;
    private final Tensor visualProjection;

    /** {@code exp(logit_scale)}: the checkpoint stores the log of the similarity scale. */
    private final float logitScale;

    private ClipModel(ClipConfig config, Weights weights, ClipTokenizer tokenizer) {
        this.config = config;
        this.backend = weights.backend();
        this.tokenizer = tokenizer;
        this.imageProcessor = ClipImageProcessor.of(config.vision());
        int projection = config.projectionDim();

        ClipConfig.Text text = config.text();
        Weights textModel = weights.at("text_model");
        tokenEmbedding = textModel.get("embeddings/token_embedding/embedding", text.vocabSize(), text.hiddenSize());
        textPositionEmbedding = textModel.get("embeddings/position_embedding/embedding", text.maxPositions(),
                text.hiddenSize());
        textEncoder = ClipEncoder.load(textModel.at("encoder"), text.layers(), text.hiddenSize(),
                text.intermediateSize(), text.layerNormEps());
        finalNormScale = textModel.get("final_layer_norm/scale", text.hiddenSize());
        finalNormBias = textModel.get("final_layer_norm/bias", text.hiddenSize());
        textProjection = weights.get("text_projection/kernel", text.hiddenSize(), projection);

        ClipConfig.Vision vision = config.vision();
        Weights visionModel = weights.at("vision_model");
        int width = vision.hiddenSize();
        patchKernel = visionModel.get("embeddings/patch_embedding/kernel", vision.patchSize(), vision.patchSize(),
                3, width);
        // Viewed as a one-row table so that gather widens it to F32 whatever its storage dtype.
        classEmbedding = visionModel.get("embeddings/class_embedding", width).reshape(1, width);
        visionPositionEmbedding = visionModel.get("embeddings/position_embedding/embedding", vision.tokenCount(),
                width);
        preNormScale = visionModel.get("pre_layrnorm/scale", width);
        preNormBias = visionModel.get("pre_layrnorm/bias", width);
        visionEncoder = ClipEncoder.load(visionModel.at("encoder"), vision.layers(), width,
                vision.intermediateSize(), vision.layerNormEps());
        postNormScale = visionModel.get("post_layernorm/scale", width);
        postNormBias = visionModel.get("post_layernorm/bias", width);
        visualProjection = weights.get("visual_projection/kernel", width, projection);

        logitScale = (float) Math.exp(weights.host("logit_scale").getFloat(0));
    }

    /**
     * Loads a CLIP checkpoint: sizes from its {@code config.json}, the tokenizer from its {@code vocab.json}
     * and {@code merges.txt}, the weights onto {@code backend}.
     */
    public static ClipModel load(WeightSource source, Backend backend) {
        String json = source.config().orElseThrow(
                () -> new JdalleException(source.description() + ": no config.json for the CLIP model"));
        ClipConfig config = ClipConfig.parse(json, source.description());
        return new ClipModel(config, Weights.of(source, backend), ClipTokenizer.fromAssets(source));
    }

    /** Builds the model from {@code source}'s weights with the given sizes and tokenizer. */
    public static ClipModel load(ClipConfig config, WeightSource source, ClipTokenizer tokenizer, Backend backend) {
        return new ClipModel(config, Weights.of(source, backend), tokenizer);
    }

    /** The sizes this model was built with. */
    public ClipConfig config() {
        return config;
    }

    /** The tokenizer that {@link #rank} and the text tower use. */
    public ClipTokenizer tokenizer() {
        return tokenizer;
    }

    /** The resize, crop and normalization that turn a picture into the vision tower's input. */
    public ClipImageProcessor imageProcessor() {
        return imageProcessor;
    }

    /** {@code exp(logit_scale)}, the factor between cosine similarity and logit. */
    public float logitScale() {
        return logitScale;
    }

    /**
     * Scores every image against {@code prompt}: {@code exp(logit_scale)·cos(text, image)} in image order,
     * and the images sorted best first.
     */
    public Ranking rank(String prompt, List<RgbImage> images) {
        if (images.isEmpty()) {
            throw new JdalleException("nothing to rank: no images");
        }
        float[][] text = Similarity.l2Normalize(textFeatures(tokenizer.encode(List.of(prompt))));
        float[][] image = Similarity.l2Normalize(
                imageFeatures(imageProcessor.pixelValues(images, ClipImageProcessor.Layout.NHWC)));
        float[][] logitsPerImage = Similarity.scaledDotProducts(image, text, logitScale);
        float[] scores = new float[images.size()];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = logitsPerImage[i][0];
        }
        return Ranking.of(scores);
    }

    /** {@code logits_per_image} (images × texts) from unnormalized features, as CLIP's forward returns. */
    public float[][] logitsPerImage(float[][] imageFeatures, float[][] textFeatures) {
        return Similarity.scaledDotProducts(Similarity.l2Normalize(imageFeatures),
                Similarity.l2Normalize(textFeatures), logitScale);
    }

    // ---- text tower --------------------------------------------------------------------------------

    /**
     * The text tower: one {@code projection_dim} vector per row of {@code tokens}, before L2 normalization
     * (Hugging Face's {@code get_text_features}).
     */
    public float[][] textFeatures(ClipTokens tokens) {
        ClipConfig.Text text = config.text();
        if (tokens.length() > text.maxPositions()) {
            throw new JdalleException("token sequences of length " + tokens.length() + " exceed the text tower's "
                    + text.maxPositions() + " positions");
        }
        int batch = tokens.count();
        if (batch == 0) {
            throw new JdalleException("no texts to encode");
        }
        int[] endPositions = tokens.poolingPositions(text.eosTokenId());
        // Attention is causal: no token after the last pooled position can reach a pooled row, so the tower
        // stops there (for a short prompt a tenth of the 77 positions) and gives the same vectors.
        ClipTokens used = tokens.firstColumns(Arrays.stream(endPositions).max().orElseThrow() + 1);
        try (Workspace workspace = backend.workspace()) {
            Tensor ids = upload(workspace, used.inputIds());
            Tensor keyMask = upload(workspace, used.attentionMask());

            Tensor hidden = textEmbeddings(ids, workspace);                                  // (B, L, D)
            // Causal, as CLIP was trained; the padding mask cannot change rows up to the end token.
            AttentionSpec attention = AttentionSpec.of(text.heads(), headScale(text.hiddenSize(), text.heads()))
                    .causalMask().withKeyMask(keyMask);
            textEncoder.forward(hidden, attention, workspace);

            Tensor pooled = rowsAt(hidden, endPositions, workspace);                          // (B, D)
            // final_layer_norm is row-wise, so normalizing only the pooled rows gives the same vectors.
            backend.layerNorm(pooled, finalNormScale, finalNormBias, text.layerNormEps(), pooled);
            return project(pooled, textProjection, workspace);                               // (B, P)
        }
    }

    /** {@code token_embedding[ids] + position_embedding[0…L−1]}: (B, L) ids → (B, L, D). */
    private Tensor textEmbeddings(Tensor ids, Workspace workspace) {
        int batch = ids.dim(0);
        int length = ids.dim(1);
        Tensor hidden = workspace.f32(batch, length, tokenEmbedding.dim(1));
        backend.gather(tokenEmbedding, ids, hidden);
        backend.add(hidden, positionEmbeddings(textPositionEmbedding, batch, length, workspace), hidden);
        return hidden;
    }

    // ---- vision tower ------------------------------------------------------------------------------

    /**
     * The vision tower: one {@code projection_dim} vector per image of {@code pixelValues}, a host tensor
     * (B, S, S, 3) as {@link ClipImageProcessor} makes it in {@link ClipImageProcessor.Layout#NHWC}, before L2
     * normalization (Hugging Face's {@code get_image_features}).
     */
    public float[][] imageFeatures(Tensor pixelValues) {
        ClipConfig.Vision vision = config.vision();
        int size = vision.imageSize();
        int batch = pixelValues.dim(0);
        if (batch == 0) {
            throw new JdalleException("no images to encode");
        }
        pixelValues.requireShape("CLIP pixel values (B, H, W, 3)", batch, size, size, 3);
        int width = vision.hiddenSize();
        try (Workspace workspace = backend.workspace()) {
            Tensor pixels = upload(workspace, pixelValues);

            Tensor tokens = visionEmbeddings(pixels, workspace);                            // (B, 1+g², D)
            backend.layerNorm(tokens, preNormScale, preNormBias, vision.layerNormEps(), tokens);

            visionEncoder.forward(tokens, AttentionSpec.of(vision.heads(), headScale(width, vision.heads())),
                    workspace);

            Tensor pooled = rowsAt(tokens, new int[batch], workspace);       // the class token: (B, D)
            backend.layerNorm(pooled, postNormScale, postNormBias, vision.layerNormEps(), pooled);
            return project(pooled, visualProjection, workspace);                             // (B, P)
        }
    }

    /**
     * Patch embedding (a stride-{@code p} convolution without bias), the class embedding in front and the
     * position embedding added: (B, S, S, 3) pixels → (B, 1+g², D) tokens.
     */
    private Tensor visionEmbeddings(Tensor pixels, Workspace workspace) {
        ClipConfig.Vision vision = config.vision();
        int batch = pixels.dim(0);
        int grid = vision.gridSize();
        int width = vision.hiddenSize();
        Tensor patches = workspace.f32(batch, grid, grid, width);                           // (B, g, g, D)
        backend.conv2d(pixels, patchKernel, null, ConvSpec.patches(vision.patchSize()), patches);
        // Token 0 is the learned class embedding, tokens 1… the patches in row-major order.
        Tensor tokens = workspace.f32(batch, vision.tokenCount(), width);                  // (B, 1+g², D)
        Tensor classId = workspace.allocate(DType.I32, 1);
        for (int b = 0; b < batch; b++) {
            backend.gather(classEmbedding, classId, tokens.slice(b).narrow(0, 1));
            backend.copy(patches.slice(b), tokens.slice(b).narrow(1, grid * grid));
        }
        backend.add(tokens, positionEmbeddings(visionPositionEmbedding, batch, vision.tokenCount(), workspace),
                tokens);
        return tokens;
    }

    // ---- shared pieces -----------------------------------------------------------------------------

    /** Row {@code positions[b]} of every sequence b of {@code hidden} (B, T, D): (B, D). */
    private Tensor rowsAt(Tensor hidden, int[] positions, Workspace workspace) {
        Tensor rows = workspace.f32(hidden.dim(0), hidden.dim(2));
        for (int b = 0; b < positions.length; b++) {
            backend.copy(hidden.slice(b).narrow(positions[b], 1), rows.narrow(b, 1));
        }
        return rows;
    }

    /** Rows {@code 0…length−1} of {@code table} for every batch entry, widened to F32: (B, length, D). */
    private Tensor positionEmbeddings(Tensor table, int batch, int length, Workspace workspace) {
        int[] positionIds = new int[batch * length];
        Arrays.setAll(positionIds, i -> i % length);
        Tensor ids = upload(workspace, Tensor.ofInts(positionIds, batch, length));
        Tensor out = workspace.f32(batch, length, table.dim(1));
        backend.gather(table, ids, out);
        return out;
    }

    /** {@code pooled · kernel} (no bias), downloaded as one row per batch entry. */
    private float[][] project(Tensor pooled, Tensor kernel, Workspace workspace) {
        int batch = pooled.dim(0);
        int width = kernel.dim(1);
        Tensor projected = workspace.f32(batch, width);
        backend.matmul(pooled, kernel, null, projected);
        float[] values = backend.toFloatArray(projected);
        float[][] rows = new float[batch][];
        for (int b = 0; b < batch; b++) {
            rows[b] = Arrays.copyOfRange(values, b * width, (b + 1) * width);
        }
        return rows;
    }

    private Tensor upload(Workspace workspace, Tensor host) {
        Tensor device = workspace.allocate(host.dtype(), host.shape());
        backend.upload(host, device);
        return device;
    }

    /** Flax divides queries by √headDim before the dot product. */
    private static float headScale(int width, int heads) {
        return (float) (1.0 / Math.sqrt((double) width / heads));
    }
}
