package io.filterscope.engine.render;

import io.filterscope.engine.HostArrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Images for display on the host: n images of c planes of h x w floats each ([n, c, h, w]), RGB or grey, in [0, 1].
 * A step's images are copied here from its display array, which stays in the step's workspace: a native array of their
 * own each step was fresh memory every time (nothing frees it before a collection), and this machine faults fresh pages
 * in at about 4 ms a megabyte, 0.9 ms a step of a 28 px batch of 64 (docs/performance.md). Read by the frame encoder
 * after the next step has begun, so the values are never shared with native memory.
 *
 * @param planes one array per image, its channels' planes in turn (c order)
 */
public record HostImages(float[][] planes, int channels, int height, int width) {

    /**
     * Copies the images of {@code display}, [n, c, h, w] in any order and memory.
     *
     * @throws IllegalArgumentException when {@code display} is not rank 4
     */
    public static HostImages of(INDArray display) {
        if (display.rank() != 4) {
            throw new IllegalArgumentException("images of shape " + java.util.Arrays.toString(display.shape()) + ", not [n, c, h, w]");
        }
        int c = (int) display.size(1);
        int h = (int) display.size(2);
        int w = (int) display.size(3);
        // Each image straight into its own array: fresh Java heap is faulted in as dearly as native memory.
        float[][] planes = new float[(int) display.size(0)][c * h * w];
        HostArrays.copy(display, planes);
        return new HostImages(planes, c, h, w);
    }

    /**
     * Images {@code [from, to)} (the same arrays, not copies).
     *
     * @throws IllegalArgumentException when the range falls outside the images
     */
    public HostImages slice(int from, int to) {
        if (from < 0 || to > planes.length || from > to) {
            throw new IllegalArgumentException("images " + from + ".." + to + " of " + planes.length);
        }
        return new HostImages(java.util.Arrays.copyOfRange(planes, from, to), channels, height, width);
    }

    /** How many images. */
    public int count() {
        return planes.length;
    }

    /** Image {@code i} as a new array [c, h, w]. */
    public INDArray image(int i) {
        return Nd4j.create(planes[i].clone(), new long[] {channels, height, width}, 'c');
    }

    /** All the images as a new array [n, c, h, w]. */
    public INDArray array() {
        float[] all = new float[planes.length * channels * height * width];
        for (int i = 0; i < planes.length; i++) {
            System.arraycopy(planes[i], 0, all, i * planes[i].length, planes[i].length);
        }
        return Nd4j.create(all, new long[] {planes.length, channels, height, width}, 'c');
    }
}
