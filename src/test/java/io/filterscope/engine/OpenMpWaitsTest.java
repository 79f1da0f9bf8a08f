package io.filterscope.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class OpenMpWaitsTest {
    @Test
    void threadsWaitAsleepUnlessThePolicyWasChosenAtStart() {
        assertEquals("PASSIVE", OpenMpWaits.policy(null));
        assertEquals("PASSIVE", OpenMpWaits.policy(" "));
        assertEquals("ACTIVE", OpenMpWaits.policy("ACTIVE"), "the user's choice stays");
    }

    @Test
    void nativeCodeReadsThePolicyJavaCannotSet() {
        String started = System.getenv(OpenMpWaits.VARIABLE);
        assertEquals(OpenMpWaits.policy(started), OpenMpWaits.apply());
        // Java's copy of the environment is what the process started with, whatever native code reads.
        assertEquals(started, System.getenv(OpenMpWaits.VARIABLE));
    }
}
