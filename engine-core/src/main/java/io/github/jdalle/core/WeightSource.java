package io.github.jdalle.core;

import java.util.List;
import java.util.Optional;

/**
 * A model's parameters by Flax path ({@code model/encoder/layers/FlaxBartEncoderLayers/GLU_0/Dense_0/kernel}),
 * plus the checkpoint's {@code config.json} and tokenizer assets. Implemented by the {@code .jdw} reader
 * (tensors are views of the mapped file) and by the Flax msgpack reader. Tensors are host tensors; a
 * model passes them through {@link Weights}, which checks shapes and loads them on its backend.
 */
public interface WeightSource extends AutoCloseable {

    /** The file or folder this came from, for error messages. */
    String description();

    /** The tensor at {@code path}; throws a {@link JdalleException} naming the path and the file when absent. */
    Tensor tensor(String path);

    /** True when a tensor is stored at {@code path}. */
    boolean contains(String path);

    /** Every tensor path, sorted. */
    List<String> paths();

    /** The original {@code config.json} text, if the source carries one. */
    Optional<String> config();

    /** A named asset such as {@code vocab.json}, {@code merges.txt} or {@code enwiki-words-frequency.txt}. */
    Optional<byte[]> asset(String name);

    /** Releases the mapping; tensors from this source become invalid. */
    @Override
    void close();
}
