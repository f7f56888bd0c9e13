package io.github.jdalle.dallebart;

import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.Workspace;

/**
 * The scratch tensors of one encoder or decoder pass over (batch, length) positions, reused by every layer
 * (and, in the decoder, by every step), so a pass allocates nothing per layer.
 *
 * @param hidden    the residual stream (batch, length, D)
 * @param normed    a block's normed input (batch, length, D)
 * @param query     (batch, length, D)
 * @param key       (batch, length, D)
 * @param value     (batch, length, D)
 * @param attended  attention output before its projection (batch, length, D)
 * @param projected a block's output before it joins the residual stream (batch, length, D)
 * @param gate      GLU gate branch (batch, length, F)
 * @param linear    GLU linear branch (batch, length, F)
 * @param queryKeyValue query, key and value side by side, for {@link io.github.jdalle.core.Backend#matmulEach}
 * @param gateAndLinear gate and linear side by side, likewise
 */
record Activations(Tensor hidden, Tensor normed, Tensor query, Tensor key, Tensor value, Tensor attended,
                   Tensor projected, Tensor gate, Tensor linear, Tensor[] queryKeyValue, Tensor[] gateAndLinear) {

    static Activations allocate(Workspace workspace, int batch, int length, int width, int ffnDim) {
        Tensor query = workspace.f32(batch, length, width);
        Tensor key = workspace.f32(batch, length, width);
        Tensor value = workspace.f32(batch, length, width);
        Tensor gate = workspace.f32(batch, length, ffnDim);
        Tensor linear = workspace.f32(batch, length, ffnDim);
        return new Activations(workspace.f32(batch, length, width), workspace.f32(batch, length, width), query, key,
                value, workspace.f32(batch, length, width), workspace.f32(batch, length, width), gate, linear,
                new Tensor[] {query, key, value}, new Tensor[] {gate, linear});
    }
}
