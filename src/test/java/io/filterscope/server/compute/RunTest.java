package io.filterscope.server.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class RunTest {

    @Test
    void secondsPlacedCountEachPlaceAndNotTheTimePaused() {
        Run run = new Run("r1", "127.0.0.1", null, null, 0, 0);
        assertNull(run.secondsPlaced(5_000_000_000L), "a run that never had a place has no seconds");
        run.place(1_000_000_000L);
        assertEquals(0.5, run.secondsPlaced(1_500_000_000L), 1e-12, "while it holds its first place");
        run.unplace(3_000_000_000L);
        assertEquals(2.0, run.secondsPlaced(9_000_000_000L), 1e-12, "paused: the pause does not count");
        run.place(10_000_000_000L);
        run.unplace(10_250_000_000L);
        run.unplace(20_000_000_000L);
        assertEquals(2.25, run.secondsPlaced(30_000_000_000L), 1e-12, "both places; a second unplace changes nothing");
    }
}
