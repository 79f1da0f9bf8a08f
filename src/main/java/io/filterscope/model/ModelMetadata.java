package io.filterscope.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.filterscope.engine.param.InputSpace;
import java.util.List;

/**
 * The small hand-editable JSON file beside each model ({@code NAME.json} next to {@code NAME.zip} or
 * {@code NAME.h5}): what the input looks like, what the classes are called, and where the model came from.
 * {@code architecture} names the network a weights-only Keras file fills (e.g. {@code "vgg16-notop"}, see
 * {@link io.filterscope.model.keras.KnownArchitecture}); full models and DL4J zips leave it out. A model
 * trained by the project also names its learned image {@code prior} and gives statistics of its training
 * pictures ({@code trainingPictures}), which say what "data-like" means for its class images.
 * {@code defaultView} is the layer, filter and preset the page opens the model on (optional).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = false)
public record ModelMetadata(
        String id,
        String description,
        String file,
        List<Integer> inputShape,
        InputSpace input,
        List<String> classes,
        Examples examples,
        Provenance provenance,
        String architecture,
        Source source,
        Prior prior,
        PictureStatistics trainingPictures,
        DefaultView defaultView) {

    /** Metadata without a prior, training statistics or {@code defaultView} (the page opens it on its second convolution). */
    public ModelMetadata(String id, String description, String file, List<Integer> inputShape, InputSpace input,
                         List<String> classes, Examples examples, Provenance provenance, String architecture, Source source) {
        this(id, description, file, inputShape, input, classes, examples, provenance, architecture, source, null, null, null);
    }

    /** Metadata of a full model (no {@code architecture}). */
    public ModelMetadata(String id, String description, String file, List<Integer> inputShape, InputSpace input,
                         List<String> classes, Examples examples, Provenance provenance) {
        this(id, description, file, inputShape, input, classes, examples, provenance, null);
    }

    /** Metadata of a model that was not downloaded by {@code fetch-model} (no {@code source}). */
    public ModelMetadata(String id, String description, String file, List<Integer> inputShape, InputSpace input,
                         List<String> classes, Examples examples, Provenance provenance, String architecture) {
        this(id, description, file, inputShape, input, classes, examples, provenance, architecture, null);
    }

    /** This metadata with a learned image prior and statistics of the training pictures. */
    public ModelMetadata withPrior(Prior newPrior, PictureStatistics statistics) {
        return new ModelMetadata(id, description, file, inputShape, input, classes, examples, provenance, architecture, source,
                newPrior, statistics, defaultView);
    }

    /**
     * What the page shows first for this model: a layer (its name or alias), a filter of it (0-based) and,
     * optionally, a preset by name (else the default for filters). Chosen for a good first picture; checked
     * against the model's layers when it loads.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record DefaultView(String layer, int filter, String preset) {
    }

    /** The held-out images used for "which images excite this filter most". */
    public record Examples(String images, String labels, String description) {
    }

    /**
     * Where {@code fetch-model} downloaded the model file from, and the published hash it checked the file
     * against: one of {@code md5}, {@code sha256}, or {@code adler32} (a decimal number, as DL4J's zoo gives it).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Source(String url, String md5, String sha256, String adler32) {
    }

    /**
     * The model's learned image prior (see {@link io.filterscope.engine.param.ImagePrior}): a float IDX file
     * [k + 1, c, h, w] holding the training pictures' mean logit, then k principal components of their logits,
     * each times the spread along it.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Prior(String file, String description, String fittedWith) {
    }

    /**
     * What the training pictures are like, per picture, in display units [0, 1]: the mean absolute difference
     * of neighbouring pixels (how jagged) and the standard deviation of its pixels (its contrast), as percentiles
     * over the training set.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record PictureStatistics(Integer pictures, Double neighbourDifferenceP50, Double neighbourDifferenceP99,
                                    Double contrastP1, Double contrastP50) {
    }

    /** Where the weights and data came from, under what licence, and how well the model does. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Provenance(String dataset, String datasetLicence, String licence, String trainedWith,
                             Double heldOutAccuracy, Integer heldOutImages) {
    }
}
