package io.filterscope.engine.transform;

import io.filterscope.engine.HostArrays;
import java.util.List;
import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Distill's robustness transforms in one warp: each step the network sees the image shifted (jitter),
 * scaled and rotated by a random amount, so the image must work under all of them instead of exploiting
 * exact pixel positions. The warp is bilinear with replicated edges; its backward is the exact adjoint,
 * which carries the gradient back to the untransformed image.
 *
 * @param jitter shift of up to this many pixels either way, in whole pixels
 * @param scales factors to pick one from at random each step (empty: no scaling)
 * @param rotate rotation of up to this many degrees either way
 */
public record RandomAffine(double jitter, List<Double> scales, double rotate) implements Transform {

    public RandomAffine {
        scales = List.copyOf(scales);
    }

    @Override
    public Sampled sample(Random rng, long[] shape) {
        long height = shape[2];
        long width = shape[3];
        double s = scales.isEmpty() ? 1 : scales.get(rng.nextInt(scales.size()));
        double angle = Math.toRadians((rng.nextDouble() * 2 - 1) * rotate);
        double dx = Math.round((rng.nextDouble() * 2 - 1) * jitter);
        double dy = Math.round((rng.nextDouble() * 2 - 1) * jitter);
        // Forward: out = R*S*(src - centre) + centre + d; so src = (R*S)^-1 (out - centre - d) + centre.
        double cos = Math.cos(angle) / s;
        double sin = Math.sin(angle) / s;
        double cx = (width - 1) / 2.0;
        double cy = (height - 1) / 2.0;
        double a = cos;
        double b = sin;
        double c = -sin;
        double d = cos;
        double tx = cx - a * (cx + dx) - b * (cy + dy);
        double ty = cy - c * (cx + dx) - d * (cy + dy);
        return Warp.of(new double[] {a, b, c, d, tx, ty}, (int) height, (int) width);
    }

    /**
     * One drawn warp as its bilinear taps: in every plane, output pixel {@code o} reads the four source pixels
     * {@code index[k * h * w + o]} (k = 0..3, edges replicated) with weights {@code weight[k * h * w + o]}. Forward
     * gathers, the adjoint scatter-adds, each one pass over the planes on the host: libnd4j's gather and scatter_add
     * cost about a microsecond per index, so a 28 px warp and its adjoint took 4 ms of fashion-cnn's 10 ms step
     * (and two thirds of a batch-30 step, docs/performance.md), where these loops take a few microseconds. Arrays
     * cross to the host and back once each way.
     * <p>
     * A whole-pixel shift (jitter without scale or rotation, the data-prior preset's one transform) has weight 1 on
     * tap 0 and 0 on the others everywhere: then only tap 0 is read ({@code taps} 1), a quarter of the loop, with the
     * same values bit for bit for finite ones: a sum starts at +0 and is never -0, so adding the other taps' +0 or -0
     * changed nothing (an infinite value times a weight of 0 made NaN there, which a diverged image may now not show).
     *
     * @param height the images' height in pixels; {@code width} likewise
     * @param taps   how many taps carry weight: 4, or 1 when tap 0 has weight 1 everywhere
     */
    private record Warp(int height, int width, int[] index, double[] weight, int taps) implements Sampled {

        /** The taps of the map from output pixel (x, y) to source position {@code inverse} = a, b, c, d, tx, ty. */
        static Warp of(double[] inverse, int height, int width) {
            int pixels = height * width;
            int[] index = new int[4 * pixels];
            double[] weight = new double[4 * pixels];
            boolean whole = true;
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    int o = y * width + x;
                    double sx = inverse[0] * x + inverse[1] * y + inverse[4];
                    double sy = inverse[2] * x + inverse[3] * y + inverse[5];
                    double x0 = Math.floor(sx);
                    double y0 = Math.floor(sy);
                    double fx = sx - x0;
                    double fy = sy - y0;
                    whole &= fx == 0 && fy == 0;
                    int left = clamp(x0, width);
                    int right = clamp(x0 + 1, width);
                    int top = clamp(y0, height) * width;
                    int bottom = clamp(y0 + 1, height) * width;
                    // Tap k reads column x0 + k % 2 of row y0 + k / 2, weighted by its two linear weights.
                    index[o] = top + left;
                    index[pixels + o] = top + right;
                    index[2 * pixels + o] = bottom + left;
                    index[3 * pixels + o] = bottom + right;
                    weight[o] = (1 - fx) * (1 - fy);
                    weight[pixels + o] = fx * (1 - fy);
                    weight[2 * pixels + o] = (1 - fx) * fy;
                    weight[3 * pixels + o] = fx * fy;
                }
            }
            return new Warp(height, width, index, weight, whole ? 1 : 4);
        }

        @Override
        public INDArray forward(INDArray image) {
            return HostArrays.of(warp(image, false), image.dataType(), image.shape());
        }

        /** The warped images written straight into {@code into}'s buffer where it can be (a run's rows of a batch input). */
        @Override
        public void forward(INDArray image, INDArray into) {
            HostArrays.write(warp(image, false), into);
        }

        @Override
        public INDArray backward(INDArray gradient) {
            return HostArrays.of(warp(gradient, true), gradient.dataType(), gradient.shape());
        }

        /** The warp of every [h, w] plane of {@code x} ([n, c, h, w]), or its adjoint: x's shape, c order, in double precision. */
        private double[] warp(INDArray x, boolean adjoint) {
            if (x.size(2) != height || x.size(3) != width) {
                throw new IllegalArgumentException("a warp drawn for " + height + "x" + width + " images applied to "
                        + java.util.Arrays.toString(x.shape()));
            }
            int pixels = height * width;
            double[] in = HostArrays.doubles(x);
            double[] out = new double[in.length];
            for (int plane = 0; plane < in.length; plane += pixels) {
                for (int tap = 0; tap < taps * pixels; tap += pixels) {
                    for (int o = 0; o < pixels; o++) {
                        int source = plane + index[tap + o];
                        if (adjoint) {
                            out[source] += weight[tap + o] * in[plane + o];
                        } else {
                            out[plane + o] += weight[tap + o] * in[source];
                        }
                    }
                }
            }
            return out;
        }

        private static int clamp(double v, int size) {
            return (int) Math.min(Math.max(v, 0), size - 1);
        }
    }
}
