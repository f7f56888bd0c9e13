package io.github.jdalle.bench;

import io.github.jdalle.bench.kernels.GemmPlainJavaBenchmark;
import io.github.jdalle.bench.kernels.GemmSquareBenchmark;
import io.github.jdalle.bench.machine.FmaPeakBenchmark;
import io.github.jdalle.bench.machine.MemoryBandwidthBenchmark;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RooflineTest {
    private static final double EPS = 1e-9;
    private static final String SIZE_512 = "{\"size\": \"512\", \"threads\": \"1\"}";

    @Test
    void convertsJmhScoreUnitsToSecondsPerOperation() {
        assertEquals(2.5e-3, Roofline.secondsPerOperation(2.5, "ms/op"), EPS);
        assertEquals(7e-6, Roofline.secondsPerOperation(7, "us/op"), EPS);
        assertEquals(0.25, Roofline.secondsPerOperation(4, "ops/s"), EPS);
        assertEquals(0.5e-3, Roofline.secondsPerOperation(2, "ops/ms"), EPS);
    }

    @Test
    void ratesPeakFractionsAndPeerRatiosFollowFromTheScores() {
        String json = "["
                + result(FmaPeakBenchmark.class, "fma", "{\"threads\": \"1\"}", 100, "ms/op")
                + "," + result(MemoryBandwidthBenchmark.class, "read", "{\"threads\": \"1\"}", 50, "ms/op")
                + "," + result(GemmSquareBenchmark.class, "jdalle", SIZE_512, 10_000, "us/op")
                + "," + result(GemmSquareBenchmark.class, "openblas", SIZE_512, 5, "ms/op")
                + "," + result(GemmPlainJavaBenchmark.class, "scalar", "{\"size\": \"512\"}", 40, "ms/op")
                + "," + result(RooflineTest.class, "unknown", "{}", 1, "ms/op")
                + "]";
        List<Roofline.Row> rows = Roofline.analyze(Roofline.parse(JsonMapper.builder().build().readTree(json)));

        Roofline.Row jdalle = rows.get(2);
        double flops = 2.0 * 512 * 512 * 512;
        double bytes = 3.0 * 512 * 512 * 4;
        double fmaPeak = Math.pow(2, 31) / 0.1;
        double memoryPeak = Math.pow(2, 30) / 0.05;
        assertEquals(flops / 0.01, jdalle.flopsPerSecond(), 1e-6 * flops);
        assertEquals(bytes / 0.01, jdalle.bytesPerSecond(), 1e-6 * bytes);
        assertEquals(flops / 0.01 / fmaPeak, jdalle.ofFmaPeak(), 1e-9);
        assertEquals(bytes / 0.01 / memoryPeak, jdalle.ofMemory(), 1e-9);
        assertEquals(0.5, jdalle.overOpenBlas(), 1e-9);
        assertEquals(4.0, jdalle.overPlainJava(), 1e-9);
        assertTrue(Double.isNaN(rows.get(3).overOpenBlas()), "peers get no ratio to themselves");
        assertNull(rows.get(5).work(), "a benchmark without a cost model has no work");

        assertTrue(Double.isNaN(jdalle.measurement().allocatedBytes()), "not profiled");
        String table = Roofline.markdown(rows);
        assertTrue(table.contains("| GemmSquare.jdalle size=512 threads=1 | 10.0 ms |"), table);
        assertTrue(table.contains("| 0.50× | 4.00× |"), table);
    }

    @Test
    void theFastestReadPatternIsTheMemoryCeiling() {
        String json = "["
                + result(MemoryBandwidthBenchmark.class, "read", readParams("1", "1"), 80, "ms/op")
                + "," + result(MemoryBandwidthBenchmark.class, "read", readParams("8", "1"), 40, "ms/op")
                + "," + result(MemoryBandwidthBenchmark.class, "read", readParams("8", "all"), 100, "ms/op")
                + "]";
        List<Roofline.Row> rows = Roofline.analyze(Roofline.parse(JsonMapper.builder().build().readTree(json)));
        assertEquals(0.5, rows.get(0).ofMemory(), 1e-9, "one stream against eight, both on one thread");
        assertEquals(1.0, rows.get(1).ofMemory(), 1e-9);
        assertEquals(1.0, rows.get(2).ofMemory(), 1e-9, "thread counts are apart");
        assertTrue(Roofline.markdown(rows).contains("| MemoryBandwidth.read streams=8 threads=1 | 40.0 ms |"));
    }

    @Test
    void allocationFromGcProfilerGetsItsOwnColumn() {
        String json = "[" + result(GemmSquareBenchmark.class, "jdalle", SIZE_512, 10, "ms/op").replace(
                "\"secondaryMetrics\": {}", "\"secondaryMetrics\": {\"gc.alloc.rate.norm\": {\"score\": 48.0}}") + "]";
        List<Roofline.Row> rows = Roofline.analyze(Roofline.parse(JsonMapper.builder().build().readTree(json)));
        assertEquals(48.0, rows.getFirst().measurement().allocatedBytes(), EPS);
        String table = Roofline.markdown(rows);
        assertTrue(table.lines().findFirst().orElseThrow().endsWith(" alloc B/op |"), table);
        assertTrue(table.contains("| 48.0 |"), table);
    }

    private static String readParams(String streams, String threads) {
        return "{\"streams\": \"" + streams + "\", \"threads\": \"" + threads + "\"}";
    }

    private static String result(Class<?> type, String method, String params, double score, String unit) {
        return "{\"benchmark\": \"" + type.getName() + "." + method + "\", \"mode\": \"avgt\", \"params\": " + params
                + ", \"primaryMetric\": {\"score\": " + score + ", \"scoreUnit\": \"" + unit + "\"},"
                + " \"secondaryMetrics\": {}}";
    }
}
