package io.github.jdalle.convert;

import io.github.jdalle.core.DType;
import io.github.jdalle.core.JdalleException;
import java.util.Arrays;
import java.util.Locale;

/** The {@code --dtype} of a conversion: keep each tensor's stored type, or store every tensor as one type. */
public enum TargetDType {
    KEEP(null), F32(DType.F32), F16(DType.F16), BF16(DType.BF16);

    private final DType dtype;

    TargetDType(DType dtype) {
        this.dtype = dtype;
    }

    /** The type a tensor stored as {@code source} is written as. */
    public DType resolve(DType source) {
        return dtype == null ? source : dtype;
    }

    /** Parses a command-line value: {@code keep}, {@code f32}, {@code f16} or {@code bf16} (any case). */
    public static TargetDType parse(String text) {
        try {
            return valueOf(text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new JdalleException("unknown dtype '" + text + "', expected one of "
                    + Arrays.stream(values()).map(v -> v.name().toLowerCase(Locale.ROOT)).toList());
        }
    }
}
