package io.filterscope.model;

import io.filterscope.UserError;
import io.filterscope.data.IdxFiles;
import io.filterscope.data.LabeledImages;
import io.filterscope.engine.net.LayerInfo;
import io.filterscope.engine.net.ModelGraph;
import io.filterscope.engine.net.Network;
import io.filterscope.engine.objective.Objectives;
import io.filterscope.engine.param.InputSpace;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.nd4j.linalg.api.buffer.DataType;

/** A model ready to visualize: its graph, metadata, layers and example images. */
public final class LoadedModel {
    private final ModelMetadata metadata;
    private final ModelGraph graph;
    private final Path dir;
    private final List<LayerInfo> layers;
    private final boolean defaults;
    private final ConcurrentHashMap<String, Network> compiled = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, java.util.Deque<Network>> idle = new ConcurrentHashMap<>();
    private volatile LabeledImages examples;

    LoadedModel(ModelMetadata metadata, ModelGraph graph, Path dir, boolean defaults) {
        this.metadata = metadata;
        this.defaults = defaults;
        this.graph = graph;
        this.dir = dir;
        this.layers = compile(1, height()).layers();
        LayerInfo last = layers.get(layers.size() - 1);
        if (metadata.classes() != null && (last.spatial() || last.channels() != metadata.classes().size())) {
            throw new UserError(dir.resolve(metadata.id() + ".json") + ": lists " + metadata.classes().size()
                    + " classes but the model's output layer " + last.name() + " has " + last.channels() + " units");
        }
    }

    public String id() {
        return metadata.id();
    }

    public ModelMetadata metadata() {
        return metadata;
    }

    /** Whether the model has no metadata file, so {@link ModelDefaults} describe its input. */
    public boolean defaults() {
        return defaults;
    }

    public InputSpace inputSpace() {
        return metadata.input() == null ? InputSpace.UNIT : metadata.input();
    }

    public int channels() {
        return metadata.inputShape().get(0);
    }

    public int height() {
        return metadata.inputShape().get(1);
    }

    public int width() {
        return metadata.inputShape().get(2);
    }

    public List<String> classes() {
        return metadata.classes();
    }

    public List<LayerInfo> layers() {
        return layers;
    }

    /** The layer of that name (or second name); an unknown name is a not-found error that lists the layers. */
    public LayerInfo layer(String name) {
        return layers.stream().filter(l -> l.answersTo(name)).findFirst()
                .orElseThrow(() -> UserError.notFound("unknown layer '" + name + "' in model " + id() + " (layers: "
                        + String.join(", ", layers.stream().map(LayerInfo::name).toList()) + ")"));
    }

    public Objectives objectives() {
        return new Objectives(layers, classes());
    }

    /**
     * The network compiled for a batch of square images of {@code size} px (float32). Convolutional layers
     * accept any size large enough; at another size than the model's own, the network ends before its
     * first dense layer.
     */
    public Network compile(int batch, int size) {
        try {
            return graph.compile(DataType.FLOAT, batch, new long[] {channels(), size, size});
        } catch (IllegalArgumentException e) {
            throw new UserError("model " + id() + " cannot take " + size + "x" + size + " images: " + e.getMessage());
        }
    }

    /**
     * A compiled network from a small cache keyed by batch and size, for callers that run one after another
     * (the command line); the server's worker keeps its own.
     */
    public Network cached(int batch, int size) {
        return compiled.computeIfAbsent(batch + "x" + size, k -> compile(batch, size));
    }

    /**
     * A network for one run, reused from an earlier run with the same batch and size when one is free.
     * Compiling allocates native buffers that are slow to come back (1,000 compiles grew the process by
     * 2.6 GB here), so a server lends networks out instead. Give it back with {@link #release}.
     */
    public Network borrow(int batch, int size) {
        java.util.Deque<Network> free = idle.get(batch + "x" + size);
        Network net = free == null ? null : free.poll();
        return net != null ? net : compile(batch, size);
    }

    public void release(Network net) {
        idle.computeIfAbsent(net.batch() + "x" + net.input().size(2), k -> new java.util.concurrent.ConcurrentLinkedDeque<>())
                .push(net);
    }

    /** The model's held-out example images (loaded on first use), or null when it has none. */
    public LabeledImages examples() throws IOException {
        if (metadata.examples() == null) {
            return null;
        }
        if (examples == null) {
            LabeledImages read = IdxFiles.read(dir.resolve(metadata.examples().images()), dir.resolve(metadata.examples().labels()));
            if (read.channels() != channels() || read.height() != height() || read.width() != width()) {
                throw new IOException(metadata.examples().images() + " holds " + read.channels() + "x" + read.height() + "x"
                        + read.width() + " images but model " + metadata.id() + " takes " + channels() + "x" + height() + "x" + width());
            }
            examples = read;
        }
        return examples;
    }
}
