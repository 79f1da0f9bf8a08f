package io.filterscope.server.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.server.protocol.WorkerStatus;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WorkerDirectoryTest {
    private final WorkerDirectory directory = new WorkerDirectory(3000);

    private static WorkerStatus beat(String id, int active, List<String> models, List<String> runs) {
        return new WorkerStatus(id, "cpu", "test", models, active, 0, runs, false);
    }

    @Test
    void newRunsGoToTheLeastLoadedWorkerThatHasTheModel() {
        directory.heartbeat(beat("a", 0, List.of("m"), List.of()), 0);
        directory.heartbeat(beat("b", 2, List.of("m", "n"), List.of()), 0);
        assertEquals(Optional.of("a"), directory.pick("m"));
        assertEquals(Optional.of("b"), directory.pick("n"), "only b has n, however busy");
        assertEquals(Optional.empty(), directory.pick("unknown"));
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
    void aRunTheWorkerNoLongerListsIsForgottenButNotOneJustPlaced() {
        directory.heartbeat(beat("a", 0, List.of("m"), List.of()), 0);
        directory.place("old", "a", 0);
        directory.place("new", "a", 4000);
        directory.heartbeat(beat("a", 0, List.of("m"), List.of()), 4500);
        assertEquals(Optional.empty(), directory.workerOf("old"), "ended: the worker stopped listing it");
        assertEquals(Optional.of("a"), directory.workerOf("new"), "the beat may predate the run's arrival");
    }

    @Test
    void aWorkerThatSaysItLeavesIsGoneAtOnce() {
        directory.heartbeat(beat("a", 0, List.of("m"), List.of()), 0);
        directory.place("r1", "a", 0);
        directory.heartbeat(new WorkerStatus("a", "cpu", "test", List.of("m"), 0, 0, List.of(), true), 10);
        assertEquals(List.of(), directory.workerIds());
        assertEquals(Optional.empty(), directory.pick("m"));
        assertEquals(Map.of(), directory.placedRuns());
    }
}
