// Matrix products: out (M, N) = A (M, K) · W (K, N) + bias, W in the Flax (K, N) layout.
// CPU twin: CpuBackend.matmul and CpuBackend.conv2d.
//
// A is either the activation matrix (matmul) or the implicit im2col matrix of an NHWC input (conv2d, whose
// HWIO kernel flattened to (KH·KW·Cin, Cout) is exactly W), so one tile loop serves both.
//
// Kernels (one version each):
//   gemm_f32_*   tiled FP32: 64×64 block tile, 16-deep k slices staged in shared memory, 4×4 outputs per thread.
//   gemm_f16/bf16_*  tensor cores: the same tiling with mma.sync m16n8k16 (F32 accumulation); A is rounded to
//                the weight's 16-bit type on its way into shared memory, as the instruction needs both operands
//                in one type.
//   gemv_*       skinny M (≤ 32 rows, the decoder's one token per image): each weight element is read once,
//                split over k across blocks for parallelism, partial sums reduced in a fixed order.
#include "common.cuh"

#define TILE_M 64
#define TILE_N 64

// ---- A operand row sources ----------------------------------------------------------------------------

// Rows of a dense (M, K) activation matrix. Each thread loads R fixed rows of the tile and one k column.
template <int R>
struct DenseRows {
    const float* x;
    int rows, depth;
    i64 base[R];
    bool valid[R];
    int column;
    bool columnValid;

    __device__ DenseRows(const float* x, int rows, int depth) : x(x), rows(rows), depth(depth) {}

    __device__ void set_row(int i, int m) {
        valid[i] = m < rows;
        base[i] = (i64) m * depth;
    }
    __device__ void set_column(int k) {
        column = k;
        columnValid = k < depth;
    }
    __device__ float load(int i) const {
        return valid[i] && columnValid ? x[base[i] + column] : 0.0f;
    }
};

// Rows of the implicit im2col matrix of a convolution: row m = (b, oy, ox), column k = (ky, kx, ci).
template <int R>
struct ConvRows {
    const float* x;
    int height, width, inChannels, kernelWidth, stride, padTop, padLeft, outHeight, outWidth, rows, depth;
    i64 imageBase[R];
    int y0[R], x0[R];
    bool valid[R];
    int ky, kx, ci;
    bool columnValid;

    __device__ ConvRows(const float* x, int batch, int height, int width, int inChannels, int kernelHeight,
                        int kernelWidth, int stride, int padTop, int padLeft, int outHeight, int outWidth)
        : x(x), height(height), width(width), inChannels(inChannels), kernelWidth(kernelWidth), stride(stride),
          padTop(padTop), padLeft(padLeft), outHeight(outHeight), outWidth(outWidth),
          rows(batch * outHeight * outWidth), depth(kernelHeight * kernelWidth * inChannels) {}

    __device__ void set_row(int i, int m) {
        valid[i] = m < rows;
        int ox = m % outWidth;
        int rest = m / outWidth;
        int oy = rest % outHeight;
        int b = rest / outHeight;
        imageBase[i] = (i64) b * height * width * inChannels;
        y0[i] = oy * stride - padTop;
        x0[i] = ox * stride - padLeft;
    }
    __device__ void set_column(int k) {
        columnValid = k < depth;
        ci = k % inChannels;
        int rest = k / inChannels;
        kx = rest % kernelWidth;
        ky = rest / kernelWidth;
    }
    __device__ float load(int i) const {
        int iy = y0[i] + ky;
        int ix = x0[i] + kx;
        bool inside = valid[i] && columnValid && iy >= 0 && iy < height && ix >= 0 && ix < width;
        return inside ? x[imageBase[i] + ((i64) iy * width + ix) * inChannels + ci] : 0.0f;
    }
};

__device__ __forceinline__ void store_output(float* out, const void* bias, int biasType, int m, int n, int M,
                                             int N, float value) {
    if (m < M && n < N) {
        out[(i64) m * N + n] = value + load_optional(bias, biasType, n, 0.0f);
    }
}

// ---- FP32 tiles ---------------------------------------------------------------------------------------

#define F32_DEPTH 16
#define F32_THREADS 256

