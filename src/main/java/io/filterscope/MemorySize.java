package io.filterscope;

import java.util.Locale;

/** Amounts of memory as people read them in messages. */
public final class MemorySize {
    private MemorySize() {
    }

    /**
     * Whole gibibytes from 10 GB up ("24 GB"), else whole mebibytes ("1536 MB", "95 MB"), so that a budget of a few
     * hundred megabytes does not read "0.1 GB" beside an estimate of "0.1 GB".
     */
    public static String of(long bytes) {
        return bytes >= 10L << 30 ? (bytes >> 30) + " GB" : String.format(Locale.ROOT, "%.0f MB", bytes / 1048576.0);
    }
}
