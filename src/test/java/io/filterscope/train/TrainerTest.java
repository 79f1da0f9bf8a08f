package io.filterscope.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.data.LabeledImages;
import java.util.Arrays;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;

class TrainerTest {

    /** Two classes anyone can tell apart: a bright left half or a bright right half. */
    private static LabeledImages halves(int n, long seed) {
        Random rng = new Random(seed);
        float[][] pixels = new float[n][28 * 28];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 2;
            for (int y = 0; y < 28; y++) {
                for (int x = 0; x < 28; x++) {
                    boolean lit = (x < 14) == (labels[i] == 0);
                    pixels[i][y * 28 + x] = (lit ? 0.8f : 0.1f) + 0.1f * rng.nextFloat();
                }
            }
        }
        return new LabeledImages(pixels, labels, 28, 28);
    }

    @Test
    void trainingLearnsAnEasyTask() {
        MultiLayerNetwork net = LeNet.create(28, 1, 2, 1);
        LabeledImages train = halves(256, 1);
        double before = Trainer.accuracy(net, halves(100, 2));
        Trainer.fitEpoch(net, train, new Random(1), io.filterscope.Progress.NONE, "test");
        Trainer.fitEpoch(net, train, new Random(2), io.filterscope.Progress.NONE, "test");
        assertTrue(Trainer.accuracy(net, halves(100, 2)) >= 0.95, "accuracy before training " + before);
    }

    @Test
    void splitIsASeededPartition() {
        LabeledImages set = halves(50, 3);
        LabeledImages[] a = Trainer.split(set, 10, 99);
        LabeledImages[] b = Trainer.split(set, 10, 99);
        assertEquals(40, a[0].size());
        assertEquals(10, a[1].size());
        assertArrayEquals(a[1].labels(), b[1].labels());
        long distinct = Arrays.stream(a[0].pixels()).distinct().count() + Arrays.stream(a[1].pixels()).distinct().count();
        assertEquals(50, distinct, "no image is in both parts");
    }
}
