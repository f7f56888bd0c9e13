// Guided sampling of one token per image on the device, so that a decoding step sends one uniform up and one
// token id down per image. CPU twin: io.github.jdalle.core.sampling.Sampler (the reference every backend matches).
//
// One version: one block per image. Every candidate id gets a 64-bit key (rank of its logit in the high word,
// id in the low word) so that ascending keys are Sampler's order, descending logit with ties by ascending id;
// a bitonic sort in shared memory orders the whole row; the kept ranks' probabilities are computed in
// parallel; then one thread runs Sampler's sequential top-p cut and inverse-CDF draw in double precision over
// the same values in the same order, so the token equals the host's for the same logits and uniform.
#include "common.cuh"

// Order-preserving map of a float to an unsigned key, reversed so that larger logits sort first.
__device__ __forceinline__ u32 descending_rank(float logit) {
    logit = logit == 0.0f ? 0.0f : logit; // −0 ties with +0, as Java's == has it
    u32 bits = __float_as_uint(logit);
    u32 ascending = (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
    return ~ascending;
}

__device__ __forceinline__ float logit_of_rank(u32 rank) {
    u32 ascending = ~rank;
    u32 bits = (ascending & 0x80000000u) ? (ascending & 0x7fffffffu) : ~ascending;
    return __uint_as_float(bits);
}

// grid (images); block 1024; dynamic shared memory padded·8 bytes, padded the power of two ≥ vocabLimit.
// uncond is null without guidance. keep = the number of candidates after top-k (1 = greedy).
// order is scratch of images·padded ints; tokens[image] receives the draw.
extern "C" __global__ void __launch_bounds__(1024) sample_guided(const float* cond, const float* uncond,
        int rowStride, int vocabLimit, int padded, float conditionScale, float inverseTemperature, int keep,
        float topP, const double* uniforms, int* order, int* tokens) {
    extern __shared__ u64 keys[];
    int image = blockIdx.x;
    const float* c = cond + (i64) image * rowStride;
    const float* u = uncond == 0 ? 0 : uncond + (i64) image * rowStride;
    for (int i = threadIdx.x; i < padded; i += blockDim.x) {
        u64 key = ~0ull; // padding sorts last
        if (i < vocabLimit) {
            // uncond + s·(cond − uncond), rounded step by step like the Java expression (no fused multiply-add)
            float logit = u == 0 ? c[i] : __fadd_rn(u[i], __fmul_rn(conditionScale, __fsub_rn(c[i], u[i])));
            key = ((u64) descending_rank(logit) << 32) | (u32) i;
        }
        keys[i] = key;
    }
    __syncthreads();
    for (int size = 2; size <= padded; size <<= 1) {
        for (int stride = size >> 1; stride > 0; stride >>= 1) {
            for (int i = threadIdx.x; i < padded / 2; i += blockDim.x) {
                int low = 2 * i - (i & (stride - 1));
                int high = low + stride;
                bool ascending = (low & size) == 0;
                u64 a = keys[low];
                u64 b = keys[high];
                if ((a > b) == ascending) {
                    keys[low] = b;
                    keys[high] = a;
                }
            }
            __syncthreads();
        }
    }
    int* ranked = order + (i64) image * padded;
    if (keep == 1) { // greedy: the largest logit, first id on ties
        if (threadIdx.x == 0) {
            tokens[image] = (int) (u32) keys[0];
        }
        return;
    }
    // probabilities exp(l·(1/T) − max) in double, written over the keys they came from
    float maximum = __fmul_rn(logit_of_rank((u32) (keys[0] >> 32)), inverseTemperature);
    __syncthreads();
    double* probability = (double*) keys;
    for (int r = threadIdx.x; r < keep; r += blockDim.x) {
        u64 key = keys[r];
        ranked[r] = (int) (u32) key;
        float logit = logit_of_rank((u32) (key >> 32));
        probability[r] = exp((double) __fsub_rn(__fmul_rn(logit, inverseTemperature), maximum));
    }
    __syncthreads();
    if (threadIdx.x != 0) {
        return;
    }
    double total = 0.0;
    for (int r = 0; r < keep; r++) {
        total += probability[r];
    }
    int kept = keep;
    if (topP < 1.0f) {
        // keep a token while the mass ranked above it is below p; the top token always stays
        double above = 0.0;
        for (int r = 0; r < keep; r++) {
            if (r > 0 && above / total >= (double) topP) {
                kept = r;
                break;
            }
            above += probability[r];
        }
        total = 0.0;
        for (int r = 0; r < kept; r++) {
            total += probability[r];
        }
    }
    double target = uniforms[image] * total;
    double cumulative = 0.0;
    int token = ranked[kept - 1];
    for (int r = 0; r < kept; r++) {
        cumulative += probability[r];
        if (target < cumulative) {
            token = ranked[r];
            break;
        }
    }
    tokens[image] = token;
}
