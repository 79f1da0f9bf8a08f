package io.filterscope.engine.objective;

import static org.nd4j.linalg.indexing.NDArrayIndex.point;

import io.filterscope.UserError;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * How alike the images of a batch are, by the style of one layer (Lucid's {@code diversity}, from Olah et al.,
 * "Feature Visualization", Distill 2017): each image's Gram matrix of the layer's channels, normalized, is
 * compared with every other image's. Image i's value is {@code sum over j != i of <G_i, G_j> / n}, and the
 * values add up to Lucid's. Subtracted from an objective, it pushes N images of one filter apart, so they show
 * the filter's several facets. The gradient given to image i is that of the whole batch's sum, which, the
 * similarity being symmetric, is twice that of its own value with the others held fixed.
 *
 * @param layer the layer whose channels' Gram matrices are compared; null: the layer the run's other
 *              objectives read (see {@link #on})
 */
public record Diversity(String layer) implements Objective {

    /** Diversity on the layer of the objectives it is added to. */
    public static final Diversity OF_OBJECTIVES = new Diversity(null);

    @Override
    public Set<String> layers() {
        return layer == null ? Set.of() : Set.of(layer);
    }

    @Override
    public boolean joinsImages() {
        return true;
    }

    @Override
    public Objective on(String objectivesLayer) {
        if (layer != null) {
            return this;
        }
        if (objectivesLayer == null) {
            throw new UserError("diversity needs the run's objectives to read one layer (or a diversity term naming its layer)");
        }
        return new Diversity(objectivesLayer);
    }

    @Override
    public double evaluate(StepTensors t, int image, double weight) {
        return compute(t, image, weight)[0];
    }

    @Override
    public double[] evaluateAll(StepTensors t, double weight) {
        return compute(t, -1, weight);
    }

    /** Values (and gradients, times {@code weight}) of one image, or of all with {@code only} -1. */
    private double[] compute(StepTensors t, int only, double weight) {
        if (layer == null) {
            throw new IllegalStateException("diversity's layer is not set");
        }
        INDArray out = t.output(layer);
        int n = (int) out.size(0);
        long channels = out.size(1);
        INDArray maps = out.reshape('c', n, channels, out.length() / (n * channels));  // [n, C, positions]
        INDArray grams = Nd4j.create(out.dataType(), n, channels * channels);
        double[] norms = new double[n];
        for (int i = 0; i < n; i++) {
            INDArray a = maps.get(point(i));
            INDArray g = a.mmul(a.transpose()).reshape(1, channels * channels);
            norms[i] = Math.max(g.norm2Number().doubleValue(), 1e-10);
            grams.get(point(i)).assign(g.div(norms[i]));
        }
        INDArray total = grams.sum(0);
        double[] values = new double[only < 0 ? n : 1];
        for (int i = only < 0 ? 0 : only; i < (only < 0 ? n : only + 1); i++) {
            INDArray own = grams.get(point(i));
            INDArray others = total.sub(own);                                    // sum over j != i
            double similarity = own.mul(others).sumNumber().doubleValue();
            values[only < 0 ? i : 0] = similarity / n;
            if (weight != 0 && n > 1) {
                // d/dG_i of the batch's sum (2/n) * sum_{i<j} <G^_i, G^_j>, through the normalization, then
                // through G = A A^T: dA = 2 M A for the symmetric M.
                INDArray m = others.sub(own.mul(similarity)).muli(2 * weight / n / norms[i]).reshape(channels, channels);
                INDArray a = maps.get(point(i));
                t.gradient(layer).get(point(i)).addi(m.mmul(a).muli(2).reshape(t.gradient(layer).get(point(i)).shape()));
            }
        }
        return values;
    }

    @Override
    public String label() {
        return "diversity" + (layer == null ? "" : " " + layer);
    }
}
