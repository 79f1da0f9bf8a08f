package io.filterscope.cli;

import io.filterscope.engine.net.ModelGraph;
import io.filterscope.engine.net.Network;
import io.filterscope.engine.objective.ChannelObjective;
import io.filterscope.engine.objective.Objective;
import io.filterscope.engine.render.AscentRun;
import io.filterscope.engine.render.RenderParams;
import io.filterscope.model.InputSpace;
import io.filterscope.model.LoadedModel;
import io.filterscope.model.ModelStore;
import io.filterscope.model.Vgg16;
import io.filterscope.model.dl4j.Dl4jReader;
import io.filterscope.train.LeNet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.zoo.model.ResNet50;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * {@code bench --model M --layer L --size S --batch N --steps K}: times ascent steps the way
 * ../shared/bench/torch_ascent.py does (normalized-gradient ascent on channel means, image i maximizing
 * filter i), and ends with a line of the same form. {@code vgg16}, {@code resnet50} (DL4J's zoo graph) and
 * {@code lenet} are random-init architectures that need no weights; any other name is a model from the
 * models directory.
 * {@code bench --stream} measures the server's streaming instead ({@link StreamBench}), and
 * {@code bench --runs N} memory across N short runs ({@link MemoryBench}).
 */
final class BenchCommand {
    private static final int WARMUP = 3;

    private BenchCommand() {
    }

    static int run(String[] args) throws Exception {
        Flags flags = Flags.parse("bench", args, Set.of("model", "layer", "size", "batch", "steps", "models", "filter",
                "runs"), Set.of("stream"));
        if (flags.isSet("stream")) {
            return StreamBench.run(flags.path("models", "models"), flags.string("model", "fashion-cnn"),
                    flags.string("layer", "conv4"), flags.integer("filter", 0, 0, 1 << 20),
                    flags.integer("size", 28, 8, 1024), flags.integer("steps", 200, 1, 100_000));
        }
        String name = flags.string("model", "vgg16");
        int batch = flags.integer("batch", 1, 1, 4096);
        int steps = flags.integer("steps", 20, 1, 100_000);
        Model model;
        String layer;
        int size;
        int channels;
        InputSpace space;
        if (name.equals("resnet50")) {
            size = flags.integer("size", 224, 32, 1024);
            layer = flags.string("layer", "res5c_branch");
            // The zoo model initializes only at sizes its last pooling fits; its convolutions take any size. Its
            // default init (normal, std 0.5) overflows float within a few blocks, so He init, as for training.
            model = ResNet50.builder().numClasses(1000).inputShape(new int[] {3, 224, 224})
                    .weightInit(WeightInit.RELU.getWeightInitFunction()).build().init();
            channels = 3;
            space = InputSpace.CAFFE_BGR;
        } else if (name.equals("vgg16") || name.equals("lenet")) {
            boolean vgg = name.equals("vgg16");
            size = vgg ? flags.integer("size", 128, 32, 1024) : 28;
            layer = flags.string("layer", vgg ? "block5_conv1" : "conv4");
            model = vgg ? Vgg16.notop(size, 0) : LeNet.create(28, 1, 10, 0);
            channels = vgg ? 3 : 1;
            space = vgg ? InputSpace.CAFFE_BGR : InputSpace.UNIT;
        } else {
            LoadedModel loaded = new ModelStore(flags.path("models", "models")).load(name);
            size = flags.integer("size", loaded.height(), 8, 1024);
            layer = flags.string("layer", loaded.layers().get(loaded.layers().size() - 2).name());
            channels = loaded.channels();
            space = loaded.inputSpace();
            model = null;
            if (flags.has("runs")) {
                return MemoryBench.run(b -> loaded.borrow(b, size), loaded::release, layer, space,
                        flags.integer("runs", 1000, 1, 1_000_000), steps);
            }
            Network net = loaded.compile(batch, size);
            return time(net, layer, space, batch, steps, size);
        }
        ModelGraph graph = Dl4jReader.read(model);
        if (flags.has("runs")) {
            Network shared = graph.compile(DataType.FLOAT, 1, new long[] {channels, size, size});
            return MemoryBench.run(b -> shared, n -> { }, layer, space, flags.integer("runs", 1000, 1, 1_000_000), steps);
        }
        Network net = graph.compile(DataType.FLOAT, batch, new long[] {channels, size, size});
        return time(net, layer, space, batch, steps, size);
    }

    private static int time(Network net, String layer, InputSpace space, int batch, int steps, int size) {
        var info = net.layer(layer);
        if (info == null) {
            throw new io.filterscope.UserError("unknown layer '" + layer + "'");
        }
        List<Objective> objectives = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
            objectives.add(new ChannelObjective(layer, (int) (i % info.channels())));
        }
        AscentRun run = new AscentRun(net, objectives, space, WARMUP + steps, 0, RenderParams.DEFAULTS);
        for (int i = 0; i < WARMUP; i++) {
            run.step();
        }
        double[] ms = new double[steps];
        long all = System.nanoTime();
        for (int i = 0; i < steps; i++) {
            long t = System.nanoTime();
            run.step();
            ms[i] = (System.nanoTime() - t) / 1e6;
        }
        double total = (System.nanoTime() - all) / 1e9;
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        System.out.println("# network: " + net.toString().replace("\n", "\n#"));
        System.out.printf("# per-step ms: min=%.2f median=%.2f max=%.2f%n", sorted[0], sorted[steps / 2], sorted[steps - 1]);
        double stepsPerSecond = steps / total;
        System.out.printf("filterscope steps_per_s=%.3f filters_per_s=%.3f ms_per_step=%.3f size=%d batch=%d layer=%s%n",
                stepsPerSecond, stepsPerSecond * batch, 1000 / stepsPerSecond, size, batch, layer);
        return 0;
    }
}
