package io.github.jdalle.vqgan;

import io.github.jdalle.core.Backend;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.RgbImage;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.WeightSource;
import io.github.jdalle.core.Weights;
import io.github.jdalle.core.Workspace;

import java.util.ArrayList;
import java.util.List;

/**
 * The VQGAN encoder and quantizer (spec §7): an RGB picture as bytes / 255 in [0, 1] (no mean/std, as DALL·E
 * Mini encoded its training images) → conv_in → the down levels (asymmetric stride-2 downsampling) → mid block
 * → GroupNorm, swish, conv_out → quant_conv → the nearest codebook entry of each latent vector → tokens in
 * row-major order. A picture of H × W pixels (multiples of 16) gives an (H/16) × (W/16) token grid.
 *
 * <p>Immutable and safe to share between threads; each call uses a fresh workspace of the backend.
 */
public final class VqganEncoder {
    private final VqganConfig config;
    private final Backend backend;
    private final Blocks blocks;
    private final Blocks.Conv convIn;
    private final List<Blocks.Level> down;  // down.get(i) is level i, run in ascending order
    private final Blocks.Mid mid;
    private final Blocks.Norm normOut;
    private final Blocks.Conv convOut;
    private final Blocks.Conv quantConv;
    private final Tensor codebook;

    /** Loads the encoder side ({@code encoder}, {@code quant_conv}, {@code quantize}) of {@code weights}. */
    public VqganEncoder(VqganConfig config, Weights weights) {
        this.config = config;
        this.backend = weights.backend();
        this.blocks = new Blocks(backend);
        int top = config.levels() - 1;
        Weights encoder = weights.at("encoder");
        this.convIn = Blocks.Conv.load(encoder.at("conv_in"), 3, config.imageChannels(), config.channels(0));
        List<Blocks.Level> levels = new ArrayList<>();
        for (int level = 0; level <= top; level++) {
            int in = config.channels(Math.max(level - 1, 0));  // the width the level below hands up
            levels.add(Blocks.Level.load(encoder.at("down_" + level), config.resBlocks(), in, config.channels(level),
                    config.hasAttention(level), level < top ? "downsample" : null));
        }
        this.down = List.copyOf(levels);
        this.mid = Blocks.Mid.load(encoder.at("mid"), config.channels(top));
        this.normOut = Blocks.Norm.load(encoder.at("norm_out"), config.channels(top));
        this.convOut = Blocks.Conv.load(encoder.at("conv_out"), 3, config.channels(top), config.latentChannels());
        this.quantConv = Blocks.Conv.load(weights.at("quant_conv"), 1, config.latentChannels(), config.codeWidth());
        this.codebook = weights.get("quantize/embedding/embedding", config.codebookSize(), config.codeWidth());
    }

    /** The encoder of a checkpoint, with the sizes its {@code config.json} gives. */
    public static VqganEncoder load(WeightSource source, Backend backend) {
        return new VqganEncoder(VqganConfig.of(source), Weights.of(source, backend));
    }

    /** The configuration this encoder was built with. */
    public VqganConfig config() {
        return config;
    }

    /** The tokens of {@code image}: (H/16)·(W/16) codes, row-major. */
    public int[] encode(RgbImage image) {
        try (Workspace workspace = backend.workspace()) {
            Tensor z = latents(image, workspace);
            return backend.nearestRows(z, codebook);
        }
    }

    /** The quant_conv output that {@link #encode} quantizes: (H/16, W/16, embed_dim) floats, row-major. */
    public float[] latents(RgbImage image) {
        try (Workspace workspace = backend.workspace()) {
            return backend.toFloatArray(latents(image, workspace));
        }
    }

    /** pixels (1, H, W, 3) → z (1, H/16, W/16, embed_dim). */
    private Tensor latents(RgbImage image, Workspace workspace) {
        int factor = config.downsamplingFactor();
        if (image.height() % factor != 0 || image.width() % factor != 0) {
            throw new JdalleException("a " + image.height() + "×" + image.width() + " picture does not split into "
                    + factor + "×" + factor + " patches; crop or resize it to a multiple of " + factor);
        }
        var buffers = new ActivationBuffers(workspace,
                config.largestActivation(image.height() / factor, image.width() / factor));
        Tensor pixels = workspace.f32(1, image.height(), image.width(), RgbImage.CHANNELS);
        backend.upload(Tensor.ofFloats(Images.toUnitFloats(image), pixels.shape()), pixels);
        Tensor x = blocks.convolve(pixels, convIn, Blocks.SAME_3X3, buffers);  // (1, H, W, ch)
        for (Blocks.Level level : down) {
            x = blocks.levelBlocks(x, level, buffers);                         // width ch·ch_mult[level]
            if (level.resample() != null) {
                x = blocks.downsample(x, level.resample(), buffers);          // resolution ÷2
            }
        }
        x = blocks.midBlock(x, mid, buffers);
        blocks.normSwish(x, normOut, x);
        Tensor h = blocks.convolve(x, convOut, Blocks.SAME_3X3, buffers);     // (1, H/16, W/16, z_channels)
        buffers.release(x);
        Tensor z = blocks.convolve(h, quantConv, Blocks.POINTWISE, buffers);  // (1, H/16, W/16, embed_dim)
        buffers.release(h);
        return z;
    }
}
