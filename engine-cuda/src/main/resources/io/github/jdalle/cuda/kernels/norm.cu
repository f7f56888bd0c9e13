// Normalizations over rows and groups. CPU twins: CpuBackend.layerNorm, groupNorm and softmax.
//
// One version each:
//   layer_norm, softmax_rows: one block per row; two passes (mean, then centred squares) for a variance
//     that does not cancel, then a pass writing the output. A thread writes only the elements it read, so
//     out may alias x.
//   group_stats → group_finalize → group_apply: a VQGAN group spans up to 256×256 positions, too much for one
//     block, so blocks compute (count, mean, M2) of chunks of positions, one thread per group merges them
//     (Chan et al.), and an element-wise pass normalizes.
#include "common.cuh"

// grid (rows); block 256.
extern "C" __global__ void layer_norm(const float* x, const void* scale, int scaleType, const void* bias,
                                      int biasType, float* out, int width, float eps) {
    __shared__ float scratch[32];
    const float* row = x + (i64) blockIdx.x * width;
    float* target = out + (i64) blockIdx.x * width;
    float sum = 0.0f;
    for (int c = threadIdx.x; c < width; c += blockDim.x) {
        sum += row[c];
    }
    float mean = block_reduce(sum, scratch, false) / width;
    float squares = 0.0f;
    for (int c = threadIdx.x; c < width; c += blockDim.x) {
        float d = row[c] - mean;
        squares += d * d;
    }
    float inverse = 1.0f / sqrtf(block_reduce(squares, scratch, false) / width + eps);
    for (int c = threadIdx.x; c < width; c += blockDim.x) {
        float y = (row[c] - mean) * inverse;
        target[c] = y * load_optional(scale, scaleType, c, 1.0f) + load_optional(bias, biasType, c, 0.0f);
    }
}

// grid (rows); block 256.
extern "C" __global__ void softmax_rows(const float* x, float* out, int width) {
    __shared__ float scratch[32];
    const float* row = x + (i64) blockIdx.x * width;
    float* target = out + (i64) blockIdx.x * width;
    float maximum = NEG_INF;
    for (int c = threadIdx.x; c < width; c += blockDim.x) {
        maximum = fmaxf(maximum, row[c]);
    }
    maximum = block_reduce(maximum, scratch, true);
    float sum = 0.0f;
    for (int c = threadIdx.x; c < width; c += blockDim.x) {
        sum += expf(row[c] - maximum);
    }
    float inverse = 1.0f / block_reduce(sum, scratch, false);
    for (int c = threadIdx.x; c < width; c += blockDim.x) {
        target[c] = expf(row[c] - maximum) * inverse;
    }
}

// grid (chunks, batch·groups); block 256. Chunk c of group (b, g) covers positions
// [c·chunkPositions, (c+1)·chunkPositions); writes partial[(b·groups + g)·chunks + c] = (count, mean, M2).
extern "C" __global__ void group_stats(const float* x, float* partial, int positions, int channels, int groups,
                                       int chunkPositions) {
    __shared__ float scratch[32];
    int groupSize = channels / groups;
    int chunk = blockIdx.x;
    int chunks = gridDim.x;
    int b = blockIdx.y / groups;
    int g = blockIdx.y % groups;
    int p0 = chunk * chunkPositions;
    int count = max(0, min(positions, p0 + chunkPositions) - p0) * groupSize;
    const float* base = x + ((i64) b * positions + p0) * channels + (i64) g * groupSize;
    float sum = 0.0f;
    for (int i = threadIdx.x; i < count; i += blockDim.x) {
        sum += base[(i64) (i / groupSize) * channels + i % groupSize];
    }
    float mean = count == 0 ? 0.0f : block_reduce(sum, scratch, false) / count;
    float squares = 0.0f;
    for (int i = threadIdx.x; i < count; i += blockDim.x) {
        float d = base[(i64) (i / groupSize) * channels + i % groupSize] - mean;
        squares += d * d;
    }
    float m2 = count == 0 ? 0.0f : block_reduce(squares, scratch, false);
    if (threadIdx.x == 0) {
        float* slot = partial + ((i64) blockIdx.y * chunks + chunk) * 3;
        slot[0] = (float) count;
        slot[1] = mean;
        slot[2] = m2;
    }
}

// One thread per (b, g): merges the chunks in order (in double) into meanInverse[(b·groups + g)·2] = (mean, 1/σ).
extern "C" __global__ void group_finalize(const float* partial, float* meanInverse, int groupCount, int chunks,
                                          float eps) {
    int bg = blockIdx.x * blockDim.x + threadIdx.x;
    if (bg >= groupCount) {
        return;
    }
    double count = 0.0;
    double mean = 0.0;
    double m2 = 0.0;
    for (int c = 0; c < chunks; c++) {
        const float* slot = partial + ((i64) bg * chunks + c) * 3;
        double n = slot[0];
        if (n == 0.0) {
            continue;
        }
        double delta = slot[1] - mean;
        double total = count + n;
        mean += delta * n / total;
        m2 += slot[2] + delta * delta * count * n / total;
        count = total;
    }
    meanInverse[bg * 2] = (float) mean;
    meanInverse[bg * 2 + 1] = (float) (1.0 / sqrt(m2 / count + eps));
}

// One thread per element of x (batch, positions, channels).
extern "C" __global__ void group_apply(const float* x, const float* meanInverse, const void* scale, int scaleType,
                                       const void* bias, int biasType, float* out, int positions, int channels,
                                       int groups, i64 count) {
    i64 i = (i64) blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= count) {
        return;
    }
    int c = (int) (i % channels);
    i64 b = i / ((i64) positions * channels);
    i64 bg = b * groups + c / (channels / groups);
    float y = (x[i] - meanInverse[bg * 2]) * meanInverse[bg * 2 + 1];
    out[i] = y * load_optional(scale, scaleType, c, 1.0f) + load_optional(bias, biasType, c, 0.0f);
}
