// Shared by every kernel file: integer types, dtype widening and narrowing, warp and block reductions.
// Self-contained on purpose (no CUDA headers), so NVRTC needs no include path on the machine it runs on.
#pragma once

typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef long long i64;

// Storage dtypes, numbered as io.github.jdalle.core.DType's ordinals.
#define DTYPE_F32 0
#define DTYPE_F16 1
#define DTYPE_BF16 2

#define NEG_INF (__int_as_float(0xff800000))

__device__ __forceinline__ float f16_to_float(u16 bits) {
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(bits));
    return f;
}

__device__ __forceinline__ float bf16_to_float(u16 bits) {
    return __uint_as_float(((u32) bits) << 16);
}

// Round to nearest even, as HalfFloats does on the host.
__device__ __forceinline__ u16 float_to_f16(float f) {
    u16 bits;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(bits) : "f"(f));
    return bits;
}

__device__ __forceinline__ u16 float_to_bf16(float f) {
    u16 bits;
    asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(bits) : "f"(f));
    return bits;
}

// Element i of a float tensor of any storage dtype, widened; for the small weight vectors (bias, scale) and
// element-wise inputs, where a uniform branch on the dtype costs nothing next to the memory access.
__device__ __forceinline__ float load_float(const void* data, int dtype, i64 i) {
    if (dtype == DTYPE_F32) {
        return ((const float*) data)[i];
    }
    u16 bits = ((const u16*) data)[i];
    return dtype == DTYPE_F16 ? f16_to_float(bits) : bf16_to_float(bits);
}

// Optional vector (bias, scale): `fallback` where the pointer is null.
__device__ __forceinline__ float load_optional(const void* data, int dtype, i64 i, float fallback) {
    return data == 0 ? fallback : load_float(data, dtype, i);
}

// Compile-time storage types for the hot loops (GEMM weights).
struct F32 {
    typedef float T;
    static __device__ __forceinline__ float widen(float v) { return v; }
};
struct F16 {
    typedef u16 T;
    static __device__ __forceinline__ float widen(u16 v) { return f16_to_float(v); }
    static __device__ __forceinline__ u16 narrow(float v) { return float_to_f16(v); }
};
struct BF16 {
    typedef u16 T;
    static __device__ __forceinline__ float widen(u16 v) { return bf16_to_float(v); }
    static __device__ __forceinline__ u16 narrow(float v) { return float_to_bf16(v); }
};

__device__ __forceinline__ float warp_sum(float v) {
    for (int offset = 16; offset > 0; offset >>= 1) {
        v += __shfl_xor_sync(0xffffffffu, v, offset);
    }
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
    for (int offset = 16; offset > 0; offset >>= 1) {
        v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
    }
    return v;
}

// Sum (or max) over the block; every thread gets the result. `scratch` holds 32 floats of shared memory.
// blockDim.x must be a multiple of 32.
__device__ __forceinline__ float block_reduce(float v, float* scratch, bool max) {
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;
    v = max ? warp_max(v) : warp_sum(v);
    __syncthreads(); // the previous call's readers are done with scratch
    if (lane == 0) {
        scratch[warp] = v;
    }
    __syncthreads();
    if (warp == 0) {
        int warps = blockDim.x >> 5;
        v = lane < warps ? scratch[lane] : (max ? NEG_INF : 0.0f);
        v = max ? warp_max(v) : warp_sum(v);
        if (lane == 0) {
            scratch[0] = v;
        }
    }
    __syncthreads();
    return scratch[0];
}
