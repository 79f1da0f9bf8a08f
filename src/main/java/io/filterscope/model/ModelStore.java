package io.filterscope.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import io.filterscope.UserError;
import io.filterscope.engine.net.LayerInfo;
import io.filterscope.engine.net.ModelGraph;
import io.filterscope.engine.net.UnsupportedLayerException;
import io.filterscope.engine.preset.Preset;
import io.filterscope.engine.preset.Presets;
import io.filterscope.model.dl4j.Dl4jReader;
import io.filterscope.model.keras.KerasFile;
import io.filterscope.model.onnx.OnnxReader;
import io.filterscope.model.keras.KnownArchitecture;
import io.filterscope.model.tfjs.TfjsModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.util.ModelSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The models in a directory: each is {@code NAME.json} (its {@link ModelMetadata}) beside the model file it
 * names (a DL4J zip, or a Keras {@code .h5}); a model file without metadata is a model too, with
 * {@link ModelDefaults}. Models load on first use and stay loaded until their files change (a replaced file
 * is read again on next use); a broken one is listed with its error and does not stop the others.
 */
public final class ModelStore {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final Logger LOG = LoggerFactory.getLogger(ModelStore.class);
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    /** The bundled model the page opens on when the directory has it (else on the first that loads). */
    public static final String DEFAULT_MODEL = "emoji-cnn";
    /** Files that hold a model: DL4J zips, Keras HDF5 files, Keras 3 archives, ONNX files (and TF.js directories). */
    private static final Pattern MODEL_FILE = Pattern.compile(
            "[^.].*\\.(zip|h5|hdf5|keras|onnx)", Pattern.CASE_INSENSITIVE);
    private final Path dir;
    private final NetworkCache networks;
    private final Map<String, Loaded> loaded = new ConcurrentHashMap<>();

    /** A loaded model and the versions of the files it was read from, to notice a file changed in place. */
    private record Loaded(LoadedModel model, ModelDefaults.FileVersion file, ModelDefaults.FileVersion metadata) {
    }

    /**
     * Models whose reading failed, by id: the versions of the files they were read from ({@link #versions}) and why. Such
     * a model is listed unavailable with that reason, and not read again, until one of its files changes: a metadata
     * file naming a layer the model lacks, or classes it does not have, is found only when the model is read, and the
     * list said "available" of a model every request then refused.
     */
    private final Map<String, Failed> failed = new ConcurrentHashMap<>();

    private record Failed(List<ModelDefaults.FileVersion> versions, String error) {
    }
    /** A store for one-off use (the command line): compiled networks lent to runs are all kept. */
    public ModelStore(Path dir) {
        this(dir, NetworkCache.unbounded());
    }

    /** @param networks where networks lent to runs go back to, shared by this store's models */
    public ModelStore(Path dir, NetworkCache networks) {
        this.dir = dir;
        this.networks = networks;
    }

    public NetworkCache networks() {
        return networks;
    }

    /**
     * {@code message} with this store's directory, however it was given, shown by its name alone: a server
     * must not tell its clients where its files live.
     */
    public String withoutDirectory(String message) {
        if (message == null) {
            return null;
        }
        String name = dir.toAbsolutePath().normalize().getFileName() == null ? "models"
                : dir.toAbsolutePath().normalize().getFileName().toString();
        String hidden = message.replace(dir.toAbsolutePath().normalize().toString(), name);
        return dir.toString().isEmpty() || dir.toString().equals(name) ? hidden : hidden.replace(dir.toString(), name);
    }

    public Path dir() {
        return dir;
    }

    /**
     * One entry per metadata file and per model file without one, in id order; a model whose files failed to read as
     * they are now is unavailable with the reason.
     */
    public List<Entry> list() {
        List<Entry> entries = metadataEntries();
        for (Map.Entry<String, Bare> bare : filesWithoutMetadata(entries).entrySet()) {
            if (bare.getValue().problem() != null) {
                entries.add(new Entry(bare.getKey(), null, bare.getValue().problem(), true));
                continue;
            }
            try {
                entries.add(new Entry(bare.getKey(), ModelDefaults.of(bare.getValue().file(), bare.getKey()), null, true));
            } catch (UserError e) {
                entries.add(new Entry(bare.getKey(), null, e.getMessage(), true));
            }
        }
        entries.replaceAll(e -> {
            Failed f = e.available() ? failed.get(e.id()) : null;
            return f != null && f.versions().equals(versions(e)) ? new Entry(e.id(), null, f.error(), e.defaults()) : e;
        });
        entries.sort(Comparator.comparing(Entry::id));
        return entries;
    }

