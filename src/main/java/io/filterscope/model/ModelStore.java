package io.filterscope.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import io.filterscope.UserError;
import io.filterscope.engine.net.UnsupportedLayerException;
import io.filterscope.model.keras.Hdf5File;
import io.filterscope.model.keras.KerasFile;
import io.filterscope.model.keras.KnownArchitecture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    private static final Logger LOG = LoggerFactory.getLogger(ModelStore.class);
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    /** Files that hold a model: DL4J zips and Keras HDF5 files. */
    private static final Pattern MODEL_FILE = Pattern.compile(
            "[^.].*\\.(zip|h5|hdf5)", Pattern.CASE_INSENSITIVE);
    private final Path dir;
    private final NetworkCache networks;
    private final Map<String, Loaded> loaded = new ConcurrentHashMap<>();

    /** A loaded model and what its files looked like when it was read. */
    private record Loaded(LoadedModel model, List<Object> stamp) {
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

    /** One entry per metadata file and per model file without one, in id order. */
    public List<Entry> list() {
        List<Entry> entries = metadataEntries();
        for (Map.Entry<String, Path> bare : filesWithoutMetadata(entries).entrySet()) {
            try {
                entries.add(new Entry(bare.getKey(), ModelDefaults.of(bare.getValue(), bare.getKey()), null, true));
            } catch (UserError e) {
                entries.add(new Entry(bare.getKey(), null, e.getMessage(), true));
            }
        }
        entries.sort(Comparator.comparing(Entry::id));
        return entries;
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

    /**
     * Model files (DL4J zips, Keras .h5/.hdf5) that no metadata file names or shares a name with, by the id
     * they are listed under: the file's name without its extension (with the extension if two share it).
     */
    private Map<String, Path> filesWithoutMetadata(List<Entry> described) {
        Set<String> taken = new HashSet<>();
        Set<String> named = new HashSet<>();
        for (Entry e : described) {
            taken.add(e.id());
            if (e.metadata() != null) {
                named.add(e.metadata().file());
            }
        }
        Map<String, Path> out = new TreeMap<>();
        for (Path f : listDir(name -> MODEL_FILE.matcher(name).matches())) {
            String name = f.getFileName().toString();
            String base = name.substring(0, name.lastIndexOf('.'));
            if (named.contains(name) || taken.contains(base)) {
                continue;
            }
            String id = ID.matcher(base).matches() && !out.containsKey(base) ? base : name.replaceAll("[^A-Za-z0-9._-]", "_");
            if (ID.matcher(id).matches() && !out.containsKey(id)) {
                out.put(id, f);
            }
        }
        return out;
    }

    /** The model, read on first use and again after its files changed. */
    public LoadedModel load(String id) {
        Loaded current = loaded.get(id);
        if (current != null && current.stamp().equals(stamp(id))) {
            return current.model();
        }
        synchronized (this) {
            current = loaded.get(id);
            List<Object> stamp = stamp(id);
            if (current != null && current.stamp().equals(stamp)) {
                return current.model();
            }
            if (current != null) {
                loaded.remove(id);
                networks.forget(current.model());
                LOG.info("{} changed on disk; reading it again", id);
            }
            LoadedModel model = read(id);
            loaded.put(id, new Loaded(model, stamp));
            return model;
        }
    }

    /**
     * What the files of model {@code id} look like now (metadata file and model files: identity, size, time),
     * so that a replaced or edited file is noticed.
     */
    private List<Object> stamp(String id) {
        List<Object> stamp = new ArrayList<>();
        if (!ID.matcher(id).matches()) {
            return stamp;
        }
        List<Path> files = new ArrayList<>(listDir(name -> name.equals(id + ".json")
                || name.startsWith(id + ".") && MODEL_FILE.matcher(name).matches()));
        Loaded current = loaded.get(id);
        if (current != null && !files.contains(dir.resolve(current.model().metadata().file()))) {
            files.add(dir.resolve(current.model().metadata().file())); // a metadata file may name a model file of another name
        }
        for (Path f : files) {
            try {
                var a = Files.readAttributes(f, java.nio.file.attribute.BasicFileAttributes.class);
                stamp.addAll(List.of(f.getFileName().toString(), String.valueOf(a.fileKey()), a.size(), a.lastModifiedTime()));
            } catch (IOException e) {
                stamp.add(f.getFileName() + ": " + e.getMessage());
            }
        }
        return stamp;
    }

    private LoadedModel read(String id) {
        if (!ID.matcher(id).matches()) {
            throw UserError.notFound("unknown model '" + id + "'");
        }
        Path file = dir.resolve(id + ".json");
        ModelMetadata meta;
        boolean defaults = !Files.isRegularFile(file);
        if (defaults) {
            Path bare = filesWithoutMetadata(metadataEntries()).get(id);
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
        Model network;
        long started = System.nanoTime();
        if (ModelDefaults.isKeras(weights)) {
            try {
                network = KerasFile.load(weights, meta.architecture(), meta.inputShape().get(1));
            } catch (IOException | RuntimeException e) {
                throw new UserError(weights + ": " + oneLine(e));
            }
        } else {
            try {
                network = restore(weights);
            } catch (IOException | RuntimeException e) {
                throw new UserError(weights + ": not a readable DL4J model zip (" + oneLine(e) + ")");
            }
        }
        LOG.info("loaded {} from {} in {} ms", id, weights, (System.nanoTime() - started) / 1_000_000);
        try {
            return new LoadedModel(meta, network, dir, defaults, networks);
        } catch (UnsupportedLayerException e) {
            throw new UserError(weights + ": " + e.getMessage());
        }
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
        try {
            meta = JSON.readValue(file.toFile(), ModelMetadata.class);
        } catch (ValueInstantiationException e) {
            // A part's own check failed (InputSpace, say): its message is the one to show.
            throw new UserError(file + ": " + (e.getCause() != null ? e.getCause().getMessage() : e.getOriginalMessage()));
        } catch (JsonProcessingException e) {
            throw new UserError(file + ": " + e.getOriginalMessage().replace('\n', ' '));
        } catch (IOException e) {
            throw new UserError(file + ": cannot read (" + e.getMessage() + ")");
        }
        String id = file.getFileName().toString().replaceFirst("\\.json$", "");
        require(file, id.equals(meta.id()), "\"id\" must be \"" + id + "\" (the file's name), got " + meta.id());
        require(file, meta.file() != null && !meta.file().contains("/") && !meta.file().contains("\\"),
                "\"file\" must name a model file in the same directory");
        require(file, Files.isRegularFile(file.resolveSibling(meta.file())), "\"file\" " + meta.file() + " does not exist");
        if (ModelDefaults.isKeras(file.resolveSibling(meta.file()))) {
            try {
                Hdf5File.check(file.resolveSibling(meta.file()));
            } catch (IOException e) {
                throw new UserError(file.resolveSibling(meta.file()) + ": " + e.getMessage());
            }
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
        return meta;
    }

    private static void require(Path file, boolean ok, String message) {
        if (!ok) {
            throw new UserError(file + ": " + message);
        }
    }
}
