package io.filterscope.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class CoreThreadsTest {
    private static final Supplier<String> NAME = () -> Thread.currentThread().getName();

    @Test
    void taskJOfEveryCallRunsOnThreadJAndResultsComeInOrder() {
        try (CoreThreads threads = new CoreThreads(2)) {
            List<String> first = threads.each(List.of(NAME, NAME));
            assertNotEquals(first.get(0), first.get(1));
            for (int call = 0; call < 5; call++) {
                assertEquals(first, threads.each(List.of(NAME, NAME)));
            }
            assertEquals(List.of(first.get(0)), threads.each(List.of(NAME)));
        }
    }

    @Test
    void tasksRunAtOnce() {
        CountDownLatch both = new CountDownLatch(2);
        Supplier<Boolean> meet = () -> {
            both.countDown();
            try {
                return both.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                return false;
            }
        };
        try (CoreThreads threads = new CoreThreads(2)) {
            assertEquals(List.of(true, true), threads.each(List.of(meet, meet)));
        }
    }

    @Test
    void oneThreadRunsTheTasksOnTheCaller() {
        try (CoreThreads threads = new CoreThreads(1)) {
            assertEquals(List.of(Thread.currentThread().getName()), threads.each(List.of(NAME)));
        }
    }

    @Test
    void aFailedTaskIsRethrownAsItWasOnceEveryTaskIsDone() {
        IllegalStateException thrown = new IllegalStateException("part 0 failed");
        AtomicBoolean otherDone = new AtomicBoolean();
        try (CoreThreads threads = new CoreThreads(2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> threads.each(List.<Supplier<Object>>of(
                    () -> {
                        throw thrown;
                    },
                    () -> {
                        try {
                            Thread.sleep(200);
                        } catch (InterruptedException ignored) {
                            Thread.currentThread().interrupt();
                        }
                        otherDone.set(true);
                        return null;
                    })));
            assertSame(thrown, e);
            assertTrue(otherDone.get(), "the other part finished before the caller went on");
            assertEquals(2, threads.each(List.of(NAME, NAME)).size(), "the threads still work");
        }
    }

    @Test
    void partsAreContiguousAndDifferInSizeByAtMostOne() {
        assertEquals(List.of(0, 2, 5), List.of(CoreThreads.partStart(5, 2, 0), CoreThreads.partStart(5, 2, 1), CoreThreads.partStart(5, 2, 2)));
        assertEquals(List.of(0, 21, 42, 64), List.of(CoreThreads.partStart(64, 3, 0), CoreThreads.partStart(64, 3, 1),
                CoreThreads.partStart(64, 3, 2), CoreThreads.partStart(64, 3, 3)));
    }

    @Test
    void moreTasksThanThreadsAreRefused() {
        try (CoreThreads threads = new CoreThreads(2)) {
            assertThrows(IllegalArgumentException.class, () -> threads.each(List.of(NAME, NAME, NAME)));
        }
        assertThrows(IllegalArgumentException.class, () -> new CoreThreads(0));
    }
}
