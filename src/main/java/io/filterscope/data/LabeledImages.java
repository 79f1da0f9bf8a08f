package io.filterscope.data;

import java.util.Arrays;

/**
 * Images with integer labels, pixel values in [0, 1], one image per row: {@code channels} planes (1 for grey,
 * 3 for RGB in that order) of {@code height x width} values, each row-major, one after another (CHW, as the
 * engine's NCHW input takes them). Small enough (at most tens of thousands of small images) to keep on the heap.
 */
public record LabeledImages(float[][] pixels, int[] labels, int height, int width, int channels) {

    public LabeledImages {
        if (pixels.length != labels.length) {
            throw new IllegalArgumentException(pixels.length + " images but " + labels.length + " labels");
        }
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("images must have 1 or 3 channels, got " + channels);
        }
    }

    /** Grey images. */
    public LabeledImages(float[][] pixels, int[] labels, int height, int width) {
        this(pixels, labels, height, width, 1);
    }

    public int size() {
        return labels.length;
    }

    /** The images at the given indices, in that order. */
    public LabeledImages select(int[] indices) {
        float[][] p = new float[indices.length][];
        int[] l = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            p[i] = pixels[indices[i]];
            l[i] = labels[indices[i]];
        }
        return new LabeledImages(p, l, height, width, channels);
    }

    public LabeledImages first(int n) {
        return new LabeledImages(Arrays.copyOf(pixels, n), Arrays.copyOf(labels, n), height, width, channels);
    }
}
