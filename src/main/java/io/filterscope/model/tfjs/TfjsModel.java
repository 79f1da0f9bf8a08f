package io.filterscope.model.tfjs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.filterscope.UserError;
import io.filterscope.engine.param.InputSpace;
import io.filterscope.model.keras.KerasLayer;
import io.filterscope.model.keras.KerasModel;
import io.filterscope.model.keras.KerasWeightStore;
import io.filterscope.model.keras.LayerWeights;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A TF.js layers model: a directory holding {@code model.json} (format "layers-model": the Keras
 * configuration as {@code modelTopology}, and a {@code weightsManifest} of shard files with each weight's
 * name, shape and type) and the binary shards, as TF.js saves a model and Teachable Machine exports one.
 * Weights may be float32, or quantized: uint8 and uint16 ({@code value = q * scale + min}) and float16.
 * A Teachable Machine {@code metadata.json} beside it gives the class names and input size; its image models
 * take pixels scaled to -1..1.
 */
public final class TfjsModel {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final JsonNode json;
    private final JsonNode topology;
    private final KerasModel model;
    private final JsonNode metadata;

    private TfjsModel(Path dir, JsonNode json, JsonNode topology, KerasModel model, JsonNode metadata) {
        this.dir = dir;
        this.json = json;
        this.topology = topology;
        this.model = model;
        this.metadata = metadata;
    }

    /** Whether this path is a TF.js layers model: a directory with a model.json, or a model.json file. */
    public static boolean isModel(Path path) {
        return Files.isDirectory(path) ? Files.isRegularFile(path.resolve("model.json"))
                : path.getFileName().toString().equals("model.json");
    }

    /** Reads model.json (not the weights). */
    public static TfjsModel open(Path path) throws IOException {
        Path dir = Files.isDirectory(path) ? path : path.toAbsolutePath().getParent();
        JsonNode json;
        try {
            json = JSON.readTree(dir.resolve("model.json").toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException("model.json is not JSON (" + UserError.why(e) + ")");
        } catch (NoSuchFileException e) {
            throw new IOException("no model.json in " + dir);
        }
        String format = json.path("format").asText("layers-model");
        if (!format.equals("layers-model")) {
            throw new IOException("a TF.js " + format + ", not a layers model (graph models are not supported; convert the Keras "
                    + "model with tensorflowjs_converter --output_format tfjs_layers_model)");
        }
        JsonNode topology = json.path("modelTopology");
        JsonNode config = topology.has("model_config") ? topology.get("model_config") : topology;
        String version = topology.path("keras_version").asText(null);
        JsonNode metadata = null;
        Path meta = dir.resolve("metadata.json");
        if (Files.isRegularFile(meta)) {
            try {
                metadata = JSON.readTree(meta.toFile());
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IOException(meta + " is not JSON");
            }
        }
        return new TfjsModel(dir, json, config, KerasModel.of(config, version, true), metadata);
    }

    public KerasModel model() {
        return model;
    }

    /** The Keras configuration ({@code class_name}, {@code config}). */
    public JsonNode topology() {
        return topology;
    }

    public String kerasVersion() {
        JsonNode t = json.path("modelTopology");
        return t.path("keras_version").asText(json.path("generatedBy").asText(null));
    }

    /** Teachable Machine's image models take -1..1; other metadata says nothing about the input. */
    public InputSpace metadataInput() {
        return metadata != null && metadata.path("packageName").asText("").startsWith("@teachablemachine/image")
                ? InputSpace.range(-1, 1) : null;
    }

    /** Class names from metadata.json ({@code labels}), or null. */
    public List<String> classes() {
        if (metadata == null || !metadata.path("labels").isArray()) {
            return null;
        }
        List<String> out = new ArrayList<>();
        metadata.get("labels").forEach(l -> out.add(l.asText()));
        return out;
    }

    /** Reads every shard and returns the weights by layer. */
    public KerasWeightStore weights() throws IOException {
        List<LayerWeights.Weight> all = new ArrayList<>();
        for (JsonNode group : json.path("weightsManifest")) {
            ByteBuffer data = shards(group.path("paths"));
            for (JsonNode spec : group.path("weights")) {
                all.add(read(spec, data));
            }
            if (data.hasRemaining()) {
                throw new IOException("weight shards " + group.path("paths") + " hold " + data.remaining()
                        + " bytes more than model.json lists");
            }
        }
        return new KerasWeightStore() {
            @Override
            public LayerWeights of(KerasLayer layer) {
                // Its own scope exactly ("bn/gamma" for layer bn), else under a model's scope ("model/bn/gamma"),
                // never another layer's that ends the same ("conv1/bn/gamma").
                String name = layer.weightsPath().name();
                List<LayerWeights.Weight> mine = all.stream().filter(w -> name.equals(w.scope())).toList();
                if (mine.isEmpty()) {
                    mine = all.stream().filter(w -> w.of(name)).toList();
                }
                return new LayerWeights(layer.name(), mine);
            }

            @Override
            public void close() {
            }
        };
    }

    private ByteBuffer shards(JsonNode paths) throws IOException {
        List<byte[]> parts = new ArrayList<>();
        int total = 0;
        for (JsonNode p : paths) {
            String name = p.asText();
            Path file = dir.resolve(name).normalize();
            if (!file.startsWith(dir.normalize()) || name.contains("..")) {
                throw new IOException("model.json names a weight file outside its directory: " + name);
            }
            if (!Files.isRegularFile(file)) {
                throw new IOException("weight shard " + name + " is missing");
            }
            byte[] b = Files.readAllBytes(file);
            parts.add(b);
            total += b.length;
        }
        ByteBuffer all = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        parts.forEach(all::put);
        return all.flip();
    }

    private static LayerWeights.Weight read(JsonNode spec, ByteBuffer data) throws IOException {
        String name = spec.path("name").asText();
        long[] shape = new long[spec.path("shape").size()];
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = spec.path("shape").get(i).asLong();
            count *= shape[i];
        }
        JsonNode q = spec.path("quantization");
        String stored = q.isObject() ? q.path("dtype").asText() : spec.path("dtype").asText("float32");
        int bytes = switch (stored) {
            case "float32", "int32" -> 4;
            case "uint16", "float16" -> 2;
            case "uint8" -> 1;
            default -> throw new IOException("weight " + name + " is stored as " + stored + ", which is not supported");
        };
        if (count * bytes > data.remaining()) {
            throw new IOException("weight shards end before weight " + name + " (truncated?)");
        }
        float[] v = new float[(int) count];
        double scale = q.path("scale").asDouble(1);
        double min = q.path("min").asDouble(0);
        for (int i = 0; i < v.length; i++) {
            v[i] = switch (stored) {
                case "float32" -> data.getFloat();
                case "int32" -> data.getInt();
                case "uint8" -> (float) ((data.get() & 0xFF) * scale + min);
                case "uint16" -> (float) ((data.getShort() & 0xFFFF) * scale + min);
                default -> halfToFloat(data.getShort());
            };
        }
        return new LayerWeights.Weight(name, shape, v);
    }

    /** IEEE 754 half precision to float. */
    static float halfToFloat(short h) {
        int bits = h & 0xFFFF;
        int sign = (bits >>> 15) << 31;
        int exp = (bits >>> 10) & 0x1F;
        int mant = bits & 0x3FF;
        if (exp == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        }
        if (exp == 0) {
            float f = mant / 1024f / 16384f;
            return sign == 0 ? f : -f;
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }
}
