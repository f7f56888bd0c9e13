// Multi-head scaled dot-product attention with key-padding and causal masks. CPU twin: CpuBackend.attention.
//
// One version: one warp per query row and head, streaming over its keys with an online softmax (running max,
// running sum, rescaled accumulator), so neither the number of keys nor the sequence length is bounded. Each
// lane holds headDim/32 features. The keys are split over gridDim.z blocks (split-K, "flash decoding"): a
// decoding step has one query per image and head, and splitting its KV cache keeps the GPU busy;
// attention_combine then merges the splits' (max, sum, accumulator) triples. Full sequences use the same kernel,
// usually with one split.
#include "common.cuh"

#define ATTENTION_WARPS 4

// grid (ceil(queries/4), batch·heads, splits); block 128. With one split it writes out, otherwise
// stats[row][split] = (max, sum) and partial[row][split][headDim], row = (b·heads + h)·queries + t.
template <int FEATURES_PER_LANE>
__device__ __forceinline__ void attention_rows(const float* q, const float* k, const float* v, const int* mask,
                                               int maskStride, float* out, float* stats, float* partial, int queries,
                                               int keyRows, int keys, int width, int heads, int headDim, float scale,
                                               int causal, int keysPerSplit) {
    int lane = threadIdx.x & 31;
    int t = blockIdx.x * ATTENTION_WARPS + (threadIdx.x >> 5);
    if (t >= queries) {
        return;
    }
    int b = blockIdx.y / heads;
    int h = blockIdx.y % heads;
    int split = blockIdx.z;
    int keyBegin = split * keysPerSplit;
    int keyEnd = min(keys, keyBegin + keysPerSplit);
    if (causal) {
        keyEnd = min(keyEnd, keys - queries + t + 1); // query t sits at position keys − queries + t
    }
    i64 queryOffset = ((i64) b * queries + t) * width + (i64) h * headDim;
    float query[FEATURES_PER_LANE];
    float acc[FEATURES_PER_LANE];
#pragma unroll
    for (int i = 0; i < FEATURES_PER_LANE; i++) {
        int d = lane + 32 * i;
        query[i] = d < headDim ? q[queryOffset + d] : 0.0f;
        acc[i] = 0.0f;
    }
    float runningMax = NEG_INF;
    float runningSum = 0.0f;
    for (int j = keyBegin; j < keyEnd; j++) {
        if (mask != 0 && mask[(i64) b * maskStride + j] == 0) {
            continue;
        }
        i64 keyOffset = ((i64) b * keyRows + j) * width + (i64) h * headDim;
        float dot = 0.0f;
#pragma unroll
        for (int i = 0; i < FEATURES_PER_LANE; i++) {
            int d = lane + 32 * i;
            if (d < headDim) {
                dot += query[i] * k[keyOffset + d];
            }
        }
        float score = warp_sum(dot) * scale;
        float newMax = fmaxf(runningMax, score);
        float correction = expf(runningMax - newMax); // 0 for the first visible key
        float weight = expf(score - newMax);
        runningSum = runningSum * correction + weight;
#pragma unroll
        for (int i = 0; i < FEATURES_PER_LANE; i++) {
            int d = lane + 32 * i;
            float value = d < headDim ? v[keyOffset + d] : 0.0f;
            acc[i] = acc[i] * correction + weight * value;
        }
        runningMax = newMax;
    }
    int splits = gridDim.z;
    i64 row = ((i64) b * heads + h) * queries + t;
    if (splits == 1) {
        // no visible key gives 0/0 = NaN, as the CPU twin does
#pragma unroll
        for (int i = 0; i < FEATURES_PER_LANE; i++) {
            int d = lane + 32 * i;
            if (d < headDim) {
                out[queryOffset + d] = acc[i] / runningSum;
            }
        }
        return;
    }
    i64 slot = row * splits + split;
    if (lane == 0) {
        stats[slot * 2] = runningMax;
        stats[slot * 2 + 1] = runningSum;
    }
#pragma unroll
    for (int i = 0; i < FEATURES_PER_LANE; i++) {
        int d = lane + 32 * i;
        if (d < headDim) {
            partial[slot * headDim + d] = acc[i];
        }
    }
}

#define ATTENTION_PARAMS const float* q, const float* k, const float* v, const int* mask, int maskStride, float* out, \
    float* stats, float* partial, int queries, int keyRows, int keys, int width, int heads, int headDim, float scale, \
    int causal, int keysPerSplit
#define ATTENTION_ARGS q, k, v, mask, maskStride, out, stats, partial, queries, keyRows, keys, width, heads, headDim, \
    scale, causal, keysPerSplit

// One entry per register budget: head widths up to 32, 64, 128, 256, 512, 1024.
extern "C" __global__ void __launch_bounds__(128) attention_32(ATTENTION_PARAMS) { attention_rows<1>(ATTENTION_ARGS); }
extern "C" __global__ void __launch_bounds__(128) attention_64(ATTENTION_PARAMS) { attention_rows<2>(ATTENTION_ARGS); }
extern "C" __global__ void __launch_bounds__(128) attention_128(ATTENTION_PARAMS) { attention_rows<4>(ATTENTION_ARGS); }
extern "C" __global__ void __launch_bounds__(128) attention_256(ATTENTION_PARAMS) { attention_rows<8>(ATTENTION_ARGS); }
extern "C" __global__ void __launch_bounds__(128) attention_512(ATTENTION_PARAMS) { attention_rows<16>(ATTENTION_ARGS); }
extern "C" __global__ void __launch_bounds__(128) attention_1024(ATTENTION_PARAMS) { attention_rows<32>(ATTENTION_ARGS); }

// Merges the splits of every (row, feature): out = Σ_s e^(m_s − M)·acc_s / Σ_s e^(m_s − M)·l_s with M = max_s m_s.
// One thread per output element, rows·headDim threads in all.
extern "C" __global__ void attention_combine(const float* stats, const float* partial, float* out, int rows,
                                             int splits, int queries, int width, int heads, int headDim) {
    i64 i = (i64) blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (i64) rows * headDim) {
        return;
    }
    i64 row = i / headDim;
    int d = (int) (i % headDim);
    float maximum = NEG_INF;
    for (int s = 0; s < splits; s++) {
        maximum = fmaxf(maximum, stats[(row * splits + s) * 2]);
    }
    float sum = 0.0f;
    float value = 0.0f;
    for (int s = 0; s < splits; s++) {
        i64 slot = row * splits + s;
        float m = stats[slot * 2];
        float weight = m == NEG_INF ? 0.0f : expf(m - maximum); // a split without visible keys adds nothing
        sum += weight * stats[slot * 2 + 1];
        value += weight * partial[slot * headDim + d];
    }
    int t = (int) (row % queries);
    i64 bh = row / queries;
    int h = (int) (bh % heads);
    i64 b = bh / heads;
    out[(b * queries + t) * width + (i64) h * headDim + d] = value / sum;
}
