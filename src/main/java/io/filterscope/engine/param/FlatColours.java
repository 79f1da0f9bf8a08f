package io.filterscope.engine.param;

import java.util.Arrays;

/**
 * The flat pictures a filter is judged against and may start from: every corner of the colour cube (each channel 0 or
 * 1: black, white, the primaries and their mixes for RGB; black and white for grey) and mid-grey, in that order. A
 * linear filter's ideal input is one of the corners (emoji-cnn's conv1, docs/emoji.md), and some deeper colour
 * filters answer a flat colour more than any example picture (docs/quality.md).
 */
public final class FlatColours {
    private FlatColours() {
    }

    /** The colours, display values in [0, 1]: [2^c + 1][c]. */
    public static float[][] of(int channels) {
        int corners = 1 << channels;
        float[][] colours = new float[corners + 1][channels];
        for (int k = 0; k <= corners; k++) {
            for (int ch = 0; ch < channels; ch++) {
                colours[k][ch] = k == corners ? 0.5f : k >> ch & 1;
            }
        }
        return colours;
    }

    /** A picture of one colour ([c] display values), planar {@code c*h*w}. */
    public static float[] picture(float[] colour, int h, int w) {
        float[] p = new float[colour.length * h * w];
        for (int ch = 0; ch < colour.length; ch++) {
            Arrays.fill(p, ch * h * w, (ch + 1) * h * w, colour[ch]);
        }
        return p;
    }
}
