package io.filterscope.engine;

import com.sun.jna.Native;

/**
 * How the OpenMP threads of ND4J's native library (libgomp: oneDNN's convolutions and libnd4j's own ops) wait
 * between ops: asleep ({@code OMP_WAIT_POLICY=PASSIVE}) unless the process was started with its own
 * {@code OMP_WAIT_POLICY}, which then stays as it is.
 *
 * <p>libgomp's default spins an idle thread for up to 300,000 pauses (about 3 ms) at every barrier and after every
 * parallel region before it sleeps. A VGG16 step forks a few hundred such regions; on 2 cores shared with anything
 * else (another process, the JVM's compiler or collector threads) a spinning thread holds the core the thread it
 * waits for needs, and whole runs stalled at 3-13x their step time (docs/performance.md, "OpenMP threads that wait
 * asleep"). libgomp reads the variable once, when it loads, so this must run before ND4J does.
 */
final class OpenMpWaits {
    static final String VARIABLE = "OMP_WAIT_POLICY";
    static final String PASSIVE = "PASSIVE";

    private OpenMpWaits() {
    }

    /** The policy to run with: the one the process was started with, or {@link #PASSIVE} when it has none. */
    static String policy(String started) {
        return started == null || started.isBlank() ? PASSIVE : started;
    }

    /**
     * Puts {@link #policy} into the C library's environment, where libgomp will read it (Java's
     * {@link System#getenv} is a copy taken at start-up, which native code never sees). Returns the value native
     * code now reads.
     *
     * @throws IllegalStateException when the C library refuses the variable (out of memory)
     */
    static String apply() {
        String policy = policy(C.getenv(VARIABLE));
        if (C.setenv(VARIABLE, policy, 1) != 0) {
            throw new IllegalStateException("could not set " + VARIABLE + "=" + policy + " for ND4J's OpenMP threads");
        }
        return C.getenv(VARIABLE);
    }

    /** The C library's environment, through JNA. */
    private static final class C {
        static {
            Native.register("c");
        }

        static native String getenv(String name);

        static native int setenv(String name, String value, int overwrite);
    }
}
