package io.filterscope.cli;

import io.filterscope.UserError;
import io.filterscope.engine.Backend;
import io.filterscope.engine.CoreThreads;
import io.filterscope.engine.net.LayerInfo;
import io.filterscope.engine.net.ModelGraph;
import io.filterscope.engine.net.Network;
import io.filterscope.engine.net.StageTimes;
import io.filterscope.engine.objective.ChannelObjective;
import io.filterscope.engine.objective.Objective;
import io.filterscope.engine.render.AscentRun;
import io.filterscope.engine.render.StepResult;
import io.filterscope.engine.preset.Params;
import io.filterscope.engine.preset.Presets;
import io.filterscope.engine.param.InputSpace;
import io.filterscope.model.LoadedModel;
import io.filterscope.model.ModelMetadata;
import io.filterscope.model.ModelStore;
import io.filterscope.model.Vgg16;
import io.filterscope.model.dl4j.Dl4jReader;
import io.filterscope.train.LeNet;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.zoo.model.ResNet50;
import org.nd4j.linalg.api.buffer.DataType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * {@code bench --model M --layer L --size S --batch N --steps K}: times ascent steps the way
 * ../shared/bench/torch_ascent.py does (normalized-gradient ascent on channel means, image i maximizing
 * filter i), and ends with a line of the same form. {@code vgg16}, {@code resnet50} (DL4J's zoo graph) and
 * {@code lenet} are random-init architectures that need no weights; any other name is a model from the
 * models directory.
 * {@code bench --stream} measures the server's streaming instead ({@link StreamBench}), and
 * {@code bench --runs N} memory across N short runs ({@link MemoryBench}). A flag the chosen mode does not read is
 * refused ({@link Mode}).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Ascent speed; with --stream, first-frame latency and frame rate through a real WebSocket; "
                + "with --runs, memory over many short runs.")
final class BenchCommand implements Callable<Integer> {
    /** The layer the VGG16 case steps to, as issue 17's table and the PyTorch reference do. */
    private static final String VGG16_LAYER = "block5_conv1";
    /** The side {@code lenet} takes: its dense layer is built for 28 px maps, as the reference's LeNet is. */
    private static final int LENET_SIZE = 28;
    /** The largest --size bench takes, in px, in every mode and for every model. */
    private static final int MAX_SIZE = 1024;
    private static final int WARMUP = 3;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final com.sun.management.OperatingSystemMXBean PROCESS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    @Option(names = "--model", paramLabel = "M", description = "vgg16, resnet50, lenet (random weights) or a model id (default: vgg16); with --stream, vgg16 or a "
            + "model id (default: fashion-cnn)")
    String name;

    @Option(names = "--layer", paramLabel = "L", description = "layer whose channels are maximized (default: the model's usual)")
    String layerName;

    @Option(names = "--size", paramLabel = "S", description = "image side in pixels (default: the model's usual; lenet takes 28 only)")
    Integer sizeFlag;

    @Option(names = "--batch", paramLabel = "N", description = "images per step, when timing steps (default: ${DEFAULT-VALUE})")
    @Bounds(min = 1, max = 4096)
    int batch = 1;

    @Option(names = "--steps", paramLabel = "K", description = "timed steps (default: 20; 200 with --stream)")
    @Bounds(param = "steps")
    Integer stepsFlag;

    @Option(names = "--filter", paramLabel = "F", description = "with --stream: the filter to maximize (default: ${DEFAULT-VALUE})")
    @Bounds(min = 0, max = 1 << 20)
    int filter;

    @Option(names = "--runs", paramLabel = "N", description = "memory over this many short runs instead of speed")
    @Bounds(min = 1, max = 1_000_000)
    Integer runs;

    @Option(names = Mode.STREAM_FLAG, description = "time a run through a WebSocket instead")
    boolean stream;

    @Option(names = "--concurrent", paramLabel = "N", split = ",", description = "with --stream: N runs at once, each on its "
            + "own WebSocket, for each N given in turn (e.g. 1,8,30; repeat them to alternate, and a repeated N's first round is left "
            + "out as its warm-up): total steps/s and first-frame times")
    @Bounds(min = 1, max = 1024)
    List<Integer> concurrent;

    @Option(names = "--preset", paramLabel = "P", description = "with --stream: the runs' preset (default: the objective's default)")
    String preset;

    @Option(names = "--profile", description = "when timing steps, also time every stage of the network (forward and backward, "
            + "median of the timed steps, wall-clock and the compute thread's processor time) and the rest of the step")
    boolean profile;

