// Element-wise ops, indexing and copies. CPU twins: CpuBackend.activate, add, mul, scale, gather, writeSlot,
// upsampleNearest2x. One version each: a grid-stride loop, one element (or 16/32-bit unit) per thread.
#include "common.cuh"

// Numbered as CudaBackend.Elementwise.
#define OP_ADD 0
#define OP_MUL 1
#define OP_SCALE 2
#define OP_GELU 3
#define OP_QUICK_GELU 4
#define OP_SWISH 5

// out[i] = op(a[i], b[i % bCount]) for i < count; a and b of any float dtype, out F32 and possibly aliasing
// either. One kernel for every op: the switch is uniform across the grid.
extern "C" __global__ void elementwise(int op, const void* a, int aType, const void* b, int bType, i64 bCount,
                                       float factor, float* out, i64 count) {
    for (i64 i = (i64) blockIdx.x * blockDim.x + threadIdx.x; i < count; i += (i64) gridDim.x * blockDim.x) {
        float x = load_float(a, aType, i);
        float y;
        switch (op) {
            case OP_ADD: y = x + load_float(b, bType, bCount == count ? i : i % bCount); break;
            case OP_MUL: y = x * load_float(b, bType, i); break;
            case OP_SCALE: y = x * factor; break;
            case OP_GELU: y = 0.5f * x * (1.0f + erff(x * 0.70710678118654752f)); break;
            case OP_QUICK_GELU: y = x / (1.0f + expf(-1.702f * x)); break;
            default: y = x / (1.0f + expf(-x)); break; // OP_SWISH
        }
        out[i] = y;
    }
}

// out[i, :] = table[ids[i], :] widened to F32. An id outside [0, vocab) is not read: the lowest such position
// goes to *badPosition (initialized by the host to INT_MAX), which the host checks after the launch.
extern "C" __global__ void gather_rows(const void* table, int tableType, int vocab, int width, const int* ids,
                                       i64 count, float* out, int* badPosition) {
    i64 total = count * width;
    for (i64 i = (i64) blockIdx.x * blockDim.x + threadIdx.x; i < total; i += (i64) gridDim.x * blockDim.x) {
        i64 position = i / width;
        int column = (int) (i % width);
        int id = ids[position];
        if (id < 0 || id >= vocab) {
            atomicMin(badPosition, (int) position);
            continue;
        }
        out[i] = load_float(table, tableType, (i64) id * width + column);
    }
}

// Copies in units of T (u16 or u32, the widest that divides every row): cache[b, slot, :] = rows[b, :].
template <class T>
__device__ __forceinline__ void write_slot_units(const T* rows, T* cache, int batch, int slots, int slot,
                                                 int rowUnits) {
    i64 total = (i64) batch * rowUnits;
    for (i64 i = (i64) blockIdx.x * blockDim.x + threadIdx.x; i < total; i += (i64) gridDim.x * blockDim.x) {
        i64 b = i / rowUnits;
        int u = (int) (i % rowUnits);
        cache[(b * slots + slot) * rowUnits + u] = rows[i];
    }
}

extern "C" __global__ void write_slot_u16(const u16* rows, u16* cache, int batch, int slots, int slot, int rowUnits) {
    write_slot_units(rows, cache, batch, slots, slot, rowUnits);
}

extern "C" __global__ void write_slot_u32(const u32* rows, u32* cache, int batch, int slots, int slot, int rowUnits) {
    write_slot_units(rows, cache, batch, slots, slot, rowUnits);
}

// out (B, 2H, 2W, pixel) from x (B, H, W, pixel), pixelUnits units of T per pixel.
template <class T>
__device__ __forceinline__ void upsample_units(const T* x, T* out, int height, int width, int pixelUnits,
                                               i64 total) {
    for (i64 o = (i64) blockIdx.x * blockDim.x + threadIdx.x; o < total; o += (i64) gridDim.x * blockDim.x) {
        int u = (int) (o % pixelUnits);
        i64 pixel = o / pixelUnits;
        int ox = (int) (pixel % (2 * width));
        i64 rest = pixel / (2 * width);
        int oy = (int) (rest % (2 * height));
        i64 b = rest / (2 * height);
        out[o] = x[((b * height + oy / 2) * width + ox / 2) * pixelUnits + u];
    }
}

extern "C" __global__ void upsample_nearest2x_u16(const u16* x, u16* out, int height, int width, int pixelUnits,
                                                  i64 total) {
    upsample_units(x, out, height, width, pixelUnits, total);
}

extern "C" __global__ void upsample_nearest2x_u32(const u32* x, u32* out, int height, int width, int pixelUnits,
                                                  i64 total) {
    upsample_units(x, out, height, width, pixelUnits, total);
}
