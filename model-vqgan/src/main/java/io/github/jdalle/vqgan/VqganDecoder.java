package io.github.jdalle.vqgan;

import io.github.jdalle.core.Backend;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.RgbImage;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.WeightSource;
import io.github.jdalle.core.Weights;
import io.github.jdalle.core.Workspace;

import java.util.ArrayList;
import java.util.List;

/**
 * The VQGAN decoder (spec §5): a grid of image tokens → codebook vectors → post_quant_conv → conv_in → mid
 * block → the up levels from the lowest resolution to the highest → GroupNorm, swish, conv_out → RGB.
 *
 * <p>The output is treated as RGB in [0, 1] (DALL·E Mini's convention, spec §9). The network is convolutional
 * apart from attention, so any {@code h × w} token grid decodes to a {@code 16h × 16w} picture. Computation
 * is F32 whatever the weights' dtype. A decoder is immutable and may be shared between threads; each call
 * takes its activation memory from a fresh workspace of the backend and frees it before returning.
 */
public final class VqganDecoder {
    private final VqganConfig config;
    private final Backend backend;
    private final Blocks blocks;
    private final Tensor codebook;
    private final Blocks.Conv postQuantConv;
    private final Blocks.Conv convIn;
    private final Blocks.Mid mid;
    private final List<Blocks.Level> up;  // up.get(i) is level i (stored ascending, run from the top down)
    private final Blocks.Norm normOut;
    private final Blocks.Conv convOut;

    /** Loads the decoder side ({@code quantize}, {@code post_quant_conv}, {@code decoder}) of {@code weights}. */
    public VqganDecoder(VqganConfig config, Weights weights) {
        this.config = config;
        this.backend = weights.backend();
        this.blocks = new Blocks(backend);
        int top = config.levels() - 1;
        this.codebook = weights.get("quantize/embedding/embedding", config.codebookSize(), config.codeWidth());
        this.postQuantConv = Blocks.Conv.load(weights.at("post_quant_conv"), 1, config.codeWidth(), config.latentChannels());
        Weights decoder = weights.at("decoder");
        this.convIn = Blocks.Conv.load(decoder.at("conv_in"), 3, config.latentChannels(), config.channels(top));
        this.mid = Blocks.Mid.load(decoder.at("mid"), config.channels(top));
        List<Blocks.Level> levels = new ArrayList<>();
        for (int level = 0; level <= top; level++) {
            int in = config.channels(Math.min(level + 1, top));  // the width the level above hands down
            levels.add(Blocks.Level.load(decoder.at("up_" + level), config.resBlocks() + 1, in, config.channels(level),
                    config.hasAttention(level), level > 0 ? "upsample" : null));
        }
        this.up = List.copyOf(levels);
        this.normOut = Blocks.Norm.load(decoder.at("norm_out"), config.channels(0));
        this.convOut = Blocks.Conv.load(decoder.at("conv_out"), 3, config.channels(0), config.imageChannels());
    }

    /** The decoder of a checkpoint, with the sizes its {@code config.json} gives. */
    public static VqganDecoder load(WeightSource source, Backend backend) {
        return new VqganDecoder(VqganConfig.of(source), Weights.of(source, backend));
    }

    /** The configuration this decoder was built with. */
    public VqganConfig config() {
        return config;
    }

    /** Decodes a square grid of {@code n²} tokens (256 for DALL·E Mini) to a picture. */
    public RgbImage decode(int[] tokens) {
        int side = (int) Math.round(Math.sqrt(tokens.length));
        if (side * side != tokens.length) {
            throw new JdalleException(tokens.length + " image tokens do not form a square grid; give its height and width");
        }
        return decode(tokens, side, side);
    }

    /** Decodes a {@code gridHeight × gridWidth} row-major token grid to bytes by clamping to [0, 1], ×255, truncating. */
    public RgbImage decode(int[] tokens, int gridHeight, int gridWidth) {
        float[] rgb = decodeToFloats(tokens, gridHeight, gridWidth);
        return Images.fromUnitFloats(gridHeight * config.downsamplingFactor(), gridWidth * config.downsamplingFactor(), rgb);
    }

    /**
     * The decoder output for a {@code gridHeight × gridWidth} row-major token grid before clamping: (H, W, 3)
     * floats, H = 16·gridHeight, nominally in [0, 1]. Token t sits at row t / gridWidth, column t % gridWidth.
     */
    public float[] decodeToFloats(int[] tokens, int gridHeight, int gridWidth) {
        checkTokens(tokens, gridHeight, gridWidth);
        try (Workspace workspace = backend.workspace()) {
            var buffers = new ActivationBuffers(workspace, config.largestActivation(gridHeight, gridWidth));
            Tensor ids = workspace.allocate(DType.I32, 1, gridHeight, gridWidth);
            backend.upload(Tensor.ofInts(tokens, 1, gridHeight, gridWidth), ids);
            return backend.toFloatArray(forward(ids, buffers));
        }
    }

    /** ids (1, h, w) → RGB (1, 16h, 16w, 3). */
    private Tensor forward(Tensor ids, ActivationBuffers buffers) {
        Tensor codes = buffers.take(1, ids.dim(1), ids.dim(2), config.codeWidth());
        backend.gather(codebook, ids, codes);                                // (1, h, w, embed_dim)
        Tensor z = blocks.convolve(codes, postQuantConv, Blocks.POINTWISE, buffers);  // (1, h, w, z_channels)
        buffers.release(codes);
        Tensor x = blocks.convolve(z, convIn, Blocks.SAME_3X3, buffers);     // (1, h, w, ch·ch_mult[top])
        buffers.release(z);
        x = blocks.midBlock(x, mid, buffers);
        for (int level = config.levels() - 1; level >= 0; level--) {
            Blocks.Level upLevel = up.get(level);
            x = blocks.levelBlocks(x, upLevel, buffers);                     // width ch·ch_mult[level]
            if (upLevel.resample() != null) {
                x = blocks.upsample(x, upLevel.resample(), buffers);         // resolution ×2
            }
        }
        blocks.normSwish(x, normOut, x);
        Tensor rgb = blocks.convolve(x, convOut, Blocks.SAME_3X3, buffers);  // (1, 16h, 16w, 3)
        buffers.release(x);
        return rgb;
    }

    private void checkTokens(int[] tokens, int gridHeight, int gridWidth) {
        if (gridHeight <= 0 || gridWidth <= 0 || tokens.length != (long) gridHeight * gridWidth) {
            throw new JdalleException(tokens.length + " image tokens do not fill a " + gridHeight + "×" + gridWidth + " grid");
        }
        for (int position = 0; position < tokens.length; position++) {
            int token = tokens[position];
            if (token < 0 || token >= config.codebookSize()) {
                throw new JdalleException("image token " + token + " at position " + position + " (row "
                        + position / gridWidth + ", column " + position % gridWidth + ") is outside the codebook [0, "
                        + config.codebookSize() + ")");
            }
        }
    }
}
