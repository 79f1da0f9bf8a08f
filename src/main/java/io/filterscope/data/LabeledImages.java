package io.filterscope.data;

import java.util.Arrays;

/**
 * Grayscale images with integer labels, pixel values in [0, 1], stored row-major one image per row.
 * Small enough (at most tens of thousands of 28x28 images) to keep on the heap.
 */
public record LabeledImages(float[][] pixels, int[] labels, int height, int width) {

    public LabeledImages {
        if (pixels.length != labels.length) {
            throw new IllegalArgumentException(pixels.length + " images but " + labels.length + " labels");
        }
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
        return new LabeledImages(p, l, height, width);
    }

    public LabeledImages first(int n) {
        return new LabeledImages(Arrays.copyOf(pixels, n), Arrays.copyOf(labels, n), height, width);
    }
}
