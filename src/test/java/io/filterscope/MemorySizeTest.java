package io.filterscope;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class MemorySizeTest {
    @Test
    void smallAmountsReadInMegabytesLargeOnesInGigabytes() {
        assertEquals("95 MB", MemorySize.of(95L << 20));
        assertEquals("300 MB", MemorySize.of(300L << 20), "not 0.3 GB beside another amount rounded alike");
        assertEquals("1536 MB", MemorySize.of(3L << 29));
        assertEquals("10 GB", MemorySize.of(10L << 30));
        assertEquals("24 GB", MemorySize.of((24L << 30) + (1L << 29)));
    }
}
