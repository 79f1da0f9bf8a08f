package io.filterscope.engine.net;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Where a network's passes spend their time, stage by stage: while attached to a {@link Network}
 * ({@link Network#timeStages}), every forward and backward call of each stage is timed, in wall-clock and in the
 * calling thread's processor time (nanoseconds; with one OpenMP thread the two agree on an idle machine, and the
 * processor time stays steady when other processes share the cores). {@link #rows} gives the median of each per
 * stage. For profiles ({@code bench --profile}); a network without one attached times nothing.
 */
public final class StageTimes {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** One stage's medians over the passes recorded, in milliseconds (NaN where it never ran that way). */
    public record Row(String layer, String kind, List<Long> shape, double forwardMs, double backwardMs,
            double forwardCpuMs, double backwardCpuMs) {
    }

    private final List<Stage> stages = new ArrayList<>();
    /** Per stage: forward wall, forward processor, backward wall, backward processor time samples, ns. */
    private final List<Long>[] samples;

    @SuppressWarnings("unchecked")
    StageTimes(Stage[] stages) {
        this.stages.addAll(Arrays.asList(stages));
        this.samples = new List[stages.length * 4];
        for (int i = 0; i < samples.length; i++) {
            this.samples[i] = new ArrayList<>();
        }
    }

    /** A clock reading: {wall, thread processor time}, nanoseconds. */
    static long[] now() {
        return new long[] {System.nanoTime(), THREADS.getCurrentThreadCpuTime()};
    }

    void forward(int stage, long[] since) {
        record(stage, 0, since);
    }

    void backward(int stage, long[] since) {
        record(stage, 2, since);
    }

    private void record(int stage, int slot, long[] since) {
        long[] t = now();
        samples[4 * stage + slot].add(t[0] - since[0]);
        samples[4 * stage + slot + 1].add(t[1] - since[1]);
    }

    /** Forgets what was recorded so far (after warm-up steps, say). */
    public void clear() {
        for (List<Long> s : samples) {
            s.clear();
        }
    }

    /** Every stage that ran, in the network's order, with its medians. */
    public List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < stages.size(); i++) {
            Stage s = stages.get(i);
            if (s == null || samples[4 * i].isEmpty() && samples[4 * i + 2].isEmpty()) {
                continue;
            }
            rows.add(new Row(s.layer == null ? "-" : s.layer, s.description(), Arrays.stream(s.out.shape()).boxed().toList(),
                    median(i, 0), median(i, 2), median(i, 1), median(i, 3)));
        }
        return rows;
    }

    private double median(int stage, int slot) {
        List<Long> s = samples[4 * stage + slot];
        if (s.isEmpty()) {
            return Double.NaN;
        }
        long[] sorted = s.stream().mapToLong(Long::longValue).sorted().toArray();
        return sorted[sorted.length / 2] / 1e6;
    }
}