template <class Rows>
__device__ __forceinline__ void gemm_f32_tile(Rows& a, const float* w, const void* bias, int biasType, float* out,
                                              int M, int N, int K) {
    __shared__ __align__(16) float tileA[F32_DEPTH][TILE_M + 4]; // [k][m], read as columns of A
    __shared__ __align__(16) float tileW[F32_DEPTH][TILE_N];     // [k][n]
    int tid = threadIdx.x;
    int m0 = blockIdx.y * TILE_M;
    int n0 = blockIdx.x * TILE_N;
    // loaders: A element (aRow + 16i, aColumn), W element (wRow + 4i, wColumn)
    int aColumn = tid % F32_DEPTH;
    int aRow = tid / F32_DEPTH;
    int wColumn = tid % TILE_N;
    int wRow = tid / TILE_N;
    for (int i = 0; i < 4; i++) {
        a.set_row(i, m0 + aRow + 16 * i);
    }
    // compute: rows ty·4 .. ty·4+3, columns tx·4 .. tx·4+3
    int tx = tid % 16;
    int ty = tid / 16;
    float acc[4][4] = {};
    for (int k0 = 0; k0 < K; k0 += F32_DEPTH) {
        a.set_column(k0 + aColumn);
        for (int i = 0; i < 4; i++) {
            tileA[aColumn][aRow + 16 * i] = a.load(i);
        }
        int n = n0 + wColumn;
        for (int i = 0; i < 4; i++) {
            int k = k0 + wRow + 4 * i;
            tileW[wRow + 4 * i][wColumn] = k < K && n < N ? w[(i64) k * N + n] : 0.0f;
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < F32_DEPTH; kk++) {
            float4 av = *(const float4*) &tileA[kk][ty * 4];
            float4 wv = *(const float4*) &tileW[kk][tx * 4];
            float ar[4] = {av.x, av.y, av.z, av.w};
            float wr[4] = {wv.x, wv.y, wv.z, wv.w};
#pragma unroll
            for (int i = 0; i < 4; i++) {
#pragma unroll
                for (int j = 0; j < 4; j++) {
                    acc[i][j] += ar[i] * wr[j];
                }
            }
        }
        __syncthreads();
    }
    for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 4; j++) {
            store_output(out, bias, biasType, m0 + ty * 4 + i, n0 + tx * 4 + j, M, N, acc[i][j]);
        }
    }
}

// ---- 16-bit weights on tensor cores -------------------------------------------------------------------

#define MMA_DEPTH 32
#define MMA_THREADS 256

__device__ __forceinline__ void mma_16816(float* d, const u32* a, const u32* b, bool bf16) {
    if (bf16) {
        asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                     : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
    } else {
        asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                     : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
    }
}

// Eight warps as 2 (m) × 4 (n); each warp owns a 32×16 piece of the 64×64 tile: 2×2 mma tiles of 16×8.
// Fragment layouts are the PTX ISA's for mma.m16n8k16 (group = lane/4, member = lane%4): A rows group and
// group+8, k pairs 2·member and 2·member+8; B (k-major per column n = group) the same k pairs; C rows
// group and group+8, columns 2·member and 2·member+1.
template <class Rows, class W, bool IS_BF16>
__device__ __forceinline__ void gemm_mma_tile(Rows& a, const u16* w, const void* bias, int biasType, float* out,
                                              int M, int N, int K) {
    __shared__ __align__(16) u16 tileA[TILE_M][MMA_DEPTH + 8]; // [m][k]
    __shared__ __align__(16) u16 tileW[TILE_N][MMA_DEPTH + 8]; // [n][k]: k pairs adjacent for the B fragment
    int tid = threadIdx.x;
    int lane = tid & 31;
    int warp = tid >> 5;
    int group = lane >> 2;
    int member = lane & 3;
    int warpM = (warp / 4) * 32;
    int warpN = (warp % 4) * 16;
    int m0 = blockIdx.y * TILE_M;
    int n0 = blockIdx.x * TILE_N;
    // loaders: A element (aRow + 8i, aColumn), W element (wRow + 4i, wColumn)
    int aColumn = tid % MMA_DEPTH;
    int aRow = tid / MMA_DEPTH;
    int wColumn = tid % TILE_N;
    int wRow = tid / TILE_N;
    for (int i = 0; i < 8; i++) {
        a.set_row(i, m0 + aRow + 8 * i);
    }
    float acc[2][2][4] = {};
    for (int k0 = 0; k0 < K; k0 += MMA_DEPTH) {
        a.set_column(k0 + aColumn);
        for (int i = 0; i < 8; i++) {
            tileA[aRow + 8 * i][aColumn] = W::narrow(a.load(i));
        }
        int n = n0 + wColumn;
        for (int i = 0; i < 8; i++) {
            int k = k0 + wRow + 4 * i;
            tileW[wColumn][wRow + 4 * i] = k < K && n < N ? w[(i64) k * N + n] : (u16) 0;
        }
        __syncthreads();
#pragma unroll
        for (int ks = 0; ks < MMA_DEPTH; ks += 16) {
            u32 af[2][4];
            u32 bf[2][2];
            int kp = ks + member * 2;
#pragma unroll
            for (int mi = 0; mi < 2; mi++) {
                int r = warpM + mi * 16 + group;
                af[mi][0] = *(const u32*) &tileA[r][kp];
                af[mi][1] = *(const u32*) &tileA[r + 8][kp];
                af[mi][2] = *(const u32*) &tileA[r][kp + 8];
                af[mi][3] = *(const u32*) &tileA[r + 8][kp + 8];
            }
#pragma unroll
            for (int ni = 0; ni < 2; ni++) {
                int c = warpN + ni * 8 + group;
                bf[ni][0] = *(const u32*) &tileW[c][kp];
                bf[ni][1] = *(const u32*) &tileW[c][kp + 8];
            }
#pragma unroll
            for (int mi = 0; mi < 2; mi++) {
#pragma unroll
                for (int ni = 0; ni < 2; ni++) {
                    mma_16816(acc[mi][ni], af[mi], bf[ni], IS_BF16);
                }
            }
        }
        __syncthreads();
    }
    for (int mi = 0; mi < 2; mi++) {
        for (int ni = 0; ni < 2; ni++) {
            int r = m0 + warpM + mi * 16 + group;
            int c = n0 + warpN + ni * 8 + member * 2;
            store_output(out, bias, biasType, r, c, M, N, acc[mi][ni][0]);
            store_output(out, bias, biasType, r, c + 1, M, N, acc[mi][ni][1]);
            store_output(out, bias, biasType, r + 8, c, M, N, acc[mi][ni][2]);
            store_output(out, bias, biasType, r + 8, c + 1, M, N, acc[mi][ni][3]);
        }
    }
}