    /** The versions of the files a listed model is read from: its model file, and its metadata file if it has one. */
    private List<ModelDefaults.FileVersion> versions(Entry e) {
        List<ModelDefaults.FileVersion> versions = new ArrayList<>();
        try {
            versions.add(ModelDefaults.FileVersion.of(dir.resolve(e.metadata().file())));
            if (!e.defaults()) {
                versions.add(ModelDefaults.FileVersion.of(dir.resolve(e.id() + ".json")));
            }
        } catch (IOException gone) {
            versions.add(null); // changing under us: no failure recorded before matches it
        }
        return versions;
    }

    private List<Entry> metadataEntries() {
        List<Entry> entries = new ArrayList<>();
        for (Path file : metadataFiles()) {
            String id = file.getFileName().toString().replaceFirst("\\.json$", "");
            try {
                entries.add(new Entry(id, readMetadata(file), null, false));
            } catch (UserError e) {
                entries.add(new Entry(id, null, e.getMessage(), false));
            }
        }
        return entries;
    }

    /**
     * A model's metadata, or the reason it cannot be used. {@code defaults}: the model has no metadata file,
     * so {@link ModelDefaults} describe it.
     */
    public record Entry(String id, ModelMetadata metadata, String error, boolean defaults) {
        public boolean available() {
            return error == null;
        }
    }

    /** A model file without metadata, and why it cannot be used under any id (null: it can). */
    private record Bare(Path file, String problem) {
    }

    /**
     * Model files that no readable metadata file names, by the id they are listed under: the file's name without its
     * extension, made an id by {@link #idOf}; a file whose name is that of a metadata file's model, or of a model file
     * earlier in name order, keeps its extension ({@code net.h5} is {@code net}, {@code net.onnx} beside it
     * {@code net.onnx}). A file whose name gives no id, or only one already taken, is listed under its file name with
     * the reason it cannot be used. A file with the name of a metadata file that cannot be read is left out: that
     * file's error is listed, and it may be the one describing it.
     */
    private Map<String, Bare> filesWithoutMetadata(List<Entry> described) {
        Set<String> taken = new HashSet<>();
        Set<String> unreadable = new HashSet<>();
        Set<String> named = new HashSet<>();
        for (Entry e : described) {
            taken.add(e.id());
            if (e.metadata() != null) {
                named.add(e.metadata().file());
            } else {
                unreadable.add(e.id());
            }
        }
        Map<String, Bare> out = new TreeMap<>();
        for (Path f : modelFiles()) {
            String name = f.getFileName().toString();
            int dot = Files.isDirectory(f) ? -1 : name.lastIndexOf('.');
            String base = dot < 0 ? name : name.substring(0, dot);
            if (named.contains(name) || unreadable.contains(base)) {
                continue;
            }
            String id = idOf(base);
            if (id == null) {
                out.putIfAbsent(name, new Bare(f, name + ": a model's id is its file's name without the extension, which must"
                        + " start with a letter or digit (A-Z, a-z, 0-9); rename the file"));
                continue;
            }
            if (taken.contains(id) || out.containsKey(id)) {
                id = id + (dot < 0 ? "" : name.substring(dot));
            }
            if (taken.contains(id) || out.containsKey(id)) {
                out.putIfAbsent(name, new Bare(f, name + ": its id '" + id + "' is another model's; rename the file"));
                continue;
            }
            out.put(id, new Bare(f, null));
        }
        return out;
    }

    /**
     * The id a model file's name without its extension gives: accents dropped ({@code résumé}: {@code resume}), each
     * run of characters other than ASCII letters, digits, '.', '_' and '-' made one '_' ({@code net two}:
     * {@code net_two}); null if that does not start with a letter or digit.
     */
    static String idOf(String base) {
        String id = Normalizer.normalize(base, Normalizer.Form.NFD).replaceAll("\\p{M}+", "")
                .replaceAll("[^A-Za-z0-9._-]+", "_");
        return ID.matcher(id).matches() ? id : null;
    }

