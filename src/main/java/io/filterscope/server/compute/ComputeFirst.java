package io.filterscope.server.compute;

import com.sun.jna.Native;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On a CPU the compute threads share the cores with the rest of the server: event loops serving requests and
 * sending frames, the frame encoder, the garbage collector, the JIT compiler. Linux's scheduler weighs them all
 * alike, so a flood of requests takes cores from the runs a class is watching (in a 3-minute soak on 2 cores, the
 * compute threads got 1.0 core and the rest of the server 0.5). This makes every other thread of the process
 * {@code nicer} (a higher nice value, {@code setpriority(2)} on each thread) than the compute threads: when the
 * cores are all busy the steps go first, and the rest still gets its share by weight (nice 4 weighs 423 against
 * nice 0's 1024), never nothing.
 * <p>
 * Raising a nice value needs no privilege and lowering one does, so nothing is ever set back. A thread inherits
 * its starter's value: the OpenMP threads a compute thread starts are as nice as it (and carry its name, so they
 * are left so); threads that a compute thread happens to start for the rest of the server (Netty starts an event
 * loop's thread on its first task) are found by the next look ({@link #lowerNewThreads}, every heartbeat).
 * Linux and the CPU backend only: on a GPU the compute threads mostly wait for the device. Off by default: a nice value
 * ranks a thread against every process of the machine, so a browser on the same machine (a teacher's laptop) would then
 * outrank the server's event loops, which carry frames and the workers' heartbeats. In one full test run, with every
 * thread of the test JVM four nicer than the browser, a page test's 500-image gallery lost its worker, taken for dead
 * after 3 s without a heartbeat; that failure was not seen before this class.
 */
final class ComputeFirst {
    private static final Logger LOG = LoggerFactory.getLogger(ComputeFirst.class);
    /** {@code PRIO_PROCESS}: on Linux, with a thread id, that one thread. */
    private static final int PRIO_PROCESS = 0;
    /** Threads named {@code filterscope-compute-...} (the kernel keeps 15 characters of a name), and theirs. */
    private static final String COMPUTE = "filterscope-com";
    private static final Path TASKS = Path.of("/proc/self/task");
    /**
     * The other threads' nice value, set by the first look in the process: a worker started later (in tests, by
     * a thread made nicer already) has compute threads as nice as the rest, and must not push the rest further.
     */
    private static Integer target;

    private final int nicer;
    /** Ids of the living threads looked at already. */
    private final Set<String> seen = new HashSet<>();
    private boolean off;

    /** @param nicer how much nicer than the compute threads the others run, 0-19; 0 leaves every thread as it is */
    ComputeFirst(int nicer) {
        this.nicer = nicer;
        this.off = nicer == 0 || !Files.isDirectory(TASKS);
    }

    /**
     * Makes each thread of the process not looked at before, and not a compute thread, as nice as {@link #target}
     * (the compute threads' value plus {@code nicer}, at most 19) unless it is nicer already. Where it cannot (no C
     * library), says so once in the log and stops: the priorities stay as the server ran before.
     */
    synchronized void lowerNewThreads() {
        if (off) {
            return;
        }
        try (Stream<Path> all = Files.list(TASKS)) {
            List<Path> tasks = all.toList();
            seen.retainAll(tasks.stream().map(t -> t.getFileName().toString()).collect(java.util.stream.Collectors.toSet())); // ended threads' ids may come again
            List<Path> fresh = tasks.stream().filter(t -> seen.add(t.getFileName().toString())).toList();
            int goal = target(fresh);
            int changed = 0;
            for (Path task : fresh) {
                if (!name(task).startsWith(COMPUTE) && nice(task) < goal
                        && C.setpriority(PRIO_PROCESS, Integer.parseInt(task.getFileName().toString()), goal) == 0) {
                    changed++;
                }
            }
            if (changed > 0) {
                LOG.debug("{} more threads at nice {}", changed, goal);
            }
        } catch (IOException | RuntimeException | LinkageError e) {
            off = true;
            LOG.info("thread priorities left as they are: {}", e.toString());
        }
    }

    /** {@link #target}, set from the least nice of {@code tasks}' compute threads the first time. */
    private int target(List<Path> tasks) {
        synchronized (ComputeFirst.class) {
            if (target == null) {
                int base = tasks.stream().filter(t -> name(t).startsWith(COMPUTE)).mapToInt(ComputeFirst::nice).min()
                        .orElseThrow(() -> new IllegalStateException("no compute thread found"));
                target = Math.min(19, base + nicer);
                LOG.info("compute threads first: the server's other threads at nice {}, the compute threads at {}", target, base);
            }
            return target;
        }
    }

    /** The thread's name as the kernel keeps it, or "" once it has ended. */
    private static String name(Path task) {
        try {
            return Files.readString(task.resolve("comm")).strip();
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * The thread's nice value: field 19 of its stat line (proc(5)), counted after the name in parentheses, which
     * may itself hold spaces; 19 (the nicest, so left alone) once it has ended.
     */
    private static int nice(Path task) {
        try {
            String stat = Files.readString(task.resolve("stat"));
            return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16]);
        } catch (IOException | RuntimeException e) {
            return 19;
        }
    }

    /** The C library, through JNA (loaded at first use). */
    private static final class C {
        static {
            Native.register("c");
        }

        static native int setpriority(int which, int who, int prio);
    }
}
