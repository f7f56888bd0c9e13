package io.github.jdalle.core;

/** Element-wise activation functions used by the three models. */
public enum Activation {
    /** Exact GELU, {@code 0.5·x·(1 + erf(x/√2))} (DalleBart's GLU). */
    GELU,
    /** {@code x·sigmoid(1.702·x)} (CLIP's MLP). */
    QUICK_GELU,
    /** {@code x·sigmoid(x)}, also called SiLU (VQGAN). */
    SWISH
}
