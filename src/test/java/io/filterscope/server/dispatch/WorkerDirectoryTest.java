package io.filterscope.server.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.server.protocol.WorkerStatus;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WorkerDirectoryTest {
    private final WorkerDirectory directory = new WorkerDirectory(3000, 500);

    private static WorkerStatus beat(String id, int active, List<String> models, List<String> runs) {
        return new WorkerStatus(id, "n", "cpu", "test", models, active, 0, runs, false, "ok", null, 0, 0, 0);
    }

    @Test
    void newRunsGoToTheLeastLoadedWorkerThatHasTheModel() {
        directory.heartbeat(beat("a", 0, List.of("m"), List.of()), 0);
        directory.heartbeat(beat("b", 2, List.of("m", "n"), List.of()), 0);
        assertEquals(Optional.of("a"), directory.pick("m"));
        assertEquals(Optional.of("b"), directory.pick("n"), "only b has n, however busy");
        assertEquals(Optional.empty(), directory.pick("unknown"));
    }

    /** A beat saying "wedged" may be a second old: such a worker is passed over, yet still asked when it alone has the model. */
    @Test
    void aWorkerThatIsNotOkGoesLastButIsNotForgotten() {
        directory.heartbeat(new WorkerStatus("a", "n", "cpu", "test", List.of("m", "n"), 0, 0, List.of(), false, "wedged",
                "busy with a step for 130 s", 0, 0, 0), 0);
        directory.heartbeat(beat("b", 3, List.of("m"), List.of()), 0);
        assertEquals(Optional.of("b"), directory.pick("m"), "the healthy worker, however busy");
        assertEquals(Optional.of("a"), directory.pick("n"), "it answers for itself: 503 if it still cannot serve");
    }

    @Test
    void runsPlacedSinceTheLastHeartbeatCountAsLoadSoABurstSpreads() {
        directory.heartbeat(beat("a", 0, List.of("m"), List.of()), 0);
        directory.heartbeat(beat("b", 0, List.of("m"), List.of()), 0);
        String first = directory.pick("m").orElseThrow();
        directory.place("r1", first, 10);
        String second = directory.pick("m").orElseThrow();
        directory.place("r2", second, 10);
        assertTrue(!first.equals(second), "two runs in a row go to two workers");
    }

    @Test
    void aSilentWorkerIsRemovedAndItsRunsAreReportedLost() {
        directory.heartbeat(beat("a", 0, List.of("m"), List.of()), 0);
        directory.heartbeat(beat("b", 0, List.of("m"), List.of()), 0);
        directory.place("r1", "a", 100);
        directory.place("r2", "b", 100);
        directory.heartbeat(beat("b", 1, List.of("m"), List.of("r2")), 2500);
        assertEquals(Map.of(), directory.expire(3000), "within the limit nobody is dead");
        assertEquals(Map.of("a", List.of("r1")), directory.expire(3001));
        assertEquals(List.of("b"), directory.workerIds());
        assertEquals(Optional.empty(), directory.workerOf("r1"));
        assertEquals(Optional.of("b"), directory.workerOf("r2"));
    }

    @Test
    void timeTheDispatcherItselfWasHeldIsNoWorkersSilence() {
        directory.heartbeat(beat("a", 0, List.of("m"), List.of()), 0);
        directory.place("r1", "a", 100);
        directory.expire(500);
        // The process held 4 s (a long pause): the check comes 3.5 s late, before the heartbeat queued behind it.
        assertEquals(Map.of(), directory.expire(4500), "silent 4.5 s, but awake for only 1 s of it");
        directory.heartbeat(beat("a", 1, List.of("m"), List.of("r1")), 4510);
        assertEquals(Optional.of("a"), directory.workerOf("r1"));
        for (long t = 5000; t <= 7500; t += 500) {
            assertEquals(Map.of(), directory.expire(t), "awake and heard from within the limit at " + t);
        }
        assertEquals(Map.of("a", List.of("r1")), directory.expire(8000), "silent 3.5 s while the dispatcher checked on time");
    }

    @Test
    void aRunTheWorkerNoLongerListsIsForgottenButNotOneJustPlaced() {
        directory.heartbeat(beat("a", 0, List.of("m"), List.of()), 0);
        directory.accepted("old", "a", 0);
        directory.accepted("new", "a", 4000);
        directory.heartbeat(beat("a", 0, List.of("m"), List.of()), 4500);
        assertEquals(Optional.empty(), directory.workerOf("old"), "ended: the worker stopped listing it");
        assertEquals(Optional.of("a"), directory.workerOf("new"), "the beat may predate the run's arrival");
    }

    @Test
    void aRunWhoseStartIsNotAnsweredYetIsNeverForgottenByAHeartbeat() {
        directory.heartbeat(beat("a", 0, List.of("m"), List.of()), 0);
        directory.place("scoring", "a", 0); // its start scores example pictures first: the worker does not list it yet
        directory.heartbeat(beat("a", 0, List.of("m"), List.of()), 8000);
        assertEquals(Optional.of("a"), directory.workerOf("scoring"), "a stop sent as it starts must find it");
        directory.accepted("scoring", "a", 8000);
        directory.heartbeat(beat("a", 0, List.of("m"), List.of()), 12000);
        assertEquals(Optional.empty(), directory.workerOf("scoring"), "accepted, then not listed past the grace period: ended");
    }

    @Test
    void aWorkerThatSaysItLeavesIsGoneAtOnce() {
        directory.heartbeat(beat("a", 0, List.of("m"), List.of()), 0);
        directory.place("r1", "a", 0);
        directory.heartbeat(new WorkerStatus("a", "n", "cpu", "test", List.of("m"), 0, 0, List.of(), true, "ok", null, 0, 0, 0), 10);
        assertEquals(List.of(), directory.workerIds());
        assertEquals(Optional.empty(), directory.pick("m"));
        assertEquals(Map.of(), directory.placedRuns());
    }
}
