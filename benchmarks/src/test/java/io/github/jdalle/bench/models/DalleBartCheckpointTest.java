package io.github.jdalle.bench.models;

import io.github.jdalle.core.Tensor;
import io.github.jdalle.dallebart.DalleBartConfig;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The random checkpoints have the parameter counts of the released models (spec dallebart.md §2.3). */
class DalleBartCheckpointTest {

    @Test
    void miniHasTheReleasedParameterCount() {
        assertEquals(437_833_712L, parameters(DalleBartConfig.mini1()));
    }

    @Test
    void megaHasTheReleasedParameterCount() {
        assertEquals(2_587_521_024L, parameters(DalleBartConfig.mega1()));
    }

    @Test
    void configJsonReadsBackAsTheSameConfig() {
        for (DalleBartConfig config : new DalleBartConfig[] {DalleBartConfig.mini1(), DalleBartConfig.mega1()}) {
            assertEquals(config, DalleBartConfig.fromJson(DalleBartCheckpoint.configJson(config), "test"));
        }
    }

    private static long parameters(DalleBartConfig config) {
        return DalleBartCheckpoint.parameterShapes(config).values().stream().mapToLong(Tensor::elementCount).sum();
    }
}
