package io.github.jdalle.bench;

import io.github.jdalle.bench.kernels.AttentionBenchmark;
import io.github.jdalle.bench.kernels.Conv2dBenchmark;
import io.github.jdalle.bench.kernels.GemmDecoderBenchmark;
import io.github.jdalle.bench.kernels.GemmDecoderOpenBlasBenchmark;
import io.github.jdalle.bench.kernels.GemmPlainJavaBenchmark;
import io.github.jdalle.bench.kernels.GemmSquareBenchmark;
import io.github.jdalle.bench.kernels.NormBenchmark;
import io.github.jdalle.bench.kernels.SamplerBenchmark;
import io.github.jdalle.bench.machine.FmaPeakBenchmark;
import io.github.jdalle.bench.machine.MemoryBandwidthBenchmark;
import io.github.jdalle.bench.models.ClipBenchmark;
import io.github.jdalle.bench.models.DalleBartBenchmark;
import io.github.jdalle.bench.models.VqganBenchmark;
import io.github.jdalle.core.JdalleException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns JMH JSON results ({@code -rf json -rff results.json}) into the README's roofline table: for each
 * benchmark its FLOPs and bytes per operation (from the benchmark class's {@code work} method), the measured
 * rates, their fraction of this machine's FMA peak and memory bandwidth (the {@link FmaPeakBenchmark} and
 * fastest {@link MemoryBandwidthBenchmark} row with the same thread count, from the same files), and for jdalle rows
 * the speed-up over the OpenBLAS and plain-Java peers on the same shape.
 *
 * <p>Usage: {@code java -cp benchmarks/target/benchmarks.jar io.github.jdalle.bench.Roofline results.json…}
 */
public final class Roofline {
    /** The FLOPs and bytes of one operation of a benchmark method with the given JMH parameters. */
    @FunctionalInterface
    public interface CostModel {
        Work work(String method, Map<String, String> params);
    }

    /** The cost model of every benchmark class, by class name. */
    static final Map<String, CostModel> COST_MODELS = Map.ofEntries(
            Map.entry(FmaPeakBenchmark.class.getName(), FmaPeakBenchmark::work),
            Map.entry(MemoryBandwidthBenchmark.class.getName(), MemoryBandwidthBenchmark::work),
            Map.entry(GemmSquareBenchmark.class.getName(), GemmSquareBenchmark::work),
            Map.entry(GemmPlainJavaBenchmark.class.getName(), GemmPlainJavaBenchmark::work),
            Map.entry(GemmDecoderBenchmark.class.getName(), GemmDecoderBenchmark::work),
            Map.entry(GemmDecoderOpenBlasBenchmark.class.getName(), GemmDecoderOpenBlasBenchmark::work),
            Map.entry(AttentionBenchmark.class.getName(), AttentionBenchmark::work),
            Map.entry(NormBenchmark.class.getName(), NormBenchmark::work),
            Map.entry(Conv2dBenchmark.class.getName(), Conv2dBenchmark::work),
            Map.entry(SamplerBenchmark.class.getName(), SamplerBenchmark::work),
            Map.entry(DalleBartBenchmark.class.getName(), DalleBartBenchmark::work),
            Map.entry(VqganBenchmark.class.getName(), VqganBenchmark::work),
            Map.entry(ClipBenchmark.class.getName(), ClipBenchmark::work));

    private Roofline() {
    }

    /**
     * One JMH result.
     *
     * @param className      the benchmark class
     * @param method         the benchmark method
     * @param params         the JMH parameters, in declaration order
     * @param seconds        mean seconds per operation
     * @param allocatedBytes bytes allocated per operation ({@code -prof gc}), or NaN when not profiled
     */
    public record Measurement(String className, String method, Map<String, String> params, double seconds,
                              double allocatedBytes) {
        /** The thread-count parameter, "1" when the benchmark has none (single-threaded peers). */
        public String threads() {
            return params.getOrDefault("threads", "1");
        }
    }

