package io.filterscope.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

/**
 * Threads that step the parts of one batch at once, each part on its own equal share of the cores
 * ({@link Backend#splitCores}): data parallelism across the cores, beside each op split over them. A step's host work
 * (the objectives, the update, the regularizers, the images read back) runs on one thread per batch, so a gallery of
 * emoji-cnn's conv6 at 64 px split in two took 90-98 ms a step against 113-132 ms as one batch on both cores, with
 * the same picture bit for bit (docs/performance.md, "Twenty-fifth session"). Task {@code j} of every call runs on
 * thread {@code j}, so a part's arrays stay with the thread whose workspaces made them. With one thread, tasks run on
 * the caller. Not for the server's compute threads, which already step different runs on different cores.
 */
public final class CoreThreads implements AutoCloseable {
    private final List<ExecutorService> threads = new ArrayList<>();

    /** @param count threads to split over (at least 1; usually {@link Backend#stepThreads}) */
    public CoreThreads(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("at least one thread, not " + count);
        }
        int own = count > 1 ? count : 0; // with one thread, the caller is it
        for (int j = 0; j < own; j++) {
            String name = "filterscope-step-" + j;
            ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, name);
                t.setDaemon(true);
                return t;
            });
            thread.submit(() -> Backend.splitCores(count));
            threads.add(thread);
        }
    }

    /**
     * Where part {@code j} of {@code n} items starts when they are split into {@code parts} contiguous parts whose sizes
     * differ by at most one ({@code j = parts}: {@code n}, the last part's end).
     */
    public static int partStart(int n, int parts, int j) {
        return (int) ((long) n * j / parts);
    }

    /** How many tasks one call of {@link #each} takes at most: the threads. */
    public int size() {
        return Math.max(1, threads.size());
    }

    /**
     * Runs task {@code j} on thread {@code j}, all at once, and returns their results in order once every task is done.
     *
     * @throws IllegalArgumentException for more tasks than {@link #size}
     * @throws RuntimeException or Error: the first task's (in order) that threw, as it threw it, once all are done
     */
    public <T> List<T> each(List<? extends Supplier<T>> tasks) {
        if (tasks.size() > size()) {
            throw new IllegalArgumentException(tasks.size() + " tasks for " + size() + " threads");
        }
        List<T> results = new ArrayList<>();
        if (threads.isEmpty()) {
            tasks.forEach(task -> results.add(task.get()));
            return results;
        }
        List<Future<T>> running = new ArrayList<>();
        for (int j = 0; j < tasks.size(); j++) {
            running.add(threads.get(j).submit(tasks.get(j)::get));
        }
        Throwable failed = null;
        boolean interrupted = false;
        for (Future<T> f : running) {
            while (true) {
                try {
                    results.add(f.get());
                    break;
                } catch (InterruptedException e) {
                    // A part must not be left running on arrays the caller is about to free: finish waiting.
                    interrupted = true;
                } catch (ExecutionException e) {
                    failed = failed != null ? failed : e.getCause();
                    results.add(null);
                    break;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failed instanceof RuntimeException r) {
            throw r;
        }
        if (failed instanceof Error err) {
            throw err;
        }
        if (failed != null) {
            throw new IllegalStateException(failed);
        }
        return results;
    }

    @Override
    public void close() {
        threads.forEach(ExecutorService::shutdown);
    }
}
