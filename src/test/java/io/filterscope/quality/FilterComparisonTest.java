package io.filterscope.quality;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.engine.net.Network;
import io.filterscope.model.LoadedModel;
import io.filterscope.model.ModelStore;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The score of issue 13's preset comparison, on fashion-cnn and pictures whose answers are known. */
class FilterComparisonTest {
    private static final LoadedModel MODEL = new ModelStore(Path.of("models")).load("fashion-cnn");
    private static final List<Integer> FILTERS = List.of(3, 17);

    @Test
    void plainScoreIsTheFiltersMeanActivationByTheModelsOwnForwardPass() {
        INDArray pictures = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 2, 1, 28, 28);
        FilterComparison.Scores scores = FilterComparison.score(MODEL, "conv2", FILTERS, pictures);
        Network net = MODEL.compile(2, 28);
        net.input().assign(MODEL.inputSpace().toInput(pictures));
        net.forward(List.of("conv2"));
        for (int i = 0; i < 2; i++) {
            double expected = net.output("conv2").get(NDArrayIndex.point(i), NDArrayIndex.point(FILTERS.get(i))).meanNumber().doubleValue();
            assertEquals(expected, scores.plain()[i], 1e-5, "filter " + FILTERS.get(i));
        }
    }

    /**
     * A flat picture looks the same shifted, scaled or rotated (the warp replicates its edges), so its robust
     * score is its plain one; a one-pixel checkerboard is a different picture after almost any warp (bilinear
     * resampling greys it), so its robust score is not its plain one: the transforms were applied.
     */
    @Test
    void robustScoreAveragesOverWarpsThatLeaveAFlatPictureAloneButNotACheckerboard() {
        INDArray flat = Nd4j.valueArrayOf(new long[] {2, 1, 28, 28}, 0.7f);
        FilterComparison.Scores f = FilterComparison.score(MODEL, "conv2", FILTERS, flat);
        for (int i = 0; i < 2; i++) {
            assertEquals(f.plain()[i], f.robust()[i], 1e-4 * Math.max(1, Math.abs(f.plain()[i])), "flat picture, filter " + FILTERS.get(i));
        }
        INDArray board = Nd4j.create(org.nd4j.linalg.api.buffer.DataType.FLOAT, 2, 1, 28, 28);
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                board.putScalar(new long[] {0, 0, y, x}, (x + y) % 2);
                board.putScalar(new long[] {1, 0, y, x}, (x + y) % 2);
            }
        }
        FilterComparison.Scores b = FilterComparison.score(MODEL, "conv1", List.of(0, 1), board);
        boolean anyChanged = Math.abs(b.plain()[0] - b.robust()[0]) > 1e-3 || Math.abs(b.plain()[1] - b.robust()[1]) > 1e-3;
        assertTrue(anyChanged, "a checkerboard scores the same under transforms: " + java.util.Arrays.toString(b.plain())
                + " vs " + java.util.Arrays.toString(b.robust()));
    }
}
