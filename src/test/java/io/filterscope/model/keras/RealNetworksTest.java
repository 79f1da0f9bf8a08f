package io.filterscope.model.keras;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.engine.net.ModelGraph;
import io.filterscope.engine.net.Network;
import io.filterscope.model.LoadedModel;
import io.filterscope.model.ModelStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Two real pretrained networks, MobileNetV2 and InceptionV3 as the npm package nsfwjs@4.4.0 (MIT) ships them
 * (TF.js layers models, uint8-quantized), read from their TF.js files and converted to Keras .h5
 * (src/test/python/tfjs_to_keras.py): activations at an early and a late layer match TF.js's own in node,
 * and each renders a gallery of a middle layer. Test material only, fetched at test time with npm into
 * target/realnets (never bundled, offered or shown). Opt-in, as it needs npm, node, Debian's python3-h5py
 * and a few minutes: {@code mvn test -Dtest=RealNetworksTest -Dfilterscope.realnets=true}.
 */
@EnabledIfSystemProperty(named = "filterscope.realnets", matches = "true")
class RealNetworksTest {
    private static final Path WORK = Path.of("target", "realnets").toAbsolutePath();
    private static final Path NODE = Path.of(System.getProperty("filterscope.node.modules", WORK.resolve("node_modules").toString()));

    private record Net(String name, int size, String early, String late, String mid) {
    }

    private static final List<Net> NETS = List.of(
            new Net("mobilenet_v2", 224, "Conv1_relu", "out_relu", "block_6_expand_relu"),
            new Net("inception_v3", 299, "activation_1", "mixed10", "mixed4"));

    @BeforeAll
    static void fetchAndConvert() throws Exception {
        Files.createDirectories(WORK);
        if (!Files.isDirectory(NODE.resolve("nsfwjs")) || !Files.isDirectory(NODE.resolve("@tensorflow/tfjs"))) {
            run(WORK, 600, "npm", "install", "--prefix", WORK.toString(), "--no-save", "--no-audit", "--no-fund",
                    "@tensorflow/tfjs@4.22.0", "nsfwjs@4.4.0");
        }
        Path node = Path.of("src", "test", "node").toAbsolutePath();
        run(WORK, 300, "node", node.resolve("extract_nsfwjs.js").toString(), WORK.resolve("nsfw").toString());
        for (Net n : NETS) {
            Path dir = WORK.resolve("nsfw").resolve(n.name);
            run(WORK, 600, "/usr/bin/python3", Path.of("src/test/python/tfjs_to_keras.py").toAbsolutePath().toString(),
                    dir.toString(), WORK.resolve(n.name).toString());
            Path input = WORK.resolve(n.name + ".input.f32");
            writeInput(input, n.size, 17);
            run(WORK, 900, "node", node.resolve("tfjs_reference.js").toString(), dir.toString(), input.toString(),
                    "1," + n.size + "," + n.size + ",3", n.early + "," + n.late + ",dense_3", WORK.resolve(n.name + ".expected").toString());
        }
    }

    /** A fixed random image in [0, 1], NHWC float32. */
    private static void writeInput(Path file, int size, long seed) throws IOException {
        SplittableRandom rng = new SplittableRandom(seed);
        ByteBuffer b = ByteBuffer.allocate(size * size * 3 * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < size * size * 3; i++) {
            b.putFloat((float) rng.nextDouble());
        }
        Files.write(file, b.array());
    }

    private static void run(Path dir, long seconds, String... command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("commands.log").toFile().exists() ? ProcessBuilder.Redirect.appendTo(dir.resolve("commands.log").toFile())
                        : ProcessBuilder.Redirect.to(dir.resolve("commands.log").toFile()));
        pb.environment().put("NODE_PATH", NODE.toString());
        Process p = pb.start();
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " took more than " + seconds + " s");
        }
        assertEquals(0, p.exitValue(), String.join(" ", command) + " failed; see " + dir.resolve("commands.log"));
    }

    @Test
    void bothNetworksMatchTfjsFromBothForms() throws Exception {
        for (Net n : NETS) {
            ReferenceActivations ref = ReferenceActivations.read(WORK.resolve(n.name + ".expected"));
            INDArray x = ReferenceActivations.image(WORK.resolve(n.name + ".input.f32"), new long[] {1, n.size, n.size, 3}, DataType.FLOAT);
            for (Path form : List.of(WORK.resolve("nsfw").resolve(n.name), WORK.resolve(n.name + ".h5"))) {
                Memory before = Memory.now();
                long started = System.nanoTime();
                ModelGraph graph = KerasFile.read(form, null);
                double readMs = (System.nanoTime() - started) / 1e6;
                Memory afterRead = Memory.now();
                started = System.nanoTime();
                Network net = graph.compile(DataType.FLOAT, 1, new long[] {3, n.size, n.size});
                double compileMs = (System.nanoTime() - started) / 1e6;
                Memory afterCompile = Memory.now();
                Map<String, Double> diffs = ref.assertMatches(net, x, 1e-4, n.name + " " + form.getFileName());
                System.out.printf("REAL %s from %s: read %.0f ms (+%d MB heap, +%d MB resident), compiled for 1x%d px in %.0f ms "
                                + "(+%d MB resident); %d layers; relative differences from TF.js %s%n", n.name, form.getFileName(), readMs,
                        (afterRead.heap - before.heap) >> 20, (afterRead.resident - before.resident) >> 20, n.size, compileMs,
                        (afterCompile.resident - afterRead.resident) >> 20, net.layers().size(), diffs);
            }
        }
    }

    @Test
    void bothNetworksRenderAGalleryOfAMiddleLayer() throws Exception {
        for (Net n : NETS) {
            Path models = Files.createDirectories(WORK.resolve("models-" + n.name));
            Path h5 = models.resolve(n.name + ".h5");
            if (!Files.exists(h5)) {
                Files.copy(WORK.resolve(n.name + ".h5"), h5);
            }
            ModelStore store = new ModelStore(models);
            ModelStore.Entry e = store.list().get(0);
            assertTrue(e.available(), e.error());
            LoadedModel model = store.load(n.name);
            double s = Galleries.renderAndCheck(model, n.mid, 4, 16, "real-" + n.name);
            System.out.printf("REAL %s: gallery of %s (4 filters, 16 steps at %d px) in %.1f s%n", n.name, n.mid, n.size, s);
        }
    }

    /** Heap in use after a collection, and the process's resident size (native memory included). */
    private record Memory(long heap, long resident) {
        static Memory now() throws IOException {
            System.gc();
            Runtime r = Runtime.getRuntime();
            long rss = 0;
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
            return new Memory(r.totalMemory() - r.freeMemory(), rss);
        }
    }
}
