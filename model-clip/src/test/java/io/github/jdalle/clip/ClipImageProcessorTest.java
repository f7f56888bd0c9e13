package io.github.jdalle.clip;

import static io.github.jdalle.core.testing.Assertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.RgbImage;
import io.github.jdalle.core.Tensor;
import io.github.jdalle.core.testing.Golden;
import io.github.jdalle.core.testing.Npy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Against Pillow 9.4 + Hugging Face's CLIPImageProcessor ({@code golden/clip_preprocess}, {@code golden/clip/batch}). */
class ClipImageProcessorTest {
    private static final ClipImageProcessor VIT_B_32 = new ClipImageProcessor(224);

    private static RgbImage image(Npy npy) {
        return new RgbImage(npy.shape()[0], npy.shape()[1], npy.bytes());
    }

    @ParameterizedTest
    @ValueSource(strings = {"gradient", "shapes", "noise", "checker", "nonsquare_300x200"})
    void resizeIsPillowExact(String name) {
        Npy expected = Golden.npy("clip_preprocess/" + name + "/resized_uint8.npy");
        RgbImage resized = VIT_B_32.resize(image(Golden.npy("clip_preprocess/" + name + "/image_uint8.npy")));
        assertEquals(expected.shape()[0], resized.height(), name + " height");
        assertEquals(expected.shape()[1], resized.width(), name + " width");
        assertArrayEquals(expected.bytes(), resized.pixels(), name + " resized bytes");
    }

    @ParameterizedTest
    @ValueSource(strings = {"gradient", "shapes", "noise", "checker", "nonsquare_300x200"})
    void centerCropMatches(String name) {
        RgbImage resized = image(Golden.npy("clip_preprocess/" + name + "/resized_uint8.npy"));
        assertArrayEquals(Golden.npy("clip_preprocess/" + name + "/cropped_uint8.npy").bytes(),
                VIT_B_32.centerCrop(resized).pixels(), name + " cropped bytes");
    }

    @ParameterizedTest
    @ValueSource(strings = {"gradient", "shapes", "noise", "checker", "nonsquare_300x200"})
    void pixelValuesMatchNchw(String name) {
        RgbImage source = image(Golden.npy("clip_preprocess/" + name + "/image_uint8.npy"));
        Tensor pixels = VIT_B_32.pixelValues(List.of(source), ClipImageProcessor.Layout.NCHW);
        assertArrayEquals(new int[] {1, 3, 224, 224}, pixels.shape());
        assertClose(Golden.npy("clip_preprocess/" + name + "/pixel_values.npy").floats(), pixels.toFloatArray(),
                1e-6, 0, name + " pixel_values");
    }

    @Test
    void goldenModelBatchAtItsOwnSize() {
        Npy sources = Golden.npy("clip/batch/source_images_uint8.npy");
        int[] shape = sources.shape();
        byte[] all = sources.bytes();
        int imageBytes = shape[1] * shape[2] * shape[3];
        List<RgbImage> images = new ArrayList<>();
        for (int i = 0; i < shape[0]; i++) {
            byte[] pixels = new byte[imageBytes];
            System.arraycopy(all, i * imageBytes, pixels, 0, imageBytes);
            images.add(new RgbImage(shape[1], shape[2], pixels));
        }
        Tensor pixels = new ClipImageProcessor(32).pixelValues(images, ClipImageProcessor.Layout.NCHW);
        assertClose(Golden.npy("clip/batch/pixel_values.npy").floats(), pixels.toFloatArray(), 1e-6, 0,
                "clip/batch pixel_values");
    }

    @Test
    void nhwcIsTheTransposeOfNchw() {
        RgbImage source = image(Golden.npy("clip_preprocess/nonsquare_300x200/image_uint8.npy"));
        ClipImageProcessor small = new ClipImageProcessor(8);
        float[] nchw = small.pixelValues(List.of(source), ClipImageProcessor.Layout.NCHW).toFloatArray();
        float[] nhwc = small.pixelValues(List.of(source), ClipImageProcessor.Layout.NHWC).toFloatArray();
        for (int c = 0; c < 3; c++) {
            for (int p = 0; p < 64; p++) {
                assertEquals(nchw[c * 64 + p], nhwc[p * 3 + c], "channel " + c + " pixel " + p);
            }
        }
    }

    @Test
    void badInputNamesTheProblem() {
        assertThrows(JdalleException.class, () -> new RgbImage(2, 2, new byte[5]));
        assertThrows(JdalleException.class, () -> new ClipImageProcessor(0));
        assertThrows(JdalleException.class, () -> VIT_B_32.centerCrop(new RgbImage(10, 300, new byte[9000])));
    }
}