    @Option(names = "--warm-up", paramLabel = "SECONDS", description = "step this long before the timed steps, besides the 3 "
            + "warm-up steps, so that they run the JIT compiler's code as a server's do after its own warm-up (not with --stream "
            + "or --runs; default: ${DEFAULT-VALUE})")
    @Bounds(min = 0, max = 600)
    int warmUp;

    @Mixin
    ModelsDir models;

    @Spec
    CommandSpec spec;

    /**
     * What bench measures, as {@code --stream} and {@code --runs} choose, and the flags each reads: a flag given in a mode
     * that does not read it is refused ({@link #refuseUnread}), not silently ignored.
     */
    enum Mode {
        TIMING("timing steps (no --stream or --runs)", Map.of(),
                "--model", "--models", "--layer", "--size", "--batch", "--steps", "--profile", "--warm-up"),
        MEMORY("measuring memory (--runs)", Map.of(), "--runs", "--model", "--models", "--layer", "--size", "--steps"),
        STREAM("streaming (--stream)", Map.of(
                "--warm-up", "repeat an N of --concurrent instead, whose first round is left out as a warm-up",
                "--batch", "--concurrent N streams N runs at once"),
                "--model", "--models", "--layer", "--size", "--steps", "--filter", "--preset", "--concurrent");

        /** The flag that chooses between the modes, read by each: {@code --stream=false} chooses timing or memory. */
        static final String STREAM_FLAG = "--stream";

        private final String label;
        /** What to give in this mode instead of a flag it does not read, where something does the flag's work. */
        private final Map<String, String> instead;
        private final Set<String> flags;

        Mode(String label, Map<String, String> instead, String... flags) {
            this.label = label;
            this.instead = instead;
            this.flags = Set.of(flags);
        }

        /** The mode a command line asks for: {@code --stream} wins, so that a {@code --runs} beside it is refused. */
        static Mode of(boolean stream, Integer runs) {
            return stream ? STREAM : runs != null ? MEMORY : TIMING;
        }

        /** Whether this mode reads the flag (by its long name, {@code --batch}). */
        boolean reads(String flag) {
            return flag.equals(STREAM_FLAG) || flags.contains(flag);
        }

        /**
         * Refuses the first flag on the command line that this mode does not read, whatever its value (a default given is
         * ignored all the same).
         *
         * @throws UserError "--batch is for timing steps (...), not for streaming (--stream)", with what to give instead
         *                   where this mode has it ({@link Cli} puts "bench: " before it)
         */
        void refuseUnread(ParseResult parsed) {
            for (OptionSpec option : parsed.matchedOptions()) {
                String flag = option.longestName();
                if (!reads(flag)) {
                    throw new UserError(flag + " is for " + Arrays.stream(values()).filter(m -> m.reads(flag))
                            .map(m -> m.label).collect(Collectors.joining(" and ")) + ", not for " + label
                            + (instead.containsKey(flag) ? ": " + instead.get(flag) : ""));
                }
            }
        }
    }

    /** VGG16's side: 128 px unless --size says (32 px at least, its five poolings' least), in every mode. */
    private int vgg16Size() {
        return size(128, 32);
    }

    private int size(int fallback, int min) {
        return Cli.within("bench", "--size", sizeFlag != null ? sizeFlag : fallback, min, MAX_SIZE);
    }

    private String layer(String fallback) {
        return layerName != null ? layerName : fallback;
    }

    /** A model id's metadata, for its usual size and layer; null for the random-init architectures (vgg16). */
    private ModelMetadata usual(String id) {
        return models.store().list().stream().filter(e -> e.id().equals(id) && e.available())
                .map(ModelStore.Entry::metadata).findFirst().orElse(null);
    }

