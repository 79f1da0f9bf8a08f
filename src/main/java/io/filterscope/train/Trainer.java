package io.filterscope.train;

import io.filterscope.Progress;
import io.filterscope.data.LabeledImages;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/** Minibatch training of a classifier on grayscale images, with DL4J's own fit. */
public final class Trainer {
    private static final int BATCH = 64;

    private Trainer() {
    }

    public static void fitEpoch(MultiLayerNetwork net, LabeledImages train, Random rng, Progress progress, String what) {
        int[] order = shuffled(train.size(), rng);
        int classes = (int) net.getOutputLayer().getParam("b").length();
        int batches = (order.length + BATCH - 1) / BATCH;
        for (int b = 0; b < batches; b++) {
            int from = b * BATCH;
            int to = Math.min(order.length, from + BATCH);
            int[] idx = java.util.Arrays.copyOfRange(order, from, to);
            LabeledImages batch = train.select(idx);
            net.fit(new DataSet(images(batch), oneHot(batch.labels(), classes)));
            progress.update(b + 1, batches, what);
        }
    }

    /** Fraction of images whose most probable class is their label. */
    public static double accuracy(MultiLayerNetwork net, LabeledImages set) {
        int correct = 0;
        for (int from = 0; from < set.size(); from += 500) {
            int to = Math.min(set.size(), from + 500);
            int[] idx = java.util.stream.IntStream.range(from, to).toArray();
            LabeledImages part = set.select(idx);
            INDArray predicted = net.output(images(part)).argMax(1);
            for (int i = 0; i < idx.length; i++) {
                if (predicted.getInt(i) == part.labels()[i]) {
                    correct++;
                }
            }
        }
        return correct / (double) set.size();
    }

    /** NCHW float array of the images, one channel. */
    public static INDArray images(LabeledImages set) {
        float[] flat = new float[set.size() * set.height() * set.width()];
        int n = set.height() * set.width();
        for (int i = 0; i < set.size(); i++) {
            System.arraycopy(set.pixels()[i], 0, flat, i * n, n);
        }
        return Nd4j.create(flat, new long[] {set.size(), 1, set.height(), set.width()}, DataType.FLOAT);
    }

    private static INDArray oneHot(int[] labels, int classes) {
        INDArray y = Nd4j.zeros(DataType.FLOAT, labels.length, classes);
        for (int i = 0; i < labels.length; i++) {
            y.putScalar(i, labels[i], 1f);
        }
        return y;
    }

    static int[] shuffled(int n, Random rng) {
        int[] order = java.util.stream.IntStream.range(0, n).toArray();
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    /** A split of the set's indices: the first {@code heldOut} of a seeded shuffle, and the rest. */
    public static LabeledImages[] split(LabeledImages set, int heldOut, long seed) {
        int[] order = shuffled(set.size(), new Random(seed));
        return new LabeledImages[] {
            set.select(java.util.Arrays.copyOfRange(order, heldOut, order.length)),
            set.select(java.util.Arrays.copyOfRange(order, 0, heldOut))
        };
    }
}
