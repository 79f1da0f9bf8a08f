package io.filterscope.cli;

import io.filterscope.Progress;
import java.io.PrintStream;

/**
 * A one-line progress bar on standard error, redrawn at most ten times a second; it stays silent for
 * the first second so quick tasks print nothing, and draws nothing when the program's output is not a terminal:
 * redrawn with carriage returns, a bar sent to a file or a pipe with the output ({@code > log 2>&1}) is one long
 * line of hundreds of bars in front of the command's summary.
 */
public final class ProgressBar implements Progress {
    private static final int WIDTH = 30;
    private final PrintStream out;
    private final boolean terminal;
    private final long started = System.nanoTime();
    private long lastDraw;
    private boolean drawn;
    private boolean finished;

    /**
     * @param out      where the bar is drawn
     * @param terminal whether {@code out} is a terminal; when false the bar draws nothing
     */
    public ProgressBar(PrintStream out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    /**
     * A bar on standard error that draws only when the program runs at a terminal (Java 17's {@link System#console()}:
     * standard input and output both one; it cannot ask about standard error alone).
     */
    public static ProgressBar onStandardError() {
        return new ProgressBar(System.err, System.console() != null);
    }

    @Override
    public synchronized void update(long done, long total, String what) {
        long now = System.nanoTime();
        finished = done >= total;
        if (!terminal) {
            return;
        }
        if (now - started < 1_000_000_000L && !drawn) {
            return;
        }
        if (!finished && now - lastDraw < 100_000_000L) {
            return;
        }
        lastDraw = now;
        drawn = true;
        int filled = total <= 0 ? WIDTH : (int) (WIDTH * Math.min(done, total) / total);
        double seconds = (now - started) / 1e9;
        out.print("\r[" + "#".repeat(filled) + " ".repeat(WIDTH - filled) + "] " + done + "/" + total
                + String.format(" %.1fs ", seconds) + what + "\u001b[K");
        if (finished) {
            out.println();
        }
        out.flush();
    }

    /** Ends the line of a bar that was drawn but never finished (a task that failed half way). */
    public synchronized void end() {
        if (drawn && !finished) {
            out.println();
            drawn = false;
        }
    }
}
