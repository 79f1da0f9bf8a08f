package io.filterscope.image;

import java.awt.image.BufferedImage;

/** Turns float data (model inputs, optimised images, feature maps) into images. */
public final class Tiles {
    /**
     * matplotlib's viridis colour map (CC0, https://github.com/BIDS/colormap), sampled at 16 evenly spaced
     * points of its 256-entry table; values in between are interpolated linearly.
     */
    private static final int[] VIRIDIS = {
        0x440154, 0x481A6C, 0x472F7D, 0x414487, 0x39568C, 0x31688E, 0x2A788E, 0x23888E,
        0x1F988B, 0x22A884, 0x35B779, 0x54C568, 0x7AD151, 0xA5DB36, 0xD2E21B, 0xFDE725,
    };

    private Tiles() {}

    /** Row-major values in [0,1] (clamped; NaN counts as 0) as an 8-bit grey image. */
    public static BufferedImage gray(float[] values, int width, int height) {
        checkLength(values, 1, width, height);
        int[] samples = new int[width * height];
        for (int i = 0; i < samples.length; i++) {
            samples[i] = level(values[i]);
        }
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        // Raster samples, not setRGB: setRGB would pass the grey through a gamma conversion.
        image.getRaster().setPixels(0, 0, width, height, samples);
        return image;
    }

    /** Planar CHW values (R, G, B planes) in [0,1] (clamped) as an RGB image. */
    public static BufferedImage rgb(float[] values, int width, int height) {
        checkLength(values, 3, width, height);
        int plane = width * height;
        int[] pixels = new int[plane];
        for (int i = 0; i < plane; i++) {
            pixels[i] = level(values[i]) << 16 | level(values[plane + i]) << 8 | level(values[2 * plane + i]);
        }
        return rgbImage(pixels, width, height);
    }

    /** {@link #gray} for one channel, {@link #rgb} for three. */
    public static BufferedImage fromPlanes(float[] values, int channels, int width, int height) {
        return switch (channels) {
            case 1 -> gray(values, width, height);
            case 3 -> rgb(values, width, height);
            default -> throw new IllegalArgumentException("cannot make an image from " + channels + " channels: expected 1 or 3");
        };
    }

    /**
     * One feature map, stretched from its own minimum to its own maximum and coloured with viridis.
     * A constant map has no contrast to show and comes out all in the lowest colour.
     */
    public static BufferedImage colourMapped(float[] values, int width, int height) {
        checkLength(values, 1, width, height);
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float v : values) {
            // Comparisons rather than Math.min/max, so that a NaN cannot poison the range.
            if (v < min) {
                min = v;
            }
            if (v > max) {
                max = v;
            }
        }
        float range = max - min;
        int[] pixels = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            pixels[i] = viridis(range > 0 ? (values[i] - min) / range : 0);
        }
        return rgbImage(pixels, width, height);
    }

    /**
     * Values already in [0, 1] (an attribution map) coloured with viridis on that fixed scale, so 0.2 looks the
     * same in every map; values outside are clipped.
     */
    public static BufferedImage colourMappedUnit(float[] values, int width, int height) {
        checkLength(values, 1, width, height);
        int[] pixels = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            pixels[i] = viridis(values[i]);
        }
        return rgbImage(pixels, width, height);
    }

    /** The viridis colour at {@code t} in [0,1] (NaN counts as 0). */
    private static int viridis(float t) {
        float position = (t > 0 ? Math.min(t, 1) : 0) * (VIRIDIS.length - 1);
        int low = Math.min((int) position, VIRIDIS.length - 2);
        float fraction = position - low;
        int from = VIRIDIS[low];
        int to = VIRIDIS[low + 1];
        int colour = 0;
        for (int shift = 16; shift >= 0; shift -= 8) {
            int a = from >> shift & 0xFF;
            int b = to >> shift & 0xFF;
            colour |= Math.round(a + (b - a) * fraction) << shift;
        }
        return colour;
    }

    /** A value in [0, 1] as an 8-bit level: clamped, NaN as 0, rounded to the nearest of 255 steps. */
    static int level(float value) {
        // Written so that NaN falls into the first branch.
        return !(value > 0) ? 0 : value >= 1 ? 255 : Math.round(value * 255);
    }

    private static BufferedImage rgbImage(int[] pixels, int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        image.setRGB(0, 0, width, height, pixels, 0, width);
        return image;
    }

    static void checkLength(float[] values, int channels, int width, int height) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        long expected = (long) channels * width * height;
        if (values == null || values.length != expected) {
            throw new IllegalArgumentException("expected " + expected + " values for " + channels + "x" + width + "x" + height
                    + ", got " + (values == null ? "null" : values.length));
        }
    }
}