// ---- entry points: grid (ceil(N/64), ceil(M/64)) ----------------------------------------------------------

#define MATMUL_PARAMS const float* x, const void* w, const void* bias, int biasType, float* out, int M, int N, int K
#define CONV_PARAMS const float* x, const void* w, const void* bias, int biasType, float* out, int batch, \
    int height, int width, int inChannels, int kernelHeight, int kernelWidth, int stride, int padTop, int padLeft, \
    int outHeight, int outWidth, int outChannels
#define CONV_ROWS(R) ConvRows<R> a(x, batch, height, width, inChannels, kernelHeight, kernelWidth, stride, padTop, \
    padLeft, outHeight, outWidth)

extern "C" __global__ void __launch_bounds__(F32_THREADS) gemm_f32_matmul(MATMUL_PARAMS) {
    DenseRows<4> a(x, M, K);
    gemm_f32_tile(a, (const float*) w, bias, biasType, out, M, N, K);
}

extern "C" __global__ void __launch_bounds__(MMA_THREADS) gemm_f16_matmul(MATMUL_PARAMS) {
    DenseRows<8> a(x, M, K);
    gemm_mma_tile<DenseRows<8>, F16, false>(a, (const u16*) w, bias, biasType, out, M, N, K);
}

extern "C" __global__ void __launch_bounds__(MMA_THREADS) gemm_bf16_matmul(MATMUL_PARAMS) {
    DenseRows<8> a(x, M, K);
    gemm_mma_tile<DenseRows<8>, BF16, true>(a, (const u16*) w, bias, biasType, out, M, N, K);
}

extern "C" __global__ void __launch_bounds__(F32_THREADS) gemm_f32_conv(CONV_PARAMS) {
    CONV_ROWS(4);
    gemm_f32_tile(a, (const float*) w, bias, biasType, out, a.rows, outChannels, a.depth);
}

extern "C" __global__ void __launch_bounds__(MMA_THREADS) gemm_f16_conv(CONV_PARAMS) {
    CONV_ROWS(8);
    gemm_mma_tile<ConvRows<8>, F16, false>(a, (const u16*) w, bias, biasType, out, a.rows, outChannels, a.depth);
}

extern "C" __global__ void __launch_bounds__(MMA_THREADS) gemm_bf16_conv(CONV_PARAMS) {
    CONV_ROWS(8);
    gemm_mma_tile<ConvRows<8>, BF16, true>(a, (const u16*) w, bias, biasType, out, a.rows, outChannels, a.depth);
}

// ---- skinny M -----------------------------------------------------------------------------------------

#define GEMV_MAX_ROWS 32
#define GEMV_COLUMNS 64 // per block: 32 lanes × 2 adjacent columns
#define GEMV_WARPS 8
#define GEMV_CHUNK 128  // k rows of x staged in shared memory at a time

