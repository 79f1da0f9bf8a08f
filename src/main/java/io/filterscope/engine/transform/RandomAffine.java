package io.filterscope.engine.transform;

import io.filterscope.engine.render.RenderParams;
import java.util.List;
import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Distill's robustness transforms: each step the network sees the image shifted (jitter), scaled and
 * rotated by a random amount, so the image must work under all of them instead of exploiting exact pixel
 * positions. The warp is bilinear with replicated edges; {@link #backward} is its exact adjoint, which
 * carries the gradient back to the untransformed image.
 */
public final class RandomAffine {
    private final double[] inverse; // maps output pixel (x, y) to source position: a, b, c, d, tx, ty

    private RandomAffine(double[] inverse) {
        this.inverse = inverse;
    }

    /** Whether any transform is switched on. */
    public static boolean active(RenderParams p) {
        return p.jitter() > 0 || p.rotate() > 0 || !p.scale().isEmpty();
    }

    public static RandomAffine sample(RenderParams p, Random rng, long height, long width) {
        List<Double> scales = p.scale();
        double s = scales.isEmpty() ? 1 : scales.get(rng.nextInt(scales.size()));
        double angle = Math.toRadians((rng.nextDouble() * 2 - 1) * p.rotate());
        double dx = Math.round((rng.nextDouble() * 2 - 1) * p.jitter());
        double dy = Math.round((rng.nextDouble() * 2 - 1) * p.jitter());
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
        return new RandomAffine(new double[] {a, b, c, d, tx, ty});
    }

    /** The warped image, [n, c, h, w]. */
    public INDArray forward(INDArray image) {
        return warp(image, false);
    }

    /** The adjoint of {@link #forward} applied to a gradient at the warped image. */
    public INDArray backward(INDArray gradient) {
        return warp(gradient, true);
    }

    private INDArray warp(INDArray x, boolean adjoint) {
        long[] shape = x.shape();
        int planes = (int) (shape[0] * shape[1]);
        int h = (int) shape[2];
        int w = (int) shape[3];
        double[] src = x.dup('c').data().asDouble();
        double[] dst = new double[src.length];
        for (int y = 0; y < h; y++) {
            for (int xo = 0; xo < w; xo++) {
                double sx = inverse[0] * xo + inverse[1] * y + inverse[4];
                double sy = inverse[2] * xo + inverse[3] * y + inverse[5];
                int x0 = (int) Math.floor(sx);
                int y0 = (int) Math.floor(sy);
                double fx = sx - x0;
                double fy = sy - y0;
                int[] xs = {clamp(x0, w), clamp(x0 + 1, w)};
                int[] ys = {clamp(y0, h), clamp(y0 + 1, h)};
                double[] wx = {1 - fx, fx};
                double[] wy = {1 - fy, fy};
                int out = y * w + xo;
                for (int p = 0; p < planes; p++) {
                    int base = p * h * w;
                    for (int j = 0; j < 2; j++) {
                        for (int i = 0; i < 2; i++) {
                            int in = base + ys[j] * w + xs[i];
                            double weight = wx[i] * wy[j];
                            if (adjoint) {
                                dst[in] += weight * src[base + out];
                            } else {
                                dst[base + out] += weight * src[in];
                            }
                        }
                    }
                }
            }
        }
        return Nd4j.create(dst, shape, 'c').castTo(x.dataType());
    }

    private static int clamp(int v, int size) {
        return Math.max(0, Math.min(size - 1, v));
    }
}
