package io.github.jdalle.core.cpu;

import io.github.jdalle.core.Activation;
import io.github.jdalle.core.AttentionSpec;
import io.github.jdalle.core.Backend;
import io.github.jdalle.core.ConvSpec;
import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.ShapeChecks;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.Workspace;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The naive scalar reference the CPU kernels are tested against: the definition of every op written as
 * plainly as possible, element by element through {@link Tensor#getFloat}, single-threaded, accumulating in
 * float (double for statistics) without fused multiply-adds. Slow by design.
 */
public final class ScalarReference implements Backend {
    @Override
    public String name() {
        return "scalar reference";
    }

    @Override
    public Tensor load(Tensor weight) {
        return HostMemory.load(weight);
    }

    @Override
    public Workspace workspace() {
        return HostMemory.workspace();
    }

    @Override
    public void upload(Tensor hostSource, Tensor destination) {
        copy(hostSource, destination);
    }

    @Override
    public void download(Tensor source, Tensor hostDestination) {
        copy(source, hostDestination);
    }

    @Override
    public void copy(Tensor source, Tensor destination) {
        HostMemory.copy(source, destination);
    }

    @Override
    public void matmul(Tensor x, Tensor weight, Tensor bias, Tensor out) {
        ShapeChecks.matmul(x, weight, bias, out);
        int k = x.columns();
        int m = x.rows();
        int n = weight.dim(1);
        float[] row = new float[n];
        for (int r = 0; r < m; r++) {
            Arrays.fill(row, 0f);
            for (int p = 0; p < k; p++) {
                float xv = x.getFloat((long) r * k + p);
                long base = (long) p * n;
                for (int c = 0; c < n; c++) {
                    row[c] += xv * weight.getFloat(base + c);
                }
            }
            for (int c = 0; c < n; c++) {
                out.setFloat((long) r * n + c, bias == null ? row[c] : row[c] + bias.getFloat(c));
            }
        }
    }

    @Override
    public void attention(Tensor q, Tensor k, Tensor v, AttentionSpec spec, Tensor out) {
        int batch = q.dim(0);
        int queries = q.dim(1);
        int width = q.dim(2);
        int keyRows = k.dim(1);
        int keys = ShapeChecks.attention(q, k, v, spec, out);
        int heads = spec.heads();
        Tensor mask = spec.keyMask();
        int headDim = width / heads;
        float[] scores = new float[keys];
        for (int i = 0; i < batch * heads * queries; i++) {
            int b = i / (heads * queries);
            int h = (i / queries) % heads;
            int t = i % queries;
            int position = keys - queries + t;
            long qBase = ((long) b * queries + t) * width + (long) h * headDim;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < keys; j++) {
                boolean visible = (!spec.causal() || j <= position)
                        && (mask == null || mask.getInt((long) b * mask.dim(1) + j) != 0);
                if (!visible) {
                    scores[j] = Float.NEGATIVE_INFINITY;
                    continue;
                }
                long kBase = ((long) b * keyRows + j) * width + (long) h * headDim;
                float dot = 0;
                for (int d = 0; d < headDim; d++) {
                    dot += q.getFloat(qBase + d) * k.getFloat(kBase + d);
                }
                scores[j] = dot * spec.scale();
                max = Math.max(max, scores[j]);
            }
            if (max == Float.NEGATIVE_INFINITY) {
                for (int d = 0; d < headDim; d++) {
                    out.setFloat(qBase + d, 0f);
                }
                continue;
            }
            float sum = 0;
            for (int j = 0; j < keys; j++) {
                scores[j] = scores[j] == Float.NEGATIVE_INFINITY ? 0f : (float) Math.exp(scores[j] - max);
                sum += scores[j];
            }
            for (int d = 0; d < headDim; d++) {
                float acc = 0;
                for (int j = 0; j < keys; j++) {
                    if (scores[j] != 0f) {
                        acc += scores[j] * v.getFloat(((long) b * keyRows + j) * width + (long) h * headDim + d);
                    }
                }
                out.setFloat(qBase + d, acc / sum);
            }
        }
    }

    @Override
    public void layerNorm(Tensor x, Tensor scale, Tensor bias, float eps, Tensor out) {
        int width = x.columns();
        ShapeChecks.sameCount("layerNorm", x, out);
        for (int r = 0; r < x.rows(); r++) {
            long base = (long) r * width;
            double mean = 0;
            for (int c = 0; c < width; c++) {
                mean += x.getFloat(base + c);
            }
            mean /= width;
            double variance = 0;
            for (int c = 0; c < width; c++) {
                double d = x.getFloat(base + c) - mean;
                variance += d * d;
            }
            variance /= width;
            float inv = (float) (1 / Math.sqrt(variance + eps));
            for (int c = 0; c < width; c++) {
                float y = (float) (x.getFloat(base + c) - mean) * inv;
                if (scale != null) {
                    y *= scale.getFloat(c);
                }
                if (bias != null) {
                    y += bias.getFloat(c);
                }
                out.setFloat(base + c, y);
            }
        }
    }

    @Override
    public void groupNorm(Tensor x, int groups, Tensor scale, Tensor bias, float eps, Tensor out) {
        ShapeChecks.sameCount("groupNorm", x, out);
        int channels = x.dim(-1);
        if (channels % groups != 0) {
            throw new JdalleException("groupNorm: " + channels + " channels do not split into " + groups + " groups");
        }
        int batch = x.dim(0);
        int positions = Math.toIntExact(x.elementCount() / ((long) batch * channels));
        int groupSize = channels / groups;
        for (int bg = 0; bg < batch * groups; bg++) {
            int b = bg / groups;
            int c0 = (bg % groups) * groupSize;
            long base = (long) b * positions * channels;
            double mean = 0;
            for (int p = 0; p < positions; p++) {
                for (int c = 0; c < groupSize; c++) {
                    mean += x.getFloat(base + (long) p * channels + c0 + c);
                }
            }
            mean /= (double) positions * groupSize;
            double variance = 0;
            for (int p = 0; p < positions; p++) {
                for (int c = 0; c < groupSize; c++) {
                    double d = x.getFloat(base + (long) p * channels + c0 + c) - mean;
                    variance += d * d;
                }
            }
            variance /= (double) positions * groupSize;
            float inv = (float) (1 / Math.sqrt(variance + eps));
            for (int p = 0; p < positions; p++) {
                for (int c = 0; c < groupSize; c++) {
                    long at = base + (long) p * channels + c0 + c;
                    float y = (float) (x.getFloat(at) - mean) * inv;
                    out.setFloat(at, y * scale.getFloat(c0 + c) + bias.getFloat(c0 + c));
                }
            }
        }
    }

    @Override
    public void activate(Activation function, Tensor x, Tensor out) {
        ShapeChecks.sameCount("activate", x, out);
        elementwise(x.elementCount(), i -> {
            double v = x.getFloat(i);
            double y = switch (function) {
                case GELU -> 0.5 * v * Erf.erfc(-v / Math.sqrt(2));
                case QUICK_GELU -> v / (1 + Math.exp(-1.702 * v));
                case SWISH -> v / (1 + Math.exp(-v));
            };
            out.setFloat(i, (float) y);
        });
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor out) {
        ShapeChecks.add(a, b, out);
        long bCount = b.elementCount();
        elementwise(a.elementCount(), i -> out.setFloat(i, a.getFloat(i) + b.getFloat(i % bCount)));
    }

    @Override
    public void mul(Tensor a, Tensor b, Tensor out) {
        ShapeChecks.sameCount("mul", a, b);
        ShapeChecks.sameCount("mul", a, out);
        elementwise(a.elementCount(), i -> out.setFloat(i, a.getFloat(i) * b.getFloat(i)));
    }

    @Override
    public void scale(Tensor x, float factor, Tensor out) {
        ShapeChecks.sameCount("scale", x, out);
        elementwise(x.elementCount(), i -> out.setFloat(i, x.getFloat(i) * factor));
    }

    @Override
    public void softmax(Tensor x, Tensor out) {
        ShapeChecks.sameCount("softmax", x, out);
        int width = x.columns();
        for (int r = 0; r < x.rows(); r++) {
            long base = (long) r * width;
            float max = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < width; c++) {
                max = Math.max(max, x.getFloat(base + c));
            }
            double sum = 0;
            for (int c = 0; c < width; c++) {
                float e = (float) Math.exp(x.getFloat(base + c) - max);
                out.setFloat(base + c, e);
                sum += e;
            }
            for (int c = 0; c < width; c++) {
                out.setFloat(base + c, (float) (out.getFloat(base + c) / sum));
            }
        }
    }

    @Override
    public void conv2d(Tensor x, Tensor kernel, Tensor bias, ConvSpec spec, Tensor out) {
        int batch = x.dim(0);
        int height = x.dim(1);
        int width = x.dim(2);
        int inChannels = x.dim(3);
        int kh = kernel.dim(0);
        int kw = kernel.dim(1);
        int outChannels = kernel.dim(3);
        int outHeight = spec.outputSize(height, kh, true);
        int outWidth = spec.outputSize(width, kw, false);
        int[] expected = {batch, outHeight, outWidth, outChannels};
        if (kernel.dim(2) != inChannels || !Arrays.equals(out.shape(), expected)) {
            throw new JdalleException("conv2d: x " + x + " with kernel " + kernel + " does not give out " + out);
        }
        float[] acc = new float[outChannels];
        for (int row = 0; row < batch * outHeight; row++) {
            int b = row / outHeight;
            int oy = row % outHeight;
            for (int ox = 0; ox < outWidth; ox++) {
                for (int co = 0; co < outChannels; co++) {
                    acc[co] = bias == null ? 0f : bias.getFloat(co);
                }
                for (int ky = 0; ky < kh; ky++) {
                    int iy = oy * spec.stride() - spec.padTop() + ky;
                    if (iy < 0 || iy >= height) {
                        continue;
                    }
                    for (int kx = 0; kx < kw; kx++) {
                        int ix = ox * spec.stride() - spec.padLeft() + kx;
                        if (ix < 0 || ix >= width) {
                            continue;
                        }
                        long xBase = (((long) b * height + iy) * width + ix) * inChannels;
                        long kBase = ((long) ky * kw + kx) * inChannels * outChannels;
                        for (int ci = 0; ci < inChannels; ci++) {
                            float xv = x.getFloat(xBase + ci);
                            long kRow = kBase + (long) ci * outChannels;
                            for (int co = 0; co < outChannels; co++) {
                                acc[co] += xv * kernel.getFloat(kRow + co);
                            }
                        }
                    }
                }
                long oBase = (((long) b * outHeight + oy) * outWidth + ox) * outChannels;
                for (int co = 0; co < outChannels; co++) {
                    out.setFloat(oBase + co, acc[co]);
                }
            }
        }
    }

    @Override
    public void upsampleNearest2x(Tensor x, Tensor out) {
        int batch = x.dim(0);
        int height = x.dim(1);
        int width = x.dim(2);
        int channels = x.dim(3);
        ShapeChecks.upsampleNearest2x(x, out);
        long rowBytes = (long) channels * x.dtype().byteSize();
        for (int row = 0; row < batch * 2 * height; row++) {
            int b = row / (2 * height);
            int iy = (row % (2 * height)) / 2;
            for (int ox = 0; ox < 2 * width; ox++) {
                long src = (((long) b * height + iy) * width + ox / 2) * rowBytes;
                long dst = ((long) row * 2 * width + ox) * rowBytes;
                MemorySegment.copy(x.segment(), src, out.segment(), dst, rowBytes);
            }
        }
    }

    @Override
    public void gather(Tensor table, Tensor ids, Tensor out) {
        int vocab = table.dim(0);
        int width = table.dim(1);
        long count = ids.elementCount();
        if (out.elementCount() != count * width) {
            throw new JdalleException("gather: " + count + " ids of width " + width + " do not fill " + out);
        }
        for (long i = 0; i < count; i++) {
            int id = ids.getInt(i);
            if (id < 0 || id >= vocab) {
                throw new JdalleException("id " + id + " at position " + i + " is outside [0, " + vocab + ")");
            }
        }
        for (int i = 0; i < Math.toIntExact(count); i++) {
            long src = (long) ids.getInt(i) * width;
            for (int c = 0; c < width; c++) {
                out.setFloat((long) i * width + c, table.getFloat(src + c));
            }
        }
    }

    @Override
    public void writeSlot(Tensor rows, Tensor cache, int slot) {
        int batch = cache.dim(0);
        int slots = cache.dim(1);
        int width = cache.dim(2);
        if (rows.elementCount() != (long) batch * width || slot < 0 || slot >= slots || rows.dtype() != cache.dtype()) {
            throw new JdalleException("writeSlot: " + rows + " does not fit slot " + slot + " of " + cache);
        }
        long rowBytes = (long) width * cache.dtype().byteSize();
        for (int b = 0; b < batch; b++) {
            MemorySegment.copy(rows.segment(), b * rowBytes, cache.segment(), ((long) b * slots + slot) * rowBytes,
                    rowBytes);
        }
    }

    @Override
    public void close() {
    }

    private interface IndexBody {
        void run(long index);
    }

    private void elementwise(long count, IndexBody body) {
        int n = Math.toIntExact(count);
        for (int i = 0; i < n; i++) {
            body.run(i);
        }
    }
}
