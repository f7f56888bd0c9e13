package io.github.jdalle.cuda;

/**
 * Every kernel entry point with its parameter list, one letter per parameter: {@code P} pointer, {@code L}
 * 64-bit integer, {@code I} 32-bit integer, {@code F} float. The launcher refuses a launch whose arguments
 * differ from the declared list, and NvccCompileTest checks each list against the PTX nvcc emits for the
 * {@code .cu} file, so a signature change on either side cannot go unnoticed without a GPU.
 */
public enum Kernel {
    GEMM_F32_MATMUL(KernelModule.MATMUL, "gemm_f32_matmul", "PPPIPIII"),
    GEMM_F16_MATMUL(KernelModule.MATMUL, "gemm_f16_matmul", "PPPIPIII"),
    GEMM_BF16_MATMUL(KernelModule.MATMUL, "gemm_bf16_matmul", "PPPIPIII"),
    GEMM_F32_CONV(KernelModule.MATMUL, "gemm_f32_conv", "PPPIPIIIIIIIIIIII"),
    GEMM_F16_CONV(KernelModule.MATMUL, "gemm_f16_conv", "PPPIPIIIIIIIIIIII"),
    GEMM_BF16_CONV(KernelModule.MATMUL, "gemm_bf16_conv", "PPPIPIIIIIIIIIIII"),
    GEMV_F32(KernelModule.MATMUL, "gemv_f32", "PPPIPPIIII"),
    GEMV_F16(KernelModule.MATMUL, "gemv_f16", "PPPIPPIIII"),
    GEMV_BF16(KernelModule.MATMUL, "gemv_bf16", "PPPIPPIIII"),
    GEMV_REDUCE(KernelModule.MATMUL, "gemv_reduce", "PPIPIII"),

    ATTENTION_32(KernelModule.ATTENTION, "attention_32", Kernel.ATTENTION_PARAMETERS),
    ATTENTION_64(KernelModule.ATTENTION, "attention_64", Kernel.ATTENTION_PARAMETERS),
    ATTENTION_128(KernelModule.ATTENTION, "attention_128", Kernel.ATTENTION_PARAMETERS),
    ATTENTION_256(KernelModule.ATTENTION, "attention_256", Kernel.ATTENTION_PARAMETERS),
    ATTENTION_512(KernelModule.ATTENTION, "attention_512", Kernel.ATTENTION_PARAMETERS),
    ATTENTION_1024(KernelModule.ATTENTION, "attention_1024", Kernel.ATTENTION_PARAMETERS),
    ATTENTION_COMBINE(KernelModule.ATTENTION, "attention_combine", "PPPIIIIII"),

    LAYER_NORM(KernelModule.NORM, "layer_norm", "PPIPIPIF"),
    SOFTMAX_ROWS(KernelModule.NORM, "softmax_rows", "PPI"),
    GROUP_STATS(KernelModule.NORM, "group_stats", "PPIIII"),
    GROUP_FINALIZE(KernelModule.NORM, "group_finalize", "PPIIF"),
    GROUP_APPLY(KernelModule.NORM, "group_apply", "PPPIPIPIIIL"),

    ELEMENTWISE(KernelModule.ELEMENTWISE, "elementwise", "IPIPILFPL"),
    GATHER_ROWS(KernelModule.ELEMENTWISE, "gather_rows", "PIIIPLPP"),
    WRITE_SLOT_U16(KernelModule.ELEMENTWISE, "write_slot_u16", "PPIIII"),
    WRITE_SLOT_U32(KernelModule.ELEMENTWISE, "write_slot_u32", "PPIIII"),
    UPSAMPLE_NEAREST2X_U16(KernelModule.ELEMENTWISE, "upsample_nearest2x_u16", "PPIIIL"),
    UPSAMPLE_NEAREST2X_U32(KernelModule.ELEMENTWISE, "upsample_nearest2x_u32", "PPIIIL"),

    SAMPLE_GUIDED(KernelModule.SAMPLING, "sample_guided", "PPIIIFFIFPPP");

    private static final String ATTENTION_PARAMETERS = "PPPPIPPPIIIIIIFII";

    private final KernelModule module;
    private final String function;
    private final String parameters;

    Kernel(KernelModule module, String function, String parameters) {
        this.module = module;
        this.function = function;
        this.parameters = parameters;
    }

    /** The source file that defines it. */
    public KernelModule module() {
        return module;
    }

    /** The {@code extern "C"} name. */
    public String function() {
        return function;
    }

    /** The parameter letters (see the class comment). */
    public String parameters() {
        return parameters;
    }
}