// grid (ceil(N/64), splits); block 256. Block (bx, s) sums k in [s·kPerSplit, (s+1)·kPerSplit) for 64 columns;
// with one split it writes out (+ bias), otherwise its partial sums to partial[s][M][N] for gemv_reduce.
template <class W>
__device__ __forceinline__ void gemv_tile(const float* x, const typename W::T* w, const void* bias, int biasType,
                                          float* out, float* partial, int M, int N, int K, int kPerSplit) {
    __shared__ __align__(16) float xs[GEMV_CHUNK][GEMV_MAX_ROWS + 4]; // [k][m]: one k's rows read as float4s
    __shared__ float sums[GEMV_MAX_ROWS][GEMV_COLUMNS];
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;
    int n = blockIdx.x * GEMV_COLUMNS + lane * 2;
    int kBegin = blockIdx.y * kPerSplit;
    int kEnd = min(K, kBegin + kPerSplit);
    float acc[GEMV_MAX_ROWS][2] = {};
    for (int kc = kBegin; kc < kEnd; kc += GEMV_CHUNK) {
        int chunk = min(GEMV_CHUNK, kEnd - kc);
        __syncthreads();
        for (int i = threadIdx.x; i < GEMV_CHUNK * GEMV_MAX_ROWS; i += blockDim.x) {
            int m = i / GEMV_CHUNK;
            int kk = i % GEMV_CHUNK;
            xs[kk][m] = m < M && kk < chunk ? x[(i64) m * K + kc + kk] : 0.0f;
        }
        __syncthreads();
        for (int kk = warp; kk < chunk; kk += GEMV_WARPS) {
            const typename W::T* row = w + (i64) (kc + kk) * N;
            float w0 = n < N ? W::widen(row[n]) : 0.0f;
            float w1 = n + 1 < N ? W::widen(row[n + 1]) : 0.0f;
            const float4* xv = (const float4*) xs[kk];
#pragma unroll
            for (int q = 0; q < GEMV_MAX_ROWS / 4; q++) {
                if (4 * q < M) {
                    float4 v = xv[q];
                    acc[4 * q][0] += v.x * w0;
                    acc[4 * q][1] += v.x * w1;
                    acc[4 * q + 1][0] += v.y * w0;
                    acc[4 * q + 1][1] += v.y * w1;
                    acc[4 * q + 2][0] += v.z * w0;
                    acc[4 * q + 2][1] += v.z * w1;
                    acc[4 * q + 3][0] += v.w * w0;
                    acc[4 * q + 3][1] += v.w * w1;
                }
            }
        }
    }
    // add the warps' sums in a fixed order, so results do not depend on scheduling
    for (int turn = 0; turn < GEMV_WARPS; turn++) {
        if (warp == turn) {
#pragma unroll
            for (int m = 0; m < GEMV_MAX_ROWS; m++) {
                if (m < M) {
                    sums[m][lane * 2] = (turn == 0 ? 0.0f : sums[m][lane * 2]) + acc[m][0];
                    sums[m][lane * 2 + 1] = (turn == 0 ? 0.0f : sums[m][lane * 2 + 1]) + acc[m][1];
                }
            }
        }
        __syncthreads();
    }
    for (int i = threadIdx.x; i < M * GEMV_COLUMNS; i += blockDim.x) {
        int m = i / GEMV_COLUMNS;
        int c = i % GEMV_COLUMNS;
        int column = blockIdx.x * GEMV_COLUMNS + c;
        if (column < N) {
            if (gridDim.y == 1) {
                out[(i64) m * N + column] = sums[m][c] + load_optional(bias, biasType, column, 0.0f);
            } else {
                partial[((i64) blockIdx.y * M + m) * N + column] = sums[m][c];
            }
        }
    }
}

#define GEMV_PARAMS const float* x, const void* w, const void* bias, int biasType, float* out, float* partial, \
    int M, int N, int K, int kPerSplit

extern "C" __global__ void __launch_bounds__(256) gemv_f32(GEMV_PARAMS) {
    gemv_tile<F32>(x, (const float*) w, bias, biasType, out, partial, M, N, K, kPerSplit);
}

extern "C" __global__ void __launch_bounds__(256) gemv_f16(GEMV_PARAMS) {
    gemv_tile<F16>(x, (const u16*) w, bias, biasType, out, partial, M, N, K, kPerSplit);
}

extern "C" __global__ void __launch_bounds__(256) gemv_bf16(GEMV_PARAMS) {
    gemv_tile<BF16>(x, (const u16*) w, bias, biasType, out, partial, M, N, K, kPerSplit);
}

// out[m][n] = Σ_s partial[s][m][n] (in split order) + bias[n]; one thread per output.
extern "C" __global__ void gemv_reduce(const float* partial, const void* bias, int biasType, float* out, int M, int N,
                                       int splits) {
    i64 i = (i64) blockIdx.x * blockDim.x + threadIdx.x;
    i64 count = (i64) M * N;
    if (i >= count) {
        return;
    }
    float sum = 0.0f;
    for (int s = 0; s < splits; s++) {
        sum += partial[s * count + i];
    }
    out[i] = sum + load_optional(bias, biasType, i % N, 0.0f);
}
