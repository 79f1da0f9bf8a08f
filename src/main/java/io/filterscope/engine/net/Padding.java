package io.filterscope.engine.net;

import java.util.Arrays;

/**
 * How a convolution or pooling window is padded, resolved for each input size: none ({@link #valid}),
 * TensorFlow's "same" (output ceil(input / stride), the odd pixel of padding at the bottom and right; ONNX's
 * SAME_UPPER), ONNX's SAME_LOWER (the odd pixel at the top and left), or explicit pixels per side.
 */
public final class Padding {
    private enum Mode { EXPLICIT, SAME_UPPER, SAME_LOWER }

    private static final Padding VALID = new Padding(Mode.EXPLICIT, new int[4]);
    private static final Padding SAME = new Padding(Mode.SAME_UPPER, null);
    private static final Padding SAME_LOWER = new Padding(Mode.SAME_LOWER, null);

    private final Mode mode;
    private final int[] pads;

    private Padding(Mode mode, int[] pads) {
        this.mode = mode;
        this.pads = pads;
    }

    /** No padding. */
    public static Padding valid() {
        return VALID;
    }

    /** TensorFlow's "same" (ONNX SAME_UPPER): output size ceil(input / stride), extra pixel at the end. */
    public static Padding same() {
        return SAME;
    }

    /** ONNX's SAME_LOWER: like {@link #same} with the extra pixel at the start. */
    public static Padding sameLower() {
        return SAME_LOWER;
    }

    /** Explicit padding in pixels: top, bottom, left, right (each at least 0). */
    public static Padding explicit(int top, int bottom, int left, int right) {
        if (top < 0 || bottom < 0 || left < 0 || right < 0) {
            throw new IllegalArgumentException("negative padding " + Arrays.toString(new int[] {top, bottom, left, right}));
        }
        return new Padding(Mode.EXPLICIT, new int[] {top, bottom, left, right});
    }

    /** Symmetric explicit padding: {rows, columns} on both sides. */
    public static Padding symmetric(int[] rowsColumns) {
        return explicit(rowsColumns[0], rowsColumns[0], rowsColumns[1], rowsColumns[1]);
    }

    /**
     * The pixels to add (top, bottom, left, right) for an input of {@code height} x {@code width} and a window
     * of {@code window} {rows, columns} pixels (already dilated) moved by {@code stride}.
     */
    int[] resolve(long height, long width, int[] window, int[] stride) {
        if (mode == Mode.EXPLICIT) {
            return pads.clone();
        }
        int[] rows = split(height, window[0], stride[0]);
        int[] cols = split(width, window[1], stride[1]);
        return new int[] {rows[0], rows[1], cols[0], cols[1]};
    }

    private int[] split(long size, int window, int stride) {
        long out = (size + stride - 1) / stride;
        int total = (int) Math.max(0, (out - 1) * stride + window - size);
        int small = total / 2;
        return mode == Mode.SAME_UPPER ? new int[] {small, total - small} : new int[] {total - small, small};
    }

    @Override
    public String toString() {
        return mode == Mode.EXPLICIT ? "pad " + Arrays.toString(pads) : mode == Mode.SAME_UPPER ? "same" : "same-lower";
    }
}
