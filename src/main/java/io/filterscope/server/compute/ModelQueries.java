package io.filterscope.server.compute;

import io.filterscope.IndexRange;
import io.filterscope.UserError;
import io.filterscope.data.LabeledImages;
import io.filterscope.engine.attribution.GradCam;
import io.filterscope.engine.net.LayerInfo;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The HTTP API's questions about models: listing, layers, one image's activation maps, top dataset examples. */
public final class ModelQueries {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ModelQueries.class);
    private final ModelStore store;
    /** Bytes of the worker's memory budget that no run holds, for the batch that scores example images. */
    private final java.util.function.LongSupplier memoryFree;

    /** Queries whose example batches are limited by nothing but their size. */
    ModelQueries(ModelStore store) {
        this(store, () -> Long.MAX_VALUE);
    }

    ModelQueries(ModelStore store, java.util.function.LongSupplier memoryFree) {
        this.store = store;
        this.memoryFree = memoryFree;
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
                .map(l -> new Answers.Layer(l.name(), l.kind(), l.channels(), l.outputShape(), l.alias(), GradCam.readable(l))).toList();
        ModelMetadata.DefaultView view = m.metadata().defaultView();
        boolean maps = m.layers().stream().anyMatch(LayerInfo::spatial);
        return new Answers.ModelDetail(m.id(), m.metadata().description(), m.metadata().inputShape(), m.classes(),
                m.metadata().examples() != null, m.defaults(), layers,
                new Answers.DefaultView(m.defaultLayer().name(), view == null ? 0 : view.filter(), view == null ? null : view.preset()),
                maps ? AttributionMaps.lastConvolutionBlock(m) : null);
    }

    /**
     * Feature maps of an uploaded image, strongest channel first, with a mosaic of them, and with {@code eachMap} every
     * channel's map as {@link #activationMap} gives it (a page showing them all asks once, not once a channel: 161
     * requests for emoji-cnn's conv5, which two pages behind one address could not make within its rate limit). The
     * image's header must declare at most {@code maxPixels} pixels and {@code maxSide} a side (413 otherwise).
     */
    public Answers.ActivationMaps activations(String id, String layer, byte[] upload, int maxPixels, int maxSide, boolean eachMap) {
        ActivationMaps maps = maps(id, layer, upload, maxPixels, maxSide);
        List<Answers.Channel> channels = maps.strongestFirst().stream()
                .map(c -> new Answers.Channel(c.index(), c.mean(), c.max(),
                        eachMap ? dataUrl(png(maps, c.index())) : null)).toList();
        return new Answers.ActivationMaps(id, layer, maps.shape(), channels,
                dataUrl(PngFiles.encode(maps.mosaic(48, c -> String.valueOf(c.index())), Map.of())));
    }

    /** One channel's map of an uploaded image, colour-mapped, as a PNG; limits as {@link #activations}. */
    public byte[] activationMap(String id, String layer, byte[] upload, String channel, int maxPixels, int maxSide) {
        ActivationMaps maps = maps(id, layer, upload, maxPixels, maxSide);
        return png(maps, maps.channels().check(channel));
    }

    /** One channel's map as a PNG: what {@link #activationMap} answers and each map of {@link #activations} holds. */
    private static byte[] png(ActivationMaps maps, long channel) {
        return PngFiles.encode(maps.map(channel), Map.of());
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

    /**
     * Decodes an upload; a file that is no image, too large or broken is a one-line 415, 413 or 400 (a broken one's
     * decoder error goes to the log at debug level).
     */
    private static BufferedImage picture(byte[] upload, int maxPixels, int maxSide) {
        try {
            return ImageInput.read(upload, maxPixels, maxSide);
        } catch (IOException e) {
            if (e.getCause() != null) {
                LOG.debug("{}: {}", e.getMessage(), e.getCause().toString());
            }
            int status = e instanceof ImageInput.NotAnImage ? 415 : e instanceof ImageInput.TooLarge ? 413 : 400;
            throw new ApiError(status, ApiError.codeFor(status), e.getMessage()).exception();
        }
    }

    /**
     * One piece of the answer "the example images whose mean activation of {@code filter} is highest, best first":
     * until the model's examples are all scored at the layer (once per model and layer, see
     * {@link io.filterscope.model.ExampleActivations}), each call scores one slice of them, at most
     * {@link io.filterscope.model.ExampleActivations#SLICE} (2,000 examples: 63 pieces), and returns empty, to be
     * called again; then it returns the answer. So a first query holds the compute thread one slice at a time.
     */
    public Optional<Answers.Examples> examplesPiece(String id, String layer, String filter, int n) throws IOException {
        LoadedModel m = store.load(id);
        LayerInfo info = m.layer(layer);
        int index = new IndexRange("filter", "layer " + layer, info.channels()).check(filter);
        LabeledImages examples = m.examples();
        if (examples == null) {
            throw UserError.notFound("model " + id + " has no example images");
        }
        int memoryAllows = (int) Math.min(Integer.MAX_VALUE, memoryFree.getAsLong() / m.bytesFor(1, m.height()));
        if (!m.exampleActivations().scoreSlice(info.name(), memoryAllows)) {
            return Optional.empty();
        }
        // Copied to the host at once: sorting on reads of the ND4J array (two native reads a comparison) took most of
        // a query's 15-25 ms on the compute thread.
        double[] scores = m.exampleActivations().means(info.name()).getColumn(index).toDoubleVector();
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < scores.length; i++) {
            order.add(i);
        }
        order.sort(Comparator.comparingDouble((Integer i) -> -scores[i]));
        List<Answers.Example> list = new ArrayList<>();
        for (int i : order.subList(0, Math.min(n, order.size()))) {
            BufferedImage img = Tiles.fromPlanes(examples.pixels()[i], examples.channels(), examples.width(), examples.height());
            list.add(new Answers.Example(i, scores[i],
                    m.classes() != null ? m.classes().get(examples.labels()[i]) : String.valueOf(examples.labels()[i]),
                    dataUrl(PngFiles.encode(img, Map.of()))));
        }
        return Optional.of(new Answers.Examples(id, layer, index, list));
    }

    static String dataUrl(byte[] png) {
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(png);
    }
}
