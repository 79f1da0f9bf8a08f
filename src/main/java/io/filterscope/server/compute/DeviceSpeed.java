package io.filterscope.server.compute;

import io.filterscope.engine.Backend;
import io.filterscope.engine.net.ModelGraph;
import io.filterscope.engine.net.Network;
import io.filterscope.engine.net.Ops;
import io.filterscope.engine.net.Padding;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * How fast a compute worker's device does the work of ascent steps, in multiply-adds a second
 * ({@link Network#multiplyAdds}), so that a run's step time can be estimated before it starts: the fastest rate
 * it has shown, in a short calibration on its compute thread when it starts (the forward and backward passes of a
 * small VGG-like network through the engine's own ops) and in the steps it has run since (those long enough to
 * tell). Times are the compute thread's processor time ({@link #clock}), not the wall clock: other processes
 * on a busy machine delay a step without making it more work, and the limit is on work (measured in a test JVM
 * on a machine at load 8, wall-clock rates came out 2 to 5 times lower than at load 5-7 and refused the page's own
 * gallery). Where ops fan out to more threads, the compute thread's share of them is about the step's time on an
 * idle machine. The fastest, because a busy machine only makes a step slower, never faster: a run refused for its
 * estimate would be too slow on a quiet machine too. A GPU, which the small calibration underrates, shows its
 * rate in its large steps.
 * <p>
 * Measured on 2 CPU cores (one thread for steps, the other busy, load average 5-9): the calibration 1.1-3.1e10 a
 * second of processor time; steps of the bundled models at their own size 0.9-1.7e10 at best by the wall clock
 * (emoji-cnn conv6, 64 images: 1.6e10); large images are slower per multiply-add (emoji-cnn conv6, 64 images of
 * 256 px: 2.4e9, their activations far outgrow the caches), so estimates of those err low. Owned by the compute
 * thread.
 */
final class DeviceSpeed {
    /** Calibration network: a batch of 8 RGB images of 64 x 64 px through three 3x3 convolutions (32, 64, 64 channels) with ReLU and max pooling. */
    private static final int BATCH = 8;
    private static final int SIDE = 64;
    /** Passes timed after one untimed (the first builds the native kernels); the fastest counts. */
    private static final int PASSES = 5;
    /** Steps shorter than this say more about fixed costs per op than about the device's rate, and are not counted. */
    private static final long SHORTEST_COUNTED_NANOS = 20_000_000;
    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

    private double multiplyAddsPerSecond;

    private DeviceSpeed(double multiplyAddsPerSecond) {
        this.multiplyAddsPerSecond = multiplyAddsPerSecond;
    }

    /**
     * Times the calibration network on the calling thread (the compute thread, with the threads its steps use):
     * 0.1-0.5 s on 2 CPU cores.
     */
    static DeviceSpeed calibrate() {
        var rng = Nd4j.getRandomFactory().getNewRandomInstance(15);
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
        Network net = graph.build().compile(DataType.FLOAT, BATCH, new long[] {3, SIDE, SIDE});
        List<String> target = List.of("conv");
        net.input().assign(random(rng, net.input().shape()));
        Backend.fitThreadsTo(net.activationVolume());
        long fastest = Long.MAX_VALUE;
        for (int pass = 0; pass <= PASSES; pass++) {
            long started = clock();
            net.forward(target);
            net.clearGradients(target);
            net.gradient("conv").assign(1);
            net.backward(target, 0);
            long took = clock() - started;
            if (pass > 0) {
                fastest = Math.min(fastest, took);
            }
        }
        return new DeviceSpeed(net.multiplyAdds(BATCH, SIDE, SIDE, target) * 1e9 / Math.max(1, fastest));
    }

    /** The calling thread's processor time in nanoseconds (the wall clock where the JVM cannot tell it). */
    static long clock() {
        return THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : System.nanoTime();
    }

    /** Values for the calibration (its own generator, so runs' random numbers are not disturbed). */
    private static org.nd4j.linalg.api.ndarray.INDArray random(org.nd4j.linalg.api.rng.Random rng, long... shape) {
        return Nd4j.randn(rng, shape).castTo(DataType.FLOAT);
    }

    /** Counts a step that did {@code multiplyAdds} in {@code nanos} of {@link #clock}, when it was long enough to tell. */
    void observe(long multiplyAdds, long nanos) {
        if (nanos >= SHORTEST_COUNTED_NANOS) {
            multiplyAddsPerSecond = Math.max(multiplyAddsPerSecond, multiplyAdds * 1e9 / nanos);
        }
    }

    /** The fastest rate seen, in multiply-adds a second. */
    double multiplyAddsPerSecond() {
        return multiplyAddsPerSecond;
    }

    /** Seconds the device needs at least for a step of {@code multiplyAdds}. */
    double seconds(long multiplyAdds) {
        return multiplyAdds / multiplyAddsPerSecond;
    }
}
