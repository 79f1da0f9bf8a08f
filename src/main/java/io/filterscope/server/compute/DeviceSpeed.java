package io.filterscope.server.compute;

import io.filterscope.engine.Backend;
import io.filterscope.engine.net.ModelGraph;
import io.filterscope.engine.net.Network;
import io.filterscope.engine.net.Ops;
import io.filterscope.engine.net.Padding;
import io.filterscope.engine.objective.ChannelObjective;
import io.filterscope.engine.objective.Objective;
import io.filterscope.engine.param.InputSpace;
import io.filterscope.engine.preset.Presets;
import io.filterscope.engine.render.AscentRun;
import io.filterscope.engine.render.BatchedAscent;
import io.filterscope.engine.render.ModelData;
import io.filterscope.engine.render.RunParts;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * How fast a compute worker's device does the work of ascent steps, so that a run's step time can be estimated
 * before it starts. A step's work is counted in two parts ({@link Work}), each with its own rate in multiply-adds
 * a second: the network's passes ({@link Network#multiplyAdds}, with the values thin convolutions write at {@link
 * #THIN_VALUE_COST} each) and the images' own work, counted as the
 * multiply-adds of their parameterization ({@link io.filterscope.engine.param.ParameterizationSpec#multiplyAdds}:
 * a Fourier image's transforms, which grow as the side cubed), its rate covering the rest of the run's own work
 * too (transforms, optimizer, regularizers, display copy). Each rate is the fastest shown: in a short calibration
 * on the compute thread when it starts (a small VGG-like network's forward and backward passes through the
 * engine's own ops; then whole steps of a run of Lucid's recipe on it, 2 images of 128 px, less their network
 * passes), and in the steps it has run since (those long enough to tell, each rate from steps mostly its part).
 * Times are the compute thread's processor time ({@link #clock}), not the wall clock: other processes on a busy
 * machine delay a step without making it more work, and the limit is on work (measured in a test JVM on a machine
 * at load 8, wall-clock rates came out 2 to 5 times lower than at load 5-7 and refused the page's own gallery).
 * Where ops fan out to more threads, the compute thread's share of them is about the step's time on an idle
 * machine. The fastest, because a busy machine only makes a step slower, never faster: a run refused for its
 * estimate would be too slow on a quiet machine too. A GPU, which the small calibration underrates, shows its
 * rates in its large steps.
 * <p>
 * Measured on 2 CPU cores (one thread for steps, the other busy, load average 3-9): the network calibration
 * 1.1-3.2e10 a second of processor time, steps of the bundled models at their own size 0.9-1.7e10; the image work
 * 3.7-4.1e9 calibrated, 4.6-5.8e9 in steps
 * (emoji-cnn's conv1 from 8 images of 128 px to 8 of 512 px, whose Fourier images are 70-90% of
 * the step: 0.07 s of 0.09, 4.5-5.6 s of 6.4-8). Large images are slower per network multiply-add (emoji-cnn conv6,
 * 64 images of 256 px: 2.4e9; conv1, 8 images of 512 px: 1.5e9 against 1.1e10 for 2 images), so estimates of
 * those err low where no thin convolution explains it (docs/performance.md, "Step-time estimate"). Owned by the
 * compute thread.
 */
final class DeviceSpeed {
    /** Network calibration: a batch of 8 RGB images of 64 x 64 px through three 3x3 convolutions (32, 64, 64 channels) with ReLU and max pooling. */
    private static final int BATCH = 8;
    private static final int SIDE = 64;
    /** Image-work calibration: a run of 2 images of 128 px, Lucid's recipe, on the same layers. */
    private static final int IMAGE_BATCH = 2;
    private static final int IMAGE_SIDE = 128;
    /** Passes timed after one untimed (the first builds the native kernels); the fastest counts. */
    private static final int PASSES = 5;
    /** Steps shorter than this say more about fixed costs per op than about the device's rate, and are not counted. */
    private static final long SHORTEST_COUNTED_NANOS = 20_000_000;
    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

    /**
     * How many of the network's multiply-adds a value a thin convolution writes costs ({@link Network#thinValues}):
     * 650-950 measured on CPU (30-45 ns a value against 2.4e10 multiply-adds a second calibrated); the lower, so
     * that an estimate errs low rather than refuse what runs.
     */
    static final int THIN_VALUE_COST = 650;

    /**
     * The work of one step.
     *
     * @param network    multiply-adds of the network's forward and backward passes ({@link Network#multiplyAdds})
     * @param thinValues values thin convolutions write ({@link Network#thinValues}), {@link #THIN_VALUE_COST} multiply-adds each
     * @param image      multiply-adds of the images' parameterizations, image and gradient (0 when none counts any)
     */
    record Work(long network, long thinValues, long image) {
        /** The network's multiply-adds with its thin convolutions' values: what its rate is of. */
        double networkCost() {
            return network + (double) THIN_VALUE_COST * thinValues;
        }
    }

    private double networkRate;
    private double imageRate;

    /** A device of these rates (multiply-adds a second), as {@link #calibrate} measures them. */
    DeviceSpeed(double networkRate, double imageRate) {
        this.networkRate = networkRate;
        this.imageRate = imageRate;
    }

    /**
     * Times the calibration network, then a run on it, on the calling thread (the compute thread, with the threads
     * its steps use).
     */
    static DeviceSpeed calibrate() {
        var rng = Nd4j.getRandomFactory().getNewRandomInstance(15);
        ModelGraph graph = graph(rng);
        List<String> target = List.of("conv");
        Network net = graph.compile(DataType.FLOAT, BATCH, new long[] {3, SIDE, SIDE});
        net.input().assign(random(rng, net.input().shape()));
        long passes = fastest(() -> passes(net, target));
        // Its planes are too small for any convolution to be thin.
        double networkRate = net.multiplyAdds(BATCH, SIDE, SIDE, target) * 1e9 / Math.max(1, passes);

        List<Objective> objectives = List.of(new ChannelObjective("conv", 0), new ChannelObjective("conv", 1));
        RunParts parts = Presets.NATURAL.build(Presets.NATURAL.defaults(), ModelData.of(InputSpace.UNIT), objectives);
        int inputSide = parts.inputSize(IMAGE_SIDE);
        Network runNet = graph.compile(DataType.FLOAT, IMAGE_BATCH, new long[] {3, inputSide, inputSide});
        AscentRun run = new AscentRun(runNet, objectives, parts, IMAGE_SIDE, PASSES + 1, 15);
        long step = fastest(() -> BatchedAscent.step(runNet, List.of(new BatchedAscent.Placed(run, 0))));
        long runPasses = fastest(() -> passes(runNet, target));
        // At least a quarter of the step, so that one slow network pass cannot make the images' work look free.
        long imageNanos = Math.max(step - runPasses, step / 4);
        long image = parts.parameterization().multiplyAdds(new long[] {IMAGE_BATCH, 3, IMAGE_SIDE, IMAGE_SIDE});
        return new DeviceSpeed(networkRate, image * 1e9 / Math.max(1, imageNanos));
    }

    /** The calibration network: three 3x3 convolutions (32, 64, 64 channels) with ReLU, max pooling between; its output is "conv". */
    private static ModelGraph graph(org.nd4j.linalg.api.rng.Random rng) {
        ModelGraph.Builder graph = ModelGraph.builder();
        int node = ModelGraph.INPUT;
        long[] widths = {3, 32, 64, 64};
        for (int i = 1; i < widths.length; i++) {
            node = graph.add("conv", Ops.conv2d(random(rng, widths[i], widths[i - 1], 3, 3), null, new int[] {1, 1}, Padding.same(),
                    new int[] {1, 1}, 1), node);
            node = graph.add("conv", Ops.relu(), node);
            if (i < widths.length - 1) {
                node = graph.add("conv", Ops.pool(true, new int[] {2, 2}, new int[] {2, 2}, Padding.valid(), false, false), node);
            }
        }
        graph.name("conv", node);
        return graph.build();
    }

    /** One forward and backward pass of {@code net} to {@code target}, on the threads a step of it uses. */
    private static void passes(Network net, List<String> target) {
        Backend.fitThreadsTo(net.activationVolume());
        net.forward(target);
        net.clearGradients(target);
        net.gradient("conv").assign(1);
        net.backward(target, 0);
    }

    /** The fastest of {@link #PASSES} timed runs of {@code work} ({@link #clock} nanoseconds), after one untimed. */
    private static long fastest(Runnable work) {
        long fastest = Long.MAX_VALUE;
        for (int pass = 0; pass <= PASSES; pass++) {
            long started = clock();
            work.run();
            long took = clock() - started;
            if (pass > 0) {
                fastest = Math.min(fastest, took);
            }
        }
        return fastest;
    }

    /** The calling thread's processor time in nanoseconds (the wall clock where the JVM cannot tell it). */
    static long clock() {
        return THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : System.nanoTime();
    }

    /** Values for the calibration (its own generator, so runs' random numbers are not disturbed). */
    private static org.nd4j.linalg.api.ndarray.INDArray random(org.nd4j.linalg.api.rng.Random rng, long... shape) {
        return Nd4j.randn(rng, shape).castTo(DataType.FLOAT);
    }

    /**
     * Counts a step that did {@code work} in {@code nanos} of {@link #clock}, when it was long enough to tell: each
     * rate from what is left of the step after the other part's time at its rate, when that is most of the step.
     */
    void observe(Work work, long nanos) {
        if (nanos < SHORTEST_COUNTED_NANOS) {
            return;
        }
        double network = nanos - work.image() * 1e9 / imageRate;
        double image = nanos - work.networkCost() * 1e9 / networkRate;
        if (network >= nanos / 2.0) {
            networkRate = Math.max(networkRate, work.networkCost() * 1e9 / network);
        }
        if (work.image() > 0 && image >= nanos / 2.0) {
            imageRate = Math.max(imageRate, work.image() * 1e9 / image);
        }
    }

    /** The fastest rate seen for the network's passes, in multiply-adds a second. */
    double networkRate() {
        return networkRate;
    }

    /** The fastest rate seen for the images' own work, in their parameterizations' multiply-adds a second. */
    double imageRate() {
        return imageRate;
    }

    /** Seconds the device needs for a step of {@code work}, at the fastest rates it has shown. */
    double seconds(Work work) {
        return work.networkCost() / networkRate + work.image() / imageRate;
    }
}
