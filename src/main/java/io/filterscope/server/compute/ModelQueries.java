package io.filterscope.server.compute;

import io.filterscope.UserError;
import io.filterscope.data.LabeledImages;
import io.filterscope.engine.net.LayerInfo;
import io.filterscope.engine.net.Network;
import io.filterscope.image.ImageInput;
import io.filterscope.image.PngFiles;
import io.filterscope.image.Tiles;
import io.filterscope.model.ActivationMaps;
import io.filterscope.model.LoadedModel;
import io.filterscope.model.ModelStore;
import io.filterscope.server.ApiError;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The HTTP API's questions about models: listing, layers, one image's activation maps, top dataset examples. */
public final class ModelQueries {
    private static final int EXAMPLE_BATCH = 250;
    private final ModelStore store;
    /** Bytes of the worker's memory budget that no run holds, for the batch that scores example images. */
    private final java.util.function.LongSupplier memoryFree;
    /**
     * Per model (as loaded: a replaced file is a new model) and layer: mean activation of every channel on
     * every example image, [examples, channels].
     */
    private final Map<LoadedModel, Map<String, INDArray>> exampleActivations = new java.util.WeakHashMap<>();

    /** Queries whose example batches are limited by nothing but their size. */
    ModelQueries(ModelStore store) {
        this(store, () -> Long.MAX_VALUE);
    }

    ModelQueries(ModelStore store, java.util.function.LongSupplier memoryFree) {
        this.store = store;
        this.memoryFree = memoryFree;
    }

    /** Drops the cached example scores (after running out of memory); returns their bytes. */
    long forgetCaches() {
        long bytes = exampleActivations.values().stream().flatMap(m -> m.values().stream())
                .mapToLong(a -> a.length() * a.dataType().width()).sum();
        exampleActivations.clear();
        return bytes;
    }

    public JsonArray models() {
        JsonArray list = new JsonArray();
        for (ModelStore.Entry e : store.list()) {
            JsonObject m = new JsonObject().put("id", e.id()).put("available", e.available()).put("defaults", e.defaults());
            if (e.available()) {
                m.put("description", e.metadata().description()).put("inputShape", new JsonArray(e.metadata().inputShape()))
                        .put("classes", e.metadata().classes() == null ? null : new JsonArray(e.metadata().classes()));
            } else {
                m.put("error", store.withoutDirectory(e.error())).put("inputShape", null).put("classes", null);
            }
            list.add(m);
        }
        return list;
    }

    public JsonObject model(String id) {
        LoadedModel m = store.load(id);
        JsonArray layers = new JsonArray();
        for (LayerInfo l : m.layers()) {
            layers.add(new JsonObject().put("name", l.name()).put("kind", l.kind()).put("channels", l.channels())
                    .put("outputShape", new JsonArray(l.outputShape())));
        }
        return new JsonObject().put("id", m.id()).put("description", m.metadata().description())
                .put("inputShape", new JsonArray(m.metadata().inputShape()))
                .put("classes", m.classes() == null ? null : new JsonArray(m.classes()))
                .put("hasExamples", m.metadata().examples() != null).put("defaults", m.defaults()).put("layers", layers);
    }

    /**
     * Feature maps of an uploaded image; with {@code channel}, that one map as a colour-mapped PNG. The image's
     * header must declare at most {@code maxPixels} pixels and {@code maxSide} a side (413 otherwise).
     */
    public Object activations(String id, String layer, byte[] upload, Integer channel, int maxPixels, int maxSide) {
        LoadedModel m = store.load(id);
        m.layer(layer);
        BufferedImage picture;
        try {
            picture = ImageInput.read(upload, maxPixels, maxSide);
        } catch (IOException e) {
            boolean notImage = e.getMessage() != null && e.getMessage().startsWith("not an image");
            boolean tooBig = e.getMessage() != null && e.getMessage().contains("more than the limit");
            throw new ApiError(notImage ? 415 : tooBig ? 413 : 400, ApiError.codeFor(notImage ? 415 : tooBig ? 413 : 400),
                    e.getMessage()).exception();
        }
        ActivationMaps maps = ActivationMaps.of(m, layer, picture);
        if (channel != null) {
            return PngFiles.encode(maps.map(channel), Map.of());
        }
        JsonArray channels = new JsonArray();
        for (ActivationMaps.Channel c : maps.strongestFirst()) {
            channels.add(new JsonObject().put("index", c.index()).put("mean", c.mean()).put("max", c.max()));
        }
        return new JsonObject().put("model", id).put("layer", layer).put("shape", new JsonArray(maps.shape()))
                .put("channels", channels)
                .put("mosaic", dataUrl(PngFiles.encode(maps.mosaic(48, c -> String.valueOf(c.index())), Map.of())));
    }

