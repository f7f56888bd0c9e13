package io.github.jdalle.vqgan;

import io.github.jdalle.core.ConfigJson;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.WeightSource;

import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The sizes of a VQGAN checkpoint, as its {@code config.json} gives them. Keys that a file leaves out take
 * the defaults of vqgan-jax {@code VQGANConfig}; the variants DALL·E Mini does not use ({@code double_z},
 * {@code give_pre_end}, resampling without a conv) are rejected with the offending key.
 *
 * <p>Level {@code i} of the encoder and decoder works at {@code resolution / 2^i} pixels (nominally: the
 * real input may be any multiple of the latent grid) with {@code ch · ch_mult[i]} channels; attention runs
 * in the levels whose nominal resolution is listed in {@code attn_resolutions}.
 *
 * @param baseChannels         {@code ch}, the width of level 0
 * @param channelMultipliers   {@code ch_mult}, one per level
 * @param resBlocks            {@code num_res_blocks}: ResnetBlocks per encoder level (the decoder has one more)
 * @param attentionResolutions {@code attn_resolutions}: nominal resolutions that get attention
 * @param resolution           nominal image edge in pixels (256)
 * @param imageChannels        {@code in_channels} of the encoder, which must equal the decoder's {@code out_ch} (3)
 * @param latentChannels       {@code z_channels}, the width of the encoder output and decoder input
 * @param codeWidth            {@code embed_dim}, the width of a codebook vector
 * @param codebookSize         {@code n_embed}, the number of codes
 */
