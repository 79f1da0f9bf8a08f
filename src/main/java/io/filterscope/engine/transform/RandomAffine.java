package io.filterscope.engine.transform;

import java.util.List;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Distill's robustness transforms in one warp: each step the network sees the image shifted (jitter),
 * scaled and rotated by a random amount, so the image must work under all of them instead of exploiting
 * exact pixel positions. The warp is bilinear with replicated edges; its backward is the exact adjoint,
 * which carries the gradient back to the untransformed image. Both run as array ops on the device.
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
        return new Warp(new double[] {a, b, c, d, tx, ty});
    }

    /** One drawn warp: maps output pixel (x, y) to a source position through {@code inverse} = a, b, c, d, tx, ty. */
    private record Warp(double[] inverse) implements Sampled {

        @Override
        public INDArray forward(INDArray image) {
            return warp(image, false);
        }

        @Override
        public INDArray backward(INDArray gradient) {
            return warp(gradient, true);
        }

        /**
         * Bilinear sampling as device ops: the four neighbours' flat indices and weights are computed from a
         * pixel grid with array ops, the forward pass gathers, the adjoint scatter-adds. No host loop over pixels.
         */
        private INDArray warp(INDArray x, boolean adjoint) {
            long[] shape = x.shape();
            long planes = shape[0] * shape[1];
            int h = (int) shape[2];
            int w = (int) shape[3];
            DataType dt = x.dataType();
            INDArray gridX = Nd4j.tile(Nd4j.arange(0, w).castTo(dt), h).reshape(h * w);
            INDArray gridY = Nd4j.arange(0, h).castTo(dt).reshape(h, 1).repeat(1, w).reshape(h * w);
            INDArray sx = gridX.mul(inverse[0]).addi(gridY.mul(inverse[1])).addi(inverse[4]);
            INDArray sy = gridX.mul(inverse[2]).addi(gridY.mul(inverse[3])).addi(inverse[5]);
            INDArray x0 = Transforms.floor(sx, true);
            INDArray y0 = Transforms.floor(sy, true);
            INDArray fx = sx.sub(x0);
            INDArray fy = sy.sub(y0);
            INDArray[] xs = {clamp(x0, w), clamp(x0.add(1), w)};
            INDArray[] ys = {clamp(y0, h), clamp(y0.add(1), h)};
            INDArray[] wx = {fx.rsub(1), fx};
            INDArray[] wy = {fy.rsub(1), fy};
            INDArray flat = x.dup('c').reshape('c', planes, (long) h * w);
            INDArray result = adjoint ? Nd4j.zeros(dt, (long) h * w, planes) : Nd4j.zeros(dt, planes, (long) h * w);
            INDArray flatT = adjoint ? flat.transpose().dup('c') : null;
            for (int j = 0; j < 2; j++) {
                for (int i = 0; i < 2; i++) {
                    INDArray index = ys[j].mul(w).addi(xs[i]).castTo(DataType.INT64);
                    INDArray weight = wx[i].mul(wy[j]);
                    if (adjoint) {
                        INDArray updates = flatT.mulColumnVector(weight.reshape((long) h * w, 1));
                        Nd4j.exec(DynamicCustomOp.builder("scatter_add").addInputs(result, index, updates).addOutputs(result).build());
                    } else {
                        INDArray gathered = Nd4j.create(dt, planes, (long) h * w);
                        Nd4j.exec(DynamicCustomOp.builder("gather").addInputs(flat, index).addOutputs(gathered)
                                .addIntegerArguments(1).build());
                        result.addi(gathered.mulRowVector(weight));
                    }
                }
            }
            return (adjoint ? result.transpose().dup('c') : result).reshape('c', shape);
        }

        private static INDArray clamp(INDArray v, int size) {
            return Transforms.min(Transforms.max(v, 0, false), size - 1, false);
        }
    }
}
