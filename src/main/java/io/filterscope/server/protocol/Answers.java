package io.filterscope.server.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** The HTTP API's JSON answers (see docs/protocol.md), as the compute side returns them. */
public final class Answers {
    private Answers() {
    }

    /** An entry of {@code GET /api/models}: {@code error} for a model that cannot be used, description otherwise. */
    public record ModelInfo(String id, boolean available, boolean defaults,
                            @JsonInclude(JsonInclude.Include.NON_NULL) String description,
                            @JsonInclude(JsonInclude.Include.NON_NULL) String error,
                            List<Integer> inputShape, List<String> classes) {
    }

    public record ModelList(List<ModelInfo> models) {
    }

    /**
     * {@code GET /api/models/{id}}.
     *
     * @param defaultView  what the page opens the model on ({@link io.filterscope.model.LoadedModel#defaultLayer})
     * @param gradCamLayer the layer Grad-CAM reads when none is named, null for a model without feature maps
     */
    public record ModelDetail(String id, String description, List<Integer> inputShape, List<String> classes,
                              boolean hasExamples, boolean defaults, List<Layer> layers, DefaultView defaultView,
                              @JsonInclude(JsonInclude.Include.NON_NULL) String gradCamLayer) {
    }

    /**
     * What the page opens the model on: a layer by its name, a filter of it, and a preset ({@code null}: the default);
     * the metadata's {@code defaultView}, else the model's {@code defaultLayer}, filter 0.
     */
    public record DefaultView(String layer, int filter, @JsonInclude(JsonInclude.Include.NON_NULL) String preset) {
    }

    /**
     * @param alias   another name the file gives the layer, when it has one
     * @param gradCam whether Grad-CAM can read it ({@link io.filterscope.engine.attribution.GradCam#readable}): the page
     *                offers only these layers, so the rule lives in one place
     */
    public record Layer(String name, String kind, long channels, List<Long> outputShape,
                        @JsonInclude(JsonInclude.Include.NON_NULL) String alias, boolean gradCam) {
    }

    /** {@code POST /api/models/{id}/activations}: channels strongest (mean) first, and a mosaic of their maps. */
    public record ActivationMaps(String model, String layer, List<Long> shape, List<Channel> channels, String mosaic) {
    }

    /** @param map with {@code maps=png}, the channel's map as {@code &channel=k&format=png} gives it, as a PNG data URL; else null */
    public record Channel(int index, double mean, double max, @JsonInclude(JsonInclude.Include.NON_NULL) String map) {
    }

    /** {@code GET /api/models/{id}/examples}: the example images that excite the filter most, best first. */
    public record Examples(String model, String layer, int filter, List<Example> examples) {
    }

    public record Example(int index, double activation, String label, String image) {
    }

    /**
     * {@code POST /api/models/{id}/attribution}: the top predictions, the map at the model's input size (rows of
     * values in [0, 1]), and as PNG data URLs the map over the input ({@code overlay}), the image as the model
     * receives it ({@code input}) and the coloured map alone ({@code heatmap}, for an overlay of any opacity).
     */
    public record Attribution(String method, @JsonProperty("class") int cls, String label, String layer,
                              List<Prediction> predictions, float[][] map, String overlay, String input, String heatmap) {
    }

    /** @param probability softmax probability, in [0, 1] */
    public record Prediction(@JsonProperty("class") int cls, String label, double probability) {
    }

    /** {@code GET /api/health}: totals over every worker the node knows, and each worker. */
    public record Health(String status, String backend, String device, int runsActive, int runsQueued, List<Worker> workers) {
    }

    /** One worker: {@code state} "ok", "wedged", "dead" or "out_of_memory" ({@code detail} says more when not ok). */
    public record Worker(String id, String state, @JsonInclude(JsonInclude.Include.NON_NULL) String detail, String backend, String device, List<String> models,
                         int runsActive, int runsQueued, long memoryBudget, long memoryReserved, long networksCached) {
    }
}
