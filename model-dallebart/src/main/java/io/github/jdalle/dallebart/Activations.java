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
 */
record Activations(Tensor hidden, Tensor normed, Tensor query, Tensor key, Tensor value, Tensor attended,
                   Tensor projected, Tensor gate, Tensor linear) {

    static Activations allocate(Workspace workspace, int batch, int length, int width, int ffnDim) {
        return new Activations(workspace.f32(batch, length, width), workspace.f32(batch, length, width),
                workspace.f32(batch, length, width), workspace.f32(batch, length, width),
                workspace.f32(batch, length, width), workspace.f32(batch, length, width),
                workspace.f32(batch, length, width), workspace.f32(batch, length, ffnDim),
                workspace.f32(batch, length, ffnDim));
    }
}