    @Override
    public Integer call() throws Exception {
        Cli.within("bench", this, "--warm-up", warmUp);
        Mode.of(stream, runs).refuseUnread(spec.commandLine().getParseResult());
        if (stream) {
            String id = name != null ? name : "fashion-cnn";
            ModelMetadata usual = usual(id);
            // The layer the page opens the model on; vgg16 (random weights) is no model of the folder.
            String usualLayer = layerName != null ? layerName
                    : id.equals("vgg16") ? VGG16_LAYER : models.store().load(id).defaultLayer().name();
            StreamBench.Case c = new StreamBench.Case(id, usualLayer,
                    Cli.within("bench", this, "--filter", filter),
                    id.equals("vgg16") ? vgg16Size() : size(usual != null ? usual.inputShape().get(1) : 28, 8),
                    Cli.within("bench", Params.STEPS, stepsFlag != null ? stepsFlag : Params.STEPS.base()), preset);
            if (concurrent == null) {
                return StreamBench.run(models.dir(), c);
            }
            concurrent.forEach(n -> Cli.within("bench", this, "--concurrent", n));
            return StreamBench.concurrent(models.dir(), c, concurrent);
        }
        String name = this.name != null ? this.name : "vgg16";
        Cli.within("bench", this, "--batch", batch);
        int steps = Cli.within("bench", Params.STEPS, stepsFlag != null ? stepsFlag : 20);
        int runCount = runs == null ? 0 : Cli.within("bench", this, "--runs", runs);
        Model model;
        String layer;
        int size;
        int channels;
        InputSpace space;
        if (name.equals("resnet50")) {
            size = size(224, 32);
            layer = layer("res5c_branch");
            // The zoo model initializes only at sizes its last pooling fits; its convolutions take any size. Its
            // default init (normal, std 0.5) overflows float within a few blocks, so He init, as for training.
            model = ResNet50.builder().numClasses(1000).inputShape(new int[] {3, 224, 224})
                    .weightInit(WeightInit.RELU.getWeightInitFunction()).build().init();
            channels = 3;
            space = InputSpace.CAFFE_BGR;
        } else if (name.equals("vgg16") || name.equals("lenet")) {
            boolean vgg = name.equals("vgg16");
            if (!vgg && sizeFlag != null && sizeFlag != LENET_SIZE) {
                throw new UserError("--model lenet takes " + LENET_SIZE + " px pictures only, got --size " + sizeFlag);
            }
            size = vgg ? vgg16Size() : LENET_SIZE;
            layer = layer(vgg ? VGG16_LAYER : "conv4");
            model = vgg ? Vgg16.notop(size, 0) : LeNet.create(LENET_SIZE, 1, 10, 0);
            channels = vgg ? 3 : 1;
            space = vgg ? InputSpace.CAFFE_BGR : InputSpace.UNIT;
        } else {
            LoadedModel loaded = models.store().load(name);
            size = size(loaded.height(), 8);
            // The layer the page opens the model on, as with --stream (it was the layer before the last without a defaultView).
            layer = layer(loaded.defaultLayer().name());
            channels = loaded.channels();
            space = loaded.inputSpace();
            model = null;
            // A layer whose map shrinks to nothing at this size (mnist-cnn's pool2 at 8 px) is said so, as a run's start is.
            loaded.requireMap(layer, size, 0, MAX_SIZE);
            if (runCount > 0) {
                return MemoryBench.run(b -> loaded.borrow(b, size), loaded::release, layer, space, runCount, steps);
            }
            return time(b -> loaded.compile(b, size), layer, space, batch, steps, size, profile, warmUp);
        }
        ModelGraph graph = Dl4jReader.read(model);
        if (runCount > 0) {
            Network shared = graph.compile(DataType.FLOAT, 1, new long[] {channels, size, size});
            LayerInfo.named(shared.layers(), layer, "");
            return MemoryBench.run(b -> shared, n -> { }, layer, space, runCount, steps);
        }
        return time(b -> graph.compile(DataType.FLOAT, b, new long[] {channels, size, size}), layer, space, batch, steps, size, profile,
                warmUp);
    }

    /** The stage table of {@code --profile}: each stage's medians, their sums, and the step's rest. */
    private static void printProfile(List<StageTimes.Row> rows, double stepMs, double stepCpuMs) {
        System.out.println("# profile (median ms of the timed steps; wall-clock, and the compute thread's processor time):");
        System.out.printf("# %-16s %-22s %-20s %9s %9s %9s %9s%n", "layer", "stage", "output", "fwd", "bwd", "fwd cpu", "bwd cpu");
        double[] sums = new double[4];
        for (StageTimes.Row r : rows) {
            double[] v = {r.forwardMs(), r.backwardMs(), r.forwardCpuMs(), r.backwardCpuMs()};
            for (int k = 0; k < 4; k++) {
                sums[k] += Double.isNaN(v[k]) ? 0 : v[k];
            }
            System.out.printf("# %-16s %-22s %-20s %9.2f %9.2f %9.2f %9.2f%n", r.layer(), r.kind(), r.shape(), v[0], v[1], v[2], v[3]);
        }
        System.out.printf("# %-60s %9.2f %9.2f %9.2f %9.2f%n", "network (sum of medians)", sums[0], sums[1], sums[2], sums[3]);
        System.out.printf("# %-60s %9.2f %9s %9.2f%n", "whole step (median)", stepMs, "", stepCpuMs);
        System.out.printf("# %-60s %9.2f %9s %9.2f%n", "rest of the step (objective, optimizer, image)",
                stepMs - sums[0] - sums[1], "", stepCpuMs - sums[2] - sums[3]);
    }

