package io.filterscope.engine.transform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class RandomAffineTest {
    @Test
    void backwardIsTheAdjointOfForward() {
        Transform.Sampled warp = new RandomAffine(3, List.of(0.9, 1.1), 20).sample(new Random(4), new long[] {2, 3, 17, 13});
        INDArray x = Nd4j.randn(DataType.DOUBLE, 2, 3, 17, 13);
        INDArray y = Nd4j.randn(DataType.DOUBLE, 2, 3, 17, 13);
        // <T x, y> == <x, T^T y>
        double left = warp.forward(x).mul(y).sumNumber().doubleValue();
        double right = x.mul(warp.backward(y)).sumNumber().doubleValue();
        assertEquals(left, right, 1e-9 * Math.abs(left) + 1e-9);
    }

    @Test
    void jitterAloneMovesASinglePixelByWholePixelsToManyPlaces() {
        java.util.Set<String> places = new java.util.TreeSet<>();
        for (long seed = 0; seed < 20; seed++) {
            Transform.Sampled warp = new RandomAffine(2, List.of(), 0).sample(new Random(seed), new long[] {1, 1, 10, 10});
            INDArray x = Nd4j.zeros(DataType.DOUBLE, 1, 1, 10, 10);
            x.putScalar(new long[] {0, 0, 5, 5}, 1.0);
            INDArray y = warp.forward(x);
            assertEquals(1.0, y.sumNumber().doubleValue(), 1e-12);
            assertEquals(1.0, y.maxNumber().doubleValue(), 1e-12, "a single pixel stays a single pixel");
            long at = y.reshape(100).argMax().getLong(0);
            long row = at / 10;
            long col = at % 10;
            assertTrue(Math.abs(row - 5) <= 2 && Math.abs(col - 5) <= 2, "moved at most 2 px: to " + row + "," + col);
            places.add(row + "," + col);
        }
        assertTrue(places.size() >= 8, "20 random shifts of up to 2 px land in only " + places);
    }

    @Test
    void rotationMovesPixels() {
        Transform.Sampled warp = new RandomAffine(0, List.of(), 90).sample(new Random(2), new long[] {1, 1, 9, 9});
        INDArray x = Nd4j.rand(DataType.DOUBLE, 1, 1, 9, 9);
        assertTrue(warp.forward(x).sub(x).amaxNumber().doubleValue() > 0.05);
    }

    @Test
    void jitterEqualsAShiftWithReplicatedEdgesOfUpToJitterPixels() {
        INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 3, 9, 11);
        java.util.Set<String> shifts = new java.util.TreeSet<>();
        for (long seed = 0; seed < 10; seed++) {
            INDArray y = new RandomAffine(2, List.of(), 0).sample(new Random(seed), x.shape()).forward(x);
            String matched = null;
            for (int dy = -2; dy <= 2 && matched == null; dy++) {
                for (int dx = -2; dx <= 2 && matched == null; dx++) {
                    INDArray shifted = x.like();
                    for (int r = 0; r < 9; r++) {
                        for (int c = 0; c < 11; c++) {
                            int sr = Math.max(0, Math.min(8, r - dy));
                            int sc = Math.max(0, Math.min(10, c - dx));
                            shifted.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(r), NDArrayIndex.point(c))
                                    .assign(x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(sr), NDArrayIndex.point(sc)));
                        }
                    }
                    matched = shifted.sub(y).amaxNumber().doubleValue() < 1e-12 ? dx + "," + dy : null;
                }
            }
            assertTrue(matched != null, "seed " + seed + ": not a whole-pixel shift of at most 2 px");
            shifts.add(matched);
        }
        assertTrue(shifts.size() >= 5 && !shifts.equals(java.util.Set.of("0,0")), "10 seeds gave the shifts " + shifts);
    }

    /**
     * The warp's taps and loops were rewritten for speed (docs/performance.md "Host copies without a native copy"); every
     * image a run makes goes through them, so their values must not move by a bit: these are the hashes the first host
     * loops gave, forward and adjoint, over 20 draws with scale and rotation on, on a view of rows as the batch passes them.
     */
    @Test
    void warpsAreBitForBitThoseOfTheFirstHostLoops() {
        Random values = new Random(11);
        float[] v = new float[3 * 3 * 28 * 28];
        for (int i = 0; i < v.length; i++) {
            v[i] = values.nextFloat();
        }
        INDArray batch = Nd4j.create(v, new long[] {3, 3, 28, 28}, 'c');
        INDArray image = batch.get(NDArrayIndex.interval(1, 3), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all());
        RandomAffine affine = new RandomAffine(2, List.of(0.9, 1.0, 1.1), 10);
        Random rng = new Random(3);
        long hash = 0;
        for (int draw = 0; draw < 20; draw++) {
            Transform.Sampled warp = affine.sample(rng, image.shape());
            INDArray forward = warp.forward(image);
            hash = 31 * hash + java.util.Arrays.hashCode(forward.data().asFloat());
            hash = 31 * hash + java.util.Arrays.hashCode(warp.backward(forward).data().asFloat());
        }
        assertEquals(5801813187415319631L, hash);
    }

    /**
     * Whole-pixel jitter alone (the data-prior preset's transform) reads one tap per output pixel instead of four: its
     * warps, forward and adjoint, must be bit for bit what the four bilinear taps gave. These are the hashes the
     * four-tap loops gave over 40 draws, on a view of rows as the batch passes them, with zeros of both signs among the
     * values (a zero-weight tap added +0 or -0, which changes no sum that starts from +0).
     */
    @Test
    void wholePixelShiftsAreBitForBitThoseOfTheFourTapLoops() {
        Random values = new Random(12);
        float[] v = new float[3 * 2 * 28 * 28];
        for (int i = 0; i < v.length; i++) {
            v[i] = i % 7 == 0 ? -0.0f : i % 11 == 0 ? 0.0f : values.nextFloat() * 2 - 1;
        }
        INDArray batch = Nd4j.create(v, new long[] {3, 2, 28, 28}, 'c');
        INDArray image = batch.get(NDArrayIndex.interval(1, 3), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all());
        RandomAffine affine = new RandomAffine(2, List.of(), 0);
        Random rng = new Random(5);
        long hash = 0;
        for (int draw = 0; draw < 40; draw++) {
            Transform.Sampled warp = affine.sample(rng, image.shape());
            hash = 31 * hash + java.util.Arrays.hashCode(warp.forward(image).data().asFloat());
            hash = 31 * hash + java.util.Arrays.hashCode(warp.backward(image).data().asFloat());
        }
        assertEquals(5519141268668588683L, hash);
    }
}
