package io.github.jdalle.dallebart;

import io.github.jdalle.convert.FlaxMsgpack;
import io.github.jdalle.core.Backend;
import io.github.jdalle.core.DType;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.WeightSource;
import io.github.jdalle.core.Workspace;
import io.github.jdalle.core.sampling.SamplingSettings;
import io.github.jdalle.core.testing.Golden;
import io.github.jdalle.core.testing.TestBackends;
import io.github.jdalle.core.testing.TransformedWeights;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The golden checkpoint rounded to F16 and BF16 in memory still runs, and its teacher-forced logits stay near
 * the F32 goldens.
 *
 * <p>The bound: rounding a weight to a format with p significand bits changes it by at most its unit
 * roundoff u = 2^-p (F16 2^-11, BF16 2^-8). The logit error grows linearly in u — on this checkpoint both
 * formats measure max|Δlogit| ≈ 10·u·max|logit| (F16 0.0035, BF16 0.029 against max|logit| 0.72) — so
 * 32·u·max|logit| leaves a 3× margin yet fails on a misread 16-bit weight (errors of the order of the logits
 * themselves). Greedy guided tokens are not compared: guidance multiplies the error by ~20 and the random
 * checkpoint's top-2 gaps go down to 0.002, so BF16 legitimately picks other tokens after a few steps.
 */
@ExtendWith(TestBackends.class)
class ReducedPrecisionTest {
    private static final double ERROR_PER_UNIT_ROUNDOFF = 32;

    private static WeightSource f32;
    private static Backend backend;

    @BeforeAll
    static void open() {
        f32 = FlaxMsgpack.open(Golden.file("dallebart/model"));
        backend = TestBackends.create();
    }

    @AfterAll
    static void close() {
        backend.close();
        f32.close();
    }

    @ParameterizedTest
    @CsvSource({"F16, 11, avocado", "F16, 11, long", "BF16, 8, avocado", "BF16, 8, punctuation", "BF16, 8, long"})
    void teacherForcedLogitsStayNearF32(DType dtype, int significandBits, String name) {
        String dir = "dallebart/cases/" + name + "/";
        int[] decoderInputs = Golden.npy(dir + "decoder_input_ids.npy").ints();
        float[] expected = Golden.npy(dir + "tf_logits.npy").floats();
        try (WeightSource narrowed = TransformedWeights.narrowed(f32, dtype)) {
            DalleBart model = DalleBart.load(narrowed, backend);
            assertEquals(dtype, narrowed.tensor("lm_head/kernel").dtype());
            float[] actual = new float[expected.length];
            int vocab = model.config().decoderVocabSize();
            int steps = decoderInputs.length;
            try (Workspace workspace = backend.workspace()) {
                Tensor ids = upload(workspace, Golden.npy(dir + "input_ids.npy").ints());
                Tensor mask = upload(workspace, Golden.npy(dir + "attention_mask.npy").ints());
                DecoderState state = model.startDecoding(workspace, model.encode(workspace, ids, mask), mask,
                        new int[] {0, 1});
                for (int t = 0; t < steps; t++) {
                    float[] logits = backend.toFloatArray(
                            model.decodeStep(state, new int[] {decoderInputs[t], decoderInputs[t]}));
                    for (int row = 0; row < 2; row++) {
                        System.arraycopy(logits, row * vocab, actual, (row * steps + t) * vocab, vocab);
                    }
                }
            }
            double largest = 0;
            double worst = 0;
            for (int i = 0; i < expected.length; i++) {
                largest = Math.max(largest, Math.abs(expected[i]));
                worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
            }
            double bound = ERROR_PER_UNIT_ROUNDOFF * Math.scalb(1.0, -significandBits) * largest;
            assertTrue(worst <= bound, dtype + " " + name + ": max |logit error| " + worst + " above " + bound);

            SamplingRequest greedy = new SamplingRequest(List.of(DalleBartGoldenTest.conditionalPrompt(name)), 1,
                    0, 10f, SamplingSettings.greedy());
            int[] tokens = new DalleBartGenerator(model).generate(greedy).tokens(0);
            assertEquals(256, tokens.length);
            assertTrue(Arrays.stream(tokens).allMatch(t -> t >= 0 && t < 512), Arrays.toString(tokens));
        }
    }

    private static Tensor upload(Workspace workspace, int[] values) {
        Tensor onBackend = workspace.allocate(DType.I32, 2, 64);
        backend.upload(Tensor.ofInts(values, 2, 64), onBackend);
        return onBackend;
    }
}