    /**
     * One line of the table; rates and fractions are NaN where they do not apply.
     *
     * @param measurement     the result
     * @param work            its cost, or null for a benchmark without a cost model
     * @param ofFmaPeak       FLOP rate as a fraction of the FMA peak at the same thread count
     * @param ofMemory        byte rate as a fraction of the read bandwidth at the same thread count
     * @param overOpenBlas    OpenBLAS time on the same shape divided by this time (jdalle rows only)
     * @param overPlainJava   plain-Java time on the same shape divided by this time (jdalle rows only)
     */
    public record Row(Measurement measurement, Work work, double ofFmaPeak, double ofMemory, double overOpenBlas,
                      double overPlainJava) {
        /** FLOP/s of the measured operation; NaN when its work is not known. */
        public double flopsPerSecond() {
            return work == null ? Double.NaN : work.flops() / measurement.seconds();
        }

        /** Bytes moved per second by the measured operation; NaN when its work is not known. */
        public double bytesPerSecond() {
            return work == null ? Double.NaN : work.bytes() / measurement.seconds();
        }
    }

    /** Prints the Markdown table for the JMH JSON files named on the command line. */
    public static void main(String[] args) {
        if (args.length == 0) {
            System.err.println("usage: Roofline results.json [more.json …]   (JMH: -rf json -rff results.json)");
            System.exit(2);
        }
        JsonMapper mapper = JsonMapper.builder().build();
        List<Measurement> measurements = new ArrayList<>();
        for (String file : args) {
            measurements.addAll(parse(mapper.readTree(Path.of(file))));
        }
        System.out.print(markdown(analyze(measurements)));
    }

    /** The measurements of one JMH JSON result file (an array of benchmark results). */
    public static List<Measurement> parse(JsonNode results) {
        List<Measurement> measurements = new ArrayList<>();
        for (JsonNode result : results) {
            String benchmark = result.path("benchmark").asString();
            int dot = benchmark.lastIndexOf('.');
            Map<String, String> params = new LinkedHashMap<>();
            result.path("params").properties().forEach(e -> params.put(e.getKey(), e.getValue().asString()));
            JsonNode primary = result.path("primaryMetric");
            double seconds = secondsPerOperation(primary.path("score").asDouble(),
                    primary.path("scoreUnit").asString());
            JsonNode secondary = result.path("secondaryMetrics");
            // JMH 1.37 names it "gc.alloc.rate.norm", older versions "·gc.alloc.rate.norm"
            JsonNode allocation = secondary.has("gc.alloc.rate.norm") ? secondary.path("gc.alloc.rate.norm")
                    : secondary.path("·gc.alloc.rate.norm");
            double allocated = allocation.isMissingNode() ? Double.NaN : allocation.path("score").asDouble();
            measurements.add(new Measurement(benchmark.substring(0, dot), benchmark.substring(dot + 1), params,
                    seconds, allocated));
        }
        return measurements;
    }

    /** Seconds per operation from a JMH score: {@code ms/op} and the like, or throughput such as {@code ops/s}. */
    public static double secondsPerOperation(double score, String unit) {
        String[] parts = unit.split("/");
        if (parts.length != 2) {
            throw new JdalleException("unknown JMH score unit '" + unit + "'");
        }
        return parts[1].equals("op") ? score * seconds(parts[0]) : seconds(parts[1]) / score;
    }

    private static double seconds(String unit) {
        return switch (unit) {
            case "s" -> 1;
            case "ms" -> 1e-3;
            case "us", "µs" -> 1e-6;
            case "ns" -> 1e-9;
            case "min" -> 60;
            default -> throw new JdalleException("unknown JMH time unit '" + unit + "'");
        };
    }

