package io.filterscope.engine.param;

import java.util.Arrays;

/**
 * The flat pictures a filter is judged against: a grid over the colour cube, {@link #LEVELS} levels per channel (0,
 * 1/4, 1/2, 3/4 and 1: its corners, mid-grey and 117 colours between them for RGB; five greys for grey). A linear
 * filter's ideal input is one of the corners (emoji-cnn's conv1, docs/emoji.md); deeper colour filters answer colours
 * between them too (emoji-cnn's conv3 filter 10 answers a flat orange more than every example picture, and every
 * corner less than a quarter of them; docs/quality.md).
 */
public final class FlatColours {
    /** Levels per channel: the corners and mid-grey among them. */
    public static final int LEVELS = 5;

    private FlatColours() {
    }

    /** The colours, display values in [0, 1], the first channel slowest: [LEVELS^c][c]. */
    public static float[][] of(int channels) {
        int count = (int) Math.pow(LEVELS, channels);
        float[][] colours = new float[count][channels];
        for (int k = 0; k < count; k++) {
            int rest = k;
            for (int ch = channels - 1; ch >= 0; ch--) {
                colours[k][ch] = rest % LEVELS / (float) (LEVELS - 1);
                rest /= LEVELS;
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