    /**
     * The model of this id, loaded on first use and kept while its files stay the same: a model file or
     * metadata file changed or replaced in place (another size or modification time) is read again.
     */
    public LoadedModel load(String id) {
        Loaded l = loaded.get(id);
        if (l != null && current(l, id)) {
            return l.model();
        }
        synchronized (this) {
            l = loaded.get(id);
            if (l != null && current(l, id)) {
                return l.model();
            }
            Loaded old = loaded.remove(id);
            if (old != null) {
                networks.forget(old.model()); // its compiled networks belong to the old file
                LOG.info("{} changed on disk; reading it again", id);
            }
            Entry listed = list().stream().filter(e -> e.id().equals(id)).findFirst().orElse(null);
            if (listed != null && !listed.available()) {
                throw cannotBeUsed(id, listed.error());
            }
            try {
                return loaded.computeIfAbsent(id, this::read).model();
            } catch (UserError e) {
                if (e.notFound || listed == null) {
                    throw e;
                }
                failed.put(id, new Failed(versions(listed), e.getMessage()));
                throw cannotBeUsed(id, e.getMessage());
            }
        }
    }

    /**
     * Forgets every loaded model and the networks kept for reuse, for a worker that is closing: their native memory goes
     * with the next collection even while something still holds the store (test classes' static fields held closed
     * servers, and the test process grew past 17 GB). A model asked for afterwards is read again.
     */
    public synchronized void unloadAll() {
        loaded.clear();
        networks.trimTo(0);
    }

    /**
     * Model {@code id} if it is loaded and its files are as they were read (what {@link #load} returns at once, without
     * reading anything or waiting for another model's read), else null.
     */
    public LoadedModel loadedNow(String id) {
        Loaded l = id == null ? null : loaded.get(id);
        return l != null && current(l, id) ? l.model() : null;
    }

    /** A listed model that cannot be read: 404, as the server's directory answers for a model listed unavailable. */
    private static UserError cannotBeUsed(String id, String why) {
        return UserError.notFound(cannotBeUsedMessage(id, why));
    }

    /** What a request naming a model listed unavailable is told, by a worker's store and by the server's directory alike. */
    public static String cannotBeUsedMessage(String id, String why) {
        return "model '" + id + "' cannot be used: " + why;
    }

    private boolean current(Loaded l, String id) {
        try {
            // A metadata file written beside a model that had none counts as a change too.
            Path meta = dir.resolve(id + ".json");
            ModelDefaults.FileVersion metaVersion = Files.isRegularFile(meta) ? ModelDefaults.FileVersion.of(meta) : null;
            return java.util.Objects.equals(metaVersion, l.metadata())
                    && ModelDefaults.FileVersion.of(dir.resolve(l.model().metadata().file())).equals(l.file());
        } catch (IOException e) {
            return false;
        }
    }

    private Loaded read(String id) {
        if (!ID.matcher(id).matches()) {
            throw UserError.notFound("unknown model '" + id + "'");
        }
        Path file = dir.resolve(id + ".json");
        ModelMetadata meta;
        boolean defaults = !Files.isRegularFile(file);
        if (defaults) {
            Bare found = filesWithoutMetadata(metadataEntries()).get(id);
            Path bare = found == null || found.problem() != null ? null : found.file();
            if (bare == null) {
                List<String> known = list().stream().map(Entry::id).toList();
                throw UserError.notFound("unknown model '" + id + "' (models in " + dir + ": "
                        + (known.isEmpty() ? "none" : String.join(", ", known)) + ")");
            }
            meta = ModelDefaults.of(bare, id);
        } else {
            meta = readMetadata(file);
        }
        Path weights = dir.resolve(meta.file());
        ModelDefaults.FileVersion fileVersion;
        ModelDefaults.FileVersion metaVersion;
        try {
            fileVersion = ModelDefaults.FileVersion.of(weights);
            metaVersion = defaults ? null : ModelDefaults.FileVersion.of(file);
        } catch (IOException e) {
            throw new UserError(weights + ": cannot read (" + e.getMessage() + ")");
        }
        ModelGraph graph;
        long started = System.nanoTime();
        if (ModelDefaults.isOnnx(weights)) {
            try {
                graph = OnnxReader.read(weights);
            } catch (UnsupportedLayerException e) {
                throw new UserError(weights + ": " + e.getMessage());
            } catch (IOException | RuntimeException e) {
                throw new UserError(weights + ": " + oneLine(e));
            }
        } else if (ModelDefaults.isKeras(weights)) {
            try {
                graph = KerasFile.read(weights, meta.architecture());
            } catch (UnsupportedLayerException e) {
                throw new UserError(weights + ": " + e.getMessage());
            } catch (IOException | RuntimeException e) {
                throw new UserError(weights + ": " + oneLine(e));
            }
        } else {
            try {
                graph = Dl4jReader.read(restore(weights));
            } catch (UnsupportedLayerException e) {
                throw new UserError(weights + ": " + e.getMessage());
            } catch (IOException | RuntimeException e) {
                throw new UserError(weights + ": not a readable DL4J model zip (" + oneLine(e) + ")");
            }
        }
        LOG.info("loaded {} from {} in {} ms", id, weights, (System.nanoTime() - started) / 1_000_000);
        LoadedModel model;
        try {
            model = new LoadedModel(meta, graph, dir, defaults, networks);
        } catch (IllegalStateException | IllegalArgumentException e) {
            // The network cannot take the input its metadata declares (a grey inputShape for a colour model, a size one of
            // its layers cannot take): the file to fix is the metadata, or the model file when its input was read from
            // the file itself.
            throw new UserError((defaults ? weights : file) + ": the model cannot take \"inputShape\" " + meta.inputShape()
                    + ": " + oneLine(e));
        }
        checkDefaultView(file, model);
        return new Loaded(model, fileVersion, metaVersion);
    }

