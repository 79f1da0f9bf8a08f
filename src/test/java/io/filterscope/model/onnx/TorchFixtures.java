package io.filterscope.model.onnx;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * ONNX files exported from PyTorch at test time by {@code src/test/python/onnx_fixtures.py} (Debian's
 * python3-torch, python3-torchvision, python3-onnx, which {@code .ci/run} installs), with PyTorch's own
 * activations at several layers. Written under {@code target/onnx-fixtures} and reused while the script is
 * unchanged.
 */
public final class TorchFixtures {
    static final Path DIR = Path.of("target", "onnx-fixtures");
    private static final Path SCRIPT = Path.of("src", "test", "python", "onnx_fixtures.py");
    static final String PYTHON = "/usr/bin/python3";

    private TorchFixtures() {
    }

    /** One exported model: its file, input image and PyTorch's activations by graph output name. */
    public record Fixture(String name, Path model, int size, int opset, INDArray input, Map<String, INDArray> expected) {
    }

    /**
     * The fixtures of these models, exported first where missing or stale: torchvision architectures by name
     * (mode "torchvision"), "trained_cnn" (mode "trained"), "zoo_googlenet" (mode "zoo-googlenet").
     */
    public static synchronized List<Fixture> load(String mode, List<String> names) throws Exception {
        String stamp = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(SCRIPT)));
        List<String> missing = new ArrayList<>();
        for (String n : names) {
            Path s = DIR.resolve(n).resolve("stamp");
            if (!Files.isRegularFile(s) || !Files.readString(s).equals(stamp)) {
                missing.add(n);
            }
        }
        if (!missing.isEmpty()) {
            export(mode, missing);
            for (String n : missing) {
                Files.writeString(DIR.resolve(n).resolve("stamp"), stamp);
            }
        }
        List<Fixture> out = new ArrayList<>();
        for (String n : names) {
            out.add(read(n));
        }
        return out;
    }

    private static void export(String mode, List<String> names) throws Exception {
        if (!Files.isExecutable(Path.of(PYTHON))) {
            fail(PYTHON + " is missing: the ONNX tests export PyTorch models with Debian's python3, python3-torch, "
                    + "python3-torchvision and python3-onnx (apt-get install them; .ci/run does)");
        }
        Files.createDirectories(DIR);
        List<String> cmd = new ArrayList<>(List.of("nice", "-n", "10", PYTHON, SCRIPT.toString(), mode, DIR.toString()));
        if (mode.equals("torchvision")) {
            cmd.addAll(names);
        }
        Path log = DIR.resolve(mode + ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(20, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail("exporting " + names + " took over 20 minutes");
        }
        if (p.exitValue() != 0) {
            String text = Files.readString(log, StandardCharsets.UTF_8);
            fail("exporting " + names + " failed (needs Debian's python3-torch, python3-torchvision, python3-onnx):\n"
                    + text.substring(Math.max(0, text.length() - 3000)));
        }
    }

    private static Fixture read(String name) throws IOException {
        Path d = DIR.resolve(name);
        JsonNode json = new ObjectMapper().readTree(d.resolve("expected.json").toFile());
        Map<String, INDArray> expected = new LinkedHashMap<>();
        var fields = json.get("layers").fields();
        while (fields.hasNext()) {
            var e = fields.next();
            expected.put(e.getKey(), Nd4j.createFromNpyFile(d.resolve(e.getValue().asText()).toFile()));
        }
        return new Fixture(name, d.resolve(json.get("model").asText()), json.get("size").asInt(), json.get("opset").asInt(),
                Nd4j.createFromNpyFile(d.resolve(json.get("input").asText()).toFile()), expected);
    }
}
