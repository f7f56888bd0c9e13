package io.github.jdalle.vqgan;

import io.github.jdalle.core.Activation;
import io.github.jdalle.core.AttentionSpec;
import io.github.jdalle.core.Backend;
import io.github.jdalle.core.ConvSpec;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.Weights;

import java.util.ArrayList;
import java.util.List;

/**
 * The building blocks the VQGAN encoder and decoder share (spec §4), with the weight records they read. All
 * activations are NHWC (B, H, W, C) F32. A block takes its input from the call's {@link ActivationBuffers}
 * and either returns it updated in place or releases it and returns a fresh buffer.
 */
final class Blocks {

    /** A convolution: HWIO {@code kernel} (k, k, in, out) and {@code bias} (out). */
    record Conv(Tensor kernel, Tensor bias) {
        static Conv load(Weights weights, int size, int in, int out) {
            return new Conv(weights.get("kernel", size, size, in, out), weights.get("bias", out));
        }

        int size() {
            return kernel.dim(0);
        }

        int outChannels() {
            return kernel.dim(3);
        }
    }

    /** A GroupNorm's {@code scale} and {@code bias} (C), stored as (C) or (1, 1, 1, C). */
    record Norm(Tensor scale, Tensor bias) {
        static Norm load(Weights weights, int channels) {
            return new Norm(weights.getVector("scale", channels), weights.getVector("bias", channels));
        }
    }

    /** ResnetBlock(in → out); {@code shortcut} is the 1×1 {@code nin_shortcut}, null when in = out. */
    record Resnet(Norm norm1, Conv conv1, Norm norm2, Conv conv2, Conv shortcut) {
        static Resnet load(Weights weights, int in, int out) {
            return new Resnet(
                    Norm.load(weights.at("norm1"), in),
                    Conv.load(weights.at("conv1"), 3, in, out),
                    Norm.load(weights.at("norm2"), out),
                    Conv.load(weights.at("conv2"), 3, out, out),
                    in == out ? null : Conv.load(weights.at("nin_shortcut"), 1, in, out));
        }
    }

    /** Single-head self-attention over the positions; q, k, v and proj_out are 1×1 convs. */
    record Attention(Norm norm, Conv query, Conv key, Conv value, Conv projection) {
        static Attention load(Weights weights, int channels) {
            return new Attention(
                    Norm.load(weights.at("norm"), channels),
                    Conv.load(weights.at("q"), 1, channels, channels),
                    Conv.load(weights.at("k"), 1, channels, channels),
                    Conv.load(weights.at("v"), 1, channels, channels),
                    Conv.load(weights.at("proj_out"), 1, channels, channels));
        }
    }

    /**
     * One resolution level: ResnetBlock j, then attention j when the level has attention, then the resampling
     * conv ({@code downsample/conv} or {@code upsample/conv}; null for the level that does not resample).
     */
    record Level(List<Resnet> resnets, List<Attention> attentions, Conv resample) {
        /** Loads {@code blockCount} blocks {@code block_j} (and {@code attn_j}) changing width from {@code in} to {@code out}. */
        static Level load(Weights weights, int blockCount, int in, int out, boolean attention, String resampleName) {
            List<Resnet> resnets = new ArrayList<>();
            List<Attention> attentions = new ArrayList<>();
            for (int block = 0; block < blockCount; block++) {
                resnets.add(Resnet.load(weights.at("block_" + block), block == 0 ? in : out, out));
                if (attention) {
                    attentions.add(Attention.load(weights.at("attn_" + block), out));
                }
            }
            Conv resample = resampleName == null ? null : Conv.load(weights.at(resampleName).at("conv"), 3, out, out);
            return new Level(resnets, attentions, resample);
        }
    }

    /** The middle of both networks: ResnetBlock, attention, ResnetBlock at the lowest resolution. */
    record Mid(Resnet block1, Attention attention, Resnet block2) {
        static Mid load(Weights weights, int channels) {
            return new Mid(
                    Resnet.load(weights.at("block_1"), channels, channels),
                    Attention.load(weights.at("attn_1"), channels),
                    Resnet.load(weights.at("block_2"), channels, channels));
        }
    }

    static final ConvSpec SAME_3X3 = ConvSpec.same(3);
    static final ConvSpec POINTWISE = ConvSpec.same(1);

    private final Backend backend;

    Blocks(Backend backend) {
        this.backend = backend;
    }

    /** The resnet blocks of a level, each followed by its own attention block (never all of them, §10.1). */
    Tensor levelBlocks(Tensor x, Level level, ActivationBuffers buffers) {
        for (int block = 0; block < level.resnets().size(); block++) {
            x = resnetBlock(x, level.resnets().get(block), buffers);
            if (!level.attentions().isEmpty()) {
                x = attentionBlock(x, level.attentions().get(block), buffers);
            }
        }
        return x;
    }

