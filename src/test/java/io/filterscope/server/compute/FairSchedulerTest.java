package io.filterscope.server.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Compute time goes fairly to clients, queries take at most the query lane's share, and a run's wait is bounded, with a simulated clock. */
class FairSchedulerTest {
    /** Runs the scheduler for {@code total} ns of simulated work; returns the time each client's runs and the queries got. */
    private static Map<String, Long> simulate(FairScheduler<String, String> s, Map<String, Long> cost, long total) {
        Map<String, Long> got = new HashMap<>();
        long clock = 0;
        while (clock < total) {
            FairScheduler.Turn<String, String> turn = s.next(r -> true);
            String what = turn.run() != null ? turn.run() : "query";
            long took = cost.get(turn.run() != null ? turn.run() : turn.query());
            got.merge(turn.run() != null ? turn.client() : "queries", took, Long::sum);
            if (turn.query() != null) {
                s.addQuery(turn.client(), turn.query()); // a client that asks again at once
            }
            s.charge(turn, took);
            clock += took;
            assertTrue(what != null);
        }
        return got;
    }

    @Test
    void clientsGetEqualTimeWhateverTheirStepsCostOrHowManyRunsTheyHave() {
        FairScheduler<String, String> s = new FairScheduler<>();
        s.addRun("a", "a1");
        s.addRun("b", "b1");
        s.addRun("b", "b2");
        s.addRun("b", "b3");
        s.addRun("b", "b4");
        Map<String, Long> cost = Map.of("a1", 10_000_000L, "b1", 2_000_000L, "b2", 2_000_000L, "b3", 2_000_000L, "b4", 2_000_000L);
        Map<String, Long> got = simulate(s, cost, 10_000_000_000L);
        double share = (double) got.get("a") / (got.get("a") + got.get("b"));
        assertEquals(0.5, share, 0.01, "a's one slow run and b's four fast ones get half each: " + got);
    }

    @Test
    void queriesFromManyClientsTakeTheirLanesShareAndEveryRunKeepsItsGuaranteedShare() {
        FairScheduler<String, String> s = new FairScheduler<>();
        s.addRun("a", "a1");
        s.addRun("b", "b1");
        for (int i = 0; i < 10; i++) {
            s.addQuery("asker" + i, "q");
        }
        Map<String, Long> got = simulate(s, Map.of("a1", 2_000_000L, "b1", 2_000_000L, "q", 20_000_000L), 30_000_000_000L);
        long all = got.values().stream().mapToLong(Long::longValue).sum();
        // Two clients' runs beside a stream of queries: 1 / (2 + w) each, the queries the lane's weight w.
        double run = 1 / (2 + FairScheduler.QUERY_WEIGHT);
        assertEquals(1 - 2 * run, (double) got.get("queries") / all, 0.02, got.toString());
        assertEquals(run, (double) got.get("a") / all, 0.02, got.toString());
        assertEquals(run, (double) got.get("b") / all, 0.02, got.toString());
    }

    @Test
    void aRunningRunWaitsAtMostAboutOneStepOfEachOtherLaneBetweenItsSteps() {
        FairScheduler<String, String> s = new FairScheduler<>();
        s.addRun("slow", "s1");
        s.addRun("fast", "f1");
        s.addRun("fast", "f2");
        for (int i = 0; i < 10; i++) {
            s.addQuery("asker" + i, "q");
        }
        long slowStep = 10_000_000L;
        long fastStep = 2_000_000L;
        long query = 30_000_000L;
        Map<String, Long> cost = Map.of("s1", slowStep, "f1", fastStep, "f2", fastStep, "q", query);
        long clock = 0;
        long lastSlow = 0;
        long longestWait = 0;
        int slowSteps = 0;
        while (clock < 20_000_000_000L) {
            FairScheduler.Turn<String, String> turn = s.next(r -> true);
            long took = cost.get(turn.run() != null ? turn.run() : turn.query());
            if ("s1".equals(turn.run())) {
                longestWait = Math.max(longestWait, clock - lastSlow);
                slowSteps++;
            } else if (turn.query() != null) {
                s.addQuery(turn.client(), turn.query());
            }
            s.charge(turn, took);
            clock += took;
            if ("s1".equals(turn.run())) {
                lastSlow = clock;
            }
        }
        longestWait = Math.max(longestWait, clock - lastSlow);
        // The fast client's runs catch up by one of its steps and one of theirs; the queries by one query and the
        // lane's weight of a step of it.
        long bound = (slowStep + fastStep) + (query + (long) (slowStep * FairScheduler.QUERY_WEIGHT));
        assertTrue(longestWait <= bound, "longest wait between two steps " + longestWait + " ns, bound " + bound);
        assertEquals(1 / (2 + FairScheduler.QUERY_WEIGHT), slowSteps * slowStep / (double) clock, 0.02,
                "and its share of the device");
    }

