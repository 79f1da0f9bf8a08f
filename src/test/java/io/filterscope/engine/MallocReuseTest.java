package io.filterscope.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class MallocReuseTest {
    /** The C library's allocator and a thread's page-fault count. */
    interface C extends Library {
        C LIB = (C) Native.loadLibrary("c", C.class);

        Pointer malloc(long size);

        void free(Pointer p);

        Pointer memset(Pointer p, int value, long size);

        int getrusage(int who, Pointer usage);
    }

    private static final int RUSAGE_THREAD = 1;
    /** Offset of ru_minflt in struct rusage on 64-bit Linux: two timevals, then four longs. */
    private static final int MINFLT = 2 * 16 + 4 * 8;
    /** A 512-channel 3x3 layer's weights in float: what oneDNN copies into its own order at every call. */
    private static final long WEIGHTS = 512L * 512 * 3 * 3 * 4;

    private static long minorFaults() {
        Memory usage = new Memory(256);
        if (C.LIB.getrusage(RUSAGE_THREAD, usage) != 0) {
            throw new IllegalStateException("getrusage failed");
        }
        return usage.getLong(MINFLT);
    }

    /** Page faults of writing a freshly allocated buffer of that size, on the calling thread. */
    private static long faultsOfFreshBuffer(long size) {
        Pointer p = C.LIB.malloc(size);
        long before = minorFaults();
        C.LIB.memset(p, 1, size);
        long faults = minorFaults() - before;
        C.LIB.free(p);
        return faults;
    }

    @Test
    void aBufferFreedAndAllocatedAgainKeepsItsPages() throws InterruptedException {
        assertTrue(MallocReuse.apply(), "glibc on Linux takes the settings");
        AtomicLong first = new AtomicLong();
        AtomicLong again = new AtomicLong();
        // A thread of its own, as ND4J's compute threads are: its allocations come from a thread's arena.
        Thread t = new Thread(() -> {
            first.set(faultsOfFreshBuffer(WEIGHTS));
            long most = 0;
            for (int i = 0; i < 5; i++) {
                most = Math.max(most, faultsOfFreshBuffer(WEIGHTS));
            }
            again.set(most);
        });
        t.start();
        t.join();
        long pages = WEIGHTS / 4096;
        assertTrue(again.get() < pages / 10, "allocated again, the buffer's " + pages + " pages took " + again.get()
                + " faults (" + first.get() + " the first time)");
    }
}
