package io.filterscope.quality;

import static org.nd4j.linalg.indexing.NDArrayIndex.point;

import io.filterscope.Progress;
import io.filterscope.engine.net.Network;
import io.filterscope.engine.objective.Objective;
import io.filterscope.engine.preset.Preset;
import io.filterscope.engine.preset.Settings;
import io.filterscope.engine.render.RenderedImage;
import io.filterscope.engine.render.Renderer;
import io.filterscope.engine.transform.RandomAffine;
import io.filterscope.engine.transform.Transform;
import io.filterscope.model.LoadedModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * How good a preset's filter images are, by issue 13's yardstick: the filter's mean activation on the image as a
 * person sees it (display values, back in model input units), untransformed and averaged over random
 * shifts, scales and rotations (features that survive small transforms, as Distill's "Feature Visualization"
 * argues, rather than noise only the exact pixel grid likes), and the share of the image's spectral power above
 * {@link PictureMeasures#HIGH_FREQUENCY}. Every preset is scored under the same draws of the transforms.
 */
public final class FilterComparison {
    /** The transforms a score averages over: shifts up to 8 px, scales 0.9-1.1, rotations up to 10 degrees. */
    public static final RandomAffine SCORE_TRANSFORMS = new RandomAffine(8, List.of(0.9, 0.95, 1.0, 1.05, 1.1), 10);
    /** How many draws of {@link #SCORE_TRANSFORMS} a score averages. */
    public static final int SCORE_DRAWS = 16;

    private FilterComparison() {
    }

    /**
     * One preset's images of some filters of one layer, and their scores (each a mean over the filters).
     *
     * @param activation    the filter's mean activation on its untransformed image
     * @param robust        the same, averaged over {@link #SCORE_DRAWS} draws of {@link #SCORE_TRANSFORMS}
     * @param highFrequency the share of spectral power above 1/8 cycle per pixel, 0-1
     * @param perFilter     the robust score of each filter, in the order rendered
     */
    public record Row(String layer, String preset, List<RenderedImage> images, double activation, double robust,
                      double highFrequency, double[] perFilter) {
    }

    /**
     * Renders one image per filter (one minibatch) with the preset and scores them.
     *
     * @param size image side in pixels
     * @param seed seeds the rendering; the score's transforms have a seed of their own, the same for every preset
     */
    public static Row run(LoadedModel model, String layer, List<Integer> filters, Preset preset, Settings settings, int size,
                          int steps, long seed, Progress progress) {
        List<Objective> objectives = new ArrayList<>();
        for (int f : filters) {
            objectives.add(model.objectives().channel(layer, f));
        }
        List<RenderedImage> images = Renderer.render(model, objectives, part -> preset.build(settings, model.data().at(size), part),
                size, steps, seed, filters.size(), progress);
        int c = model.channels();
        INDArray display = Nd4j.create(images.get(0).display().dataType(), filters.size(), c, size, size);
        double high = 0;
        for (int i = 0; i < images.size(); i++) {
            display.get(point(i)).assign(images.get(i).display());
            high += PictureMeasures.highFrequencyShare(images.get(i).displayPlanes(), c, size, size, PictureMeasures.HIGH_FREQUENCY);
        }
        Scores scores = score(model, layer, filters, display);
        return new Row(layer, preset.name(), images, mean(scores.plain), mean(scores.robust), high / images.size(), scores.robust);
    }

    /**
     * The filters' activations on pictures: filter i's mean activation on picture i, untransformed ({@code plain})
     * and averaged over {@link #SCORE_DRAWS} draws of {@link #SCORE_TRANSFORMS} ({@code robust}); the draws are
     * seeded the same way on every call, so every preset meets the same transforms.
     */
    public record Scores(double[] plain, double[] robust) {
    }

    /** Scores pictures ([n, c, h, w] display values in [0, 1]; n = filters.size()) for their filters. */
    public static Scores score(LoadedModel model, String layer, List<Integer> filters, INDArray display) {
        INDArray input = model.inputSpace().toInput(display);
        double[] plain = activations(model, layer, filters, input, null);
        double[] robust = new double[filters.size()];
        Random rng = new Random(SCORE_DRAWS);
        for (int d = 0; d < SCORE_DRAWS; d++) {
            double[] drawn = activations(model, layer, filters, input, SCORE_TRANSFORMS.sample(rng, input.shape()));
            for (int i = 0; i < robust.length; i++) {
                robust[i] += drawn[i] / SCORE_DRAWS;
            }
        }
        return new Scores(plain, robust);
    }

    /** Filter i's mean activation on image i of {@code input} ([n, c, h, w], model units), transformed first if asked. */
    private static double[] activations(LoadedModel model, String layer, List<Integer> filters, INDArray input, Transform.Sampled transform) {
        Network net = model.cached(filters.size(), (int) input.size(2));
        net.input().assign(transform == null ? input : transform.forward(input));
        net.forward(List.of(layer));
        INDArray out = net.output(layer);
        double[] values = new double[filters.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = out.rank() == 2 ? out.getDouble(i, filters.get(i))
                    : out.get(point(i), point(filters.get(i))).meanNumber().doubleValue();
        }
        return values;
    }

    private static double mean(double[] values) {
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        return sum / values.length;
    }
}