    @Test
    void anIdleClientEarnsNoCreditAndAnEmptySchedulerHasNothingToDo() {
        FairScheduler<String, String> s = new FairScheduler<>();
        assertNull(s.next(r -> true));
        s.addRun("a", "a1");
        for (int i = 0; i < 100; i++) {
            s.charge(s.next(r -> true), 1_000_000);
        }
        s.addRun("late", "l1"); // joins at a's time, not at zero: it does not get 100 turns in a row
        int lateTurns = 0;
        for (int i = 0; i < 10; i++) {
            FairScheduler.Turn<String, String> t = s.next(r -> true);
            lateTurns += "late".equals(t.client()) ? 1 : 0;
            s.charge(t, 1_000_000);
        }
        assertEquals(5, lateTurns, 1);
        s.removeRun("a", "a1");
        s.removeRun("late", "l1");
        assertNull(s.next(r -> true));
    }

    @Test
    void aRunThatIsNotReadyIsPassedOverWithoutLosingItsTurnToTheOthers() {
        FairScheduler<String, String> s = new FairScheduler<>();
        s.addRun("a", "paced");
        s.addRun("a", "a2");
        s.addRun("b", "b1");
        java.util.Set<String> waiting = java.util.Set.of("paced");
        for (int i = 0; i < 6; i++) {
            FairScheduler.Turn<String, String> t = s.next(r -> !waiting.contains(r));
            assertTrue(!"paced".equals(t.run()), "a run that is not due never gets a step");
            s.charge(t, 1_000_000);
        }
        assertNull(s.next(r -> r.equals("none")), "nothing is ready and no query waits");
        s.addQuery("c", "q");
        assertEquals("q", s.next(r -> false).query(), "a query goes while every run waits");
        boolean pacedStepped = false;
        for (int i = 0; i < 4; i++) {
            FairScheduler.Turn<String, String> t = s.next(r -> true);
            pacedStepped |= "paced".equals(t.run());
            s.charge(t, 1_000_000);
        }
        assertTrue(pacedStepped, "once due, it steps again");
    }

    @Test
    void aStepSharedByClientsIsChargedToEachByItsShareSoAClientAloneKeepsAnEqualShare() {
        // a1 and b1 step together in one batch (10 ms for both); c1 is alone on another model (5 ms a step).
        FairScheduler<String, String> s = new FairScheduler<>();
        s.addRun("a", "a1");
        s.addRun("b", "b1");
        s.addRun("c", "c1");
        int batchSteps = 0;
        int aloneSteps = 0;
        for (int i = 0; i < 3000; i++) {
            FairScheduler.Turn<String, String> t = s.next(r -> true);
            if (t.run().equals("c1")) {
                aloneSteps++;
                s.charge(t, 5_000_000);
            } else {
                batchSteps++;
                s.chargeRuns(Map.of("a", 5_000_000L, "b", 5_000_000L));
            }
        }
        // Each client gets a third of the device: the batch (two clients' shares) takes 10 ms per 5 ms of c's.
        assertEquals(1.0, (double) batchSteps / aloneSteps, 0.02, batchSteps + " batch steps, " + aloneSteps + " alone");
    }
}
