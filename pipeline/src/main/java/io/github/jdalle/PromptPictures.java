package io.github.jdalle;

import io.github.jdalle.core.RgbImage;

import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The pictures of one prompt.
 *
 * @param prompt   the prompt as given
 * @param pictures in generation order (picture j has number {@code firstImage + p·imagesPerPrompt + j})
 * @param order    indices into {@code pictures} from the best CLIP score to the worst; generation order when
 *                 there is no CLIP model
 */
public record PromptPictures(String prompt, List<Picture> pictures, int[] order) {
    public PromptPictures {
        pictures = List.copyOf(pictures);
        order = order.clone();
        if (!Arrays.equals(IntStream.of(order).sorted().toArray(), IntStream.range(0, pictures.size()).toArray())) {
            throw new IllegalArgumentException("order " + Arrays.toString(order) + " is not a permutation of "
                    + pictures.size() + " pictures");
        }
    }

    @Override
    public int[] order() {
        return order.clone();
    }

    /** The pictures best first. */
    public List<Picture> ranked() {
        return IntStream.of(order).mapToObj(pictures::get).toList();
    }

    /** The best picture (the first one when there is no CLIP model). */
    public Picture best() {
        return pictures.get(order[0]);
    }

    /** 1 for the best picture, 2 for the next…: the rank of {@code pictures.get(index)}. */
    public int rank(int index) {
        return IntStream.range(0, order.length).filter(r -> order[r] == index).findFirst().orElseThrow() + 1;
    }

    /** The pictures best first, tiled row by row into a near-square grid (empty cells black). */
    public RgbImage grid() {
        List<RgbImage> images = ranked().stream().map(Picture::image).toList();
        int columns = (int) Math.ceil(Math.sqrt(images.size()));
        int rows = Math.ceilDiv(images.size(), columns);
        RgbImage first = images.getFirst();
        int cellHeight = first.height();
        int cellRowBytes = first.width() * RgbImage.CHANNELS;
        int rowBytes = columns * cellRowBytes;
        byte[] pixels = new byte[rows * cellHeight * rowBytes];
        for (int i = 0; i < images.size(); i++) {
            int top = i / columns * cellHeight;
            int left = i % columns * cellRowBytes;
            for (int y = 0; y < cellHeight; y++) {
                System.arraycopy(images.get(i).pixels(), y * cellRowBytes, pixels, (top + y) * rowBytes + left, cellRowBytes);
            }
        }
        return new RgbImage(rows * cellHeight, columns * first.width(), pixels);
    }
}
