package io.filterscope.engine.param;

import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The image's pixels, in model input units, are the parameter. It starts as mid-grey plus a little noise
 * (the Keras blog's start) and is kept inside each channel's input range, so it is always a valid input.
 */
public final class PixelImage implements Parameterization {
    private final INDArray pixels;
    private final InputSpace space;
    private final INDArray neutral;
    private final double stepScale;

    public PixelImage(long[] shape, org.nd4j.linalg.api.buffer.DataType dtype, InputSpace space, long seed) {
        this.space = space;
        int channels = (int) shape[1];
        long perImage = shape[1] * shape[2] * shape[3];
        Random rng = new Random(seed);
        double[] noise = new double[(int) perImage];
        for (int i = 0; i < noise.length; i++) {
            noise[i] = 0.5 + (rng.nextDouble() - 0.5) * 0.08;
        }
        // Every image of the batch starts from the same noise, so a batched run equals separate runs.
        INDArray one = space.toInput(Nd4j.create(noise, new long[] {1, shape[1], shape[2], shape[3]}).castTo(dtype));
        neutral = InputSpace.vector(space.neutral(channels), dtype);
        stepScale = space.meanScale(channels);
        pixels = Nd4j.create(dtype, shape);
        for (long i = 0; i < shape[0]; i++) {
            pixels.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i)).assign(one.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0)));
        }
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
