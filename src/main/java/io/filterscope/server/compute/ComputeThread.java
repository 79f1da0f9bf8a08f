package io.filterscope.server.compute;

/**
 * One of a worker's compute threads ({@link ComputeService}): it steps the runs placed on it and answers the queries
 * given to it, in the order its own {@link FairScheduler} says, so each running run's share is that of its thread.
 * A worker on a CPU of several cores has several, so that runs step at once on separate cores; under CUDA one.
 */
final class ComputeThread {
    /** Its place among its worker's threads, from 0. */
    final int index;
    final Thread thread;
    /** Turns between the runs placed on it and its queries (guarded by the worker's lock). */
    final FairScheduler<Run, ComputeService.Query> scheduler = new FairScheduler<>();
    /** When it began its current piece of work (System.nanoTime), or 0 between pieces. */
    volatile long busySince;
    volatile String busyWith = "";

    /** A daemon thread named {@code name} that runs {@code body} with this as its argument, once {@link #start}ed. */
    ComputeThread(int index, String name, java.util.function.Consumer<ComputeThread> body) {
        this.index = index;
        this.thread = new Thread(() -> body.accept(this), name);
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Runs one piece of work, marked busy meanwhile so that the worker's health can see it stuck. */
    void timed(String what, Runnable work) {
        busy(what);
        try {
            work.run();
        } finally {
            idle();
        }
    }

    /** It begins a piece of work ({@code what}, for the worker's health). */
    void busy(String what) {
        busyWith = what;
        busySince = System.nanoTime();
    }

    /** Its piece of work is over. */
    void idle() {
        busySince = 0;
    }

    /** Milliseconds in its current piece of work, or 0 between pieces. */
    long busyMs() {
        long since = busySince;
        return since == 0 ? 0 : (System.nanoTime() - since) / 1_000_000;
    }
}
