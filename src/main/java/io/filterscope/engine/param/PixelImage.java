package io.filterscope.engine.param;

import io.filterscope.engine.RowState;
import io.filterscope.engine.Workspaces;
import io.filterscope.engine.net.Network;
import java.util.List;
import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The image's pixels, in model input units, are the parameter. It starts as mid-grey plus a little noise
 * (the Keras blog's start), or as given pictures plus that noise, and is clipped to each channel's input range
 * after every step (the seeds' recipe), so it is always a valid input.
 */
public final class PixelImage implements Parameterization, RowState<PixelImage> {
    private final INDArray pixels;
    private final InputSpace space;
    private final INDArray neutral;
    private final double stepScale;

    /**
     * @param shape [n, c, h, w]
     * @param start noise of +-0.04 of the input range around grey, or around the start pictures
     */
    public PixelImage(long[] shape, org.nd4j.linalg.api.buffer.DataType dtype, InputSpace space, Start start) {
        this.space = space;
        int channels = (int) shape[1];
        int perImage = (int) (shape[1] * shape[2] * shape[3]);
        neutral = InputSpace.vector(space.neutral(channels), dtype);
        stepScale = space.meanScale(channels);
        pixels = Nd4j.create(dtype, shape);
        for (int i = 0; i < shape[0]; i++) {
            Random rng = start.random(i);
            float[] picture = start.picture(i);
            double[] noise = new double[perImage];
            for (int j = 0; j < noise.length; j++) {
                double at = (picture == null ? 0.5 : picture[j]) + (rng.nextDouble() - 0.5) * 0.08;
                noise[j] = Math.min(1, Math.max(0, at));
            }
            INDArray one = space.toInput(Nd4j.create(noise, new long[] {1, shape[1], shape[2], shape[3]}).castTo(dtype));
            pixels.get(NDArrayIndex.point(i)).assign(one.get(NDArrayIndex.point(0)));
        }
    }

    private PixelImage(INDArray pixels, InputSpace space, INDArray neutral, double stepScale) {
        this.pixels = pixels;
        this.space = space;
        this.neutral = neutral;
        this.stepScale = stepScale;
    }

    @Override
    public PixelImage stack(List<PixelImage> parts) {
        for (PixelImage p : parts) {
            if (!p.space.equals(space) || p.pixels.dataType() != pixels.dataType()) {
                throw new IllegalArgumentException("pixels of another input space or type cannot share rows");
            }
        }
        return Workspaces.persistent(() -> new PixelImage(Nd4j.concat(0, parts.stream().map(p -> p.pixels).toArray(INDArray[]::new)),
                space, neutral, stepScale));
    }

    @Override
    public void unstack(PixelImage stacked, int first) {
        pixels.assign(Network.rows(stacked.pixels, first, first + (int) pixels.size(0)));
    }

    @Override
    public INDArray parameter() {
        return pixels;
    }

    @Override
    public INDArray image() {
        return pixels;
    }

    @Override
    public INDArray backward(INDArray imageGradient) {
        return imageGradient;
    }

    @Override
    public INDArray neutral() {
        return neutral;
    }

    @Override
    public double stepScale() {
        return stepScale;
    }

    @Override
    public boolean isPixels() {
        return true;
    }

    @Override
    public void project() {
        space.clamp(pixels);
    }

    @Override
    public InputSpace space() {
        return space;
    }
}