    /** A line {@code # label: min=.. median=.. max=..}, as the reference prints its step times. */
    private static void printSpread(String label, double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        System.out.printf("# %s: min=%.2f median=%.2f max=%.2f%n", label, sorted[0], sorted[sorted.length / 2], sorted[sorted.length - 1]);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    /**
     * Times steps of one batch of {@code batch} images (image i maximizing filter i), split over the cores as a gallery
     * steps it ({@link CoreThreads}); with {@code profile}, as one network on all cores, whose stages are timed.
     *
     * @param compile a network for a batch of the given number of images
     * @param warmUp  seconds of steps before the timed ones (runs of their own, on the same networks)
     */
    private static int time(IntFunction<Network> compile, String layer, InputSpace space, int batch, int steps, int size, boolean profile,
                            int warmUp) {
        int split = profile ? 1 : Math.min(Backend.stepThreads(), batch);
        try (CoreThreads cores = new CoreThreads(split)) {
            // Each part's network is compiled on the thread that steps it, as a gallery's are (Renderer).
            List<Network> nets = cores.each(IntStream.range(0, split).<Supplier<Network>>mapToObj(j ->
                    () -> compile.apply(CoreThreads.partStart(batch, split, j + 1) - CoreThreads.partStart(batch, split, j))).toList());
            List<Supplier<AscentRun>> make = new ArrayList<>();
            for (int j = 0; j < split; j++) {
                Network net = nets.get(j);
                LayerInfo info = LayerInfo.named(net.layers(), layer, "");
                List<Objective> objectives = new ArrayList<>();
                for (int i = CoreThreads.partStart(batch, split, j); i < CoreThreads.partStart(batch, split, j + 1); i++) {
                    objectives.add(new ChannelObjective(layer, (int) (i % info.channels())));
                }
                make.add(() -> new AscentRun(net, objectives, Presets.PLAIN.build(Presets.PLAIN.defaults(), space), size, WARMUP + steps, 0));
            }
            // Fresh runs of the same length while the time lasts: the timed runs then start where a warm server's would.
            long warmStart = System.nanoTime();
            long warmSteps = 0;
            for (long end = warmStart + TimeUnit.SECONDS.toNanos(warmUp); System.nanoTime() < end; ) {
                List<Supplier<StepResult>> warm = cores.each(make).stream().<Supplier<StepResult>>map(run -> run::step).toList();
                for (int i = 0; i < WARMUP + steps && System.nanoTime() < end; i++, warmSteps++) {
                    cores.each(warm);
                }
            }
            if (warmUp > 0) {
                System.out.printf("# warm-up: %d steps in %.1f s before the timed ones%n", warmSteps, (System.nanoTime() - warmStart) / 1e9);
            }
            List<AscentRun> runs = cores.each(make);
            List<Supplier<StepResult>> step = runs.stream().<Supplier<StepResult>>map(run -> run::step).toList();
            for (int i = 0; i < WARMUP; i++) {
                cores.each(step);
            }
            StageTimes stageTimes = profile ? nets.get(0).timeStages() : null;
            double[] ms = new double[steps];
            double[] cpuMs = new double[steps];
            double[] processCpuMs = new double[steps];
            long all = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                long t = System.nanoTime();
                long cpu = THREADS.getCurrentThreadCpuTime();
                long processCpu = PROCESS.getProcessCpuTime();
                cores.each(step);
                cpuMs[i] = (THREADS.getCurrentThreadCpuTime() - cpu) / 1e6;
                processCpuMs[i] = (PROCESS.getProcessCpuTime() - processCpu) / 1e6;
                ms[i] = (System.nanoTime() - t) / 1e6;
            }
            report(nets, stageTimes, ms, cpuMs, processCpuMs, all, steps, size, batch, layer);
        }
        return 0;
    }

    private static void report(List<Network> nets, StageTimes stageTimes, double[] ms, double[] cpuMs, double[] processCpuMs, long all,
                               int steps, int size, int batch, String layer) {
        double total = (System.nanoTime() - all) / 1e9;
        if (stageTimes != null) {
            printProfile(stageTimes.rows(), median(ms), median(cpuMs));
        }
        System.out.println("# network" + (nets.size() > 1 ? " (one of " + nets.size() + ", each stepping its part of the batch on its own cores)" : "")
                + ": " + nets.get(0).toString().replace("\n", "\n#"));
        printSpread("per-step cpu ms (all threads)", processCpuMs);
        printSpread("per-step ms", ms);
        double stepsPerSecond = steps / total;
        System.out.printf("filterscope steps_per_s=%.3f filters_per_s=%.3f ms_per_step=%.3f size=%d batch=%d layer=%s%n",
                stepsPerSecond, stepsPerSecond * batch, 1000 / stepsPerSecond, size, batch, layer);
    }
}