    /** Mid block: resnet, attention, resnet. */
    Tensor midBlock(Tensor x, Mid mid, ActivationBuffers buffers) {
        x = resnetBlock(x, mid.block1(), buffers);
        x = attentionBlock(x, mid.attention(), buffers);
        return resnetBlock(x, mid.block2(), buffers);
    }

    /** {@code h = conv1(swish(norm1(x))); h = conv2(swish(norm2(h))); return h + shortcut(x)}. */
    Tensor resnetBlock(Tensor x, Resnet block, ActivationBuffers buffers) {
        Tensor normed = buffers.take(x.shape());
        normSwish(x, block.norm1(), normed);
        Tensor h = convolve(normed, block.conv1(), SAME_3X3, buffers);  // (B, H, W, out)
        buffers.release(normed);
        normSwish(h, block.norm2(), h);
        Tensor out = convolve(h, block.conv2(), SAME_3X3, buffers);
        buffers.release(h);
        if (block.shortcut() == null) {
            backend.add(out, x, out);
        } else {
            Tensor shortcut = convolve(x, block.shortcut(), POINTWISE, buffers);
            backend.add(out, shortcut, out);
            buffers.release(shortcut);
        }
        buffers.release(x);
        return out;
    }

    /** {@code x + proj_out(softmax(q·kᵀ/√C)·v)} over the H·W positions of each image, updating x in place. */
    Tensor attentionBlock(Tensor x, Attention block, ActivationBuffers buffers) {
        int batch = x.dim(0);
        int positions = x.dim(1) * x.dim(2);
        int channels = x.dim(3);
        Tensor normed = buffers.take(x.shape());
        backend.groupNorm(x, VqganConfig.NORM_GROUPS, block.norm().scale(), block.norm().bias(),
                VqganConfig.NORM_EPSILON, normed);
        Tensor qkv = buffers.take(3, batch, x.dim(1), x.dim(2), channels);
        Tensor query = qkv.slice(0);
        Tensor key = qkv.slice(1);
        Tensor value = qkv.slice(2);
        backend.conv2d(normed, block.query().kernel(), block.query().bias(), POINTWISE, query);
        backend.conv2d(normed, block.key().kernel(), block.key().bias(), POINTWISE, key);
        backend.conv2d(normed, block.value().kernel(), block.value().bias(), POINTWISE, value);
        // positions as tokens: (B, H·W, C), one head over all C channels
        Tensor attended = normed;  // the normed input is no longer needed
        backend.attention(query.reshape(batch, positions, channels), key.reshape(batch, positions, channels),
                value.reshape(batch, positions, channels), AttentionSpec.of(1, (float) (1 / Math.sqrt(channels))),
                attended.reshape(batch, positions, channels));
        Tensor projected = query;  // q is spent once the attention is done
        backend.conv2d(attended, block.projection().kernel(), block.projection().bias(), POINTWISE, projected);
        backend.add(x, projected, x);
        buffers.release(qkv);
        buffers.release(normed);
        return x;
    }

    /** Nearest-neighbour ×2 then a 3×3 conv: (B, H, W, C) → (B, 2H, 2W, C). */
    Tensor upsample(Tensor x, Conv conv, ActivationBuffers buffers) {
        Tensor doubled = buffers.take(x.dim(0), 2 * x.dim(1), 2 * x.dim(2), x.dim(3));
        backend.upsampleNearest2x(x, doubled);
        buffers.release(x);
        Tensor out = convolve(doubled, conv, SAME_3X3, buffers);
        buffers.release(doubled);
        return out;
    }

    /** Zero pad 0 top/left and 1 bottom/right, 3×3 conv with stride 2: (B, H, W, C) → (B, H/2, W/2, C). */
    Tensor downsample(Tensor x, Conv conv, ActivationBuffers buffers) {
        Tensor out = convolve(x, conv, ConvSpec.downsample(), buffers);
        buffers.release(x);
        return out;
    }

    /** GroupNorm(32, eps 1e-6) then swish; {@code out} may be {@code x}. */
    void normSwish(Tensor x, Norm norm, Tensor out) {
        backend.groupNorm(x, VqganConfig.NORM_GROUPS, norm.scale(), norm.bias(), VqganConfig.NORM_EPSILON, out);
        backend.activate(Activation.SWISH, out, out);
    }

    /** {@code conv} over x into a fresh buffer; x stays taken. */
    Tensor convolve(Tensor x, Conv conv, ConvSpec spec, ActivationBuffers buffers) {
        Tensor out = buffers.take(x.dim(0), spec.outputSize(x.dim(1), conv.size(), true),
                spec.outputSize(x.dim(2), conv.size(), false), conv.outChannels());
        backend.conv2d(x, conv.kernel(), conv.bias(), spec, out);
        return out;
    }
}
