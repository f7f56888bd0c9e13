package io.github.jdalle.clip;

import io.github.jdalle.core.Activation;
import io.github.jdalle.core.AttentionSpec;
import io.github.jdalle.core.Backend;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.Weights;
import io.github.jdalle.core.Workspace;

import java.util.ArrayList;
import java.util.List;

/**
 * The pre-LayerNorm transformer stack both CLIP towers share ({@code …/encoder/layers/{i}}): each layer is
 * {@code x += attention(LN1(x))}, then {@code x += fc2(quick_gelu(fc1(LN2(x))))}. Immutable; the
 * activations of one call live in that call's workspace.
 */
final class ClipEncoder {
    /** One layer's parameters; Dense kernels are (in, out) as Flax stores them. */
    private record Layer(Tensor norm1Scale, Tensor norm1Bias,
                         Tensor queryKernel, Tensor queryBias, Tensor keyKernel, Tensor keyBias,
                         Tensor valueKernel, Tensor valueBias, Tensor outKernel, Tensor outBias,
                         Tensor norm2Scale, Tensor norm2Bias,
                         Tensor fc1Kernel, Tensor fc1Bias, Tensor fc2Kernel, Tensor fc2Bias) {

        static Layer load(Weights layer, int width, int intermediate) {
            Weights attention = layer.at("self_attn");
            Weights mlp = layer.at("mlp");
            return new Layer(
                    layer.get("layer_norm1/scale", width), layer.get("layer_norm1/bias", width),
                    attention.get("q_proj/kernel", width, width), attention.get("q_proj/bias", width),
                    attention.get("k_proj/kernel", width, width), attention.get("k_proj/bias", width),
                    attention.get("v_proj/kernel", width, width), attention.get("v_proj/bias", width),
                    attention.get("out_proj/kernel", width, width), attention.get("out_proj/bias", width),
                    layer.get("layer_norm2/scale", width), layer.get("layer_norm2/bias", width),
                    mlp.get("fc1/kernel", width, intermediate), mlp.get("fc1/bias", intermediate),
                    mlp.get("fc2/kernel", intermediate, width), mlp.get("fc2/bias", width));
        }
    }

    private final Backend backend;
    private final List<Layer> layers;
    private final int intermediate;
    private final float layerNormEps;

    private ClipEncoder(Backend backend, List<Layer> layers, int intermediate, float layerNormEps) {
        this.backend = backend;
        this.layers = layers;
        this.intermediate = intermediate;
        this.layerNormEps = layerNormEps;
    }

    /** Loads layers {@code 0 … layerCount−1} from {@code encoder} (a {@code …/encoder} prefix). */
    static ClipEncoder load(Weights encoder, int layerCount, int width, int intermediate, float layerNormEps) {
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < layerCount; i++) {
            layers.add(Layer.load(encoder.at("layers/" + i), width, intermediate));
        }
        return new ClipEncoder(encoder.backend(), List.copyOf(layers), intermediate, layerNormEps);
    }

    /** Runs every layer over {@code hidden} (B, T, D) in place; {@code attention} says how to mask. */
    void forward(Tensor hidden, AttentionSpec attention, Workspace workspace) {
        int batch = hidden.dim(0);
        int tokens = hidden.dim(1);
        int width = hidden.dim(2);
        // Scratch shared by all layers of this call.
        Tensor normed = workspace.f32(batch, tokens, width);
        Tensor query = workspace.f32(batch, tokens, width);
        Tensor key = workspace.f32(batch, tokens, width);
        Tensor value = workspace.f32(batch, tokens, width);
        Tensor attended = workspace.f32(batch, tokens, width);
        Tensor update = workspace.f32(batch, tokens, width);
        Tensor expanded = workspace.f32(batch, tokens, intermediate);
        for (Layer layer : layers) {
            backend.layerNorm(hidden, layer.norm1Scale(), layer.norm1Bias(), layerNormEps, normed);
            selfAttention(layer, normed, attention, query, key, value, attended, update);
            backend.add(hidden, update, hidden);

            backend.layerNorm(hidden, layer.norm2Scale(), layer.norm2Bias(), layerNormEps, normed);
            mlp(layer, normed, expanded, update);
            backend.add(hidden, update, hidden);
        }
    }

    /** Multi-head self-attention of {@code normed} (B, T, D) into {@code out} (B, T, D). */
    private void selfAttention(Layer layer, Tensor normed, AttentionSpec attention, Tensor query, Tensor key,
                               Tensor value, Tensor attended, Tensor out) {
        backend.matmul(normed, layer.queryKernel(), layer.queryBias(), query);
        backend.matmul(normed, layer.keyKernel(), layer.keyBias(), key);
        backend.matmul(normed, layer.valueKernel(), layer.valueBias(), value);
        backend.attention(query, key, value, attention, attended);
        backend.matmul(attended, layer.outKernel(), layer.outBias(), out);
    }

    /** {@code fc2(quick_gelu(fc1(normed)))}: (B, T, D) → (B, T, intermediate) → (B, T, D). */
    private void mlp(Layer layer, Tensor normed, Tensor expanded, Tensor out) {
        backend.matmul(normed, layer.fc1Kernel(), layer.fc1Bias(), expanded);
        backend.activate(Activation.QUICK_GELU, expanded, expanded);
        backend.matmul(expanded, layer.fc2Kernel(), layer.fc2Bias(), out);
    }
}