    /** The example images whose mean activation of {@code filter} is highest, best first. */
    public JsonObject examples(String id, String layer, int filter, int n) throws IOException {
        LoadedModel m = store.load(id);
        LayerInfo info = m.layer(layer);
        if (filter < 0 || filter >= info.channels()) {
            throw UserError.notFound("filter " + filter + " is out of range: layer " + layer + " has " + info.channels() + " filters");
        }
        LabeledImages examples = m.examples();
        if (examples == null) {
            throw UserError.notFound("model " + id + " has no example images");
        }
        INDArray scores = exampleActivations.computeIfAbsent(m, k -> new HashMap<>()).get(layer);
        if (scores == null) {
            scores = scoreAll(m, layer, examples);
            exampleActivations.get(m).put(layer, scores);
        }
        INDArray column = scores.getColumn(filter).dup();
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < column.length(); i++) {
            order.add(i);
        }
        order.sort(Comparator.comparingDouble((Integer i) -> -column.getDouble(i)));
        JsonArray list = new JsonArray();
        for (int i : order.subList(0, Math.min(n, order.size()))) {
            BufferedImage img = Tiles.gray(examples.pixels()[i], examples.width(), examples.height());
            list.add(new JsonObject().put("index", i).put("activation", column.getDouble(i))
                    .put("label", m.classes() != null ? m.classes().get(examples.labels()[i]) : String.valueOf(examples.labels()[i]))
                    .put("image", dataUrl(PngFiles.encode(img, Map.of()))));
        }
        return new JsonObject().put("model", id).put("layer", layer).put("filter", filter).put("examples", list);
    }

    /** Every example's channel means at a layer, in batches as large as the memory no run holds allows. */
    private INDArray scoreAll(LoadedModel m, String layer, LabeledImages examples) {
        int batch = (int) Math.max(1, Math.min(EXAMPLE_BATCH, memoryFree.getAsLong() / m.bytesFor(1, m.height())));
        Network net = m.borrow(batch, m.height());
        try {
            return scoreAll(net, m, layer, examples);
        } finally {
            m.release(net);
        }
    }

    private static INDArray scoreAll(Network net, LoadedModel m, String layer, LabeledImages examples) {
        int batch = (int) net.batch();
        long channels = net.layer(layer).channels();
        INDArray scores = Nd4j.create(org.nd4j.linalg.api.buffer.DataType.FLOAT, examples.size(), channels);
        int side = examples.height() * examples.width();
        for (int from = 0; from < examples.size(); from += batch) {
            int count = Math.min(batch, examples.size() - from);
            float[] flat = new float[batch * side];
            for (int i = 0; i < count; i++) {
                System.arraycopy(examples.pixels()[from + i], 0, flat, i * side, side);
            }
            net.input().assign(m.inputSpace().toInput(
                    Nd4j.create(flat, new long[] {batch, 1, examples.height(), examples.width()})));
            net.forward(List.of(layer));
            INDArray out = net.output(layer);
            INDArray means = out.rank() == 4 ? out.mean(2, 3) : out;
            scores.get(NDArrayIndex.interval(from, from + count), NDArrayIndex.all())
                    .assign(means.get(NDArrayIndex.interval(0, count), NDArrayIndex.all()));
        }
        return scores;
    }

    static String dataUrl(byte[] png) {
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(png);
    }
}
