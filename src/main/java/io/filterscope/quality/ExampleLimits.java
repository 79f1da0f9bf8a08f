package io.filterscope.quality;

import io.filterscope.model.LoadedModel;
import java.io.IOException;
import java.util.Arrays;

/**
 * A model's example pictures as the yardsticks a gallery's tiles are judged by ({@link GalleryChecks}): found once per
 * model and kept ({@link LoadedModel#exampleLimits}), since each needs a pass over every example picture (emoji-cnn's
 * near-flat limit converts every pixel of them to CIELAB) and a server judges the tiles of every gallery run it ends.
 *
 * @param flat     {@link PictureMeasures#flatLimit} of the example pictures, a share of pixels, 0-1
 * @param nearFlat {@link PictureMeasures#nearFlatLimit} (a mean CIE94 difference) for a colour model, else null
 * @param pale     the {@link GalleryChecks#PALE_PERCENTILE}th percentile of their {@link PictureMeasures#brightness}
 *                 (0-1), null without example pictures
 */
public record ExampleLimits(double flat, Double nearFlat, Double pale) {

    /**
     * Finds the limits from the model's example pictures (the defaults of {@link PictureMeasures} without any).
     *
     * @throws IOException when the example pictures cannot be read
     */
    public static ExampleLimits of(LoadedModel model) throws IOException {
        int c = model.channels();
        int h = model.height();
        int w = model.width();
        float[][] examples = model.examples() == null ? null : model.examples().pixels();
        return new ExampleLimits(PictureMeasures.flatLimit(examples, c, h, w),
                c == 3 ? PictureMeasures.nearFlatLimit(examples, c, h, w) : null,
                examples == null ? null : PictureMeasures.percentile(
                        Arrays.stream(examples).mapToDouble(PictureMeasures::brightness).toArray(), GalleryChecks.PALE_PERCENTILE));
    }
}