    /** Attaches costs, peak fractions and peer ratios to each measurement. */
    public static List<Row> analyze(List<Measurement> measurements) {
        Map<String, Double> fmaPeak = new HashMap<>();
        Map<String, Double> memoryPeak = new HashMap<>();
        Map<String, Map<String, Double>> secondsByShape = new HashMap<>();
        for (Measurement m : measurements) {
            Work work = work(m);
            if (m.className().equals(FmaPeakBenchmark.class.getName())) {
                fmaPeak.put(m.threads(), work.flops() / m.seconds());
            } else if (m.className().equals(MemoryBandwidthBenchmark.class.getName())) {
                // the fastest read pattern (one stream or several per thread) is the ceiling
                memoryPeak.merge(m.threads(), work.bytes() / m.seconds(), Math::max);
            } else if (work != null) {
                secondsByShape.computeIfAbsent(work.shape(), shape -> new HashMap<>())
                        .merge(m.method(), m.seconds(), Math::min);
            }
        }
        List<Row> rows = new ArrayList<>();
        for (Measurement m : measurements) {
            Work work = work(m);
            if (work == null) {
                rows.add(new Row(m, null, Double.NaN, Double.NaN, Double.NaN, Double.NaN));
                continue;
            }
            Map<String, Double> peers = secondsByShape.getOrDefault(work.shape(), Map.of());
            boolean jdalle = m.method().equals("jdalle");
            rows.add(new Row(m, work,
                    work.flops() / m.seconds() / fmaPeak.getOrDefault(m.threads(), Double.NaN),
                    work.bytes() / m.seconds() / memoryPeak.getOrDefault(m.threads(), Double.NaN),
                    jdalle ? peers.getOrDefault("openblas", Double.NaN) / m.seconds() : Double.NaN,
                    jdalle ? peers.getOrDefault("scalar", Double.NaN) / m.seconds() : Double.NaN));
        }
        return rows;
    }

    private static Work work(Measurement m) {
        CostModel model = COST_MODELS.get(m.className());
        return model == null ? null : model.work(m.method(), m.params());
    }

    /** The table in Markdown; the allocation column appears only when some result was run with -prof gc. */
    public static String markdown(List<Row> rows) {
        boolean allocation = rows.stream().anyMatch(r -> !Double.isNaN(r.measurement().allocatedBytes()));
        StringBuilder out = new StringBuilder("| benchmark | time/op | GFLOP/op | MB/op | GFLOP/s | GB/s | of FMA peak "
                + "| of memory BW | × OpenBLAS | × plain Java |" + (allocation ? " alloc B/op |" : "") + "\n");
        out.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|").append(allocation ? "--:|" : "").append('\n');
        for (Row row : rows) {
            Measurement m = row.measurement();
            Work work = row.work();
            out.append("| ").append(name(m))
                    .append(" | ").append(time(m.seconds()))
                    .append(" | ").append(work == null ? "" : number(work.flops() / 1e9))
                    .append(" | ").append(work == null ? "" : number(work.bytes() / 1e6))
                    .append(" | ").append(number(row.flopsPerSecond() / 1e9))
                    .append(" | ").append(number(row.bytesPerSecond() / 1e9))
                    .append(" | ").append(percent(row.ofFmaPeak()))
                    .append(" | ").append(percent(row.ofMemory()))
                    .append(" | ").append(ratio(row.overOpenBlas()))
                    .append(" | ").append(ratio(row.overPlainJava()))
                    .append(" |");
            if (allocation) {
                out.append(' ').append(number(m.allocatedBytes())).append(" |");
            }
            out.append('\n');
        }
        return out.toString();
    }

    /** {@code GemmSquare.jdalle size=512 threads=1}: the class name without package and "Benchmark". */
    private static String name(Measurement m) {
        String simple = m.className().substring(m.className().lastIndexOf('.') + 1).replaceFirst("Benchmark$", "");
        StringBuilder name = new StringBuilder(simple).append('.').append(m.method());
        m.params().forEach((key, value) -> name.append(' ').append(key).append('=').append(value));
        return name.toString();
    }

    private static String time(double seconds) {
        if (seconds >= 1) {
            return number(seconds) + " s";
        }
        if (seconds >= 1e-3) {
            return number(seconds * 1e3) + " ms";
        }
        return seconds >= 1e-6 ? number(seconds * 1e6) + " µs" : number(seconds * 1e9) + " ns";
    }

    /** Three significant digits, no exponent for the magnitudes in this table; blank for none or zero. */
    private static String number(double value) {
        if (Double.isNaN(value) || Double.isInfinite(value) || value == 0) {
            return "";
        }
        double magnitude = Math.abs(value);
        String format = magnitude >= 100 ? "%.0f" : magnitude >= 10 ? "%.1f" : magnitude >= 1 ? "%.2f" : "%.3g";
        return String.format(Locale.ROOT, format, value);
    }

    private static String percent(double fraction) {
        return Double.isNaN(fraction) || fraction == 0 ? "" : String.format(Locale.ROOT, "%.0f%%", 100 * fraction);
    }

    private static String ratio(double value) {
        return Double.isNaN(value) ? "" : String.format(Locale.ROOT, "%.2f×", value);
    }
}
