package io.filterscope.engine.attribution;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Small host-side helpers for attribution maps: per-pixel reduction, resizing and scaling to [0, 1]. */
final class Heatmaps {
    private Heatmaps() {
    }

    /** max over channels of |g|, for a gradient [1, c, h, w]: [h][w]. */
    static float[][] maxAbsOverChannels(INDArray g) {
        int c = (int) g.size(1);
        int h = (int) g.size(2);
        int w = (int) g.size(3);
        float[] flat = g.dup('c').data().asFloat();
        float[][] out = new float[h][w];
        for (int k = 0; k < c; k++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    out[y][x] = Math.max(out[y][x], Math.abs(flat[(k * h + y) * w + x]));
                }
            }
        }
        return out;
    }

    /**
     * Bilinear resize with pixel centres aligned (as PyTorch's align_corners=False and TensorFlow's
     * half-pixel resize): a coarse layer map stretched over the whole input image.
     */
    static float[][] resize(float[][] in, int height, int width) {
        int h = in.length;
        int w = in[0].length;
        float[][] out = new float[height][width];
        for (int y = 0; y < height; y++) {
            double sy = Math.min(h - 1, Math.max(0, (y + 0.5) * h / height - 0.5));
            int y0 = (int) sy;
            int y1 = Math.min(h - 1, y0 + 1);
            double fy = sy - y0;
            for (int x = 0; x < width; x++) {
                double sx = Math.min(w - 1, Math.max(0, (x + 0.5) * w / width - 0.5));
                int x0 = (int) sx;
                int x1 = Math.min(w - 1, x0 + 1);
                double fx = sx - x0;
                out[y][x] = (float) ((1 - fy) * ((1 - fx) * in[y0][x0] + fx * in[y0][x1])
                        + fy * ((1 - fx) * in[y1][x0] + fx * in[y1][x1]));
            }
        }
        return out;
    }

    /** Divides by the maximum, in place, so the strongest pixel is 1; an all-zero map stays zero. */
    static float[][] scaleToUnit(float[][] map) {
        float max = 0;
        for (float[] row : map) {
            for (float v : row) {
                max = Math.max(max, v);
            }
        }
        if (max > 0) {
            for (float[] row : map) {
                for (int x = 0; x < row.length; x++) {
                    row[x] /= max;
                }
            }
        }
        return map;
    }
}
