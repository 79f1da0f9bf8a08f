package io.filterscope.model;

import io.filterscope.UserError;
import io.filterscope.data.IdxFiles;
import io.filterscope.data.LabeledImages;
import io.filterscope.engine.net.LayerInfo;
import io.filterscope.engine.net.ModelGraph;
import io.filterscope.engine.net.Network;
import io.filterscope.engine.objective.ChannelObjective;
import io.filterscope.engine.objective.Objective;
import io.filterscope.engine.objective.Objectives;
import io.filterscope.engine.param.ImagePrior;
import io.filterscope.engine.param.InputSpace;
import io.filterscope.engine.render.ModelData;
import io.filterscope.engine.render.Renderer;
import io.filterscope.quality.ExampleLimits;
import io.filterscope.quality.FilterBaselines;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** A model ready to visualize: its graph, metadata, layers and example images. */
public final class LoadedModel implements Renderer.Networks {
    private final ModelMetadata metadata;
    private final ModelGraph graph;
    private final Path dir;
    private final List<LayerInfo> layers;
    private final boolean defaults;
    private final ConcurrentHashMap<String, Network> compiled = new ConcurrentHashMap<>();
    /** Networks lent to runs come from here and go back here (shared by a store's models). */
    private final NetworkCache idle;
    /** The network for one image at the model's own size: its layers, and the shapes for {@link #bytesFor}. */
    private final Network own;
    private final long parameters;
    private volatile LabeledImages examples;
    private final ExampleActivations exampleActivations = new ExampleActivations(this);
    private volatile ImagePrior prior;
    private volatile java.util.Set<String> anySizeLayers;
    /**
     * Held while {@link #measureSizes} compiles, and {@link #readingPrior} while {@link #prior} reads, so that each is
     * done once however many ask at once (a start on a worker's loader thread, a query under its lock).
     */
    private final Object measuringSizes = new Object();
    private final Object readingPrior = new Object();
    private final ConcurrentHashMap<String, Boolean> affineLayers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, FilterBaselines> baselines = new ConcurrentHashMap<>();
    private volatile ExampleLimits exampleLimits;

