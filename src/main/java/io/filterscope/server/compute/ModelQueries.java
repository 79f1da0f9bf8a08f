package io.filterscope.server.compute;

import io.filterscope.UserError;
import io.filterscope.data.LabeledImages;
import io.filterscope.engine.net.LayerInfo;
import io.filterscope.engine.net.Network;
import io.filterscope.image.ImageInput;
import io.filterscope.image.PngFiles;
import io.filterscope.image.Tiles;
import io.filterscope.model.ActivationMaps;
import io.filterscope.model.AttributionMaps;
import io.filterscope.model.LoadedModel;
import io.filterscope.model.ModelMetadata;
import io.filterscope.model.ModelStore;
import io.filterscope.server.ApiError;
import io.filterscope.server.protocol.Answers;
import io.filterscope.server.protocol.ComputeApi;
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

    public Answers.ModelList models() {
        List<Answers.ModelInfo> list = new ArrayList<>();
        for (ModelStore.Entry e : store.list()) {
            list.add(e.available()
                    ? new Answers.ModelInfo(e.id(), true, e.defaults(), e.metadata().description(), null,
                    e.metadata().inputShape(), e.metadata().classes())
                    : new Answers.ModelInfo(e.id(), false, e.defaults(), null, store.withoutDirectory(e.error()), null, null));
        }
        return new Answers.ModelList(list);
    }

    public Answers.ModelDetail model(String id) {
        LoadedModel m = store.load(id);
        List<Answers.Layer> layers = m.layers().stream()
                .map(l -> new Answers.Layer(l.name(), l.kind(), l.channels(), l.outputShape(), l.alias())).toList();
        ModelMetadata.DefaultView view = m.metadata().defaultView();
        return new Answers.ModelDetail(m.id(), m.metadata().description(), m.metadata().inputShape(), m.classes(),
                m.metadata().examples() != null, m.defaults(), layers, view == null ? null
                : new Answers.DefaultView(m.layer(view.layer()).name(), view.filter(), view.preset()));
    }

    /**
     * Feature maps of an uploaded image, strongest channel first, with a mosaic of them. The image's header must
     * declare at most {@code maxPixels} pixels and {@code maxSide} a side (413 otherwise).
     */
    public Answers.ActivationMaps activations(String id, String layer, byte[] upload, int maxPixels, int maxSide) {
        ActivationMaps maps = maps(id, layer, upload, maxPixels, maxSide);
        List<Answers.Channel> channels = maps.strongestFirst().stream()
                .map(c -> new Answers.Channel(c.index(), c.mean(), c.max())).toList();
        return new Answers.ActivationMaps(id, layer, maps.shape(), channels,
                dataUrl(PngFiles.encode(maps.mosaic(48, c -> String.valueOf(c.index())), Map.of())));
    }

    /** One channel's map of an uploaded image, colour-mapped, as a PNG; limits as {@link #activations}. */
    public byte[] activationMap(String id, String layer, byte[] upload, int channel, int maxPixels, int maxSide) {
        return PngFiles.encode(maps(id, layer, upload, maxPixels, maxSide).map(channel), Map.of());
    }

    private ActivationMaps maps(String id, String layer, byte[] upload, int maxPixels, int maxSide) {
        LoadedModel m = store.load(id);
        m.layer(layer);
        return ActivationMaps.of(m, layer, picture(upload, maxPixels, maxSide));
    }

    /** An uploaded image's top predictions and one class's attribution map (see {@link AttributionMaps}). */
    public Answers.Attribution attribution(ComputeApi.AttributionRequest r) {
        LoadedModel m = store.load(r.model());
        AttributionMaps.Method method = AttributionMaps.Method.parse(r.method() == null ? "gradcam" : r.method());
        AttributionMaps.Result result = AttributionMaps.explain(m, picture(r.image(), r.maxPixels(), r.maxSide()), method, r.cls(), r.layer());
        List<Answers.Prediction> predictions = result.predictions().stream()
                .map(p -> new Answers.Prediction(p.index(), m.label(p.index()), p.probability())).toList();
        return new Answers.Attribution(method.wire(), result.cls(), m.label(result.cls()), result.layer(), predictions,
                result.map(), dataUrl(PngFiles.encode(result.overlay(AttributionMaps.Result.DEFAULT_OPACITY), Map.of())),
                dataUrl(PngFiles.encode(result.input(), Map.of())), dataUrl(PngFiles.encode(result.heatmap(), Map.of())));
    }

    /** Decodes an upload; a file that is no image, too large or broken is a one-line 415, 413 or 400. */
    private static BufferedImage picture(byte[] upload, int maxPixels, int maxSide) {
        try {
            return ImageInput.read(upload, maxPixels, maxSide);
        } catch (IOException e) {
            boolean notImage = e.getMessage() != null && e.getMessage().startsWith("not an image");
            boolean tooBig = e.getMessage() != null && e.getMessage().contains("more than the limit");
            throw new ApiError(notImage ? 415 : tooBig ? 413 : 400, ApiError.codeFor(notImage ? 415 : tooBig ? 413 : 400),
                    e.getMessage()).exception();
        }
    }

    /** The example images whose mean activation of {@code filter} is highest, best first. */
    public Answers.Examples examples(String id, String layer, int filter, int n) throws IOException {
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
        List<Answers.Example> list = new ArrayList<>();
        for (int i : order.subList(0, Math.min(n, order.size()))) {
            BufferedImage img = Tiles.fromPlanes(examples.pixels()[i], examples.channels(), examples.width(), examples.height());
            list.add(new Answers.Example(i, column.getDouble(i),
                    m.classes() != null ? m.classes().get(examples.labels()[i]) : String.valueOf(examples.labels()[i]),
                    dataUrl(PngFiles.encode(img, Map.of()))));
        }
        return new Answers.Examples(id, layer, filter, list);
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
        int side = examples.channels() * examples.height() * examples.width();
        for (int from = 0; from < examples.size(); from += batch) {
            int count = Math.min(batch, examples.size() - from);
            float[] flat = new float[batch * side];
            for (int i = 0; i < count; i++) {
                System.arraycopy(examples.pixels()[from + i], 0, flat, i * side, side);
            }
            net.input().assign(m.inputSpace().toInput(
                    Nd4j.create(flat, new long[] {batch, examples.channels(), examples.height(), examples.width()})));
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