public record VqganConfig(int baseChannels, List<Integer> channelMultipliers, int resBlocks,
                          List<Integer> attentionResolutions, int resolution, int imageChannels, int latentChannels,
                          int codeWidth, int codebookSize) {

    /** Every GroupNorm of the model has 32 groups (taming and vqgan-jax hard-code it). */
    public static final int NORM_GROUPS = 32;

    /** Every GroupNorm of the model uses this epsilon (not PyTorch's default 1e-5). */
    public static final float NORM_EPSILON = 1e-6f;

    /** Variant switches and the only value this implementation supports, which is also upstream's default. */
    private static final Map<String, Boolean> SUPPORTED = Map.of(
            "double_z", false,
            "give_pre_end", false,
            "resamp_with_conv", true);

    public VqganConfig {
        channelMultipliers = List.copyOf(channelMultipliers);
        attentionResolutions = List.copyOf(attentionResolutions);
        requirePositive("ch", baseChannels);
        requirePositive("num_res_blocks", resBlocks);
        requirePositive("in_channels", imageChannels);
        requirePositive("z_channels", latentChannels);
        requirePositive("embed_dim", codeWidth);
        requirePositive("n_embed", codebookSize);
        if (channelMultipliers.isEmpty()) {
            throw new JdalleException("config.json: ch_mult is empty");
        }
        for (int level = 0; level < channelMultipliers.size(); level++) {
            requirePositive("ch_mult[" + level + "]", channelMultipliers.get(level));
            if (baseChannels * channelMultipliers.get(level) % NORM_GROUPS != 0) {
                throw new JdalleException("config.json: level " + level + " has " + baseChannels * channelMultipliers.get(level)
                        + " channels, which do not split into " + NORM_GROUPS + " GroupNorm groups");
            }
        }
        int downsampling = 1 << (channelMultipliers.size() - 1);
        if (resolution <= 0 || resolution % downsampling != 0) {
            throw new JdalleException("config.json: resolution " + resolution + " is not a positive multiple of "
                    + downsampling + " (2^(levels-1))");
        }
    }

    /** {@code dalle-mini/vqgan_imagenet_f16_16384}: 16×16 codes of 256 values from a 16384-entry codebook. */
    public static VqganConfig imagenetF16x16384() {
        return new VqganConfig(128, List.of(1, 1, 2, 2, 4), 2, List.of(16), 256, 3, 256, 256, 16384);
    }

    /** The configuration of a checkpoint, from the {@code config.json} it carries. */
    public static VqganConfig of(WeightSource source) {
        String json = source.config().orElseThrow(
                () -> new JdalleException(source.description() + ": no config.json next to the VQGAN weights"));
        return fromJson(json, source.description());
    }

    /** Parses a checkpoint's {@code config.json}; {@code origin} names the file in error messages. */
    public static VqganConfig fromJson(String json, String origin) {
        ConfigJson config = ConfigJson.parse(json, origin);
        SUPPORTED.forEach((key, supported) -> config.requireSupported(key, supported, "vqgan_imagenet_f16_16384"));
        List<Integer> channelMultipliers = config.integers("ch_mult", List.of(1, 1, 2, 2, 4));
        int imageChannels = config.integer("in_channels", 3);
        int outChannels = config.integer("out_ch", 3);
        if (outChannels != imageChannels) {
            throw new JdalleException(origin + ": config.json: out_ch " + outChannels + " differs from in_channels "
                    + imageChannels);
        }
        int levels = config.integer("num_resolutions", channelMultipliers.size());
        if (levels != channelMultipliers.size()) {
            throw new JdalleException(origin + ": config.json: num_resolutions " + levels + " differs from the "
                    + channelMultipliers.size() + " entries of ch_mult");
        }
        return new VqganConfig(
                config.integer("ch", 128),
                channelMultipliers,
                config.integer("num_res_blocks", 2),
                config.integers("attn_resolutions", List.of(16)),
                config.integer("resolution", 256),
                imageChannels,
                config.integer("z_channels", 256),
                config.integer("embed_dim", 256),
                config.integer("n_embed", 1024));
    }

    /** Number of resolution levels; the latent grid is {@code 2^(levels-1)} times smaller than the image. */
    public int levels() {
        return channelMultipliers.size();
    }

    /** Pixels per latent position along one axis (16 for f16). */
    public int downsamplingFactor() {
        return 1 << (levels() - 1);
    }

    /** Channels of level {@code level}. */
    public int channels(int level) {
        return baseChannels * channelMultipliers.get(level);
    }

    /** Whether level {@code level} has an attention block after each ResnetBlock. */
    public boolean hasAttention(int level) {
        return attentionResolutions.contains(resolution >> level);
    }

    /** Edge of the nominal latent grid ({@code resolution / downsamplingFactor}, 16). */
    public int latentSize() {
        return resolution / downsamplingFactor();
    }

    /**
     * Element count of the largest activation of the encoder or the decoder for one image whose latent grid is
     * {@code latentHeight × latentWidth}: at level {@code i} a tensor holds the channels of that level or of a
     * neighbouring one (before a resnet block changes the width, or after an up/downsampling), and at the lowest
     * resolution also the latent and code vectors.
     */
    public long largestActivation(int latentHeight, int latentWidth) {
        long largest = 0;
        for (int level = 0; level < levels(); level++) {
            long positions = (long) latentHeight * latentWidth << 2 * (levels() - 1 - level);
            int widest = channels(level);
            if (level > 0) {
                widest = Math.max(widest, channels(level - 1));
            }
            if (level + 1 < levels()) {
                widest = Math.max(widest, channels(level + 1));
            } else {
                widest = Math.max(widest, Math.max(latentChannels, codeWidth));  // the latent grid
            }
            largest = Math.max(largest, positions * widest);
        }
        return largest;
    }

    /**
     * Multiply-adds of one decode of a {@code latentHeight × latentWidth} grid: every convolution plus the two
     * products of each attention, as used to report GFLOP/s (2 FLOP per multiply-add).
     */
    public long decoderMultiplyAdds(int latentHeight, int latentWidth) {
        int top = levels() - 1;
        long positions = (long) latentHeight * latentWidth;
        long total = positions * codeWidth * latentChannels;                       // post_quant_conv
        total += positions * 9L * latentChannels * channels(top);                  // conv_in
        total += 2 * resnetMultiplyAdds(positions, channels(top), channels(top));  // mid
        total += attentionMultiplyAdds(positions, channels(top));
        int width = channels(top);
        for (int level = top; level >= 0; level--) {
            for (int block = 0; block <= resBlocks; block++) {
                total += resnetMultiplyAdds(positions, width, channels(level));
                width = channels(level);
                if (hasAttention(level)) {
                    total += attentionMultiplyAdds(positions, width);
                }
            }
            if (level > 0) {
                positions *= 4;
                total += positions * 9L * width * width;                             // upsample conv
            }
        }
        return total + positions * 9L * width * imageChannels;                     // conv_out
    }

    /**
     * Every parameter of the checkpoint ({@code encoder/…}, {@code decoder/…}, {@code quantize/…},
     * {@code quant_conv/…}, {@code post_quant_conv/…}) by Flax path, with its shape, GroupNorm vectors as (C).
     * Used to build random weights of a given size and to check a converted file.
     */
    public SortedMap<String, int[]> parameterShapes() {
        SortedMap<String, int[]> shapes = new TreeMap<>();
        int top = levels() - 1;
        // encoder: conv_in, down_0 … down_top, mid, norm_out, conv_out
        conv(shapes, "encoder/conv_in", 3, imageChannels, channels(0));
        int width = channels(0);
        for (int level = 0; level <= top; level++) {
            String prefix = "encoder/down_" + level;
            for (int block = 0; block < resBlocks; block++) {
                resnet(shapes, prefix + "/block_" + block, width, channels(level));
                width = channels(level);
                if (hasAttention(level)) {
                    attention(shapes, prefix + "/attn_" + block, width);
                }
            }
            if (level < top) {
                conv(shapes, prefix + "/downsample/conv", 3, width, width);
            }
        }
        mid(shapes, "encoder/mid", width);
        norm(shapes, "encoder/norm_out", width);
        conv(shapes, "encoder/conv_out", 3, width, latentChannels);
        conv(shapes, "quant_conv", 1, latentChannels, codeWidth);
        shapes.put("quantize/embedding/embedding", new int[] {codebookSize, codeWidth});
        // decoder: post_quant_conv, conv_in, mid, up_top … up_0, norm_out, conv_out
        conv(shapes, "post_quant_conv", 1, codeWidth, latentChannels);
        conv(shapes, "decoder/conv_in", 3, latentChannels, channels(top));
        mid(shapes, "decoder/mid", channels(top));
        width = channels(top);
        for (int level = top; level >= 0; level--) {
            String prefix = "decoder/up_" + level;
            for (int block = 0; block <= resBlocks; block++) {
                resnet(shapes, prefix + "/block_" + block, width, channels(level));
                width = channels(level);
                if (hasAttention(level)) {
                    attention(shapes, prefix + "/attn_" + block, width);
                }
            }
            if (level > 0) {
                conv(shapes, prefix + "/upsample/conv", 3, width, width);
            }
        }
        norm(shapes, "decoder/norm_out", width);
        conv(shapes, "decoder/conv_out", 3, width, imageChannels);
        return shapes;
    }

    private static long resnetMultiplyAdds(long positions, int in, int out) {
        long convs = positions * 9L * (in * (long) out + (long) out * out);
        return in == out ? convs : convs + positions * in * out;
    }

    private static long attentionMultiplyAdds(long positions, int width) {
        return 4 * positions * width * width + 2 * positions * positions * width;
    }

    private static void mid(Map<String, int[]> shapes, String prefix, int width) {
        resnet(shapes, prefix + "/block_1", width, width);
        attention(shapes, prefix + "/attn_1", width);
        resnet(shapes, prefix + "/block_2", width, width);
    }

    private static void resnet(Map<String, int[]> shapes, String prefix, int in, int out) {
        norm(shapes, prefix + "/norm1", in);
        conv(shapes, prefix + "/conv1", 3, in, out);
        norm(shapes, prefix + "/norm2", out);
        conv(shapes, prefix + "/conv2", 3, out, out);
        if (in != out) {
            conv(shapes, prefix + "/nin_shortcut", 1, in, out);
        }
    }

    private static void attention(Map<String, int[]> shapes, String prefix, int width) {
        norm(shapes, prefix + "/norm", width);
        for (String projection : List.of("q", "k", "v", "proj_out")) {
            conv(shapes, prefix + "/" + projection, 1, width, width);
        }
    }

    private static void norm(Map<String, int[]> shapes, String prefix, int width) {
        shapes.put(prefix + "/scale", new int[] {width});
        shapes.put(prefix + "/bias", new int[] {width});
    }

    private static void conv(Map<String, int[]> shapes, String prefix, int size, int in, int out) {
        shapes.put(prefix + "/kernel", new int[] {size, size, in, out});
        shapes.put(prefix + "/bias", new int[] {out});
    }

    private static void requirePositive(String key, int value) {
        if (value <= 0) {
            throw new JdalleException("config.json: " + key + " must be positive, got " + value);
        }
    }
}