    private static Model restore(Path zip) throws IOException {
        String config;
        try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(zip.toFile())) {
            var entry = z.getEntry("configuration.json");
            if (entry == null) {
                throw new IOException("it has no configuration.json");
            }
            config = new String(z.getInputStream(entry).readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        // A ComputationGraph's configuration lists vertices; a MultiLayerNetwork's does not.
        return config.contains("\"vertices\"") ? ModelSerializer.restoreComputationGraph(zip.toFile(), false)
                : ModelSerializer.restoreMultiLayerNetwork(zip.toFile(), false);
    }

    static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        return (nl < 0 ? m : m.substring(0, nl)).strip();
    }

    /** Model files and TF.js model directories in the models directory. */
    private List<Path> modelFiles() {
        List<Path> out = new ArrayList<>(listDir(name -> MODEL_FILE.matcher(name).matches()));
        if (Files.isDirectory(dir)) {
            try (Stream<Path> files = Files.list(dir)) {
                files.filter(f -> !f.getFileName().toString().startsWith(".") && TfjsModel.isModel(f)).sorted().forEach(out::add);
            } catch (IOException e) {
                throw new UserError("cannot list " + dir + ": " + e.getMessage());
            }
        }
        return out;
    }

    private List<Path> metadataFiles() {
        return listDir(name -> name.endsWith(".json"));
    }