    LoadedModel(ModelMetadata metadata, ModelGraph graph, Path dir, boolean defaults, NetworkCache idle) {
        this.metadata = metadata;
        this.defaults = defaults;
        this.graph = graph;
        this.dir = dir;
        this.idle = idle;
        // Compiled unwrapped: what the network cannot take at its own size is the caller's to name (ModelStore: the file).
        this.own = graph.compile(DataType.FLOAT, 1, new long[] {channels(), height(), height()});
        compiled.put(1 + "x" + height(), own);
        this.parameters = own.heldParameters();
        this.layers = own.layers();
        if (layers.size() < graph.layerNames().size()) {
            // At another size a network may legitimately end early (a run's size: see compile); at the model's own size
            // a layer that cannot take it would vanish from the model itself, so the declared shape is refused instead.
            throw new IllegalArgumentException(own.truncation());
        }
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

    /** A class's name from the metadata, else its index as text. */
    public String label(int cls) {
        return classes() != null && cls >= 0 && cls < classes().size() ? classes().get(cls) : String.valueOf(cls);
    }

    public List<LayerInfo> layers() {
        return layers;
    }

    /** The layer of that name (or second name); an unknown name is a not-found error that lists the layers. */
    public LayerInfo layer(String name) {
        return LayerInfo.named(layers, name, " in model " + id());
    }

    /**
     * The layer the page opens this model on (and the server warms up): its metadata's default view, else its second
     * convolution whose map has more than one position (a squeeze-excitation block's [c, 1, 1] convolutions draw no
     * picture), else its first layer with such a map, else its first layer.
     */
    public LayerInfo defaultLayer() {
        if (metadata.defaultView() != null) {
            return layer(metadata.defaultView().layer());
        }
        List<LayerInfo> maps = layers.stream().filter(LayerInfo::hasPositions).toList();
        List<LayerInfo> convs = maps.stream().filter(l -> l.kind().contains("conv")).toList();
        return !convs.isEmpty() ? convs.get(Math.min(1, convs.size() - 1)) : maps.isEmpty() ? layers.get(0) : maps.get(0);
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
        return compile(batch, size, graph.size());
    }

    private Network compile(int batch, int size, int depth) {
        try {
            return graph.compile(DataType.FLOAT, batch, new long[] {channels(), size, size}, depth);
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
     * A network for one run, reused from an earlier run with the same batch and size when the store's
     * {@link NetworkCache} still has one. Give it back with {@link #release}.
     */
    @Override
    public Network borrow(int batch, int size) {
        return borrow(batch, size, graph.size());
    }

    /**
     * {@link #borrow(int, int)} for a run that reads only {@code layers}: its network ends at the deepest of them
     * ({@link Network#depth(java.util.Collection)}), so nothing after it is allocated or run.
     *
     * @throws UserError for a layer the model does not have
     */
    public Network borrow(int batch, int size, java.util.Collection<String> layers) {
        return borrow(batch, size, depth(layers));
    }

    private Network borrow(int batch, int size, int depth) {
        Network net = idle.take(this, batch, size, depth);
        return net != null ? net : compile(batch, size, depth);
    }

    /**
     * {@link #borrow(int, int, java.util.Collection)} when the store's {@link NetworkCache} has such a network idle, else
     * null: nothing is compiled.
     *
     * @throws UserError for a layer the model does not have
     */
    public Network idle(int batch, int size, java.util.Collection<String> layers) {
        return idle.take(this, batch, size, depth(layers));
    }

    /**
     * Whether {@link #idle} would lend a network now, without taking it.
     *
     * @throws UserError for a layer the model does not have
     */
    public boolean hasIdle(int batch, int size, java.util.Collection<String> layers) {
        return idle.holds(this, batch, size, depth(layers));
    }

    /** The leading stages a network needs for {@code layers}. @throws UserError for a layer the model does not have */
    private int depth(java.util.Collection<String> layers) {
        layers.forEach(this::layer);
        return own.depth(layers);
    }

    @Override
    public void release(Network net) {
        idle.put(this, net);
    }

    /**
     * Native memory a network for a batch of square images of {@code size} px takes, with what a run on it
     * allocates, estimated from shapes before anything is allocated: {@link #bytesOf} of the network that
     * {@link #borrow} would return.
     */
    public long bytesFor(long batch, long size) {
        return bytes(own.activationVolume(batch, size, size), batch * channels() * size * size);
    }

    /** {@link #bytesFor(long, long)} of the network {@link #borrow(int, int, java.util.Collection)} lends for {@code layers}. */
    public long bytesFor(long batch, long size, java.util.Collection<String> layers) {
        return bytes(own.activationVolume(batch, size, size, depth(layers)), batch * channels() * size * size);
    }

    /**
     * Multiply-adds of one ascent step of a batch of square images of {@code size} px to {@code layers}
     * ({@link Network#multiplyAdds}), from shapes alone.
     */
    public long multiplyAddsFor(long batch, long size, java.util.Collection<String> layers) {
        return own.multiplyAdds(batch, size, size, layers);
    }

    /** Values thin convolutions write in that step ({@link Network#thinValues}), from shapes alone. */
    public long thinValuesFor(long batch, long size, java.util.Collection<String> layers) {
        return own.thinValues(batch, size, size, layers);
    }

    /**
     * Native memory a compiled network takes while a run uses it, float32. Measured on 2 cores
     * (resident memory after compiling and three steps, against this estimate): VGG16 128 px batch 1
     * 349 MB (357), batch 8 1,054 MB (1,098), 224 px batch 4 1,537 MB (1,548); LeNet 256 px batch 16
     * 2,310 MB (2,381). Each stage holds its output and its input's gradient, with some ops' temporaries
     * (2.75 per activation value); the network its own copy of the weights, flipped kernels, weight-gradient buffers
     * and the copies oneDNN's convolutions keep in their own layout, forward and input gradient (6 per parameter: those
     * two copies added 128 MiB to a VGG16 128 px bench process's peak, 595 -> 723 MiB; the copies of convolutions with
     * their batch norms folded in counted as parameters too: {@link Network#heldParameters}); the run its
     * parameterization, transforms, regularizers, gradients,
     * optimizer state, display copies and the step's temporaries (72 per input value: emoji-cnn's conv1 at 512 px,
     * 8 images, peaked 1.0-1.1 GB resident with the plain and seed-classic presets, 2.2 GB with natural and
     * data-prior, whose network takes 0.56 GB: up to 65 per input value).
     */
    public long bytesOf(Network net) {
        return bytes(net.activationVolume(), net.input().length());
    }

    /**
     * Native memory a compiled network takes with no run on it, that only computes forward passes (scoring example
     * pictures, {@link ExampleActivations}): {@link #bytesOf} without the run's 72 bytes per input value.
     */
    public long forwardBytesOf(Network net) {
        return bytes(net.activationVolume(), 0);
    }

    /** {@link #forwardBytesOf} of the network {@link #borrow(int, int)} lends for a batch of square images of {@code size} px. */
    public long forwardBytesFor(long batch, long size) {
        return bytes(own.activationVolume(batch, size, size), 0);
    }

    private long bytes(long activations, long inputs) {
        return Float.BYTES * (activations * 11 / 4 + 72 * inputs + 6 * parameters) + (1 << 20);
    }

    /**
     * What the model offers a run besides its network (its input space, learned prior, example pictures, which
     * layers take other sizes), as presets build a run's parts from it.
     *
     * @throws UserError when its metadata names a prior file that cannot be read
     */
    public ModelData data() {
        ModelMetadata.PictureStatistics pictures = metadata.trainingPictures();
        return new ModelData(inputSpace(), prior(), metadata.examples() == null ? null : exampleActivations,
                pictures == null ? null : pictures.contrastP1(), pictures == null ? null : pictures.contrastP50(),
                this::takesAnySize, this::affine, this::flatRivalsExamples);
    }

    /**
     * {@link #data()} with only what the model has measured already: a layer's {@link #affine} and a channel's {@link
     * #flatRivalsExamples} as found before, and false for what is not found yet, whose layer's name goes to {@code
     * unmeasured}. A preset builds a run's parts from it without a forward pass: parts of the same shapes (only a
     * contrast floor's values may differ), the run's own when nothing went to {@code unmeasured}.
     *
     * @throws UserError as {@link #data()}
     */
    public ModelData dataKnown(java.util.function.Consumer<String> unmeasured) {
        ModelData all = data();
        return new ModelData(all.space(), all.prior(), all.examples(), all.contrastP1(), all.contrastP50(), all.anySize(),
                layer -> {
                    Boolean known = affineLayers.get(layer(layer).name());
                    if (known == null) {
                        unmeasured.accept(layer);
                    }
                    return Boolean.TRUE.equals(known);
                },
                objective -> {
                    if (!(objective instanceof ChannelObjective c) || metadata.examples() == null) {
                        return false;
                    }
                    FilterBaselines known = baselines.get(layer(c.layer()).name());
                    if (known == null) {
                        unmeasured.accept(c.layer());
                    }
                    return known != null && known.flatRivalsExamples(c.filter());
                });
    }

    /**
     * Whether a flat colour rivals an objective's example pictures: a channel objective whose filter {@link
     * FilterBaselines#flatRivalsExamples} (its layer's baselines found once, 125 flat pictures' forward pass and the
     * example pictures' activations, which an examples start computes anyway); no other objective, and none of a model
     * without example pictures (every flat picture would beat none).
     *
     * @throws UserError when the model's example pictures cannot be read
     */
    public boolean flatRivalsExamples(Objective objective) {
        return objective instanceof ChannelObjective c && metadata.examples() != null
                && baselines(c.layer()).flatRivalsExamples(c.filter());
    }

    /**
     * A layer's {@link FilterBaselines} (its filters' best flat and best example pictures), found on first use and kept:
     * the contrast floor of a run and a gallery's checks ask for the same layer's.
     *
     * @throws UserError for a layer the model does not have, or when its example pictures cannot be read
     */
    public FilterBaselines baselines(String layer) {
        return baselines.computeIfAbsent(layer(layer).name(), name -> {
            try {
                return FilterBaselines.of(this, name);
            } catch (IOException e) {
                throw unreadableExamples(e);
            }
        });
    }

    /**
     * Whether a layer is an affine function of the model's input, with no activation or pooling between them
     * (emoji-cnn's conv1, whose ReLU is a layer of its own; not the greyscale models' conv1, which holds its ReLU), so
     * that the mean of each of its channels is highest for one flat colour. Found once per layer by one forward pass
     * of two seeded random inputs and their mean: an affine layer's output for the mean is the mean of its outputs, to
     * within float rounding (a ten-thousandth of their largest difference); a ReLU's or a max pool's is not.
     *
     * @throws UserError for a layer the model does not have
     */
    public boolean affine(String layer) {
        return affineLayers.computeIfAbsent(layer(layer).name(), this::measureAffine);
    }

    private boolean measureAffine(String name) {
        Network net = borrow(3, height(), List.of(name));
        try {
            int values = channels() * height() * width();
            float[] in = new float[3 * values];
            Random random = new Random(1);
            for (int i = 0; i < values; i++) {
                in[i] = (float) random.nextGaussian();
                in[values + i] = (float) random.nextGaussian();
                in[2 * values + i] = (in[i] + in[values + i]) / 2;
            }
            net.input().assign(Nd4j.create(in, net.input().shape()));
            net.forward(List.of(name));
            INDArray out = net.output(name).reshape(3, -1).castTo(DataType.DOUBLE);
            INDArray a = out.getRow(0);
            INDArray b = out.getRow(1);
            double off = out.getRow(2).sub(a.add(b).divi(2)).amaxNumber().doubleValue();
            return off <= 1e-4 * a.sub(b).amaxNumber().doubleValue();
        } finally {
            release(net);
        }
    }

    /**
     * The learned image prior its metadata names (read on first use, once however many ask at once), or null.
     *
     * @throws UserError when it cannot be read
     */
    public ImagePrior prior() {
        if (metadata.prior() == null) {
            return null;
        }
        if (prior == null) {
            synchronized (readingPrior) {
                if (prior == null) {
                    prior = readPrior();
                }
            }
        }
        return prior;
    }

    private ImagePrior readPrior() {
        Path file = dir.resolve(metadata.prior().file());
        try {
            IdxFiles.Floats f = IdxFiles.readFloats(file);
            int[] d = f.dims();
            if (d.length != 4 || d[0] < 2 || d[1] != channels() || d[2] != height() || d[3] != width()) {
                throw new UserError(file + ": a prior of this model must be [k + 1, " + channels() + ", " + height() + ", "
                        + width() + "] floats, got " + java.util.Arrays.toString(d));
            }
            int pixels = d[1] * d[2] * d[3];
            INDArray all = Nd4j.create(f.values(), new long[] {d[0], pixels});
            return new ImagePrior(metadata.prior().file(), d[1], d[2], d[3], all.getRow(0).dup(),
                    all.get(NDArrayIndex.interval(1, d[0]), NDArrayIndex.all()).dup());
        } catch (IOException e) {
            throw new UserError(file + ": cannot read the image prior (" + e.getMessage() + ")");
        }
    }

    /**
     * The shape [1, channels, height, width] of {@code layer}'s output for one square image of {@code side} px, from
     * shapes alone, or null when the layer cannot be computed at that size.
     *
     * @throws UserError for a layer the model does not have
     */
    public long[] mapAt(String layer, int side) {
        return own.shapeAt(layer(layer).name(), 1, side, side);
    }

    /**
     * Refuses a layer that has no map for square images of {@code side} px: a dense layer (or one after it) at another size
     * than the model's own, or a map that some convolution or pooling on its way shrinks to nothing. The one check of the
     * server's runs and of {@code bench}.
     *
     * @param side    the network's input side in px: the images' side as asked plus {@code pad}
     * @param pad     px the transforms add around each image before the network (0 for none); said in the message, and
     *                taken off the smallest side named
     * @param largest the largest side in px the caller takes, the end of the search for the smallest side that has a map
     * @throws UserError one line: {@code layer conv3 of tiny has no map at 8 px: a map on its way shrinks to nothing; the
     *                   smallest size it takes is 10 px}, or that the layer is computed at the model's own size only
     */
    public void requireMap(String layer, int side, int pad, int largest) {
        if (mapAt(layer, side) != null) {
            return;
        }
        String at = sizeWithPad(side, pad);
        if (!takesAnySize(layer)) {
            throw new UserError("layer " + layer + " of " + id() + " can only be computed at the model's own size, "
                    + height() + " px; got " + at);
        }
        int smallest = smallestSide(layer, largest + pad) - pad;
        throw new UserError("layer " + layer + " of " + id() + " has no map at " + at + ": a map on its way shrinks to "
                + "nothing; " + (smallest > 0 ? "the smallest size it takes is " + smallest + " px" : "no size up to " + largest + " px has one"));
    }

    /** "8 px", or with a pad "8 px (12 px with the pad)": an image's size as asked and, if other, as the network takes it. */
    public static String sizeWithPad(int side, int pad) {
        return (side - pad) + " px" + (pad == 0 ? "" : " (" + side + " px with the pad)");
    }

    /** The smallest side in px, from 1 to {@code limit}, of square images for which {@code layer} has a map; 0 if none. */
    public int smallestSide(String layer, int limit) {
        for (int side = 1; side <= limit; side++) {
            if (mapAt(layer, side) != null) {
                return side;
            }
        }
        return 0;
    }

    /**
     * Whether a layer can be computed for images of another size than the model's own (a dense layer on
     * flattened maps cannot, nor anything after it). Found once, by compiling the network for an image of twice the
     * model's size: a few pixels more can give the same flattened length after pooling's rounding (28 and 30 px both
     * give mnist-cnn's dense layer its 1,024 inputs).
     */
    public boolean takesAnySize(String layer) {
        measureSizes();
        return anySizeLayers.contains(layer) || layers.stream().anyMatch(l -> l.answersTo(layer) && anySizeLayers.contains(l.name()));
    }

    /**
     * Finds which layers take other sizes ({@link #takesAnySize}), if not yet: after a large model's read, the longest
     * part of its first run's preparation (compiling inception_v3 at 598 px took 20-40 s on 2 busy cores), which a
     * server does beside the read, off its compute threads. Done once: a caller that comes while another measures waits
     * for that one's answer rather than compiling the network again.
     *
     * @return this
     */
    public LoadedModel measureSizes() {
        if (anySizeLayers == null) {
            synchronized (measuringSizes) {
                // Two first uses at once (a start on the loader thread, a query under the worker's lock) compile it once:
                // the second waits for the first's answer.
                if (anySizeLayers == null) {
                    java.util.Set<String> found = new java.util.HashSet<>();
                    try {
                        Network larger = borrow(1, 2 * height());
                        larger.layers().forEach(l -> found.add(l.name()));
                        release(larger);
                    } catch (UserError e) {
                        // No layer takes another size.
                    }
                    anySizeLayers = found;
                }
            }
        }
        return this;
    }

    /** Whether {@link #measureSizes} is done: {@link #takesAnySize} then compiles nothing. */
    public boolean sizesMeasured() {
        return anySizeLayers != null;
    }

    /**
     * The example pictures' limits a gallery's tiles are judged by ({@link ExampleLimits}), found on first use and kept.
     *
     * @throws UserError when the model's example pictures cannot be read
     */
    public ExampleLimits exampleLimits() {
        ExampleLimits found = exampleLimits;
        if (found == null) {
            try {
                found = ExampleLimits.of(this);
            } catch (IOException e) {
                throw unreadableExamples(e);
            }
            exampleLimits = found;
        }
        return found;
    }

    private UserError unreadableExamples(IOException e) {
        return new UserError(id() + ": cannot read the example pictures (" + e.getMessage() + ")");
    }

    /** Its example images' activations per layer, scored on first use (see {@link #examples}). */
    public ExampleActivations exampleActivations() {
        return exampleActivations;
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
