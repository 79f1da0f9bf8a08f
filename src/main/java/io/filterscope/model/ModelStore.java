package io.filterscope.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import io.filterscope.UserError;
import io.filterscope.engine.net.UnsupportedLayerException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.util.ModelSerializer;

/**
 * The models in a directory: each is {@code NAME.json} (its {@link ModelMetadata}) beside the DL4J zip it
 * names. Models load on first use and stay loaded; a broken one is listed with its error and does not
 * stop the others.
 */
public final class ModelStore {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    private final Path dir;
    private final Map<String, LoadedModel> loaded = new ConcurrentHashMap<>();

    public ModelStore(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    /** One entry per metadata file, in name order. */
    public List<Entry> list() {
        List<Entry> entries = new ArrayList<>();
        for (Path file : metadataFiles()) {
            String id = file.getFileName().toString().replaceFirst("\\.json$", "");
            try {
                entries.add(new Entry(id, readMetadata(file), null));
            } catch (UserError e) {
                entries.add(new Entry(id, null, e.getMessage()));
            }
        }
        return entries;
    }

    /** A model's metadata, or the reason it cannot be used. */
    public record Entry(String id, ModelMetadata metadata, String error) {
        public boolean available() {
            return error == null;
        }
    }

    public LoadedModel load(String id) {
        LoadedModel model = loaded.get(id);
        if (model != null) {
            return model;
        }
        synchronized (this) {
            return loaded.computeIfAbsent(id, this::read);
        }
    }

    private LoadedModel read(String id) {
        if (!id.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw UserError.notFound("unknown model '" + id + "'");
        }
        Path file = dir.resolve(id + ".json");
        if (!Files.isRegularFile(file)) {
            List<String> known = list().stream().map(Entry::id).toList();
            throw UserError.notFound("unknown model '" + id + "' (models in " + dir + ": "
                    + (known.isEmpty() ? "none" : String.join(", ", known)) + ")");
        }
        ModelMetadata meta = readMetadata(file);
        Path weights = dir.resolve(meta.file());
        Model network;
        try {
            network = restore(weights);
        } catch (IOException | RuntimeException e) {
            throw new UserError(weights + ": not a readable DL4J model zip (" + oneLine(e) + ")");
        }
        try {
            return new LoadedModel(meta, network, dir);
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

    private static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    private List<Path> metadataFiles() {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".json")).sorted().toList();
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