    private List<Path> listDir(Predicate<String> name) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> name.test(f.getFileName().toString()) && Files.isRegularFile(f)).sorted().toList();
        } catch (IOException e) {
            throw new UserError("cannot list " + dir + ": " + e.getMessage());
        }
    }

    /** Reads and checks a metadata file; every mistake is reported with the file's name. */
    ModelMetadata readMetadata(Path file) {
        ModelMetadata meta;
        byte[] text;
        try {
            text = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UserError(file + ": cannot read (" + e.getMessage() + ")");
        }
        String unicode = otherUnicode(text);
        require(file, unicode == null, "line 1, column 1: must be UTF-8 text, not " + unicode + " (it starts with a " + unicode
                + " byte-order mark)");
        try {
            // The syntax first: a missing ']' is otherwise read on as an array element of the wrong type.
            JSON.readTree(text);
            meta = JSON.readValue(text, ModelMetadata.class);
        } catch (ValueInstantiationException e) {
            // A part's own check failed (InputSpace, say): its message is the one to show.
            throw new UserError(file + ": " + (e.getCause() != null ? e.getCause().getMessage() : e.getOriginalMessage()));
        } catch (com.fasterxml.jackson.databind.exc.MismatchedInputException e) {
            throw new UserError(file + ": " + MetadataMistake.describe(e));
        } catch (JsonProcessingException e) {
            throw new UserError(file + ": " + UserError.whereAndWhy(e));
        } catch (IOException e) {
            throw new UserError(file + ": cannot read (" + e.getMessage() + ")");
        }
        String id = file.getFileName().toString().replaceFirst("\\.json$", "");
        require(file, id.equals(meta.id()), "\"id\" must be \"" + id + "\" (the file's name), got " + meta.id());
        require(file, meta.file() != null && !meta.file().contains("/") && !meta.file().contains("\\"),
                "\"file\" must name a model file in the same directory");
        require(file, meta.prior() == null || meta.prior().file() != null && !meta.prior().file().contains("/")
                && !meta.prior().file().contains("\\") && Files.isRegularFile(file.resolveSibling(meta.prior().file())),
                "\"prior\" \"file\" must name an existing file in the same directory");
        Path model = file.resolveSibling(meta.file());
        require(file, Files.isRegularFile(model) || TfjsModel.isModel(model), "\"file\" " + meta.file() + " does not exist");
        if (ModelDefaults.isKeras(model) && meta.architecture() != null) {
            try {
                io.filterscope.model.keras.Hdf5File.check(model);
            } catch (IOException e) {
                throw new UserError(model + ": " + e.getMessage());
            }
        } else if (meta.architecture() == null || ModelDefaults.isOnnx(model)) {
            // A weights-only file of a known architecture (fetch-model's) is read by that architecture's loader.
            ModelDefaults.check(model);
        }
        if (meta.architecture() != null) {
            try {
                KnownArchitecture.named(meta.architecture());
            } catch (IllegalArgumentException e) {
                throw new UserError(file + ": " + e.getMessage());
            }
        }
        List<Integer> shape = meta.inputShape();
        require(file, shape != null && shape.size() == 3 && shape.stream().allMatch(v -> v != null && v > 0),
                "\"inputShape\" must be [channels, height, width] with positive numbers");
        require(file, shape.get(0) == 1 || shape.get(0) == 3, "\"inputShape\" must have 1 or 3 channels");
        require(file, shape.get(1) <= 4096 && shape.get(2) <= 4096, "\"inputShape\" is larger than 4096 px");
        if (meta.input() != null) {
            String mismatch = meta.input().mismatch(shape.get(0));
            require(file, mismatch == null, mismatch);
        }
        if (meta.examples() != null) {
            require(file, meta.examples().images() != null && meta.examples().labels() != null,
                    "\"examples\" needs \"images\" and \"labels\" files");
            require(file, Files.isRegularFile(file.resolveSibling(meta.examples().images())),
                    "examples file " + meta.examples().images() + " does not exist");
            require(file, Files.isRegularFile(file.resolveSibling(meta.examples().labels())),
                    "examples file " + meta.examples().labels() + " does not exist");
        }
        ModelMetadata.DefaultView view = meta.defaultView();
        if (view != null) {
            require(file, view.layer() != null && view.filter() >= 0,
                    "\"defaultView\" needs a \"layer\" and a \"filter\" from 0");
            if (view.preset() != null) {
                require(file, Presets.ALL.stream().anyMatch(p -> p.name().equals(view.preset())),
                        "\"defaultView\" preset '" + view.preset() + "' is not one of: "
                                + String.join(", ", Presets.ALL.stream().map(Preset::name).toList()));
            }
        }
        return meta;
    }

    /** "UTF-16" or "UTF-32" if {@code text} starts with that encoding's byte-order mark, else null. */
    private static String otherUnicode(byte[] text) {
        int b0 = text.length > 0 ? text[0] & 0xFF : -1;
        int b1 = text.length > 1 ? text[1] & 0xFF : -1;
        boolean zeros = text.length > 3 && text[2] == 0 && text[3] == 0;
        if (b0 == 0 && b1 == 0 && text.length > 3 && (text[2] & 0xFF) == 0xFE && (text[3] & 0xFF) == 0xFF
                || b0 == 0xFF && b1 == 0xFE && zeros) {
            return "UTF-32";
        }
        return b0 == 0xFE && b1 == 0xFF || b0 == 0xFF && b1 == 0xFE ? "UTF-16" : null;
    }

    /** The metadata's default view names a layer of the model and a filter it has. @throws UserError naming the file */
    private static void checkDefaultView(Path file, LoadedModel model) {
        ModelMetadata.DefaultView view = model.metadata().defaultView();
        if (view == null) {
            return;
        }
        LayerInfo layer;
        try {
            layer = model.layer(view.layer());
        } catch (UserError e) {
            throw new UserError(file + ": \"defaultView\": " + e.getMessage());
        }
        require(file, view.filter() < layer.channels(), "\"defaultView\" filter " + view.filter() + " is out of range: layer "
                + layer.name() + " has " + layer.channels() + " filters");
    }

    private static void require(Path file, boolean ok, String message) {
        if (!ok) {
            throw new UserError(file + ": " + message);
        }
    }
}
