package io.filterscope.quality;

import io.filterscope.data.LabeledImages;
import io.filterscope.engine.net.Network;
import io.filterscope.engine.param.FlatColours;
import io.filterscope.model.LoadedModel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * What a layer's filters answer to without any ascent, to judge a rendered tile against: per filter, its mean
 * activation (the channel objective) on its best example picture and on the best flat picture ({@link FlatColours}:
 * five levels a channel, 125 colours, five greys for a greyscale model). A tile that scores below either missed the filter's
 * maximum; a flat tile is the truth only when it is the flat picture the filter prefers to every example, or no
 * picture we know excites the filter more (mnist-cnn conv1 filters 11 and 21 answer 0.065 and 0.056 to black, at
 * most 0.056 and 0.052 to a digit).
 *
 * @param bestExample    per filter, its highest mean activation on the model's example pictures ({@code -Infinity}
 *                       without examples)
 * @param topExamples    per filter, the {@link #RIVAL_PERCENTILE}th percentile of its mean activations on the example
 *                       pictures ({@code -Infinity} without examples)
 * @param bestFlat       per filter, its highest mean activation on a flat picture
 * @param bestFlatColour per filter, that picture's colour, levels 0-255 per channel
 */
public record FilterBaselines(double[] bestExample, double[] topExamples, double[] bestFlat, int[][] bestFlatColour) {
    /**
     * A flat colour rivals a filter's example pictures when its best flat picture scores at least this percentile of
     * them ({@link #flatRivalsExamples}). On emoji-cnn every tile near-flat to a person with the data's least contrast
     * was of such a filter (the lowest: conv2 filter 7, whose flat near-white beats 99.6% of the example pictures);
     * 100, {@link #prefersFlat}, left 2 of them (docs/quality.md).
     */
    public static final double RIVAL_PERCENTILE = 99;
    /** Pictures scored per forward pass at most (emoji-cnn at 64 px: a network of about 200 MB)... */
    private static final int SLICE = 32;
    /** ...and fewer when a network for that many would take more native memory than this (VGG16 at 224 px). */
    private static final long SLICE_BYTES = 512L << 20;

    /**
     * The baselines of every filter of {@code layer}, at the model's own size.
     *
     * @throws io.filterscope.UserError when the layer cannot be computed at the model's own size
     */
    public static FilterBaselines of(LoadedModel model, String layer) throws IOException {
        float[][] colours = FlatColours.of(model.channels());
        List<float[]> flat = new ArrayList<>();
        for (float[] colour : colours) {
            flat.add(FlatColours.picture(colour, model.height(), model.width()));
        }
        double[][] flatScores = scores(model, layer, flat);
        int filters = flatScores[0].length;
        LabeledImages examples = model.examples();
        INDArray exampleMeans = examples == null ? null : model.exampleActivations().means(layer);
        double[] bestExample = new double[filters];
        double[] topExamples = new double[filters];
        double[] bestFlat = new double[filters];
        int[][] bestColour = new int[filters][];
        for (int f = 0; f < filters; f++) {
            double[] answers = exampleMeans == null ? null : exampleMeans.getColumn(f).toDoubleVector();
            bestExample[f] = answers == null ? Double.NEGATIVE_INFINITY : java.util.Arrays.stream(answers).max().orElseThrow();
            topExamples[f] = answers == null ? Double.NEGATIVE_INFINITY : PictureMeasures.percentile(answers, RIVAL_PERCENTILE);
            int top = 0;
            for (int k = 1; k < colours.length; k++) {
                top = flatScores[k][f] > flatScores[top][f] ? k : top;
            }
            bestFlat[f] = flatScores[top][f];
            bestColour[f] = levels(colours[top]);
        }
        return new FilterBaselines(bestExample, topExamples, bestFlat, bestColour);
    }

    private static int[] levels(float[] colour) {
        int[] levels = new int[colour.length];
        for (int ch = 0; ch < colour.length; ch++) {
            levels[ch] = Math.round(colour[ch] * 255);
        }
        return levels;
    }

    /**
     * Every filter's mean activation on each picture: [pictures][filters].
     *
     * @param pictures display values in [0, 1], planar {@code c*h*w} at the model's own size
     */
    public static double[][] scores(LoadedModel model, String layer, List<float[]> pictures) {
        int c = model.channels();
        int h = model.height();
        int w = model.width();
        double[][] out = new double[pictures.size()][];
        int batch = Math.min(SLICE, pictures.size());
        while (batch > 1 && model.bytesFor(batch, h) > SLICE_BYTES) {
            batch /= 2;
        }
        Network net = model.borrow(batch, h);
        try {
            for (int from = 0; from < pictures.size(); from += batch) {
                int count = Math.min(batch, pictures.size() - from);
                float[] all = new float[batch * c * h * w];
                for (int i = 0; i < count; i++) {
                    System.arraycopy(pictures.get(from + i), 0, all, i * c * h * w, c * h * w);
                }
                net.input().assign(model.inputSpace().toInput(Nd4j.create(all, new long[] {batch, c, h, w})));
                net.forward(List.of(layer));
                INDArray o = net.output(layer);
                INDArray means = o.rank() == 4 ? o.reshape('c', batch, o.size(1), o.size(2) * o.size(3)).mean(2) : o;
                for (int i = 0; i < count; i++) {
                    out[from + i] = means.get(NDArrayIndex.point(i), NDArrayIndex.all()).toDoubleVector();
                }
            }
        } finally {
            model.release(net);
        }
        return out;
    }

    /** Filter {@code f}'s best flat colour as {@code #rrggbb} (a grey model's level in each of the three). */
    public String hex(int f) {
        int[] levels = bestFlatColour[f];
        StringBuilder s = new StringBuilder("#");
        for (int ch = 0; ch < 3; ch++) {
            s.append(String.format("%02x", levels[Math.min(ch, levels.length - 1)]));
        }
        return s.toString();
    }

    /** Whether filter {@code f}'s ideal input is flat: a flat picture excites it more than every example picture. */
    public boolean prefersFlat(int f) {
        return bestFlat[f] > bestExample[f];
    }

    /**
     * Whether a flat colour rivals filter {@code f}'s example pictures: its best flat picture scores at least the
     * {@link #RIVAL_PERCENTILE}th percentile of them (every filter that {@link #prefersFlat} does). The ascent towards such a filter's maximum drifts to a plain picture, so a picture with the data's
     * least contrast is its colour with a faint pattern; the contrast floor holds it at a typical picture's
     * ({@code Presets.contrastReferences}).
     */
    public boolean flatRivalsExamples(int f) {
        return bestFlat[f] >= topExamples[f];
    }

    /**
     * Whether a flat tile is the truth for filter {@code f}: the filter {@link #prefersFlat} and the tile is that flat
     * picture (its median colour within {@link PictureMeasures#FLAT_LEVELS} levels in every channel: mnist-cnn's
     * conv1 filters 11 and 21, black with specks), or no picture we know excites the filter more (the tile scores at
     * least its best example and its best flat picture: a flat colour between the grid's can beat them, as emoji-cnn's
     * conv2 filter 47 answered 0.92 to a near-black tile, 0.83 to its best corner, at most 0.68 to an example picture).
     *
     * @param tile  display values in [0, 1], planar {@code c*h*w}
     * @param score the filter's mean activation on the tile
     */
    public boolean isFlatTruth(int f, float[] tile, double score, int c, int h, int w) {
        if (score >= bestExample[f] && score >= bestFlat[f]) {
            return true;
        }
        if (!prefersFlat(f)) {
            return false;
        }
        int[] median = PictureMeasures.medianLevels(tile, c, h, w);
        for (int ch = 0; ch < c; ch++) {
            if (Math.abs(median[ch] - bestFlatColour[f][ch]) > PictureMeasures.FLAT_LEVELS) {
                return false;
            }
        }
        return true;
    }
}
