package io.filterscope.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

class BackendTest {
    @Test
    void smallStepsRunOnOneThreadAndLargeOnesOnEveryCore() {
        int cores = Runtime.getRuntime().availableProcessors();
        Nd4j.create(1); // ND4J loaded
        try {
            Backend.fitThreadsTo(Backend.SMALL_STEP - 1);
            assertEquals(1, NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads());
            Backend.fitThreadsTo(Backend.SMALL_STEP);
            assertEquals(cores, NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads());
        } finally {
            Backend.fitThreadsTo(Long.MAX_VALUE);
        }
    }
}
