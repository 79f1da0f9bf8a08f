package io.filterscope.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

class BackendTest {
    @Test
    void javaCppWeighsResidentMemoryOnlyAgainstALimitSomeoneGave() {
        String read = "org.bytedeco.javacpp.maxPhysicalBytes";
        String given = "org.bytedeco.javacpp.maxphysicalbytes";
        java.util.Properties before = (java.util.Properties) System.getProperties().clone();
        try {
            System.clearProperty(read);
            System.clearProperty(given);
            Backend.configure();
            assertEquals("0", System.getProperty(read), "none given: no limit, so no allocation reads the resident size");
            System.clearProperty(read);
            System.setProperty(given, "3G");
            Backend.configure();
            assertNull(System.getProperty(read), "a limit given stays the one JavaCPP reads");
        } finally {
            System.setProperties(before);
        }
    }

    @Test
    void smallStepsRunOnOneThreadAndLargeOnesOnEveryCore() {
        int cores = Runtime.getRuntime().availableProcessors();
        Nd4j.create(1); // ND4J loaded
        try {
            Backend.fitThreadsTo(Backend.SMALL_STEP - 1);
            assertEquals(1, NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads());
            assertEquals(1, Nd4j.factory().blas().getMaxThreads());
            Backend.fitThreadsTo(Backend.SMALL_STEP);
            assertEquals(cores, NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads());
            assertEquals(cores, Nd4j.factory().blas().getMaxThreads());
        } finally {
            Backend.fitThreadsTo(Long.MAX_VALUE);
        }
    }

    @Test
    void aThreadThatSharesTheMachineLeavesOneCoreToTheRestForLargeSteps() throws Exception {
        int cores = Runtime.getRuntime().availableProcessors();
        assumeTrue(cores >= 2, "one core: nothing to leave");
        Nd4j.create(1);
        int[] seen = new int[5];
        // The setting belongs to the thread that makes it: a thread of its own, as the server's compute thread.
        Thread server = new Thread(() -> {
            Backend.shareCores(1);
            Backend.fitThreadsTo(Backend.SMALL_STEP);
            seen[0] = NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads();
            seen[3] = Nd4j.factory().blas().getMaxThreads();
            Backend.fitThreadsTo(Backend.SMALL_STEP - 1);
            seen[1] = NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads();
            Backend.shareCores(0);
            Backend.fitThreadsTo(Backend.SMALL_STEP);
            seen[2] = NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads();
            Backend.shareCores(2);
            Backend.fitThreadsTo(Backend.SMALL_STEP);
            seen[4] = NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads();
        });
        server.start();
        server.join();
        assertEquals(cores - 1, seen[0], "a large step, shared");
        assertEquals(cores - 1, seen[3], "its matrix products too (OpenBLAS's own threads)");
        assertEquals(1, seen[1], "a small step stays on one thread");
        assertEquals(cores, seen[2], "a large step with the machine to itself");
        assertEquals(Math.max(1, (cores - 1) / 2), seen[4], "one of two compute threads: half of what the rest of the server leaves");
    }
}
