package io.filterscope.server.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class FrontWatchTest {
    private final FrontWatch watch = new FrontWatch(3000);

    @Test
    void runsOfASilentFrontAreOrphansAndRunsOfALiveOneAreNot() {
        watch.started("r1", "front-a", 0);
        watch.started("r2", "front-b", 0);
        watch.heard("front-b", 2500);
        assertEquals(List.of(), watch.orphans(List.of("r1", "r2"), 3000));
        assertEquals(List.of("r1"), watch.orphans(List.of("r1", "r2"), 3001));
    }

    @Test
    void endedRunsAreForgottenSoTheyAreNeverReported() {
        watch.started("r1", "front-a", 0);
        assertEquals(List.of(), watch.orphans(List.of("r1"), 1000));
        assertEquals(List.of(), watch.orphans(List.of(), 10_000), "r1 was live and ended");
        watch.started("r2", "front-a", 10_000);
        assertEquals(List.of(), watch.orphans(List.of("r1", "r2"), 10_001), "r1 ended; front-a was just heard");
    }

    /** ClusterTest once saw a killed front's run compute on: the watch had forgotten it while its start was queued. */
    @Test
    void aRunWhoseStartIsStillQueuedIsNotForgottenAndIsStoppedWhenItsFrontFallsSilent() {
        watch.started("r1", "front-a", 0);
        assertEquals(List.of(), watch.orphans(List.of(), 1000), "r1 is not live yet");
        assertEquals(List.of(), watch.orphans(List.of("r1"), 2000));
        assertEquals(List.of("r1"), watch.orphans(List.of("r1"), 3001));
        watch.started("r2", "front-b", 4000);
        assertEquals(List.of("r2"), watch.orphans(List.of(), 7001), "front-b fell silent before r2 went live");
        assertEquals(List.of(), watch.orphans(List.of(), 8000), "reported once");
    }
}
