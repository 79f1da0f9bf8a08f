package io.filterscope.engine.render;

import io.filterscope.engine.objective.Objective;
import io.filterscope.engine.param.ImagePrior;
import io.filterscope.engine.param.InputSpace;
import java.util.function.Predicate;

/**
 * What a model brings to a run besides its network, as a preset builds the run's parts from it: how pictures
 * map to its input, its learned image prior and its example pictures (either may be missing), how little contrast
 * its training pictures have, and which of its layers can be computed for images of another size than its own (a pad
 * makes the image larger; a dense layer on flattened maps needs the model's own size).
 *
 * @param prior      null when the model ships none
 * @param examples   null when the model has no example set
 * @param contrastP1  the 1st percentile of its training pictures' contrast (the standard deviation of a picture's
 *                    display values), or null when its metadata does not say
 * @param contrastP50 their median contrast, or null when its metadata does not say
 * @param anySize     whether a layer (by name) can be computed at other image sizes
 * @param affine      whether a layer (by name) is an affine function of the input (no activation or pooling between
 *                    them), so that the mean of each of its channels is highest for one flat colour
 * @param flatRivals  whether a flat colour rivals an objective's example pictures (a channel whose best flat picture
 *                    scores at least their 99th percentile, {@code FilterBaselines.flatRivalsExamples}; none for a model without
 *                    examples)
 */
public record ModelData(InputSpace space, ImagePrior prior, ExamplePictures examples, Double contrastP1,
                        Double contrastP50, Predicate<String> anySize, Predicate<String> affine,
                        Predicate<Objective> flatRivals) {

    /**
     * What the model brings to runs of {@code size} x {@code size} pixel images: a learned prior describes
     * pictures of its own size only, so at another size the model is as one without a prior (and the
     * data-prior preset falls back to Lucid's recipe, as it does there).
     */
    public ModelData at(int size) {
        return prior == null || prior.height() == size && prior.width() == size ? this
                : new ModelData(space, null, examples, contrastP1, contrastP50, anySize, affine, flatRivals);
    }

    /** A model known only by its input space, every layer taking any size, none taken for affine, no flat colour rivalling an objective's examples. */
    public static ModelData of(InputSpace space) {
        return new ModelData(space, null, null, null, null, layer -> true, layer -> false, objective -> false);
    }
}
